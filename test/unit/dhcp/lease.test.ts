import { describe, expect, it } from 'vitest';
import { type LeaseFields, MTU_MAX, MTU_MIN, parseLeaseFields, sameSubnet } from '../../../src/dhcp/lease.js';

const GOOD: LeaseFields = {
  ip: '192.168.1.50',
  mask: '24',
  router: '192.168.1.1',
  dns: '192.168.1.1 1.1.1.1',
  domain: 'lan.example.com',
  serverid: '192.168.1.1',
  lease: '86400',
  mtu: '1500',
};
const parse = (fields: Partial<LeaseFields>) => parseLeaseFields({ ...GOOD, ...fields });
const BASE = { ip: '192.168.1.50', prefixLen: 24, router: '192.168.1.1', dns: ['192.168.1.1', '1.1.1.1'], domain: 'lan.example.com', serverId: '192.168.1.1', leaseSeconds: 86400, mtu: 1500 };

describe('parseLeaseFields', () => {
  it('keeps every field of a good lease', () => {
    expect(parseLeaseFields(GOOD)).toStrictEqual({ lease: BASE, dropped: [] });
  });

  it('keeps a minimal lease', () => {
    expect(parseLeaseFields({ ip: '10.0.0.5', mask: '8' })).toStrictEqual({ lease: { ip: '10.0.0.5', prefixLen: 8, dns: [], leaseSeconds: 0 }, dropped: [] });
  });

  it.each([
    [{ ip: '0.0.0.0' }, 'ip "0.0.0.0" is not a usable IPv4 address'],
    [{ ip: '255.255.255.255' }, 'ip "255.255.255.255" is not a usable IPv4 address'],
    [{ ip: 'x;rm' }, 'ip "x;rm" is not a usable IPv4 address'],
    [{ ip: '192.168.1.256' }, 'ip "192.168.1.256" is not a usable IPv4 address'],
    [{ ip: '192.168.1.5\n' }, 'ip "192.168.1.5\n" is not a usable IPv4 address'],
    [{ ip: undefined }, 'ip "" is not a usable IPv4 address'],
    [{ ip: `1${'1'.repeat(100)}` }, `ip "${'1'.repeat(40)}" is not a usable IPv4 address`],
    [{ mask: '0' }, 'mask "0" is not a prefix length 1-32'],
    [{ mask: '33' }, 'mask "33" is not a prefix length 1-32'],
    [{ mask: 'abc' }, 'mask "abc" is not a prefix length 1-32'],
    [{ mask: '24.5' }, 'mask "24.5" is not a prefix length 1-32'],
    [{ mask: '-8' }, 'mask "-8" is not a prefix length 1-32'],
    [{ mask: '' }, 'mask "" is not a prefix length 1-32'],
    [{ mask: undefined }, 'mask "undefined" is not a prefix length 1-32'],
  ])('%j is no lease', (fields, reason) => {
    expect(parse(fields)).toStrictEqual({ lease: undefined, dropped: [reason] });
  });

  it.each([
    ['10.0.0.1', ['router "10.0.0.1" is not a usable address in 192.168.1.50/24']],
    ['192.168.1.50', ['router "192.168.1.50" is not a usable address in 192.168.1.50/24']],
    ['0.0.0.0', ['router "0.0.0.0" is not a usable address in 192.168.1.50/24']],
    ['$(reboot)', ['router "$(reboot)" is not a usable address in 192.168.1.50/24']],
  ])('drops router %j outside the subnet', (router, dropped) => {
    const { router: _omitted, ...rest } = BASE;
    expect(parse({ router })).toStrictEqual({ lease: rest, dropped });
  });

  it('takes the first usable router of several', () => {
    expect(parse({ router: '10.0.0.1 192.168.1.254 192.168.1.1' })).toStrictEqual({
      lease: { ...BASE, router: '192.168.1.254' },
      dropped: ['router "10.0.0.1" is not a usable address in 192.168.1.50/24'],
    });
  });

  it('keeps at most three valid nameservers', () => {
    expect(parse({ dns: '0.0.0.0 255.255.255.255 1.1.1.1 x;y 8.8.8.8 1.1.1.1 9.9.9.9 1.0.0.1' })).toStrictEqual({
      lease: { ...BASE, dns: ['1.1.1.1', '8.8.8.8', '9.9.9.9'] },
      dropped: [
        'dns "0.0.0.0" is not a usable IPv4 address',
        'dns "255.255.255.255" is not a usable IPv4 address',
        'dns "x;y" is not a usable IPv4 address',
        'dns "1.0.0.1" is beyond the first 3',
      ],
    });
  });

  it.each(['a;b.com', '$(x).com', '`id`.com', 'lan\nnameserver 6.6.6.6', 'a b', '-lan.com', 'x'.repeat(64), 'a..b'])('drops domain %j', (domain) => {
    const { domain: _omitted, ...rest } = BASE;
    expect(parse({ domain })).toStrictEqual({ lease: rest, dropped: ['domain is not a valid DNS name'] });
  });

  it.each(['example.com', 'example.com.', 'lan', 'a-b.c-d.e'])('keeps domain %j', (domain) => {
    expect(parse({ domain })).toStrictEqual({ lease: { ...BASE, domain }, dropped: [] });
  });

  it.each([
    ['0', 0],
    ['4294967295', 4294967295],
    ['3600', 3600],
    ['-1', 0],
    ['abc', 0],
    ['1.5', 0],
    [undefined, 0],
  ])('lease %j → leaseSeconds %d', (lease, leaseSeconds) => {
    expect(parse({ lease }).lease?.leaseSeconds).toBe(leaseSeconds);
  });

  it.each([
    ['68', MTU_MIN],
    ['576', 576],
    ['1500', 1500],
    ['9000', 9000],
    ['65535', MTU_MAX],
  ])('mtu %j → %d', (mtu, expected) => {
    expect(parse({ mtu })).toStrictEqual({ lease: { ...BASE, mtu: expected }, dropped: [] });
  });

  it.each([
    ['abc', ['mtu "abc" is not a number']],
    ['1500.5', ['mtu "1500.5" is not a number']],
    ['', []],
  ])('drops mtu %j', (mtu, dropped) => {
    const { mtu: _omitted, ...rest } = BASE;
    expect(parse({ mtu })).toStrictEqual({ lease: rest, dropped });
  });

  it('ignores an unusable server id', () => {
    const { serverId: _omitted, ...rest } = BASE;
    expect(parse({ serverid: '0.0.0.0' })).toStrictEqual({ lease: rest, dropped: [] });
  });
});

describe('sameSubnet', () => {
  it.each([
    ['192.168.1.1', '192.168.1.254', 24, true],
    ['192.168.1.1', '192.168.2.1', 24, false],
    ['192.168.1.1', '192.168.2.1', 16, true],
    ['10.0.0.1', '10.255.255.255', 8, true],
    ['10.0.0.1', '11.0.0.1', 8, false],
    ['200.1.2.3', '200.1.2.3', 32, true],
    ['200.1.2.3', '200.1.2.4', 32, false],
    ['200.1.2.3', '201.0.0.0', 1, true],
    ['10.0.0.1', '200.0.0.1', 1, false],
    ['10.0.0.1', '200.0.0.1', 0, true],
  ])('%s and %s in /%d → %s', (a, b, prefixLen, expected) => {
    expect(sameSubnet(a, b, prefixLen)).toBe(expected);
  });
});

describe('parseLeaseFields refuses what Number() would wrongly accept', () => {
  it.each([['0x18'], [' 24 '], ['1e1'], ['']])('mask %j', (mask) => {
    expect(parseLeaseFields({ ip: '10.0.0.5', mask }).lease).toBeUndefined();
  });

  it.each([['127.0.0.1'], ['224.0.0.5'], ['240.0.0.1'], ['0.1.2.3']])('ip %s is not a usable host address', (ip) => {
    expect(parseLeaseFields({ ip, mask: '24' })).toEqual({ lease: undefined, dropped: [`ip "${ip}" is not a usable IPv4 address`] });
  });

  it('drops a blank or hex mtu instead of clamping it', () => {
    expect(parseLeaseFields({ ip: '10.0.0.5', mask: '24', mtu: ' ' }).lease?.mtu).toBeUndefined();
    expect(parseLeaseFields({ ip: '10.0.0.5', mask: '24', mtu: '0x5dc' }).lease?.mtu).toBeUndefined();
  });
});
