// DHCPv6 beside DHCPv4, in the same client process (a driver with dhcpv6: dhcpcd): whether a
// container's client does it, and what its DHCPv6 and router advertisement events change in the
// namespace and the record. The supervisor knows no client by name: it asks the driver.
import type { AttachRequest } from './protocol.js';
import { DHCPV6_EVENTS, type ClientEvent, type DhcpDriver, type Dhcpv6Use } from '../dhcp/driver.js';
import { driverFor, driverOfRecord } from '../dhcp/drivers.js';
import { dhcpv6Commands, parseDhcpv6Fields } from '../dhcp/lease6.js';
import { IpperError } from '../errors.js';
import type { Logger } from '../log/logger.js';
import type { ContainerRecord } from '../store/records.js';

type Modes = Pick<ContainerRecord, 'ipv4Mode' | 'ipv6Mode' | 'dhcpClient'>;

/** auto: what the advertisements' flags say; dhcpv6: an address whatever they say; else none. */
export function dhcpv6UseOf(record: Modes, driver: DhcpDriver = driverOfRecord(record)): Dhcpv6Use {
  if (!driver.dhcpv6) return 'off';
  const mode = record.ipv6Mode ?? 'auto';
  return mode === 'dhcpv6' ? 'always' : mode === 'auto' ? 'ra' : 'off';
}

/** Whether the container needs a client process at all: DHCPv4, or DHCPv6 from a client that does it. */
export function clientNeeded(record: Modes): boolean {
  return (record.ipv4Mode ?? 'dhcp') === 'dhcp' || dhcpv6UseOf(record) !== 'off';
}

/** ipv6 "dhcpv6" needs a client that does DHCPv6: said before anything is made. */
export function checkDhcpv6Client(request: Pick<AttachRequest, 'ipv6Mode' | 'dhcpClient'>): void {
  const driver = driverFor(request.dhcpClient ?? 'udhcpc');
  if (request.ipv6Mode === 'dhcpv6' && !driver.dhcpv6) {
    throw new IpperError('NOT_SUPPORTED', `ipv6 "dhcpv6" needs a DHCP client that does DHCPv6: set dhcpClient to "dhcpcd" (it is "${driver.name}")`);
  }
}

export function isDhcpv6Event(event: ClientEvent): boolean {
  return DHCPV6_EVENTS.has(event.event);
}

/** Whether the DHCPv6 part of the wait is over: an address leased, or the advertisements ask for none. */
export function dhcpv6Settled(record: ContainerRecord, use: Dhcpv6Use): 'leased' | 'not-asked' | 'waiting' {
  if ((record.dhcpv6?.addresses.length ?? 0) > 0) return 'leased';
  if (use === 'always') return 'waiting';
  const flags = record.dhcpv6?.raFlags;
  if (use === 'off') return 'not-asked';
  if (flags === undefined) return 'waiting';
  return flags.includes('M') ? 'waiting' : 'not-asked';
}

/** Why an explicit dhcpv6 container got no address in time. */
export function dhcpv6Reason(record: ContainerRecord): string {
  const flags = record.dhcpv6?.raFlags;
  if (flags === undefined) return 'no DHCPv6 server answered, and no router advertisement came';
  return `no DHCPv6 server answered (the router advertises flags "${flags || 'none'}"${flags.includes('M') ? '' : ': no M flag, a LAN without stateful DHCPv6?'})`;
}

/**
 * Applies one DHCPv6 or advertisement event to the record, running `ip -6` lines in the container
 * through `run`. Returns whether the record changed.
 */
export async function applyDhcpv6Event(record: ContainerRecord, event: ClientEvent, run: (commands: string[]) => Promise<void>, log: Logger): Promise<boolean> {
  const state = record.dhcpv6 ?? { addresses: [], dns: [], search: [] };
  const v6 = event.v6;
  if (v6 === undefined) return false;
  if (event.event === 'ra') {
    const flags = (v6.raFlags ?? '').replace(/[^A-Z]/g, '').slice(0, 8);
    if (state.raFlags === flags && record.dhcpv6 !== undefined) return false;
    record.dhcpv6 = { ...state, raFlags: flags };
    return true;
  }
  if (event.event === 'expire6') {
    await run(dhcpv6Commands(record.interface, state.addresses, []));
    record.dhcpv6 = { ...state, addresses: [] };
    log.info({ id: record.id, leaseEvent: 'lost', family: 6 }, 'DHCPv6 lease expired; addresses removed');
    return true;
  }
  const parsed = parseDhcpv6Fields(v6);
  if (parsed.dropped.length > 0) log.warn({ id: record.id, dropped: parsed.dropped }, 'invalid DHCPv6 values dropped');
  const now = new Date().toISOString();
  if (event.event === 'inform6') {
    record.dhcpv6 = { ...state, dns: parsed.dns, search: parsed.search, informedAt: now };
    log.info({ id: record.id, dns: parsed.dns }, 'DHCPv6 information applied');
    return true;
  }
  if (parsed.addresses.length === 0) return false; // a reply with nothing usable changes nothing
  await run(dhcpv6Commands(record.interface, state.addresses, parsed.addresses));
  const renewed = state.addresses.length > 0;
  record.dhcpv6 = {
    ...state,
    addresses: parsed.addresses,
    dns: parsed.dns,
    search: parsed.search,
    ...(parsed.fqdn !== undefined && { fqdn: parsed.fqdn }),
    boundAt: renewed && state.boundAt !== undefined ? state.boundAt : now,
    ...(renewed && { renewedAt: now }),
  };
  log.info({ id: record.id, leaseEvent: renewed ? 'renewed' : 'bound', family: 6, addresses: parsed.addresses.map((entry) => entry.address), validSeconds: parsed.addresses[0]?.valid }, 'DHCPv6 lease applied');
  return true;
}
