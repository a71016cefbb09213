// The per-host supervisor's facade: wires its parts (one concern per file) and answers the
// server and the daemon. What each part does:
//   attach.ts        veth, MAC, client start, wait for the lease
//   lease-events.ts  a client's events applied in the container and the record
//   client-keeper.ts client start, restart after exit, lease waits
//   adoption.ts      records an earlier supervisor left
//   gc-runner.ts     garbage collection (gc/plan.ts decides)
//   detach.ts        poststop, the one teardown, release-all
//   entries.ts       the registry; lifecycle.ts the per-container state machine
import type { SpooledEvent } from '../dhcp/driver.js';
import type { GcAction } from '../gc/plan.js';
import type { Logger } from '../log/logger.js';
import { instanceId } from '../net/names.js';
import type { ContainerRecord } from '../store/records.js';
import type { HelperFile } from '../sys/helper.js';
import { isAlive } from '../sys/proc.js';
import type { LeaseFacts } from '../status/lease-state.js';
import { adopt } from './adoption.js';
import { attach } from './attach.js';
import { renewClient } from './client-keeper.js';
import { BridgeCache, type SupervisorContext } from './context.js';
import { detach, releaseAll, teardown } from './detach.js';
import { DualStack } from './dual-stack.js';
import { Entries, type Entry, type DetachOutcome } from './entries.js';
import { GcRunner } from './gc-runner.js';
import { handleEvent } from './lease-events.js';
import { isTearingDown } from './lifecycle.js';
import { NO_OBSERVER, type Observer } from './metrics.js';
import type { SupervisorPaths } from './paths.js';
import { PortFilter } from './port-filter.js';
import type { AttachRequest } from './protocol.js';
import { dhcpv6LeaseTiming } from '../dhcp/lease6.js';

export type { DetachOutcome, TeardownOutcome } from './entries.js';

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

export class Supervisor {
  private readonly context: SupervisorContext;
  private readonly gc: GcRunner;

  constructor(options: SupervisorOptions) {
    const entries = new Entries();
    this.context = {
      paths: options.paths,
      helper: options.helper,
      log: options.log,
      observer: options.observer ?? NO_OBSERVER,
      hostAddress: options.hostAddress,
      instance: instanceId(options.paths.stateDir),
      entries,
      portFilter: new PortFilter(options.bridgeFilter, options.paths.stateDir, options.log, () => entries.values().map((entry) => entry.record)),
      dualStack: new DualStack(options.log),
      bridges: new BridgeCache(),
      clientRestarts: 0,
      teardown: (entry: Entry, reason: string) => teardown(this.context, entry, reason),
    };
    this.gc = new GcRunner(this.context);
  }

  /** Containers with a network from ipper (one may have several interfaces). */
  get size(): number {
    return new Set(this.context.entries.values().map((entry) => entry.record.id)).size;
  }

  /** Waits for the teardowns under way: a poststop is answered before its link and record are gone (detach.ts). */
  async teardownsSettled(): Promise<void> {
    await Promise.all(this.context.entries.values().map((entry) => entry.teardown));
  }

  get clientRestarts(): number {
    return this.context.clientRestarts;
  }

  /** The ports of the containers that are attached and not being removed (for the bridge watch). */
  ports(): { id: string; hostVeth: string; bridge: string; mac: string; renew: () => boolean }[] {
    return this.context.entries.values()
      .filter((entry) => entry.record.phase === 'active' && !isTearingDown(entry.state))
      .map((entry) => ({ id: entry.key, hostVeth: entry.record.hostVeth, bridge: entry.record.bridge, mac: entry.record.mac, renew: () => renewClient(entry) }));
  }

  /** Creates the container's network and waits for its lease; undoes every step on failure. */
  attach(request: AttachRequest, abort: AbortSignal): Promise<ContainerRecord> {
    return attach(this.context, request, abort);
  }

  /** poststop: release and remove every interface, unless the recorded container still runs (a newer incarnation); see detach.ts. */
  detach(id: string, force = false): Promise<DetachOutcome> {
    return detach(this.context, id, force);
  }

  /** Each container's lease facts, for the metrics' leases-by-state. */
  leaseFacts(): LeaseFacts[] {
    return this.context.entries.values().map(({ record, client }) => ({
      phase: record.phase,
      lease: record.lease ?? dhcpv6LeaseTiming(record.dhcpv6), // [dual stack] a DHCPv6-only container's
      clientAlive: client !== undefined && isAlive(client.identity),
    }));
  }

  /** What garbage collection could not explain and left alone, for the status reply. */
  unexplained(): GcAction[] {
    return this.gc.unexplained();
  }

  /** The bridge filter as the config asks: every adopted port's MAC, or no table at all. */
  syncBridgeFilter(): Promise<void> {
    return this.context.portFilter.sync();
  }

  /** Takes over the records an earlier supervisor left (see adoption.ts). */
  adopt(): Promise<void> {
    return adopt(this.context);
  }

  collectGarbage(dryRun = false): Promise<GcAction[]> {
    return this.gc.collect(dryRun);
  }

  handleEvent(spooled: SpooledEvent): void {
    handleEvent(this.context, spooled);
  }

  /** `ipper supervisor --release-all`: every lease released and every container's network removed, on purpose. */
  releaseAll(): Promise<number> {
    return releaseAll(this.context);
  }
}
