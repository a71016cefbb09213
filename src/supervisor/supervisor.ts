// The per-host supervisor's state: every attached container, its DHCP client and its lease.
// Single-threaded and single-instance, so its in-memory maps are the host lock for MACs and ids.
import { readFileSync, statSync } from 'node:fs';
import { leaseCommands, deconfigCommands } from '../dhcp/apply.js';
import { diagnoseLeaseTimeout } from '../dhcp/diagnose.js';
import { parseLeaseFields, type Lease } from '../dhcp/lease.js';
import type { ClientEvent, DhcpDriver, SpooledEvent } from '../dhcp/driver.js';
import { clientProgram, driverFor, driverOfRecord, installedClientExecutables } from '../dhcp/drivers.js';
import { IpperError, toIpperError } from '../errors.js';
import type { Logger } from '../log/logger.js';
import { createVeth, deleteLink, getBridgeInfo, ipBatchInNetns, type BridgeInfo, type VethSpec } from '../net/links.js';
import { deriveMac, generateUniqueMac } from '../net/mac.js';
import { hostVethName, instanceId, vethAlias } from '../net/names.js';
import { openContainerNetns, withContainerNetns } from '../net/netns.js';
import { fileStem, writeRecord, listRecords, setAsideRecord, type ContainerRecord } from '../store/records.js';
import type { HelperFile } from '../sys/helper.js';
import { announceAddresses } from '../net/announce.js';
import { isAlive, readStartTime, signal } from '../sys/proc.js';
import { adoptClient, clientInterfaceOf, newClientToken, endClientLeftovers, clientLogPath, killClient, removeClientFiles, startClient, stopClient, type ClientHandle, type ReleaseTarget } from './clients.js';
import type { SupervisorPaths } from './paths.js';
import { PortFilter } from './port-filter.js';
import { containerProcessProbe, listOwnProcesses, listOwnVeths } from '../gc/facts.js';
import { planGc, type GcAction } from '../gc/plan.js';
import type { AttachRequest } from './protocol.js';
import { gatherLinks, gatherNetfilter } from '../net/host-facts.js';
import { checkBridge } from '../doctor/bridge.js';
import { checkNetfilter } from '../doctor/netfilter.js';
import { likelyCause } from '../doctor/check.js';
import { tearDownNetwork } from './teardown.js';
import { NO_OBSERVER, type Observer } from './metrics.js';
import type { LeaseFacts } from '../status/lease-state.js';
import { DualStack, checkModes, ipv4ModeOf, ipv6ModeOf } from './dual-stack.js';

export interface SupervisorOptions {
  paths: SupervisorPaths;
  /** ipper-helper: every client's event script, checked before every client start. */
  helper: HelperFile;
  log: Logger;
  /** IPv4 whose last three octets go into generated MACs; default: the bridge's address. */
  hostAddress: string | undefined;
  /** Filter each container port (nftables bridge table): see net/filter.ts. */
  bridgeFilter: boolean;
  /** Lease events for the metrics (a no-op when they are off). */
  observer?: Observer;
}

interface Entry {
  record: ContainerRecord;
  /** The record's client (dhcpClient): the one this container's lease is kept by. */
  driver: DhcpDriver;
  client: ClientHandle | undefined;
  /** This client incarnation has bound once: until then a deconfig must not drop the old address. */
  clientBound: boolean;
  stopping: Promise<TeardownOutcome> | undefined;
  /** Set once the teardown stops the client: from then on its events are ignored. */
  releasing: boolean;
  /**
   * The client being started: its events can come before it is recorded (dhclient and dhcpcd bind
   * in 20-40 ms, sooner than a loaded supervisor sees the client run) and wait for that.
   */
  starting: { token: string; done: Promise<unknown> } | undefined;
  restartDelayMs: number;
  restartTimer: NodeJS.Timeout | undefined;
  /** The client stopped on purpose to renew (RenewMethod restart): its exit is no failure. */
  renewByRestart: ClientHandle | undefined;
  leaseWaiters: Set<() => void>;
  /** Serializes this container's lease events. */
  events: Promise<void>;
  clientLogOffset: number;
  /** Why the server's last lease was refused (say, a mask of 0): the lease timeout's reason. */
  refusedLease: string | undefined;
  /** Why the last lease could not be applied inside the namespace: the lease timeout's reason. */
  applyFailure: string | undefined;
}

/** What a teardown achieved: poststop reports it as it is. */
export interface TeardownOutcome {
  /** The lease was released (the client said so), or there was none to release. */
  released: boolean;
  /** The client, veth, filter element and record are all gone. */
  removed: boolean;
}

const RESTART_MIN_MS = 1000;
const RESTART_MAX_MS = 60_000;
const BRIDGE_CACHE_MS = 2000;
/** How long a teardown lets a client finish a DHCPREQUEST already sent. */
const REQUEST_GRACE_MS = 2000;

export class Supervisor {
  private readonly entries = new Map<string, Entry>();
  /** Ids whose attach has begun but holds no entry yet: a second attach for one is refused. */
  private readonly attaching = new Set<string>();
  private readonly instance: string;
  /** The last garbage collection's reports: what it could not explain and left alone. */
  private reports: GcAction[] = [];
  private readonly reported = new Set<string>();
  private readonly bridges = new Map<string, { info: BridgeInfo; at: number }>();
  private collecting = false;
  /** DHCP clients restarted after they exited, since this supervisor started (status). */
  private restarts = 0;
  private readonly paths: SupervisorPaths;
  private readonly helper: HelperFile;
  private readonly observer: Observer;
  private readonly log: Logger;
  private readonly hostAddress: string | undefined;
  private readonly portFilter: PortFilter;
  /** [dual stack] SLAAC waits, IPv6 in the record, resolv.conf (see dual-stack.ts). */
  private readonly dualStack: DualStack;

  constructor(options: SupervisorOptions) {
    this.paths = options.paths;
    this.helper = options.helper;
    this.observer = options.observer ?? NO_OBSERVER;
    this.log = options.log;
    this.hostAddress = options.hostAddress;
    this.instance = instanceId(options.paths.stateDir);
    this.dualStack = new DualStack(options.log);
    this.portFilter = new PortFilter(options.bridgeFilter, options.paths.stateDir, options.log, () => [...this.entries.values()].map((entry) => entry.record));
  }

  get size(): number {
    return this.entries.size;
  }

  get clientRestarts(): number {
    return this.restarts;
  }

  /** The ports of the containers that are attached and not being removed (for the bridge watch). */
  ports(): { id: string; hostVeth: string; bridge: string; mac: string; renew: () => boolean }[] {
    return [...this.entries.values()]
      .filter((entry) => entry.record.phase === 'active' && entry.stopping === undefined)
      .map((entry) => ({ id: entry.record.id, hostVeth: entry.record.hostVeth, bridge: entry.record.bridge, mac: entry.record.mac, renew: () => this.renewClient(entry) }));
  }

  /** Makes the container's client renew now, as its driver can (DhcpDriver.renew); false: no client runs. */
  private renewClient(entry: Entry): boolean {
    const { client, driver } = entry;
    if (client === undefined || entry.stopping !== undefined) return false;
    if (driver.renew.kind === 'signal') return signal(client.identity, driver.renew.signal);
    // It exits without a release, and onClientExit starts it again at once with the same files.
    entry.renewByRestart = client;
    return signal(client.identity, driver.renew.stopSignal);
  }

  /** Creates the container's network and waits for its lease; undoes every step on failure. */
  async attach(request: AttachRequest, abort: AbortSignal): Promise<ContainerRecord> {
    // Two attaches for one id must never interleave: the second would replace the first's veth.
    if (this.attaching.has(request.id)) throw new IpperError('ALREADY_ATTACHED', `container "${request.id}" is being attached already`);
    this.attaching.add(request.id);
    try {
      return await this.attachReserved(request, abort);
    } finally {
      this.attaching.delete(request.id);
    }
  }

  private async attachReserved(request: AttachRequest, abort: AbortSignal): Promise<ContainerRecord> {
    const began = performance.now();
    const step = (name: string): void => this.log.debug({ id: request.id, step: name, ms: Math.round(performance.now() - began) }, 'attach step');
    const existing = this.entries.get(request.id);
    if (existing !== undefined) {
      if (isAlive(existing.record.container)) throw new IpperError('ALREADY_ATTACHED', `container "${request.id}" already has a network from ipper`);
      await this.teardown(existing, 'a new incarnation replaces it');
    }
    checkModes(request); // [dual stack]
    this.assertSameContainer(request);
    // Before anything is made: a client that is not installed is the operator's to fix.
    if ((request.ipv4Mode ?? 'dhcp') === 'dhcp') clientProgram(driverFor(request.dhcpClient ?? 'udhcpc'));
    const bridge = await this.bridgeInfo(request.bridge);
    if (!bridge.up) throw new IpperError('BRIDGE_NOT_FOUND', `bridge "${bridge.name}" is down`);
    // From here to entries.set nothing awaits: choosing the MAC and reserving it are one step.
    if (this.entries.has(request.id)) throw new IpperError('ALREADY_ATTACHED', `container "${request.id}" already has a network from ipper`);
    const taken = new Set([...this.entries.values()].map((entry) => entry.record.mac));
    taken.add(bridge.mac);
    const mac = this.chooseMac(request, taken, bridge.ipv4);
    step('checked');
    const record: ContainerRecord = {
      version: 1,
      id: request.id,
      hostname: request.hostname,
      bridge: request.bridge,
      interface: request.interface,
      hostVeth: hostVethName(request.id),
      mac,
      container: { pid: request.pid, startTime: request.pidStartTime },
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
    };
    const entry = this.newEntry(record);
    this.entries.set(request.id, entry);
    try {
      this.persist(entry);
      step('recorded');
      abort.throwIfAborted();
      const netns = openContainerNetns(request.pid, request.netnsInode);
      try {
        await this.createVethReplacingLeftover({
          hostVeth: record.hostVeth, bridge: request.bridge, mtu: bridge.mtu, netns, containerInterface: request.interface, mac, alias: vethAlias(this.instance, request.netnsInode),
          ipv6Mode: vethIpv6Mode(record),
        });
      } finally {
        netns.close();
      }
      this.log.info({ id: request.id, hostVeth: record.hostVeth, bridge: request.bridge, mac }, 'veth attached');
      await this.portFilter.allow(record);
      abort.throwIfAborted();
      // [dual stack] the SLAAC address is awaited while the IPv4 lease is; v6-only runs no DHCPv4 client.
      const ipv6Ready = this.dualStack.awaitAddress(request, record, abort);
      ipv6Ready.catch(() => undefined); // awaited below; a failure must not go unhandled meanwhile
      let bound = true;
      if (ipv4ModeOf(record) === 'dhcp') {
        await this.startClientFor(entry);
        step('client started');
        bound = await this.waitForLease(entry, request.leaseTimeoutMs, abort);
      }
      await ipv6Ready;
      step('ipv6 ready');
      void this.announce(entry, (record.ipv6?.addresses ?? []).map((address) => address.address));
      abort.throwIfAborted();
      if (entry.stopping !== undefined) throw new IpperError('ABORTED', 'the container was removed while its network was being made');
      if (!bound) {
        const reason = await this.diagnose(entry);
        if (request.onLeaseTimeout === 'fail') {
          throw new IpperError('LEASE_TIMEOUT', `no DHCP lease within ${request.leaseTimeoutMs} ms: ${reason}`);
        }
        this.log.warn({ id: request.id, reason }, 'no lease yet; container starts, client keeps trying');
      }
      record.phase = 'active';
      this.persist(entry);
      step('active');
      return record;
    } catch (error) {
      const failure = abort.aborted ? new IpperError('ABORTED', 'the hook went away before the network was ready') : toIpperError(error);
      this.log.warn({ id: request.id, err: failure }, 'attach failed; undoing');
      await this.teardown(entry, 'attach failed');
      throw failure;
    }
  }

  /** poststop: release and remove, unless the recorded container still runs (a newer incarnation). */
  async detach(id: string): Promise<TeardownOutcome> {
    const entry = this.entries.get(id);
    if (entry === undefined) return { released: true, removed: true };
    if (entry.stopping === undefined && entry.record.phase === 'active' && isAlive(entry.record.container)) {
      this.log.info({ id }, 'poststop for a container that still runs: kept (late poststop of an earlier incarnation)');
      return { released: true, removed: true }; // nothing of that incarnation is left to remove
    }
    return this.teardown(entry, 'poststop');
  }

  /** Each container's lease facts, for the metrics' leases-by-state. */
  leaseFacts(): LeaseFacts[] {
    return [...this.entries.values()].map(({ record, client }) => ({
      phase: record.phase,
      lease: record.lease,
      clientAlive: client !== undefined && isAlive(client.identity),
    }));
  }

  /** What garbage collection could not explain and left alone, for the status reply. */
  unexplained(): GcAction[] {
    return this.reports;
  }

  /** The bridge filter as the config asks: every adopted port's MAC, or no table at all. */
  syncBridgeFilter(): Promise<void> {
    return this.portFilter.sync();
  }

  /**
   * Takes over the records an earlier supervisor left: adopt live clients, reap the rest. An
   * unreadable record is set aside for the operator, never taken for "no container": the
   * container it described may well still run. One record's failure never stops the others.
   */
  async adopt(): Promise<void> {
    const { records, unreadable } = listRecords(this.paths.stateDir);
    for (const path of unreadable) {
      try {
        this.log.error({ path, keptAs: setAsideRecord(path) }, 'unreadable record set aside; its container is left alone (see ipper gc --dry-run)');
      } catch (error) {
        this.log.error({ path, err: error }, 'unreadable record could not be set aside');
      }
    }
    for (const record of records) {
      if (this.entries.has(record.id) || this.attaching.has(record.id)) continue;
      try {
        await this.adoptRecord(record);
      } catch (error) {
        this.log.error({ id: record.id, err: error }, 'record not adopted; garbage collection will retry');
      }
    }
  }

  private async adoptRecord(record: ContainerRecord): Promise<void> {
    // Its driver is the record's (the client it was started with), whatever dhcpClient the config says now.
    const entry = this.newEntry(record);
    this.entries.set(record.id, entry);
    if (record.client !== null && isAlive(record.client)) {
      entry.client = adoptClient(record.client, record.client.token);
      entry.clientBound = record.lease !== null;
      void entry.client.exited.then(() => this.onClientExit(entry, entry.client));
    }
    if (record.phase !== 'active' || !isAlive(record.container)) {
      await this.teardown(entry, record.phase !== 'active' ? 'create was interrupted' : 'container gone');
    } else if (entry.client === undefined && ipv4ModeOf(record) === 'dhcp') {
      await this.startClientFor(entry).catch((error: unknown) => {
        this.log.error({ id: record.id, err: error }, 'DHCP client not started at adoption; retrying');
        this.onClientExit(entry, undefined);
      });
    } else {
      this.log.info({ id: record.id, clientPid: record.client?.pid }, 'client adopted');
    }
  }

  /**
   * Reconciles records, DHCP clients and host veths (see gc/plan.ts). Links and processes are
   * listed before the entries are read: an entry exists before its veth or client does, so a
   * create in flight is always seen as busy, never as an orphan.
   */
  async collectGarbage(dryRun = false): Promise<GcAction[]> {
    if (this.collecting) return [];
    this.collecting = true;
    try {
      this.helper.ensure(); // running clients call it at each renewal
      await this.adopt(); // records on disk that no entry holds (none should exist): taken over or reaped
      // [dual stack] IPv6 addresses change without telling anyone: read again each round (file reads).
      for (const entry of this.entries.values()) if (entry.stopping === undefined && this.dualStack.refresh(entry.record)) this.persist(entry);
      const veths = await listOwnVeths(this.instance);
      const own = listOwnProcesses(this.paths.eventsDir, this.paths.clientLogsDir, installedClientExecutables());
      const entries = [...this.entries.values()];
      // A client recognised by its directory is known by the id's file stem (the id itself unless very long).
      const idOfStem = new Map(entries.map(({ record }) => [fileStem(record.id), record.id]));
      for (const client of own.clients) client.containerId = idOfStem.get(client.containerId) ?? client.containerId;
      const actions = planGc({
        records: entries.map(({ record, client }) => ({
          id: record.id,
          hostVeth: record.hostVeth,
          phase: record.phase,
          containerAlive: isAlive(record.container),
          clientPid: client !== undefined && isAlive(client.identity) ? client.identity.pid : undefined,
        })),
        busy: new Set([...this.attaching, ...entries.filter((entry) => entry.stopping !== undefined || entry.record.phase === 'attaching').map((entry) => entry.record.id)]),
        veths,
        clients: own.clients,
        containerRunsIn: containerProcessProbe(own.pids),
      });
      if (!dryRun) {
        this.reports = actions.filter((action) => action.action === 'report');
        await this.applyGc(actions);
      }
      return actions;
    } finally {
      this.collecting = false;
    }
  }

  /** Each action on its own: one that fails is logged, and the others still run. */
  private async applyGc(actions: readonly GcAction[]): Promise<void> {
    for (const action of actions) {
      try {
        await this.applyGcAction(action);
      } catch (error) {
        this.log.error({ ...action, err: error }, 'garbage collection action failed; retried next round');
      }
    }
  }

  private async applyGcAction(action: GcAction): Promise<void> {
    if (action.action === 'report') {
      // Said once per thing, not every round: the status reply and `gc --dry-run` keep listing it.
      const key = `${action.kind}:${action.name}`;
      if (!this.reported.has(key)) this.log.error(action, 'garbage collection: left alone');
      this.reported.add(key);
      return;
    }
    this.log.warn(action, 'garbage collection');
    if (action.action === 'teardown') {
      const entry = this.entries.get(action.id);
      if (entry !== undefined) await this.teardown(entry, action.reason);
    } else if (action.action === 'delete-veth') {
      await deleteLink(action.name);
    } else {
      // The identity read when listing: a pid reused since then is never signalled.
      const identity = { pid: action.pid, startTime: action.startTime };
      if (!action.release) await killClient(identity);
      else {
        // No record: the client's own files (by its container id) and argv say what it serves.
        const target: ReleaseTarget = { containerId: action.id, netnsInode: action.netnsInode, interface: clientInterfaceOf(action.pid, 'eth0'), hostname: '', helper: this.helper.ensure() };
        await stopClient(this.paths, driverFor(action.driver), adoptClient(identity, '', 20), target);
        removeClientFiles(this.paths, action.id);
      }
    }
  }

  /** An event file from a client: read by the driver of the container's client, then applied in order. */
  handleEvent(spooled: SpooledEvent): void {
    const entry = this.entries.get(spooled.containerId);
    if (entry === undefined || entry.releasing) return;
    const starting = entry.starting?.token === spooled.token ? entry.starting.done : undefined;
    if (starting === undefined && entry.record.client?.token !== spooled.token) return;
    const parsed = entry.driver.parseEvent(spooled.env);
    if (parsed === null) return; // an event with nothing to apply
    if (parsed === undefined) {
      this.log.warn({ id: spooled.containerId, client: entry.driver.name }, 'unknown DHCP client event ignored');
      return;
    }
    const event: ClientEvent = { ...parsed, containerId: spooled.containerId, token: spooled.token };
    entry.events = entry.events
      .then(() => starting)
      .then(() => this.applyEvent(entry, event))
      .catch((error: unknown) => this.log.error({ id: event.containerId, event: event.event, err: error }, 'lease event failed'));
  }

  private async applyEvent(entry: Entry, event: ClientEvent): Promise<void> {
    const { record } = entry;
    const clientPid = record.client?.pid;
    // (A client that did not start, or was replaced meanwhile, is not the one whose event this is.)
    if (entry.releasing || clientPid === undefined || record.client?.token !== event.token) return;
    if (event.event === 'deconfig') {
      if (!entry.clientBound || record.lease === null) return;
      await this.inContainer(entry, clientPid, deconfigCommands(record.interface));
      record.lease = null;
      this.persist(entry);
      this.observer.leaseEvent('lost');
      this.log.info({ id: record.id, leaseEvent: 'lost' }, 'lease lost; address removed');
      return;
    }
    if (event.event === 'leasefail' || event.event === 'nak') {
      this.log.warn({ id: record.id, event: event.event }, 'no lease');
      return;
    }
    const parsed = parseLeaseFields(event.fields);
    if (parsed.dropped.length > 0) this.log.warn({ id: record.id, dropped: parsed.dropped }, 'invalid DHCP values dropped');
    if (parsed.lease === undefined) {
      entry.refusedLease = parsed.dropped.join('; ');
      return;
    }
    const previous = record.lease;
    // The server's MTU, but never above the bridge's: frames bigger than the port's would be dropped.
    const mtu = parsed.lease.mtu === undefined ? undefined : await this.mtuWithinBridge(parsed.lease.mtu, record.bridge);
    await this.inContainer(entry, clientPid, leaseCommands(record.interface, previous, parsed.lease, mtu));
    const now = new Date().toISOString();
    const sameAddress = previous !== null && previous.ip === parsed.lease.ip;
    // A fresh lease for the same address (a restarted client's bound) counts from now, like a renew.
    const lease: Lease = { ...parsed.lease, ...(mtu !== undefined && { mtu }), boundAt: sameAddress ? previous.boundAt : now, ...((event.event === 'renew' || sameAddress) && { renewedAt: now }) };
    record.lease = lease;
    // [dual stack] before the waiters: the container's process starts with both in place.
    this.dualStack.applyResolvConf(record, lease);
    this.dualStack.refresh(record);
    entry.clientBound = true;
    entry.refusedLease = undefined;
    entry.restartDelayMs = RESTART_MIN_MS;
    this.persist(entry);
    // One structured line per lease event: bound, renewed, or address-changed.
    const leaseEvent = previous === null ? 'bound' : sameAddress ? 'renewed' : 'address-changed';
    this.observer.leaseEvent(leaseEvent);
    this.log.info({ id: record.id, leaseEvent, event: event.event, ip: lease.ip, previousIp: previous?.ip, prefixLen: lease.prefixLen, router: lease.router, leaseSeconds: lease.leaseSeconds }, 'lease applied');
    for (const waiter of entry.leaseWaiters) waiter();
    await this.portFilter.bindAddress(record, lease.ip); // after the waiters: the create does not wait for nft
    if (!sameAddress) await this.announce(entry, [lease.ip]); // after the filter knows the new address
  }

  /**
   * Runs `ip` lines in the container's namespace, entered through the client's pid only after its
   * namespace is checked against the recorded one (the host guard holds on every path). A failure
   * is kept as the lease timeout's reason, so that it does not blame the DHCP server.
   */
  private async inContainer(entry: Entry, pid: number, commands: readonly string[]): Promise<void> {
    try {
      await withContainerNetns(pid, entry.record.netnsInode, (netns) => ipBatchInNetns(netns, commands));
      entry.applyFailure = undefined;
    } catch (error) {
      entry.applyFailure = `the lease could not be applied in the container: ${(error as Error).message}`;
      throw error;
    }
  }

  /** The server's MTU, lowered to the bridge's if it is known (asked only when a lease has an MTU). */
  private async mtuWithinBridge(mtu: number, bridge: string): Promise<number> {
    const bridgeMtu = await this.bridgeInfo(bridge).then((info) => info.mtu, () => undefined);
    return Math.min(mtu, bridgeMtu ?? mtu);
  }

  /** Bridge facts change rarely; a burst of creates asks `ip` once. */
  private async bridgeInfo(name: string): Promise<BridgeInfo> {
    const cached = this.bridges.get(name);
    if (cached !== undefined && Date.now() - cached.at < BRIDGE_CACHE_MS) return cached.info;
    const info = await getBridgeInfo(name);
    this.bridges.set(name, { info, at: Date.now() });
    return info;
  }

  /** A host veth with this id's name is a leftover of a crashed create (no live entry owns it). */
  private async createVethReplacingLeftover(spec: VethSpec): Promise<void> {
    try {
      await createVeth(spec);
    } catch (error) {
      if (!(error instanceof IpperError && /File exists/.test(error.message))) throw error;
      this.log.warn({ hostVeth: spec.hostVeth }, 'leftover veth replaced');
      await deleteLink(spec.hostVeth);
      await createVeth(spec);
    }
  }

  /**
   * Writes the entry's record, unless its teardown has begun: an event or restart finishing after
   * the teardown removed the record must not bring the file back.
   */
  private persist(entry: Entry): void {
    if (entry.stopping !== undefined || this.entries.get(entry.record.id) !== entry) return;
    writeRecord(this.paths.stateDir, entry.record);
  }

  private newEntry(record: ContainerRecord): Entry {
    return {
      record,
      driver: driverOfRecord(record),
      client: undefined,
      clientBound: false,
      stopping: undefined,
      releasing: false,
      starting: undefined,
      restartDelayMs: RESTART_MIN_MS,
      restartTimer: undefined,
      renewByRestart: undefined,
      leaseWaiters: new Set(),
      events: Promise.resolve(),
      clientLogOffset: 0,
      refusedLease: undefined,
      applyFailure: undefined,
    };
  }

  private assertSameContainer(request: AttachRequest): void {
    // The hook checked these; a pid can be reused between its check and ours, so check again.
    if (readStartTime(request.pid) !== request.pidStartTime) throw new IpperError('NETNS_NOT_FOUND', `container process ${request.pid} is gone`);
    openContainerNetns(request.pid, request.netnsInode).close();
  }

  private chooseMac(request: AttachRequest, taken: Set<string>, bridgeIpv4: string | undefined): string {
    const hostAddress = this.hostAddress ?? bridgeIpv4;
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

  /** Starts a client in the container's own namespace, entered by the container's pid (never a dead client's). */
  private async startClientFor(entry: Entry): Promise<void> {
    const { record } = entry;
    entry.clientLogOffset = fileSize(clientLogPath(this.paths, record.id));
    const token = newClientToken();
    entry.clientBound = false; // a new incarnation: its events may bind it before this returns
    const starting = startClient(this.paths, entry.driver, { ...this.clientTarget(entry), netnsPid: record.container.pid }, token);
    entry.starting = { token, done: starting.catch(() => undefined) };
    let client: ClientHandle;
    try {
      client = await starting;
    } finally {
      entry.starting = undefined; // from here on, record.client names it (or no client started)
    }
    if (entry.stopping !== undefined) {
      await stopClient(this.paths, entry.driver, client, this.clientTarget(entry)); // torn down while it started: it must not outlive the entry
      return;
    }
    entry.client = client;
    record.client = { ...client.identity, token: client.token };
    this.persist(entry);
    this.log.info({ id: record.id, clientPid: client.identity.pid }, 'DHCP client started');
    void client.exited.then(() => this.onClientExit(entry, client));
  }

  /** Neighbours holding a stale MAC for these addresses learn ours; a failure costs only that. */
  private async announce(entry: Entry, addresses: readonly string[]): Promise<void> {
    const { record } = entry;
    await announceAddresses(this.helper.ensure(), { pid: record.container.pid, netnsInode: record.netnsInode, interface: record.interface, addresses })
      .catch((error: unknown) => this.log.warn({ id: record.id, addresses, err: error }, 'address not announced'));
  }

  private clientTarget(entry: Entry): ReleaseTarget & { netnsInode: number } {
    const { record } = entry;
    return { containerId: record.id, netnsInode: record.netnsInode, interface: record.interface, hostname: record.hostname, helper: this.helper.ensure() };
  }

  private onClientExit(entry: Entry, client: ClientHandle | undefined): void {
    // What a client killed by hand leaves (dhcpcd's helpers) would hold the namespace and the lease.
    if (client !== undefined) endClientLeftovers(client);
    if (entry.stopping !== undefined || entry.client !== client || this.entries.get(entry.record.id) !== entry) return;
    entry.client = undefined;
    if (!isAlive(entry.record.container)) {
      void this.teardown(entry, 'container gone');
      return;
    }
    const renewing = entry.renewByRestart === client;
    entry.renewByRestart = undefined;
    const delay = renewing ? 0 : entry.restartDelayMs;
    if (renewing) this.log.info({ id: entry.record.id }, 'DHCP client restarted to renew');
    else {
      this.restarts += 1;
      entry.restartDelayMs = Math.min(RESTART_MAX_MS, delay * 2);
      this.log.warn({ id: entry.record.id, delayMs: delay }, 'DHCP client exited; restarting');
    }
    entry.restartTimer = setTimeout(() => {
      entry.restartTimer = undefined;
      if (entry.stopping !== undefined) return;
      if (!isAlive(entry.record.container)) {
        void this.teardown(entry, 'container gone');
        return;
      }
      this.startClientFor(entry).catch((error: unknown) => {
        this.log.error({ id: entry.record.id, err: error }, 'DHCP client restart failed');
        this.onClientExit(entry, undefined);
      });
    }, delay);
  }

  private waitForLease(entry: Entry, timeoutMs: number, abort: AbortSignal): Promise<boolean> {
    if (entry.clientBound) return Promise.resolve(true); // its bound event came first
    return new Promise((resolve) => {
      const finish = (bound: boolean): void => {
        clearTimeout(timer);
        entry.leaseWaiters.delete(onLease);
        abort.removeEventListener('abort', onAbort);
        resolve(bound);
      };
      const onLease = (): void => finish(true);
      const onAbort = (): void => finish(false);
      const timer = setTimeout(() => finish(false), timeoutMs);
      entry.leaseWaiters.add(onLease);
      abort.addEventListener('abort', onAbort);
    });
  }

  /** What the current client printed since it started. */
  private clientLogSince(entry: Entry): string {
    try {
      return readFileSync(clientLogPath(this.paths, entry.record.id), 'utf8').slice(entry.clientLogOffset);
    } catch {
      return ''; // no log: the client never started
    }
  }

  /**
   * Why no lease came: what the client's own log shows, then the most likely cause on the host as
   * `ipper doctor` judges it (the bridge has no uplink, br_netfilter with a FORWARD DROP, ...).
   */
  private async diagnose(entry: Entry): Promise<string> {
    if (entry.applyFailure !== undefined) return entry.applyFailure;
    if (entry.refusedLease !== undefined) return `the server's lease was refused: ${entry.refusedLease}`;
    const clientLog = this.clientLogSince(entry);
    const { bridge } = entry.record;
    const cause = await Promise.all([gatherLinks(), gatherNetfilter([bridge])]).then(
      ([links, netfilter]) => likelyCause([...checkBridge({ bridge, links, hostAddress: this.hostAddress }), ...checkNetfilter(netfilter)]),
      () => undefined, // the host could not be read: the client's words alone
    );
    // br_netfilter alone is only a hint when the doctor found nothing more precise to say.
    const bridgeNfCallIptables = cause === undefined ? readBridgeNfCallIptables() : undefined;
    const seen = diagnoseLeaseTimeout({ seen: entry.driver.exchangeSeen(clientLog), clientLog, bridge, bridgeNfCallIptables });
    return cause === undefined ? seen : `${seen}; ${cause}`;
  }

  /** Stops the client (it releases the lease while the link still exists), then removes the rest. */
  private teardown(entry: Entry, reason: string): Promise<TeardownOutcome> {
    entry.stopping ??= this.doTeardown(entry, reason);
    return entry.stopping;
  }

  private async doTeardown(entry: Entry, reason: string): Promise<TeardownOutcome> {
    const { record } = entry;
    clearTimeout(entry.restartTimer);
    for (const waiter of entry.leaseWaiters) waiter();
    const began = performance.now();
    const ip = record.lease?.ip;
    let released = record.lease === null && !entry.clientBound;
    try {
      // A request the server may already have acknowledged: let the client finish it, so that it
      // holds the lease and its release reaches the server (killed now, the lease would leak).
      if (entry.client !== undefined && !entry.clientBound && entry.driver.exchangeSeen(this.clientLogSince(entry)).requests > 0) {
        await this.waitForLease(entry, REQUEST_GRACE_MS, new AbortController().signal);
      }
      entry.releasing = true;
      await tearDownNetwork({
        paths: this.paths,
        record,
        driver: entry.driver,
        client: entry.client,
        target: this.clientTarget(entry),
        forgetPort: () => this.portFilter.forget(record, record.id),
        afterStop: (outcome) => {
          if (outcome !== undefined) released = this.releaseSent(entry, outcome);
          if (released && record.lease !== null) {
            // Said on disk at once: if the rest fails, the teardown that finishes it knows the lease is gone.
            record.lease = null;
            writeRecord(this.paths.stateDir, record);
          }
          if (ip !== undefined) this.observer.leaseEvent(released ? 'released' : 'not-released');
          if (!released) this.log.error({ id: record.id, reason, ip, leaseEvent: 'not-released' }, 'lease not released: the client could not send a DHCPRELEASE; the server keeps the address until the lease expires');
          this.log.debug({ id: record.id, ms: Math.round(performance.now() - began) }, 'client stopped');
        },
      });
      this.log.info({ id: record.id, reason, ip, released, ...(ip !== undefined && released && { leaseEvent: 'released' }) }, 'container network removed');
      return { released, removed: true };
    } catch (error) {
      this.log.error({ id: record.id, reason, err: error }, 'teardown incomplete; garbage collection will retry');
      return { released, removed: false };
    } finally {
      if (this.entries.get(record.id) === entry) this.entries.delete(record.id);
    }
  }

  /**
   * Whether the stopped client released its lease: it had none to release, or it ended on our
   * signal and its log (its release command's, for dhclient) says it sent the release.
   */
  private releaseSent(entry: Entry, outcome: 'terminated' | 'killed' | 'gone'): boolean {
    if (!entry.clientBound && entry.record.lease === null) return true; // no lease to release
    if (outcome !== 'terminated') return false;
    return entry.driver.releaseSent(this.clientLogSince(entry));
  }

  /** `ipper supervisor --release-all`: every lease released and every container's network removed, on purpose. */
  async releaseAll(): Promise<number> {
    const entries = [...this.entries.values()];
    await Promise.all(entries.map((entry) => this.teardown(entry, 'release-all')));
    return entries.length;
  }
}

/** [dual stack] the sysctls to set on the container end (dhcpv6 never gets this far: checkModes). */
function vethIpv6Mode(record: ContainerRecord): 'off' | 'slaac' | 'auto' | undefined {
  const mode = ipv6ModeOf(record);
  return mode === 'dhcpv6' ? undefined : mode;
}

function readBridgeNfCallIptables(): string | undefined {
  try {
    return readFileSync('/proc/sys/net/bridge/bridge-nf-call-iptables', 'utf8');
  } catch {
    return undefined; // br_netfilter is not loaded
  }
}

/** Where a client's new output starts: 0 unless the log is a file now (whatever else is there may give way to a new file before the client opens it). */
function fileSize(path: string): number {
  try {
    const stat = statSync(path);
    return stat.isFile() ? stat.size : 0;
  } catch {
    return 0;
  }
}
