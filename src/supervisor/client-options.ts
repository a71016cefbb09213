// What a container's client is started with beyond its interface and hostname, all from the
// record so that every restart and adoption starts it the same: the client id and DUID/IAID
// (fixed at attach), the address to ask for, and the address families it runs.
import { deriveClientIdentity } from '../dhcp/client-id.js';
import { recallAddress, rememberAddress } from '../store/addresses.js';
import type { ClientTarget } from './clients.js';
import { dhcpv6UseOf } from './dhcpv6.js';
import type { AttachRequest } from './protocol.js';
import type { ContainerRecord } from '../store/records.js';

/**
 * The record's client identity, derived once at attach from what the hook asked (absent: the
 * client's own), and the IPv4 address that identity held last, to ask for again.
 */
export function clientIdentityFor(request: AttachRequest, mac: string, stateDir: string): Pick<ContainerRecord, 'clientIdentity' | 'requestIpv4'> {
  if (request.clientId === undefined) return {};
  // An extra interface (a second bridge) is a client of its own: its identity is scoped by its name.
  const scope = request.extra === true ? `@${request.interface}` : '';
  const source = request.clientId.from === 'explicit' ? { ...request.clientId, value: `${request.clientId.value}${scope}` } : request.clientId;
  const clientIdentity = deriveClientIdentity(source, { id: `${request.id}${scope}`, hostname: request.hostname, mac });
  const requestIpv4 = clientIdentity.clientId === undefined ? undefined : recallAddress(stateDir, clientIdentity.clientId);
  return { clientIdentity, ...(requestIpv4 !== undefined && { requestIpv4 }) };
}

/** A new IPv4 lease, remembered for the next container with this identity (nothing without a client id). */
export function rememberLease(stateDir: string, record: ContainerRecord): void {
  const clientId = record.clientIdentity?.clientId;
  if (clientId === undefined || record.lease === null) return;
  try {
    rememberAddress(stateDir, clientId, record.lease.ip);
  } catch {
    // Only a hint for the next start: never a reason to fail this lease.
  }
}

export function clientOptionsOf(record: ContainerRecord): Pick<ClientTarget, 'identity' | 'dhcpv4' | 'dhcpv6' | 'requestIpv4'> {
  const requestIpv4 = record.lease?.ip ?? record.requestIpv4;
  return { identity: record.clientIdentity ?? {}, dhcpv4: (record.ipv4Mode ?? 'dhcp') === 'dhcp', dhcpv6: dhcpv6UseOf(record), ...(requestIpv4 !== undefined && { requestIpv4 }) };
}
