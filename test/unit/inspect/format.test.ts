import { describe, expect, it } from 'vitest';
import { findRecord, toContainerJson, toContainersJson, toNetworkJson } from '../../../src/inspect/format.js';
import type { ContainerRecord } from '../../../src/store/records.js';

const ID = '3f9a1c2b7d4e5f60718293a4b5c6d7e8f90112233445566778899aabbccddeeff';

function record(id: string, fields: Partial<ContainerRecord> = {}): ContainerRecord {
  return {
    version: 1,
    id,
    hostname: '3f9a1c2b7d4e',
    bridge: 'br0',
    interface: 'eth0',
    hostVeth: 'ipr0123456789ab',
    mac: '02:64:50:63:12:34',
    container: { pid: 4242, startTime: 1000 },
    netnsInode: 4026532000,
    phase: 'active',
    dhcpClient: 'udhcpc',
    client: { pid: 4300, startTime: 1001, token: 'tok' },
    lease: { ip: '10.100.80.150', prefixLen: 24, router: '10.100.80.1', dns: ['10.100.80.1', '1.1.1.1'], leaseSeconds: 3600, boundAt: '2024-01-01T00:00:00.000Z' },
    createdAt: '2024-01-01T00:00:00.000Z',
    ...fields,
  };
}

describe('toNetworkJson', () => {
  it('adds Docker\'s IPv6 names beside the IPv4 ones, every address when there are several, and what resolv.conf got', () => {
    const json = toNetworkJson(record(ID, {
      ipv6: { addresses: [{ address: 'fd97:1::64:50ff:fe63:1234', prefixLen: 64 }, { address: 'fd98::5', prefixLen: 64 }], router: 'fe80::1', readAt: '2024-01-01T00:00:00.000Z' },
      resolvConf: { target: { kind: 'rootfs', root: '/r' }, nameservers: ['10.100.80.1'], search: ['lab.test', 'b.test'], writtenAt: '2024-01-01T00:00:00.000Z' },
    }));
    expect(json.NetworkSettings).toMatchObject({
      IPAddress: '10.100.80.150',
      GlobalIPv6Address: 'fd97:1::64:50ff:fe63:1234',
      GlobalIPv6PrefixLen: '64',
      IPv6Gateway: 'fe80::1',
      GlobalIPv6Addresses: ['fd97:1::64:50ff:fe63:1234/64', 'fd98::5/64'],
      ResolvConfNameservers: '10.100.80.1',
      ResolvConfSearch: 'lab.test b.test',
    });
    const single = toNetworkJson(record(ID, { ipv6: { addresses: [{ address: 'fd97:1::5', prefixLen: 64 }], readAt: 'x' }, resolvConf: { target: { kind: 'rootfs', root: '/r' }, error: 'resolv.conf not written: nope' } }));
    expect(single.NetworkSettings.GlobalIPv6Addresses).toBeUndefined();
    expect(single.NetworkSettings.ResolvConfError).toBe('resolv.conf not written: nope');
  });

  it('shows a leased container', () => {
    expect(toNetworkJson(record(ID))).toStrictEqual({
      Container: '3f9a1c2b7d4e',
      NetworkSettings: {
        HWAddr: '02:64:50:63:12:34',
        Bridge: 'br0',
        IPAddress: '10.100.80.150',
        IPPrefixLen: '24',
        Gateway: '10.100.80.1',
        DNS: '10.100.80.1, 1.1.1.1',
        DHCP_PID: '4300',
        Hostname: '3f9a1c2b7d4e',
        Interface: 'eth0',
        HostInterface: 'ipr0123456789ab',
        GlobalIPv6Address: '',
        GlobalIPv6PrefixLen: '',
        IPv6Gateway: '',
        ResolvConfNameservers: '',
        ResolvConfSearch: '',
      },
    });
  });

  it('shows a container without lease nor client as empty strings', () => {
    expect(toNetworkJson(record('web', { hostname: 'web', lease: null, client: null, phase: 'attaching' }))).toStrictEqual({
      Container: 'web',
      NetworkSettings: {
        HWAddr: '02:64:50:63:12:34',
        Bridge: 'br0',
        IPAddress: '',
        IPPrefixLen: '',
        Gateway: '',
        DNS: '',
        DHCP_PID: '',
        Hostname: 'web',
        Interface: 'eth0',
        HostInterface: 'ipr0123456789ab',
        GlobalIPv6Address: '',
        GlobalIPv6PrefixLen: '',
        IPv6Gateway: '',
        ResolvConfNameservers: '',
        ResolvConfSearch: '',
      },
    });
  });

  it('shows a lease without router nor nameservers', () => {
    const lease = { ip: '10.0.0.5', prefixLen: 8, dns: [], leaseSeconds: 0, boundAt: 'x' };
    const settings = toNetworkJson(record(ID, { lease })).NetworkSettings;
    expect([settings.IPAddress, settings.IPPrefixLen, settings.Gateway, settings.DNS]).toStrictEqual(['10.0.0.5', '8', '', '']);
  });
});

describe('findRecord', () => {
  const one = record(ID);
  const twinA = record('aaaaaaaaaaaa1111');
  const twinB = record('aaaaaaaaaaaa2222');
  const short = record('web');
  const records = [one, twinA, twinB, short];

  it.each([
    ['full id', ID, one],
    ['12-character prefix', ID.slice(0, 12), one],
    ['longer prefix', ID.slice(0, 20), one],
    ['short full id', 'web', short],
    ['full id that is also a shared prefix', 'aaaaaaaaaaaa1111', twinA],
    ['prefix shorter than 12', ID.slice(0, 11), undefined],
    ['prefix shorter than 12 of a short id', 'we', undefined],
    ['ambiguous prefix', 'aaaaaaaaaaaa', 'ambiguous'],
    ['unknown', 'ffffffffffffffff', undefined],
    ['empty', '', undefined],
  ])('%s', (_name, query, expected) => {
    expect(findRecord(records, query)).toBe(expected);
  });

  it('finds nothing in no records', () => {
    expect(findRecord([], ID)).toBeUndefined();
  });
});

describe('a container with more than one interface', () => {
  const eth0 = record(ID);
  const eth1 = record(ID, {
    interface: 'eth1', extra: true, bridge: 'br1', hostVeth: 'ipr0123456789ac', mac: '02:64:50:63:56:78', hostname: '3f9a1c2b7d4e-eth1',
    client: { pid: 4301, startTime: 1002, token: 'tok1' },
    lease: { ip: '10.100.81.150', prefixLen: 24, router: '10.100.81.1', dns: ['10.100.81.1'], leaseSeconds: 3600, boundAt: '2024-01-01T00:00:00.000Z' },
  });
  const eth2 = record(ID, { interface: 'eth2', extra: true, bridge: 'br2', hostVeth: 'ipr0123456789ad', mac: '02:64:50:63:9a:bc', lease: null, client: null });

  it('keeps the first interface in the seed\'s shape and lists every interface in Interfaces, first first', () => {
    const json = toContainerJson([eth2, eth1, eth0]);
    expect({ Container: json.Container, NetworkSettings: json.NetworkSettings }).toStrictEqual(toNetworkJson(eth0));
    expect(json.Interfaces.map((entry) => [entry.Interface, entry.Bridge, entry.HWAddr, entry.IPAddress, entry.Hostname])).toStrictEqual([
      ['eth0', 'br0', '02:64:50:63:12:34', '10.100.80.150', '3f9a1c2b7d4e'],
      ['eth1', 'br1', '02:64:50:63:56:78', '10.100.81.150', '3f9a1c2b7d4e-eth1'],
      ['eth2', 'br2', '02:64:50:63:9a:bc', '', '3f9a1c2b7d4e'],
    ]);
    expect(json.Interfaces[1]).toStrictEqual(toNetworkJson(eth1).NetworkSettings);
  });

  it('a container with one interface lists it alone', () => {
    expect(toContainerJson([eth0]).Interfaces).toStrictEqual([toNetworkJson(eth0).NetworkSettings]);
  });

  it('--all: one entry per container, not per interface', () => {
    const other = record('a'.repeat(64));
    expect(toContainersJson([eth1, other, eth0]).map((json) => [json.Container, json.Interfaces.length])).toStrictEqual([['3f9a1c2b7d4e', 2], ['aaaaaaaaaaaa', 1]]);
  });

  it('a prefix of one container with two interfaces is not ambiguous; its first interface stands for it', () => {
    expect(findRecord([eth1, eth0], ID.slice(0, 12))).toBe(eth0);
    expect(findRecord([eth2, eth1, eth0], ID)).toBe(eth0);
  });
});
