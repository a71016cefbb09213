import { describe, expect, it } from 'vitest';
import { parseLinkEvent } from '../../../src/net/link-monitor.js';

// Lines as `ip -o monitor link` (iproute2 6.1) printed them here for each case.
describe('parseLinkEvent', () => {
  it.each([
    [
      'a bridge made (down)',
      '5: br0: <BROADCAST,MULTICAST> mtu 1500 qdisc noop state DOWN group default \\    link/ether ee:2f:b4:1d:5c:04 brd ff:ff:ff:ff:ff:ff',
      { name: 'br0', deleted: false, up: false },
    ],
    [
      'a bridge up',
      '5: br0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc noqueue state UNKNOWN group default \\    link/ether ee:2f:b4:1d:5c:04 brd ff:ff:ff:ff:ff:ff',
      { name: 'br0', deleted: false, up: true },
    ],
    [
      'a bridge up without carrier (no port up yet)',
      '2: br0: <NO-CARRIER,BROADCAST,MULTICAST,UP> mtu 1500 qdisc noqueue state DOWN group default event FEATURE CHANGE \\    link/ether 00:00:00:00:00:00 brd ff:ff:ff:ff:ff:ff',
      { name: 'br0', deleted: false, up: true },
    ],
    [
      'a bridge deleted',
      'Deleted 2: br0: <BROADCAST,MULTICAST> mtu 1500 qdisc noop state DOWN group default \\    link/ether 92:58:cd:fc:53:28 brd ff:ff:ff:ff:ff:ff',
      { name: 'br0', deleted: true, up: false },
    ],
    [
      'a port enslaved',
      '4: vA@vB: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc noqueue master br0 state UP group default \\    link/ether 92:58:cd:fc:53:28 brd ff:ff:ff:ff:ff:ff',
      { name: 'vA', deleted: false, master: 'br0', up: true },
    ],
    [
      'a port released (its bridge deleted, or nomaster)',
      '4: vA@vB: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc noqueue state UP group default \\    link/ether 92:58:cd:fc:53:28 brd ff:ff:ff:ff:ff:ff',
      { name: 'vA', deleted: false, up: true },
    ],
    [
      "a container's host veth, its peer in another namespace",
      '3: ipr0123456789ab@if2: <BROADCAST,MULTICAST,UP> mtu 1500 qdisc noqueue master br0 state UNKNOWN group default \\    link/ether 4e:95:8f:1b:a4:3c brd ff:ff:ff:ff:ff:ff link-netnsid 0',
      { name: 'ipr0123456789ab', deleted: false, master: 'br0', up: true },
    ],
    [
      'a port deleted',
      'Deleted 3: iprX@NONE: <BROADCAST,MULTICAST> mtu 1500 qdisc noop state DOWN group default \\    link/ether 4e:95:8f:1b:a4:3c brd ff:ff:ff:ff:ff:ff',
      { name: 'iprX', deleted: true, up: false },
    ],
  ])('%s', (_case, line, event) => {
    expect(parseLinkEvent(line)).toStrictEqual(event);
  });

  it.each([
    ['the bridge reporting on a port', '4: vA@vB: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 master br0 state UP \\    link/ether 92:58:cd:fc:53:28'],
    ['the bridge reporting a port gone from it ("Deleted", yet the port lives)', 'Deleted 4: vA@vB: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 master br0 state UP \\    link/ether 92:58:cd:fc:53:28'],
    ['an empty line', ''],
    ['something else', 'Terminated'],
  ])('skips %s', (_case, line) => {
    expect(parseLinkEvent(line)).toBeUndefined();
  });
});
