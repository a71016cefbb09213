// What a lease event changes inside the container's namespace, as `ip -4 -batch` lines. Pure.
import type { Lease } from './lease.js';

type LeaseNetwork = Pick<Lease, 'ip' | 'prefixLen' | 'router' | 'routes'> & { leaseSeconds?: number };

/** The "infinite" lease time of RFC 2131. */
const INFINITE_LEASE = 0xffffffff;
/** busybox udhcpc treats a shorter lease as 30 s, and renews on that schedule. */
const SHORTEST_LEASE_SECONDS = 30;

/**
 * How long the address may live: as long as the lease. Renewals replace it with a fresh lifetime;
 * a client that dies or loses the lease lets it expire with the lease, so the container never
 * keeps an address the server has given to someone else.
 */
export function addressLifetime(leaseSeconds: number | undefined): string {
  if (leaseSeconds === undefined || leaseSeconds >= INFINITE_LEASE) return 'forever';
  return String(Math.max(SHORTEST_LEASE_SECONDS, leaseSeconds));
}

export interface LeaseApplyOptions {
  /** false: the lease's router does not become the default route (a container's extra interface). */
  defaultRoute: boolean;
}

/**
 * Lines that make `next` the interface's address, routes and MTU, replacing `previous`. `mtu` is
 * already clamped by the caller (to the bridge's); undefined leaves the link's MTU alone.
 */
export function leaseCommands(iface: string, previous: LeaseNetwork | null, next: LeaseNetwork, mtu?: number, options: LeaseApplyOptions = { defaultRoute: true }): string[] {
  const lines: string[] = [];
  if (mtu !== undefined) lines.push(`link set dev ${iface} mtu ${mtu}`);
  // A new address replaces the old one whole: its routes go with it, none is left pointing nowhere.
  const sameAddress = previous !== null && previous.ip === next.ip && previous.prefixLen === next.prefixLen;
  if (previous !== null && !sameAddress) lines.push(...deconfigCommands(iface));
  const lifetime = addressLifetime(next.leaseSeconds);
  // The kernel removes an expired address and every route through it with no one's help.
  lines.push(`addr replace ${next.ip}/${next.prefixLen} broadcast + dev ${iface}${lifetime === 'forever' ? '' : ` valid_lft ${lifetime} preferred_lft ${lifetime}`}`);
  if (next.router !== undefined && options.defaultRoute) lines.push(`route replace default via ${next.router} dev ${iface}`);
  else lines.push(`route flush exact 0.0.0.0/0 dev ${iface}`); // none, or none through this interface
  const wanted = new Set((next.routes ?? []).map((route) => route.to));
  // "flush exact": no error when the route is already gone (a batch stops at its first error).
  if (sameAddress) for (const route of previous.routes ?? []) if (!wanted.has(route.to)) lines.push(`route flush exact ${route.to} dev ${iface}`);
  for (const route of next.routes ?? []) {
    lines.push(route.via === undefined ? `route replace ${route.to} dev ${iface} scope link` : `route replace ${route.to} via ${route.via} dev ${iface}`);
  }
  return lines;
}

/** Lines that take every IPv4 address (and so the routes through them) off the interface. */
export function deconfigCommands(iface: string): string[] {
  return [`addr flush dev ${iface}`];
}
