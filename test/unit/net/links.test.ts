import { describe, expect, it } from 'vitest';
import { IpperError } from '../../../src/errors.js';
import { parseBridgeInfo, parseLinkStates } from '../../../src/net/links.js';

const BRIDGE = JSON.stringify([
  {
    ifindex: 3,
    ifname: 'br0',
    flags: ['BROADCAST', 'MULTICAST', 'UP', 'LOWER_UP'],
    mtu: 1450,
    operstate: 'UP',
    address: '2E:9A:11:00:AB:CD',
    linkinfo: { info_kind: 'bridge', info_data: { stp_state: 0 } },
    addr_info: [
      { family: 'inet6', local: 'fe80::2c9a:11ff:fe00:abcd', prefixlen: 64 },
      { family: 'inet', local: '10.100.80.99', prefixlen: 24 },
      { family: 'inet', local: '10.100.80.98', prefixlen: 24 },
    ],
  },
]);
const VETH = JSON.stringify([{ ifname: 'x', flags: ['UP'], mtu: 1500, address: '02:00:00:00:00:01', linkinfo: { info_kind: 'veth' }, addr_info: [] }]);
const PLAIN = JSON.stringify([{ ifname: 'x', flags: ['UP'], mtu: 1500, address: '02:00:00:00:00:01', addr_info: [] }]);

describe('parseBridgeInfo', () => {
  it('reads an up bridge with an IPv4 address', () => {
    expect(parseBridgeInfo('br0', BRIDGE)).toStrictEqual({ name: 'br0', mtu: 1450, mac: '2e:9a:11:00:ab:cd', up: true, ipv4: '10.100.80.99' });
  });

  it('reads a down bridge without address', () => {
    const json = JSON.stringify([{ ifname: 'lab0', flags: ['BROADCAST'], address: '02:00:00:00:00:02', linkinfo: { info_kind: 'bridge' }, addr_info: [] }]);
    expect(parseBridgeInfo('lab0', json)).toStrictEqual({ name: 'lab0', mtu: 1500, mac: '02:00:00:00:00:02', up: false, ipv4: undefined });
  });

  it.each([
    ['an empty list', '[]', 'bridge "x" does not exist'],
    ['a veth', VETH, '"x" exists but is not a bridge'],
    ['a link without linkinfo', PLAIN, '"x" exists but is not a bridge'],
  ])('refuses %s', (_name, json, message) => {
    let caught: unknown;
    try {
      parseBridgeInfo('x', json);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(IpperError);
    expect((caught as IpperError).code).toBe('BRIDGE_NOT_FOUND');
    expect((caught as IpperError).exitCode).toBe(78);
    expect((caught as IpperError).message).toBe(message);
  });
});

describe('parseLinkStates', () => {
  it('reads each link: its bridge, whether it is up, whether it is a bridge', () => {
    const json = JSON.stringify([
      { ifindex: 1, ifname: 'lo', flags: ['LOOPBACK', 'UP'], linkinfo: undefined },
      { ifindex: 2, ifname: 'br0', flags: ['BROADCAST', 'MULTICAST'], linkinfo: { info_kind: 'bridge' } },
      { ifindex: 4, ifname: 'vA', flags: ['BROADCAST', 'UP', 'M-DOWN'], master: 'br0', linkinfo: { info_kind: 'veth', info_slave_kind: 'bridge' } },
    ]);
    expect(parseLinkStates(json)).toStrictEqual([
      { name: 'lo', master: undefined, up: true, isBridge: false },
      { name: 'br0', master: undefined, up: false, isBridge: true },
      { name: 'vA', master: 'br0', up: true, isBridge: false },
    ]);
  });

  it('refuses output that is not JSON', () => {
    expect(() => parseLinkStates('Cannot find device')).toThrow(new IpperError('COMMAND_FAILED', 'cannot read the host links (ip printed no JSON)'));
  });
});
