// IPv6 on the container's interface: the sysctls ipper sets, and the kernel's view of the
// addresses and the default router, read from /proc/<pid>/net (if_inet6, ipv6_route). Pure.
import type { Ipv6Mode } from '../config/schema.js';

/**
 * `sysctl -w` arguments (slash form: an interface name may hold dots) that make the interface's
 * IPv6 what the mode asks, whatever the kernel's or the image's defaults.
 * - off: IPv6 disabled on the interface (not even a link-local address).
 * - slaac / auto: a host (forwarding 0) that takes router advertisements and forms its address
 *   from the MAC (EUI-64: stable for a stable MAC), no temporary addresses, and no duplicate
 *   address detection (accept_dad 0, dad_transmits 0): an address is usable the moment it
 *   appears, so a process started right after the hook can bind it. The MAC scheme already keeps
 *   MACs unique per host (and host octets apart between hosts), so the EUI-64 address is too.
 *   Without DAD the link-local address is also usable at once, so the first router solicitation
 *   leaves at link up instead of a second later.
 * - dhcpv6: the same, but no SLAAC address (autoconf 0): the address is the DHCPv6 server's; the
 *   advertisements still give the default router and the on-link prefix.
 */
export function ipv6Sysctls(iface: string, mode: Ipv6Mode): string[] {
  const key = (name: string, value: number): string => `net/ipv6/conf/${iface}/${name}=${value}`;
  if (mode === 'off') return [key('disable_ipv6', 1)];
  return [
    key('forwarding', 0),
    key('accept_ra', 1),
    key('autoconf', mode === 'dhcpv6' ? 0 : 1),
    key('addr_gen_mode', 0),
    key('use_tempaddr', 0),
    key('accept_dad', 0),
    key('dad_transmits', 0),
    key('disable_ipv6', 0),
  ];
}

export interface Ipv6Address {
  address: string;
  prefixLen: number;
}

/** IFA_F_TENTATIVE, IFA_F_DADFAILED: not (yet) an address a process can use. */
const UNUSABLE_FLAGS = 0x40 | 0x08;
/** if_inet6 scope of a global address (RT_SCOPE_UNIVERSE). */
const SCOPE_GLOBAL = 0;

/** "fd970001000000005c4b1afffe69e13d" → "fd97:1::5c4b:1aff:fe69:e13d" (RFC 5952's short form). */
export function formatIpv6(hex32: string): string {
  const groups = (hex32.match(/.{4}/g) ?? []).map((group) => Number.parseInt(group, 16).toString(16));
  // The longest run of two or more zero groups becomes "::" (the first such run on a tie).
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < groups.length; ) {
    if (groups[i] !== '0') {
      i++;
      continue;
    }
    let j = i;
    while (j < groups.length && groups[j] === '0') j++;
    if (j - i > bestLength) [bestStart, bestLength] = [i, j - i];
    i = j;
  }
  if (bestStart < 0) return groups.join(':');
  return `${groups.slice(0, bestStart).join(':')}::${groups.slice(bestStart + bestLength).join(':')}`;
}

/** The usable global addresses of `iface` in /proc/net/if_inet6's text, in the kernel's order. */
export function parseGlobalAddresses(ifInet6: string, iface: string): Ipv6Address[] {
  const addresses: Ipv6Address[] = [];
  for (const line of ifInet6.split('\n')) {
    const [hex, , prefixHex, scopeHex, flagsHex, name] = line.trim().split(/\s+/);
    if (name !== iface || hex === undefined || !/^[0-9a-f]{32}$/.test(hex)) continue;
    const scope = Number.parseInt(scopeHex ?? '', 16);
    const flags = Number.parseInt(flagsHex ?? '', 16);
    if (scope !== SCOPE_GLOBAL || Number.isNaN(flags) || (flags & UNUSABLE_FLAGS) !== 0) continue;
    addresses.push({ address: formatIpv6(hex), prefixLen: Number.parseInt(prefixHex ?? '', 16) });
  }
  return addresses;
}

/** The next hop of `iface`'s IPv6 default route in /proc/net/ipv6_route's text (a router's link-local address). */
export function parseDefaultRouter(ipv6Route: string, iface: string): string | undefined {
  for (const line of ipv6Route.split('\n')) {
    const [destination, destinationLen, , , nextHop, , , , , name] = line.trim().split(/\s+/);
    if (name !== iface || destination !== '0'.repeat(32) || destinationLen !== '00') continue;
    if (nextHop === undefined || !/^[0-9a-f]{32}$/.test(nextHop) || nextHop === '0'.repeat(32)) continue;
    return formatIpv6(nextHop);
  }
  return undefined;
}
