// The attach path, top to bottom: check the request, choose the MAC, record the container, make
// the veth into its namespace, start the DHCP client and wait for the lease. A failure anywhere
// undoes every step (one teardown).
import { clientProgram, driverFor } from '../dhcp/drivers.js';
import { IpperError, toIpperError } from '../errors.js';
import { createVeth, deleteLink, type VethSpec } from '../net/links.js';
import { deriveMac, generateUniqueMac } from '../net/mac.js';
import { hostVethName, vethAlias } from '../net/names.js';
import { openContainerRefNetns } from '../net/netns.js';
import { isContainerAlive, netnsInodeAt } from '../store/container-ref.js';
import { containerRefOf } from './container-of.js';
import { recordKey, type ContainerRecord } from '../store/records.js';
import { readStartTime } from '../sys/proc.js';
import { startClientFor, waitForLease } from './client-keeper.js';
import { persist, type SupervisorContext } from './context.js';
import { checkModes, ipv4ModeOf, ipv6ModeOf } from './dual-stack.js';
import { clientNeeded } from './dhcpv6.js';
import { clientIdentityFor } from './client-options.js';
import { advance } from './entries.js';
import { diagnoseNoLease } from './lease-diagnosis.js';
import { announce } from './lease-events.js';
import { isTearingDown, type LeaseWaitOutcome } from './lifecycle.js';
import type { AttachRequest } from './protocol.js';

/** Creates the container's network and waits for its lease; undoes every step on failure. */
export function attach(context: SupervisorContext, request: AttachRequest, abort: AbortSignal): Promise<ContainerRecord> {
  const key = keyOf(request);
  // Two attaches for one key must never interleave: the second would replace the first's veth.
  return context.entries.withReserved(
    key,
    () => new IpperError('ALREADY_ATTACHED', `${describe(request)} is being attached already`),
    () => attachReserved(context, request, key, abort),
  );
}

/** The container's first interface is known by its id; an extra one by "<id>@<interface>". */
function keyOf(request: AttachRequest): string {
  return recordKey({ id: request.id, interface: request.interface, ...(request.extra === true && { extra: true }) });
}

function describe(request: AttachRequest): string {
  return request.extra === true ? `interface "${request.interface}" of container "${request.id}"` : `container "${request.id}"`;
}

async function attachReserved(context: SupervisorContext, request: AttachRequest, key: string, abort: AbortSignal): Promise<ContainerRecord> {
  const { entries, log } = context;
  const began = performance.now();
  const step = (name: string): void => log.debug({ id: key, step: name, ms: Math.round(performance.now() - began) }, 'attach step');
  const existing = entries.get(key);
  if (existing !== undefined) {
    if (isContainerAlive(existing.record)) throw new IpperError('ALREADY_ATTACHED', `${describe(request)} already has a network from ipper`);
    await context.teardown(existing, 'a new incarnation replaces it');
  }
  checkModes(request); // [dual stack]
  assertSameContainer(request);
  // Before anything is made: a client that is not installed is the operator's to fix.
  if (clientNeeded(request)) clientProgram(driverFor(request.dhcpClient ?? 'udhcpc'));
  const bridge = await context.bridges.info(request.bridge);
  if (!bridge.up) throw new IpperError('BRIDGE_NOT_FOUND', `bridge "${bridge.name}" is down`);
  // From here to entries.add nothing awaits: choosing the MAC and reserving it are one step.
  if (entries.has(key)) throw new IpperError('ALREADY_ATTACHED', `${describe(request)} already has a network from ipper`);
  const taken = new Set(entries.values().map((entry) => entry.record.mac));
  taken.add(bridge.mac);
  const mac = chooseMac(request, taken, context.hostAddress ?? bridge.ipv4);
  step('checked');
  const record: ContainerRecord = { ...newRecord(request, key, mac), ...clientIdentityFor(request, mac, context.paths.stateDir) };
  const entry = entries.add(record, 'attaching');
  try {
    persist(context, entry);
    step('recorded');
    abort.throwIfAborted();
    // The filter's elements are keyed by name: added while the veth is made, the port is guarded from its first frame.
    const allowed = context.portFilter.allow(record);
    allowed.catch(() => undefined); // awaited below; a failure must not go unhandled meanwhile
    const netns = openContainerRefNetns(record.container, request.netnsInode);
    try {
      await createVethReplacingLeftover(context, {
        hostVeth: record.hostVeth, bridge: request.bridge, mtu: bridge.mtu, netns, containerInterface: request.interface, mac, alias: vethAlias(context.instance, request.netnsInode),
        ipv6Mode: vethIpv6Mode(record),
      });
    } finally {
      netns.close();
    }
    log.info({ id: key, hostVeth: record.hostVeth, bridge: request.bridge, mac }, 'veth attached');
    await allowed;
    abort.throwIfAborted();
    // [dual stack] the IPv6 address (SLAAC, DHCPv6) is awaited while the IPv4 lease is; one client
    // does DHCPv4 and DHCPv6 (dhcpv6.ts); a v6-only SLAAC container runs none.
    const ipv6Ready = context.dualStack.awaitAddress(request, record, abort);
    ipv6Ready.catch(() => undefined); // awaited below; a failure must not go unhandled meanwhile
    let lease: LeaseWaitOutcome = 'bound';
    if (clientNeeded(record)) {
      await startClientFor(context, entry);
      step('client started');
      if (ipv4ModeOf(record) === 'dhcp' && !isTearingDown(entry.state)) lease = await waitForLease(entry, request.leaseTimeoutMs, abort);
    } else {
      advance(entry, { type: 'client-not-needed' });
    }
    await ipv6Ready;
    step('ipv6 ready');
    void announce(context, entry, (record.ipv6?.addresses ?? []).map((address) => address.address));
    abort.throwIfAborted();
    if (lease === 'torn-down' || isTearingDown(entry.state)) throw new IpperError('ABORTED', 'the container was removed while its network was being made');
    if (lease !== 'bound') {
      const reason = await diagnoseNoLease(context, entry);
      if (request.onLeaseTimeout === 'fail') {
        throw new IpperError('LEASE_TIMEOUT', `no DHCP lease within ${request.leaseTimeoutMs} ms: ${reason}`);
      }
      log.warn({ id: key, reason }, 'no lease yet; container starts, client keeps trying');
    }
    record.phase = 'active';
    persist(context, entry);
    step('active');
    return record;
  } catch (error) {
    const failure = abort.aborted ? new IpperError('ABORTED', 'the hook went away before the network was ready') : toIpperError(error);
    log.warn({ id: key, err: failure }, 'attach failed; undoing');
    await context.teardown(entry, 'attach failed');
    throw failure;
  }
}

function newRecord(request: AttachRequest, key: string, mac: string): ContainerRecord {
  return {
    version: 1,
    id: request.id,
    hostname: request.hostname,
    bridge: request.bridge,
    interface: request.interface,
    hostVeth: hostVethName(key),
    mac,
    container: containerRefOf(request),
    netnsInode: request.netnsInode,
    phase: 'attaching',
    dhcpClient: request.dhcpClient ?? 'udhcpc',
    client: null,
    lease: null,
    createdAt: new Date().toISOString(),
    // [dual stack] the modes, and where resolv.conf goes
    ...(request.ipv4Mode !== undefined && { ipv4Mode: request.ipv4Mode }),
    ...(request.ipv6Mode !== undefined && { ipv6Mode: request.ipv6Mode }),
    ...(request.resolvConf !== undefined && { resolvConf: { target: request.resolvConf } }),
    ...(request.extra === true && { extra: true }),
    ...(request.cni !== undefined && { cni: request.cni }),
    ...(request.defaultRoute === false && { defaultRoute: false }),
  };
}

function assertSameContainer(request: AttachRequest): void {
  // The hook checked these; a pid can be reused between its check and ours, so check again.
  const ref = containerRefOf(request);
  if (!('netnsPath' in ref) && readStartTime(ref.pid) !== ref.startTime) throw new IpperError('NETNS_NOT_FOUND', `container process ${ref.pid} is gone`);
  if ('netnsPath' in ref && netnsInodeAt(ref.netnsPath) !== request.netnsInode) throw new IpperError('NETNS_NOT_FOUND', `network namespace "${ref.netnsPath}" is gone or was replaced`);
  openContainerRefNetns(ref, request.netnsInode).close();
}

/** The request's MAC, one derived from its identity, or a fresh one of the seed scheme; never one taken. */
function chooseMac(request: AttachRequest, taken: Set<string>, hostAddress: string | undefined): string {
  if (request.macIdentity !== undefined && request.mac === undefined && hostAddress !== undefined) {
    // [dual stack] macFrom identity: the same MAC for the same identity, and never a second holder.
    const mac = deriveMac(hostAddress, request.macIdentity);
    if (taken.has(mac)) throw new IpperError('MAC_IN_USE', `MAC ${mac} (derived from "${request.macIdentity.slice(0, 64)}") is already used by another container or the bridge`);
    return mac;
  }
  if (request.mac !== undefined) {
    if (taken.has(request.mac)) throw new IpperError('MAC_IN_USE', `MAC ${request.mac} is already used by another container or the bridge`);
    return request.mac;
  }
  if (hostAddress === undefined) {
    throw new IpperError('INVALID_CONFIG', `bridge "${request.bridge}" has no IPv4 address for the MAC scheme; set hostAddress in the config`);
  }
  const mac = generateUniqueMac(hostAddress, taken);
  if (mac === undefined) throw new IpperError('MAC_IN_USE', 'no free MAC address left in the scheme');
  return mac;
}

/** A host veth with this id's name is a leftover of a crashed create (no live entry owns it). */
async function createVethReplacingLeftover(context: SupervisorContext, spec: VethSpec): Promise<void> {
  try {
    await createVeth(spec);
  } catch (error) {
    if (!(error instanceof IpperError && /File exists/.test(error.message))) throw error;
    context.log.warn({ hostVeth: spec.hostVeth }, 'leftover veth replaced');
    await deleteLink(spec.hostVeth);
    await createVeth(spec);
  }
}

/** [dual stack] the sysctls to set on the container end. */
function vethIpv6Mode(record: ContainerRecord): ContainerRecord['ipv6Mode'] {
  return ipv6ModeOf(record);
}
