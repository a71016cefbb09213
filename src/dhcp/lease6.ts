// A DHCPv6 lease (IA_NA addresses, DNS) as ipper keeps it, its validation (the server is untrusted),
// and the `ip -6 -batch` lines that apply it. Pure.
import { isIPv6 } from 'node:net';
import * as z from '../config/zod.js';
import type { Dhcpv6Fields } from './driver.js';

const MAX_ADDRESSES = 8;
const MAX_NAMESERVERS = 3;
const MAX_SEARCH = 6;
const INFINITE = 0xffffffff;

export const dhcpv6StateSchema = z.object({
  /** The last router advertisement's flags as the client read them ("M", "O", "MO", ""). */
  raFlags: z.optional(z.string().check(z.regex(/^[A-Z]{0,8}$/))),
  /** IA_NA addresses, each with its lifetimes (seconds) from the last reply. */
  addresses: z.array(z.object({ address: z.string(), preferred: z.int(), valid: z.int() })).check(z.maxLength(MAX_ADDRESSES)),
  dns: z.array(z.string()).check(z.maxLength(MAX_NAMESERVERS)),
  search: z.array(z.string()).check(z.maxLength(MAX_SEARCH)),
  /** The name the server says it registered (client FQDN option 39). */
  fqdn: z.optional(z.string()),
  /** Stateless: the last information-request's reply (no address). */
  informedAt: z.optional(z.string()),
  boundAt: z.optional(z.string()),
  renewedAt: z.optional(z.string()),
});
export type Dhcpv6State = z.infer<typeof dhcpv6StateSchema>;

const DOMAIN = /^(?=.{1,253}$)([A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?$/;

/** A global unicast address a container may hold: not link-local, multicast, loopback or unspecified. */
export function isUsableIpv6(value: string): boolean {
  if (!isIPv6(value) || value.includes('%')) return false;
  const lower = value.toLowerCase();
  return !/^(fe[89ab]|ff)/.test(lower) && lower !== '::1' && lower !== '::';
}

function lifetime(value: string | undefined): number | undefined {
  return value !== undefined && /^\d{1,10}$/.test(value) && Number(value) <= INFINITE ? Number(value) : undefined;
}

/** The usable parts of a DHCPv6 event, and what was dropped and why. */
export function parseDhcpv6Fields(fields: Dhcpv6Fields): { addresses: Dhcpv6State['addresses']; dns: string[]; search: string[]; fqdn: string | undefined; dropped: string[] } {
  const dropped: string[] = [];
  const addresses: Dhcpv6State['addresses'] = [];
  for (const entry of fields.addresses.slice(0, MAX_ADDRESSES)) {
    const preferred = lifetime(entry.preferred);
    const valid = lifetime(entry.valid);
    if (entry.address === undefined || !isUsableIpv6(entry.address)) dropped.push(`address "${String(entry.address).slice(0, 60)}" is not a global IPv6 address`);
    else if (preferred === undefined || valid === undefined || valid === 0 || preferred > valid) dropped.push(`address ${entry.address}: invalid lifetimes`);
    else addresses.push({ address: entry.address.toLowerCase(), preferred, valid });
  }
  const words = (value: string | undefined): string[] => (value ?? '').split(/\s+/).filter(Boolean);
  const dns = [...new Set(words(fields.dns).filter((server) => isUsableIpv6(server)).map((server) => server.toLowerCase()))].slice(0, MAX_NAMESERVERS);
  const search = words(fields.search).filter((name) => DOMAIN.test(name)).map((name) => name.replace(/\.$/, '')).slice(0, MAX_SEARCH);
  const fqdn = fields.fqdn !== undefined && DOMAIN.test(fields.fqdn) ? fields.fqdn.replace(/\.$/, '') : undefined;
  return { addresses, dns, search, fqdn, dropped };
}

/**
 * A DHCPv6 lease in the shape of the IPv4 one's timing (status and metrics reckon T1/T2 from it):
 * for a container whose only lease is DHCPv6. Its length is the first address's valid lifetime.
 */
export function dhcpv6LeaseTiming(state: Dhcpv6State | undefined): { boundAt: string; renewedAt?: string; leaseSeconds: number } | null {
  const first = state?.addresses[0];
  if (state?.boundAt === undefined || first === undefined) return null;
  return { boundAt: state.boundAt, ...(state.renewedAt !== undefined && { renewedAt: state.renewedAt }), leaseSeconds: first.valid };
}

function lft(seconds: number): string {
  return seconds >= INFINITE ? 'forever' : String(seconds);
}

/**
 * Lines that make `next` the interface's DHCPv6 addresses: each a /128 (DHCPv6 hands out
 * addresses, not prefixes: the on-link prefix comes from the router advertisement) with the
 * server's lifetimes, so the kernel drops it if renewals stop; usable at once (nodad: the server
 * owns the address, as with SLAAC ipper turns DAD off). Addresses no longer leased go.
 */
export function dhcpv6Commands(iface: string, previous: readonly { address: string }[], next: readonly { address: string; preferred: number; valid: number }[]): string[] {
  const lines = next.map((entry) => `addr replace ${entry.address}/128 dev ${iface} valid_lft ${lft(entry.valid)} preferred_lft ${lft(entry.preferred)} nodad`);
  const kept = new Set(next.map((entry) => entry.address));
  for (const entry of previous) if (!kept.has(entry.address)) lines.push(`addr del ${entry.address}/128 dev ${iface}`);
  return lines;
}
