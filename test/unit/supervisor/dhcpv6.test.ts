import { describe, expect, it } from 'vitest';
import { applyDhcpv6Event, checkDhcpv6Client, clientNeeded, dhcpv6Reason, dhcpv6Settled, dhcpv6UseOf } from '../../../src/supervisor/dhcpv6.js';
import type { ContainerRecord } from '../../../src/store/records.js';
import type { ClientEvent, Dhcpv6Fields } from '../../../src/dhcp/driver.js';

const RECORD: ContainerRecord = {
  version: 1, id: 'c1', hostname: 'c1', bridge: 'br0', interface: 'eth0', hostVeth: 'iprc1', mac: '02:0a:00:00:00:01',
  container: { pid: 1, startTime: 1 }, netnsInode: 1, phase: 'active', dhcpClient: 'dhcpcd', client: null, lease: null, createdAt: '',
};
const LOG = { info: () => undefined, warn: () => undefined } as never;
const V6: Dhcpv6Fields = { addresses: [], dns: undefined, search: undefined, fqdn: undefined, raFlags: undefined };
const event = (name: ClientEvent['event'], v6: Partial<Dhcpv6Fields> = {}): ClientEvent => ({ event: name, containerId: 'c1', token: 't', fields: {}, v6: { ...V6, ...v6 } });

describe('dhcpv6UseOf and clientNeeded: the driver decides, never a client by name', () => {
  it.each([
    ['dhcpcd', 'auto', 'ra'], ['dhcpcd', 'dhcpv6', 'always'], ['dhcpcd', 'slaac', 'off'], ['dhcpcd', 'off', 'off'],
    ['udhcpc', 'auto', 'off'], ['dhclient', 'auto', 'off'],
  ] as const)('%s with ipv6 %s → %s', (dhcpClient, ipv6Mode, use) => {
    expect(dhcpv6UseOf({ dhcpClient, ipv6Mode })).toBe(use);
  });

  it('a v6-only container needs a client only for DHCPv6', () => {
    expect(clientNeeded({ dhcpClient: 'dhcpcd', ipv4Mode: 'off', ipv6Mode: 'auto' })).toBe(true);
    expect(clientNeeded({ dhcpClient: 'dhcpcd', ipv4Mode: 'off', ipv6Mode: 'slaac' })).toBe(false);
    expect(clientNeeded({ dhcpClient: 'udhcpc', ipv4Mode: 'off', ipv6Mode: 'auto' })).toBe(false);
  });

  it('ipv6 dhcpv6 with a client that does no DHCPv6: NOT_SUPPORTED naming dhcpcd', () => {
    expect(() => checkDhcpv6Client({ ipv6Mode: 'dhcpv6', dhcpClient: 'dhclient' })).toThrow('ipv6 "dhcpv6" needs a DHCP client that does DHCPv6: set dhcpClient to "dhcpcd" (it is "dhclient")');
    expect(() => checkDhcpv6Client({ ipv6Mode: 'dhcpv6', dhcpClient: 'dhcpcd' })).not.toThrow();
  });
});

describe('dhcpv6Settled: what the create waits for', () => {
  it.each([
    ['always, nothing yet', 'always', undefined, false, 'waiting'],
    ['ra, flags not read yet', 'ra', undefined, false, 'waiting'],
    ['ra, M flag', 'ra', 'M', false, 'waiting'],
    ['ra, O flag only', 'ra', 'O', false, 'not-asked'],
    ['ra, no flag', 'ra', '', false, 'not-asked'],
    ['off', 'off', 'M', false, 'not-asked'],
    ['leased', 'ra', 'M', true, 'leased'],
  ] as const)('%s → %s', (_name, use, raFlags, leased, expected) => {
    const record = { ...RECORD, dhcpv6: { ...(raFlags !== undefined && { raFlags }), addresses: leased ? [{ address: 'fd00::5', preferred: 1, valid: 1 }] : [], dns: [], search: [] } };
    expect(dhcpv6Settled(record, use)).toBe(expected);
  });

  it('dhcpv6Reason says what was seen', () => {
    expect(dhcpv6Reason(RECORD)).toBe('no DHCPv6 server answered, and no router advertisement came');
    expect(dhcpv6Reason({ ...RECORD, dhcpv6: { raFlags: '', addresses: [], dns: [], search: [] } })).toBe('no DHCPv6 server answered (the router advertises flags "none": no M flag, a LAN without stateful DHCPv6?)');
  });
});

describe('applyDhcpv6Event', () => {
  it('bound6 applies the validated addresses and keeps them; renew6 replaces; expire6 removes; ra keeps the flags', async () => {
    const record: ContainerRecord = { ...RECORD };
    const ran: string[][] = [];
    const run = async (commands: string[]): Promise<void> => void ran.push(commands);
    expect(await applyDhcpv6Event(record, event('ra', { raFlags: 'MO' }), run, LOG)).toBe(true);
    expect(record.dhcpv6?.raFlags).toBe('MO');
    expect(await applyDhcpv6Event(record, event('bound6', { addresses: [{ address: 'fd00::5', preferred: '60', valid: '120' }, { address: 'fe80::1', preferred: '1', valid: '1' }], dns: 'fd00::1' }), run, LOG)).toBe(true);
    expect(record.dhcpv6).toMatchObject({ raFlags: 'MO', addresses: [{ address: 'fd00::5', preferred: 60, valid: 120 }], dns: ['fd00::1'] });
    expect(record.dhcpv6?.renewedAt).toBeUndefined();
    await applyDhcpv6Event(record, event('renew6', { addresses: [{ address: 'fd00::5', preferred: '60', valid: '120' }] }), run, LOG);
    expect(record.dhcpv6?.renewedAt).toBeDefined();
    await applyDhcpv6Event(record, event('expire6'), run, LOG);
    expect(record.dhcpv6?.addresses).toEqual([]);
    expect(ran).toEqual([
      ['addr replace fd00::5/128 dev eth0 valid_lft 120 preferred_lft 60 nodad'],
      ['addr replace fd00::5/128 dev eth0 valid_lft 120 preferred_lft 60 nodad'],
      ['addr del fd00::5/128 dev eth0'],
    ]);
  });

  it('a reply with nothing usable changes nothing', async () => {
    const record: ContainerRecord = { ...RECORD };
    expect(await applyDhcpv6Event(record, event('bound6', { addresses: [{ address: 'ff02::1', preferred: '1', valid: '1' }] }), async () => undefined, LOG)).toBe(false);
    expect(record.dhcpv6).toBeUndefined();
  });
});
