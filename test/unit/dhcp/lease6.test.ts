import { describe, expect, it } from 'vitest';
import { dhcpv6Commands, parseDhcpv6Fields } from '../../../src/dhcp/lease6.js';

const FIELDS = { addresses: [], dns: undefined, search: undefined, fqdn: undefined, raFlags: undefined };

describe('parseDhcpv6Fields (the server is untrusted)', () => {
  it('keeps global addresses with sane lifetimes, valid name servers and names', () => {
    expect(parseDhcpv6Fields({ ...FIELDS, addresses: [{ address: 'FD97:77::140', preferred: '100', valid: '120' }], dns: 'fd97:77::1 fe80::1 junk', search: 'x.test bad_name', fqdn: 'ctr1.x.test.' })).toStrictEqual({
      addresses: [{ address: 'fd97:77::140', preferred: 100, valid: 120 }], dns: ['fd97:77::1'], search: ['x.test'], fqdn: 'ctr1.x.test', dropped: [],
    });
  });

  it.each([
    ['a link-local address', { address: 'fe80::1', preferred: '1', valid: '1' }, /not a global IPv6 address/],
    ['multicast', { address: 'ff02::1', preferred: '1', valid: '1' }, /not a global IPv6 address/],
    ['not an address', { address: '10.0.0.1', preferred: '1', valid: '1' }, /not a global IPv6 address/],
    ['a zero valid lifetime', { address: 'fd00::5', preferred: '0', valid: '0' }, /invalid lifetimes/],
    ['preferred above valid', { address: 'fd00::5', preferred: '10', valid: '5' }, /invalid lifetimes/],
    ['a lifetime that is not a number', { address: 'fd00::5', preferred: '0x10', valid: '20' }, /invalid lifetimes/],
  ])('drops %s, saying why', (_name, entry, reason) => {
    const parsed = parseDhcpv6Fields({ ...FIELDS, addresses: [entry] });
    expect(parsed.addresses).toEqual([]);
    expect(parsed.dropped[0]).toMatch(reason);
  });
});

describe('dhcpv6Commands', () => {
  it('each address a /128, usable at once, with the lease\'s lifetimes; an address no longer leased goes', () => {
    expect(dhcpv6Commands('eth0', [{ address: 'fd00::1' }, { address: 'fd00::2' }], [{ address: 'fd00::2', preferred: 60, valid: 0xffffffff }])).toEqual([
      'addr replace fd00::2/128 dev eth0 valid_lft forever preferred_lft 60 nodad',
      'addr del fd00::1/128 dev eth0',
    ]);
  });
});
