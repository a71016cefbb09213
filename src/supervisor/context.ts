// What the supervisor's parts share: its paths, log and helpers, the registry of containers, and
// the few calls one part makes into another (wired once, in supervisor.ts).
import { getBridgeInfo, type BridgeInfo } from '../net/links.js';
import type { Logger } from '../log/logger.js';
import { writeRecord } from '../store/records.js';
import type { HelperFile } from '../sys/helper.js';
import type { ReleaseTarget } from './clients.js';
import type { DualStack } from './dual-stack.js';
import type { Entries, Entry, TeardownOutcome } from './entries.js';
import { isTearingDown } from './lifecycle.js';
import type { Observer } from './metrics.js';
import type { SupervisorPaths } from './paths.js';
import type { PortFilter } from './port-filter.js';
import { clientOptionsOf } from './client-options.js';

const BRIDGE_CACHE_MS = 2000;

export interface SupervisorContext {
  readonly paths: SupervisorPaths;
  /** ipper-helper: every client's event script, checked before every client start. */
  readonly helper: HelperFile;
  readonly log: Logger;
  readonly observer: Observer;
  /** IPv4 whose last three octets go into generated MACs; default: the bridge's address. */
  readonly hostAddress: string | undefined;
  /** This supervisor instance (by its state directory): the mark on its veths. */
  readonly instance: string;
  readonly entries: Entries;
  readonly portFilter: PortFilter;
  /** [dual stack] SLAAC waits, IPv6 in the record, resolv.conf (see dual-stack.ts). */
  readonly dualStack: DualStack;
  readonly bridges: BridgeCache;
  /** DHCP clients restarted after they exited, since this supervisor started (status). */
  clientRestarts: number;
  /** Stops the client (it releases), then removes the rest; one teardown per entry (detach.ts). */
  teardown(entry: Entry, reason: string): Promise<TeardownOutcome>;
}

/**
 * Writes the entry's record, unless its teardown has begun: an event or restart finishing after
 * the teardown removed the record must not bring the file back.
 */
export function persist(context: SupervisorContext, entry: Entry): void {
  if (isTearingDown(entry.state) || !context.entries.holds(entry)) return;
  writeRecord(context.paths.stateDir, entry.record);
}

/** Who the entry's client is for (by the entry's key): enough to start it, and to release with the same files. */
export function clientTarget(context: SupervisorContext, entry: Entry): ReleaseTarget & { netnsInode: number } {
  const { record } = entry;
  return { containerId: entry.key, netnsInode: record.netnsInode, interface: record.interface, hostname: record.hostname, helper: context.helper.ensure(), ...clientOptionsOf(record) };
}

/** Bridge facts change rarely; a burst of creates asks `ip` once. */
export class BridgeCache {
  private readonly bridges = new Map<string, { info: BridgeInfo; at: number }>();

  async info(name: string): Promise<BridgeInfo> {
    const cached = this.bridges.get(name);
    if (cached !== undefined && Date.now() - cached.at < BRIDGE_CACHE_MS) return cached.info;
    const info = await getBridgeInfo(name);
    this.bridges.set(name, { info, at: Date.now() });
    return info;
  }
}
