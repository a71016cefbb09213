import { describe, expect, it } from 'vitest';
import { parseAttachArgs } from '../../../src/cli/attach.js';
import { errorOf } from '../helpers/error-of.js';

const USAGE = 'usage: ipper attach <bridge> <container id|name|pid> [-i <interface>] dhcp [mac]';

describe('parseAttachArgs', () => {
  it.each([
    [['br0', 'web', 'dhcp'], { bridge: 'br0', container: 'web', interface: undefined, mac: undefined }],
    [['br0', '12345', 'dhcp', '02:42:ac:11:00:02'], { bridge: 'br0', container: '12345', interface: undefined, mac: '02:42:ac:11:00:02' }],
    // -i after the container (the form), before it (pipework's), or at the end.
    [['br1', 'web', '-i', 'eth1', 'dhcp'], { bridge: 'br1', container: 'web', interface: 'eth1', mac: undefined }],
    [['br1', '-i', 'eth1', 'web', 'dhcp', '02:42:ac:11:00:03'], { bridge: 'br1', container: 'web', interface: 'eth1', mac: '02:42:ac:11:00:03' }],
    [['br1', 'web', 'dhcp', '--interface', 'lan2'], { bridge: 'br1', container: 'web', interface: 'lan2', mac: undefined }],
  ])('%j', (args, expected) => {
    expect(parseAttachArgs(args)).toStrictEqual(expected);
  });

  it.each([
    [[], USAGE],
    [['br0'], USAGE],
    [['br0', 'web', 'dhcp', 'mac', 'extra'], USAGE],
    [['br0', 'web', 'static'], `only "dhcp" is supported, not "static" (${USAGE})`],
    [['br0', 'web', 'dhcp', '-i'], `-i needs an interface name (${USAGE})`],
    [['br0', 'web', '-i', 'eth1', '-i', 'eth2', 'dhcp'], `one interface per attach (${USAGE})`],
    [['br0', 'web', '-i', 'eth/1', 'dhcp'], '"eth/1" is not an interface name (1-15 of A-Z a-z 0-9 _ . -)'],
    [['br0', 'web', '-i', 'a'.repeat(16), 'dhcp'], `"${'a'.repeat(16)}" is not an interface name (1-15 of A-Z a-z 0-9 _ . -)`],
    [['br0,br1', 'web', 'dhcp'], `one bridge per attach; add another interface with another attach and -i (${USAGE})`],
  ])('%j → USAGE %s', (args, message) => {
    const error = errorOf(() => parseAttachArgs(args));
    expect(error.code).toBe('USAGE');
    expect(error.message).toBe(message);
  });
});
