import { describe, expect, it } from 'vitest';
import { formatIpv6, ipv6Sysctls, parseDefaultRouter, parseGlobalAddresses } from '../../../src/net/ipv6.js';

// Taken from a lab container (dnsmasq ra-only on fd97:1::/64).
const IF_INET6 = [
  '00000000000000000000000000000001 01 80 10 80       lo',
  'fe800000000000005c4b1afffe69e13d 02 40 20 80     eth0',
  'fd970001000000005c4b1afffe69e13d 02 40 00 00     eth0',
  'fd980000000000000000000000000005 02 40 00 40     eth0',
  'fd990000000000000000000000000006 02 40 00 08     eth0',
  'fd970001000000000000000000000007 03 40 00 00     eth1',
].join('\n');

const IPV6_ROUTE = [
  'fd970001000000000000000000000000 40 00000000000000000000000000000000 00 00000000000000000000000000000000 00000100 00000001 00000000 00000001     eth0',
  '00000000000000000000000000000000 00 00000000000000000000000000000000 00 fe800000000000007ccaeefffec0a18f 00000400 00000001 00000000 00450003     eth0',
  '00000000000000000000000000000000 00 00000000000000000000000000000000 00 00000000000000000000000000000000 ffffffff 00000001 00000000 00200200       lo',
].join('\n');

describe('parseGlobalAddresses', () => {
  it('keeps the interface\'s global addresses, not link-local, tentative (0x40) or DAD-failed (0x08) ones', () => {
    expect(parseGlobalAddresses(IF_INET6, 'eth0')).toEqual([{ address: 'fd97:1::5c4b:1aff:fe69:e13d', prefixLen: 64 }]);
    expect(parseGlobalAddresses(IF_INET6, 'eth1')).toEqual([{ address: 'fd97:1::7', prefixLen: 64 }]);
    expect(parseGlobalAddresses(IF_INET6, 'eth9')).toEqual([]);
    expect(parseGlobalAddresses('garbage\n\n zz 02 40 00 00 eth0', 'eth0')).toEqual([]);
  });
});

describe('parseDefaultRouter', () => {
  it('finds the default route\'s next hop on the interface', () => {
    expect(parseDefaultRouter(IPV6_ROUTE, 'eth0')).toBe('fe80::7cca:eeff:fec0:a18f');
    expect(parseDefaultRouter(IPV6_ROUTE, 'lo')).toBeUndefined();
    expect(parseDefaultRouter('', 'eth0')).toBeUndefined();
  });
});

describe('formatIpv6', () => {
  it.each([
    ['00000000000000000000000000000001', '::1'],
    ['00000000000000000000000000000000', '::'],
    ['fe800000000000000000000000000001', 'fe80::1'],
    ['20010db8000000010000000000000001', '2001:db8:0:1::1'],
    ['20010db8000000000001000000000001', '2001:db8::1:0:0:1'],
    ['20010db8000100020003000400050006', '2001:db8:1:2:3:4:5:6'],
  ])('%s → %s', (hex, text) => {
    expect(formatIpv6(hex)).toBe(text);
  });
});

describe('ipv6Sysctls', () => {
  it('disables IPv6 on the interface alone for off', () => {
    expect(ipv6Sysctls('eth0', 'off')).toEqual(['net/ipv6/conf/eth0/disable_ipv6=1']);
  });

  it('sets every key explicitly for slaac and auto: a host, RAs, EUI-64, no temporary addresses, no DAD', () => {
    for (const mode of ['slaac', 'auto'] as const) {
      expect(ipv6Sysctls('eth0.5', mode)).toEqual([
        'net/ipv6/conf/eth0.5/forwarding=0',
        'net/ipv6/conf/eth0.5/accept_ra=1',
        'net/ipv6/conf/eth0.5/autoconf=1',
        'net/ipv6/conf/eth0.5/addr_gen_mode=0',
        'net/ipv6/conf/eth0.5/use_tempaddr=0',
        'net/ipv6/conf/eth0.5/accept_dad=0',
        'net/ipv6/conf/eth0.5/dad_transmits=0',
        'net/ipv6/conf/eth0.5/disable_ipv6=0',
      ]);
    }
  });
});
