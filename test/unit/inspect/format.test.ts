import { describe, expect, it } from 'vitest';
import { findRecord, toNetworkJson } from '../../../src/inspect/format.js';
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
