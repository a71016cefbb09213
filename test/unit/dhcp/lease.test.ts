import { describe, expect, it } from 'vitest';
import { type LeaseFields, MAX_ROUTES, MAX_SEARCH, MTU_MAX, MTU_MIN, parseLeaseFields, sameSubnet } from '../../../src/dhcp/lease.js';

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

describe('parseLeaseFields: search list', () => {
  it('keeps valid names, at most MAX_SEARCH, and says what it dropped', () => {
    const names = Array.from({ length: 500 }, (_, i) => `d${i}.example.org`);
    const { lease, dropped } = parse({ search: ['x;$(touch${IFS}/tmp/m)', 'a`id`', ...names].join(' ') });
    expect(lease?.search).toStrictEqual(names.slice(0, MAX_SEARCH));
    expect(dropped).toStrictEqual([
      'search "x;$(touch${IFS}/tmp/m)" is not a valid DNS name',
      'search "a`id`" is not a valid DNS name',
      `search list cut to its first ${MAX_SEARCH} names (the server sent 500)`,
    ]);
  });

  it('has no search list when none is valid', () => {
    expect(parse({ search: 'bad;name' }).lease?.search).toBeUndefined();
    expect(parse({}).lease).not.toHaveProperty('search');
  });
});

describe('parseLeaseFields: classless static routes (RFC 3442)', () => {
  it('keeps routes through on-link gateways, takes the default from them and ignores the router option', () => {
    const { lease, dropped } = parse({ staticroutes: '0.0.0.0/0 192.168.1.254 10.20.0.0/16 192.168.1.2 172.16.0.0/12 0.0.0.0' });
    expect(lease?.router).toBe('192.168.1.254');
    expect(lease?.routes).toStrictEqual([{ to: '10.20.0.0/16', via: '192.168.1.2' }, { to: '172.16.0.0/12' }]);
    expect(dropped).toStrictEqual(['router "192.168.1.1" ignored: the server sent classless static routes']);
  });

  it('with routes but no default, the container has no default route', () => {
    expect(parse({ staticroutes: '10.20.0.0/16 192.168.1.2' }).lease?.router).toBeUndefined();
  });

  it.each([
    ['10.20.0.1/16 192.168.1.2', 'has no valid destination'], // host bits set
    ['10.20.0.0/33 192.168.1.2', 'has no valid destination'],
    ['10.20.0.0/x 192.168.1.2', 'has no valid destination'],
    ['x;id/8 192.168.1.2', 'has no valid destination'],
    ['10.20.0.0/16 10.9.9.9', 'has a gateway that is not a usable address in 192.168.1.50/24'],
    ['10.20.0.0/16 192.168.1.50', 'has a gateway that is not a usable address in 192.168.1.50/24'],
    ['10.20.0.0/16', 'has a gateway that is not a usable address in 192.168.1.50/24'],
  ])('drops %j', (staticroutes, reason) => {
    const { lease, dropped } = parse({ staticroutes });
    expect(lease).not.toHaveProperty('routes');
    expect(dropped.some((line) => line.endsWith(reason))).toBe(true);
  });

  it(`keeps at most ${MAX_ROUTES} of 200 routes`, () => {
    const staticroutes = Array.from({ length: 200 }, (_, i) => `10.${i}.0.0/16 192.168.1.2`).join(' ');
    const { lease, dropped } = parse({ staticroutes });
    expect(lease?.routes).toHaveLength(MAX_ROUTES);
    expect(lease?.routes?.[0]).toStrictEqual({ to: '10.0.0.0/16', via: '192.168.1.2' });
    expect(dropped.filter((line) => line.includes(`beyond the first ${MAX_ROUTES} routes`))).toHaveLength(200 - MAX_ROUTES);
  });
});
