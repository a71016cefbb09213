// What a container's client is started with beyond its interface and hostname, all from the
// record so that every restart and adoption starts it the same: the client id and DUID/IAID
// (fixed at attach), and the address families it runs.
import { deriveClientIdentity } from '../dhcp/client-id.js';
import type { ClientTarget } from './clients.js';
import { dhcpv6UseOf } from './dhcpv6.js';
import type { AttachRequest } from './protocol.js';
import type { ContainerRecord } from '../store/records.js';

/** The record's client identity, derived once at attach from what the hook asked (absent: the client's own). */
export function clientIdentityFor(request: AttachRequest, mac: string): Pick<ContainerRecord, 'clientIdentity'> {
  if (request.clientId === undefined) return {};
  return { clientIdentity: deriveClientIdentity(request.clientId, { id: request.id, hostname: request.hostname, mac }) };
}

export function clientOptionsOf(record: ContainerRecord): Pick<ClientTarget, 'identity' | 'dhcpv4' | 'dhcpv6'> {
  return { identity: record.clientIdentity ?? {}, dhcpv4: (record.ipv4Mode ?? 'dhcp') === 'dhcp', dhcpv6: dhcpv6UseOf(record) };
}
