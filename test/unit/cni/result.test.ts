import { describe, expect, it } from 'vitest';
import { buildResult, prevResultMismatch, type AttachmentFacts } from '../../../src/cni/result.js';
import { cniErrorOf } from '../../../src/cni/errors.js';
import { staleAttachments } from '../../../src/cni/gc.js';
import { versionReply } from '../../../src/cni/versions.js';
import { IpperError } from '../../../src/errors.js';

const lease = { ip: '192.168.1.50', prefixLen: 24, router: '192.168.1.1', dns: ['192.168.1.1'], domain: 'lan', search: ['lan'], routes: [{ to: '10.0.0.0/8', via: '192.168.1.2' }], leaseSeconds: 120, boundAt: 't' };
const facts: AttachmentFacts = { ifname: 'eth0', mac: '02:01:01:32:aa:bb', netnsPath: '/run/netns/c1', hostVeth: 'ipr0123456789ab', hostMac: 'aa:bb:cc:dd:ee:ff', lease };

describe('buildResult', () => {
  it('1.1.0: host and container interfaces, the IP with its gateway, routes, dns', () => {
    expect(buildResult('1.1.0', facts)).toStrictEqual({
      cniVersion: '1.1.0',
      interfaces: [{ name: 'ipr0123456789ab', mac: 'aa:bb:cc:dd:ee:ff' }, { name: 'eth0', mac: '02:01:01:32:aa:bb', sandbox: '/run/netns/c1' }],
      ips: [{ address: '192.168.1.50/24', gateway: '192.168.1.1', interface: 1 }],
      routes: [{ dst: '0.0.0.0/0', gw: '192.168.1.1' }, { dst: '10.0.0.0/8', gw: '192.168.1.2' }],
      dns: { nameservers: ['192.168.1.1'], domain: 'lan', search: ['lan'] },
    });
  });

  it.each(['0.3.0', '0.3.1', '0.4.0'] as const)('%s: each IP says its version', (version) => {
    expect(buildResult(version, facts).ips).toStrictEqual([{ version: '4', address: '192.168.1.50/24', gateway: '192.168.1.1', interface: 1 }]);
  });

  it('SLAAC addresses join the IPv4 lease, with the router as gateway and the IPv6 default route ("version" 6 before 1.0.0)', () => {
    const ipv6 = { addresses: [{ address: 'fd97:5f::1234', prefixLen: 64 }], router: 'fe80::1' };
    const result = buildResult('1.1.0', { ...facts, ipv6 });
    expect(result.ips).toEqual([
      { address: '192.168.1.50/24', gateway: '192.168.1.1', interface: 1 },
      { address: 'fd97:5f::1234/64', gateway: 'fe80::1', interface: 1 },
    ]);
    expect(result.routes).toContainEqual({ dst: '::/0', gw: 'fe80::1' });
    expect(buildResult('0.4.0', { ...facts, ipv6 }).ips[1]).toMatchObject({ version: '6' });
    expect(buildResult('1.1.0', { ...facts, ipv6: { addresses: [] } }).ips).toHaveLength(1);
  });

  it('defaultRoute false (a secondary network): no default route reported; the gateway and classless routes stay', () => {
    const result = buildResult('1.1.0', { ...facts, defaultRoute: false });
    expect(result.routes).toEqual([{ dst: '10.0.0.0/8', gw: '192.168.1.2' }]);
    expect(result.ips[0]).toMatchObject({ gateway: '192.168.1.1' });
  });

  it('no lease yet (onLeaseTimeout continue): interfaces only', () => {
    expect(buildResult('1.0.0', { ...facts, lease: null, hostMac: undefined })).toStrictEqual({
      cniVersion: '1.0.0', interfaces: [{ name: 'ipr0123456789ab' }, { name: 'eth0', mac: '02:01:01:32:aa:bb', sandbox: '/run/netns/c1' }], ips: [], routes: [], dns: {},
    });
  });

  it('after another plugin: its lists kept, ours appended with the right interface index', () => {
    const prev = { interfaces: [{ name: 'lo' }], ips: [{ address: '127.0.0.1/8', interface: 0 }], routes: [] };
    const result = buildResult('1.0.0', facts, prev);
    expect(result.interfaces.map((iface) => iface.name)).toEqual(['lo', 'ipr0123456789ab', 'eth0']);
    expect(result.ips).toEqual([{ address: '127.0.0.1/8', interface: 0 }, { address: '192.168.1.50/24', gateway: '192.168.1.1', interface: 2 }]);
  });
});

describe('prevResultMismatch', () => {
  const prev = buildResult('1.0.0', facts);
  it.each([
    ['the same address', prev, '192.168.1.50/24', undefined],
    ['another address', prev, '192.168.1.77/24', '"eth0" has 192.168.1.77/24 now; the result gave it 192.168.1.50/24'],
    ['no result', undefined, '192.168.1.77/24', undefined],
    ['a result without our interface', { interfaces: [{ name: 'net1' }], ips: [{ address: '1.2.3.4/8', interface: 0 }] }, '192.168.1.77/24', undefined],
  ])('%s', (_name, prevResult, address, expected) => {
    expect(prevResultMismatch(prevResult, 'eth0', '/run/netns/c1', address)).toBe(expected);
  });
});

describe('cniErrorOf', () => {
  it.each([
    ['INCOMPATIBLE_CNI_VERSION', 'ADD', 1],
    ['UNSUPPORTED_FIELD', 'ADD', 2],
    ['NETNS_NOT_FOUND', 'ADD', 3],
    ['INVALID_ENVIRONMENT', 'ADD', 4],
    ['INVALID_REQUEST', 'ADD', 6],
    ['INVALID_CONFIG', 'ADD', 7],
    ['LEASE_TIMEOUT', 'ADD', 11],
    ['BRIDGE_NOT_FOUND', 'STATUS', 50],
    ['SUPERVISOR_UNAVAILABLE', 'STATUS', 50],
    ['BRIDGE_NOT_FOUND', 'ADD', 100],
    ['CHECK_FAILED', 'CHECK', 100],
  ] as const)('%s at %s: code %d', (code, command, cniCode) => {
    expect(cniErrorOf(new IpperError(code, 'what to do\nnext'), '1.0.0', command)).toStrictEqual({ cniVersion: '1.0.0', code: cniCode, msg: 'what to do next', details: `ipper error ${code}` });
  });
});

describe('staleAttachments', () => {
  const record = (id: string, network: string, phase: 'active' | 'attaching' = 'active') => ({ id: `${id}+eth0`, phase, cni: { containerId: id, ifname: 'eth0', network } });
  it('releases what the valid list omits on this network only; a hook\'s record and an attach in flight are left', () => {
    const records = [record('a', 'lan'), record('b', 'lan'), record('c', 'other'), record('d', 'lan', 'attaching'), { id: 'hooked', phase: 'active' as const }];
    expect(staleAttachments(records, 'lan', [{ containerId: 'a', ifname: 'eth0' }])).toEqual(['b+eth0']);
    expect(staleAttachments(records, 'lan', [{ containerId: 'a', ifname: 'net1' }, { containerId: 'b', ifname: 'eth0' }])).toEqual(['a+eth0']);
  });
});

describe('versionReply', () => {
  it('echoes a supported version, else the latest', () => {
    expect(versionReply('0.4.0').cniVersion).toBe('0.4.0');
    expect(versionReply('9.9.9').cniVersion).toBe('1.1.0');
    expect(versionReply(undefined).supportedVersions).toEqual(['0.3.0', '0.3.1', '0.4.0', '1.0.0', '1.1.0']);
  });
});
