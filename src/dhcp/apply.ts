// What a lease event changes inside the container's namespace, as `ip -4 -batch` lines. Pure.
import type { Lease } from './lease.js';

type LeaseAddress = Pick<Lease, 'ip' | 'prefixLen' | 'router'>;

/** Lines that make `next` the interface's address and default route, replacing `previous`. */
export function leaseCommands(iface: string, previous: LeaseAddress | null, next: LeaseAddress): string[] {
  const lines: string[] = [];
  // A new address replaces the old one whole: its routes go with it, none is left pointing nowhere.
  if (previous !== null && (previous.ip !== next.ip || previous.prefixLen !== next.prefixLen)) lines.push(...deconfigCommands(iface));
  lines.push(`addr replace ${next.ip}/${next.prefixLen} broadcast + dev ${iface}`);
  if (next.router !== undefined) lines.push(`route replace default via ${next.router} dev ${iface}`);
  else lines.push(`route flush exact 0.0.0.0/0 dev ${iface}`);
  return lines;
}

/** Lines that take every IPv4 address (and so the routes through them) off the interface. */
export function deconfigCommands(iface: string): string[] {
  return [`addr flush dev ${iface}`];
}
