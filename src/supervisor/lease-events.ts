// A client's lease events, applied in the order they came: the address, routes and MTU inside the
// container's namespace, the record, resolv.conf, the lease waiters, the bridge filter.
import { deconfigCommands, leaseCommands } from '../dhcp/apply.js';
import type { ClientEvent, SpooledEvent } from '../dhcp/driver.js';
import { parseLeaseFields, type Lease } from '../dhcp/lease.js';
import { announceAddresses } from '../net/announce.js';
import { ipBatchInNetns } from '../net/links.js';
import { withContainerNetns } from '../net/netns.js';
import { resetRestartDelay } from './client-keeper.js';
import { persist, type SupervisorContext } from './context.js';
import { advance, wakeLeaseWaiters, type Entry } from './entries.js';
import { acceptsLeaseEvents, allows } from './lifecycle.js';
import { applyDhcpv6Event, isDhcpv6Event } from './dhcpv6.js';
import { rememberLease } from './client-options.js';

/** An event file from a client: read by the driver of the container's client, then applied in order. */
export function handleEvent(context: SupervisorContext, spooled: SpooledEvent): void {
  const entry = context.entries.get(spooled.containerId);
  const starting = entry?.starting;
  if (entry === undefined || !acceptsLeaseEvents(entry.state) || spooled.token !== (starting?.token ?? entry.record.client?.token)) return;
  const parsed = entry.driver.parseEvent(spooled.env);
  if (parsed === null) return; // an event with nothing to apply
  if (parsed === undefined) {
    context.log.warn({ id: spooled.containerId, client: entry.driver.name }, 'unknown DHCP client event ignored');
    return;
  }
  const event: ClientEvent = { ...parsed, containerId: spooled.containerId, token: spooled.token };
  entry.events = entry.events
    .then(() => starting?.started)
    .then(() => applyEvent(context, entry, event))
    .catch((error: unknown) => context.log.error({ id: event.containerId, event: event.event, err: error }, 'lease event failed'));
}

async function applyEvent(context: SupervisorContext, entry: Entry, event: ClientEvent): Promise<void> {
  const { record } = entry;
  const { log, observer } = context;
  const clientPid = record.client?.pid;
  // Checked again: an event that waited for its client's start belongs to it only if the start succeeded.
  if (!acceptsLeaseEvents(entry.state) || clientPid === undefined || record.client?.token !== event.token) return;
  if (isDhcpv6Event(event)) {
    // [dual stack] DHCPv6 and router advertisements from the same client (dhcpv6.ts).
    const run = (commands: string[]): Promise<void> => withContainerNetns(clientPid, record.netnsInode, (netns) => ipBatchInNetns(netns, commands, '-6'));
    const held = new Set(record.dhcpv6?.addresses.map((entry6) => entry6.address));
    if (!(await applyDhcpv6Event(record, event, run, log))) return;
    if ((record.dhcpv6?.addresses.length ?? 0) > 0 && allows(entry.state, { type: 'lease-bound' })) advance(entry, { type: 'lease-bound' });
    context.dualStack.refresh(record);
    context.dualStack.applyResolvConf(record);
    persist(context, entry);
    // A new address once the container runs (the create announces what it has when it ends).
    const fresh = (record.dhcpv6?.addresses ?? []).map((entry6) => entry6.address).filter((address) => !held.has(address));
    if (fresh.length > 0 && record.phase === 'active') await announce(context, entry, fresh);
    return;
  }
  if (event.event === 'deconfig') {
    // Only a client that bound may take its address away: a new client's first deconfig keeps the old one.
    if (entry.state !== 'bound' || record.lease === null) return;
    await inContainer(entry, clientPid, deconfigCommands(record.interface));
    record.lease = null;
    if (allows(entry.state, { type: 'lease-lost' })) advance(entry, { type: 'lease-lost' });
    persist(context, entry);
    observer.leaseEvent('lost');
    log.info({ id: entry.key, leaseEvent: 'lost' }, 'lease lost; address removed');
    return;
  }
  if (event.event === 'leasefail' || event.event === 'nak') {
    log.warn({ id: entry.key, event: event.event }, 'no lease');
    return;
  }
  const parsed = parseLeaseFields(event.fields);
  if (parsed.dropped.length > 0) log.warn({ id: entry.key, dropped: parsed.dropped }, 'invalid DHCP values dropped');
  if (parsed.lease === undefined) {
    entry.refusedLease = parsed.dropped.join('; ');
    return;
  }
  const previous = record.lease;
  // The server's MTU, but never above the bridge's: frames bigger than the port's would be dropped.
  const mtu = parsed.lease.mtu === undefined ? undefined : await mtuWithinBridge(context, parsed.lease.mtu, record.bridge);
  // Only the container's first interface sets the default route (and a CNI network only if it says so).
  await inContainer(entry, clientPid, leaseCommands(record.interface, previous, parsed.lease, mtu, { defaultRoute: record.extra !== true && record.defaultRoute !== false }));
  const now = new Date().toISOString();
  const sameAddress = previous !== null && previous.ip === parsed.lease.ip;
  // A fresh lease for the same address (a restarted client's bound) counts from now, like a renew.
  const lease: Lease = { ...parsed.lease, ...(mtu !== undefined && { mtu }), boundAt: sameAddress ? previous.boundAt : now, ...((event.event === 'renew' || sameAddress) && { renewedAt: now }) };
  record.lease = lease;
  // [dual stack] before the waiters: the container's process starts with both in place.
  context.dualStack.applyResolvConf(record, lease);
  context.dualStack.refresh(record);
  // The release began while the address was being applied: the release decides from the state it saw.
  if (allows(entry.state, { type: 'lease-bound' })) advance(entry, { type: 'lease-bound' });
  entry.refusedLease = undefined;
  resetRestartDelay(entry);
  persist(context, entry);
  // One structured line per lease event: bound, renewed, or address-changed.
  const leaseEvent = previous === null ? 'bound' : sameAddress ? 'renewed' : 'address-changed';
  if (!sameAddress) rememberLease(context.paths.stateDir, record); // [dual stack] asked for again by the next container with this client id
  observer.leaseEvent(leaseEvent);
  log.info({ id: entry.key, leaseEvent, event: event.event, ip: lease.ip, previousIp: previous?.ip, prefixLen: lease.prefixLen, router: lease.router, leaseSeconds: lease.leaseSeconds }, 'lease applied');
  wakeLeaseWaiters(entry, 'bound');
  await context.portFilter.bindAddress(record, lease.ip); // after the waiters: the create does not wait for nft
  if (!sameAddress) await announce(context, entry, [lease.ip]); // after the filter knows the new address
}

/** Neighbours holding a stale MAC for these addresses learn ours; a failure costs only that. */
export async function announce(context: SupervisorContext, entry: Entry, addresses: readonly string[]): Promise<void> {
  const { record } = entry;
  await announceAddresses(context.helper.ensure(), { container: record.container, netnsInode: record.netnsInode, interface: record.interface, addresses })
    .catch((error: unknown) => context.log.warn({ id: entry.key, addresses, err: error }, 'address not announced'));
}

/**
 * Runs `ip` lines in the container's namespace, entered through the client's pid only after its
 * namespace is checked against the recorded one (the host guard holds on every path). A failure
 * is kept as the lease timeout's reason, so that it does not blame the DHCP server.
 */
async function inContainer(entry: Entry, pid: number, commands: readonly string[]): Promise<void> {
  try {
    await withContainerNetns(pid, entry.record.netnsInode, (netns) => ipBatchInNetns(netns, commands));
    entry.applyFailure = undefined;
  } catch (error) {
    entry.applyFailure = `the lease could not be applied in the container: ${(error as Error).message}`;
    throw error;
  }
}

/** The server's MTU, lowered to the bridge's if it is known (asked only when a lease has an MTU). */
async function mtuWithinBridge(context: SupervisorContext, mtu: number, bridge: string): Promise<number> {
  const bridgeMtu = await context.bridges.info(bridge).then((info) => info.mtu, () => undefined);
  return Math.min(mtu, bridgeMtu ?? mtu);
}
