// Keeps containers on their bridge when the operator's network tooling deletes and re-creates it
// (ifdown/ifup, netplan apply, a NetworkManager reconnect), takes it down and up, or moves its
// uplink: ports go back on the bridge, the bridge filter is made again, clients renew at once.
// Records and leases are never touched: a missing bridge is reported, and waited for.
import type { Logger } from '../log/logger.js';
import { LinkMonitor, type LinkEvent } from '../net/link-monitor.js';
import { attachPorts, listLinkStates } from '../net/links.js';
import { emptyView, noteLinkEvent, planPass, spreadRenewals, type BridgeState, type WatchedPort } from './bridge-plan.js';

export interface SupervisedPort extends WatchedPort {
  /**
   * Asks the container's DHCP client to renew now, the way its driver can (a signal, or a
   * restart); false: no client runs (one being restarted starts with a discover anyway).
   */
  renew: () => boolean;
}

export interface BridgeWatchOptions {
  log: Logger;
  /** The ports of the containers the supervisor holds now. */
  ports: () => SupervisedPort[];
  /** Re-applies the bridge filter for every known port. */
  syncBridgeFilter: () => Promise<void>;
}

/** A bridge re-created with its uplinks is a burst of events: one look at the links after it settles. */
const SETTLE_MS = 250;
/**
 * A second renew signal while udhcpc still waits for the answer to the first drops its address
 * ("impatient are we? fine, square 1"), and a client renewed by a restart is a new process: a
 * container's client is asked again only after this long.
 */
const RENEW_HOLDOFF_MS = 10_000;

export class BridgeWatch {
  private view = emptyView();
  private states = new Map<string, BridgeState>();
  private readonly monitor: LinkMonitor;
  private settleTimer: NodeJS.Timeout | undefined;
  private holdoffTimer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private stopped = false;
  /** When each container's client was last asked to renew. */
  private readonly renewedAt = new Map<string, number>();

  constructor(private readonly options: BridgeWatchOptions) {
    this.monitor = new LinkMonitor({
      log: options.log,
      onEvent: (event) => this.onEvent(event),
      onRestart: () => void this.reconcile(),
    });
  }

  /** Starts watching, then puts back any port that lost its bridge while nobody watched. */
  async start(): Promise<void> {
    this.monitor.start();
    await this.reconcile();
  }

  stop(): void {
    this.stopped = true;
    this.monitor.stop();
    clearTimeout(this.settleTimer);
    clearTimeout(this.holdoffTimer);
  }

  /** Bridges that ipper's containers use and that do not exist now (for `status`). */
  missingBridges(): string[] {
    return [...this.states].filter(([, state]) => state === 'missing').map(([bridge]) => bridge).sort();
  }

  /** One look at the links; passes never overlap, and a request during one runs one more after it. */
  reconcile(): Promise<void> {
    if (this.running !== undefined) {
      this.again = true;
      return this.running;
    }
    this.running = this.pass()
      .catch((error: unknown) => this.options.log.error({ err: error }, 'bridge check failed'))
      .finally(() => {
        this.running = undefined;
        if (this.again) {
          this.again = false;
          this.schedule();
        }
      });
    return this.running;
  }

  private onEvent(event: LinkEvent): void {
    if (noteLinkEvent(this.view, event, this.options.ports())) this.schedule();
  }

  private schedule(): void {
    if (this.stopped || this.settleTimer !== undefined) return;
    this.settleTimer = setTimeout(() => {
      this.settleTimer = undefined;
      void this.reconcile();
    }, SETTLE_MS);
  }

  private async pass(): Promise<void> {
    const ports = this.options.ports();
    const owed = this.view.pendingRenew;
    this.view.pendingRenew = new Set();
    let plan;
    try {
      plan = planPass(await listLinkStates(), ports, owed);
    } catch (error) {
      for (const bridge of owed) this.view.pendingRenew.add(bridge);
      throw error;
    }
    // Renewals owed by events that arrived during the listing are kept for the next pass.
    this.view = { ...plan.view, pendingRenew: new Set([...plan.view.pendingRenew, ...this.view.pendingRenew]) };
    this.report(plan.view.bridges, ports);
    if (plan.reattach.length > 0) {
      await attachPorts(plan.reattach).catch((error: unknown) => this.options.log.warn({ err: error }, 'some ports not put back (removed meanwhile?)'));
      this.options.log.info({ ports: plan.reattach.map((port) => ({ id: port.id, hostVeth: port.hostVeth, bridge: port.bridge })) }, 'ports put back on their bridge');
      await this.options.syncBridgeFilter();
    }
    this.renew(plan.renew);
  }

  /** Logs each bridge's change of state once, not on every pass. */
  private report(states: Map<string, BridgeState>, ports: readonly WatchedPort[]): void {
    for (const [bridge, state] of states) {
      const before = this.states.get(bridge);
      if (state === before) continue;
      const containers = ports.filter((port) => port.bridge === bridge).length;
      if (state === 'missing') this.options.log.error({ bridge, containers }, 'bridge is gone; its containers are cut off until it returns (records and leases kept)');
      else if (state === 'down') this.options.log.warn({ bridge, containers }, 'bridge is down; its containers are cut off until it is up');
      else if (before !== undefined) this.options.log.info({ bridge, containers }, 'bridge is back');
    }
    this.states = new Map(states); // a copy: events update the view's map, the report follows passes only
  }

  private renew(ports: readonly SupervisedPort[]): void {
    const now = Date.now();
    for (const [id, at] of this.renewedAt) if (now - at >= RENEW_HOLDOFF_MS) this.renewedAt.delete(id);
    const due: SupervisedPort[] = [];
    let wait: number | undefined;
    for (const port of ports) {
      const at = this.renewedAt.get(port.id);
      if (at !== undefined) {
        this.view.pendingRenew.add(port.bridge);
        wait = Math.min(wait ?? Infinity, at + RENEW_HOLDOFF_MS - now);
        continue;
      }
      this.renewedAt.set(port.id, now);
      due.push(port);
    }
    // Spread over a few seconds at most (bridge-plan.ts): the server must not get them all at once.
    const delays = spreadRenewals(due.length);
    due.forEach((port, index) => {
      const ask = (): void => {
        if (this.stopped || port.renew()) return;
        this.renewedAt.delete(port.id); // no client runs: one started later begins with a discover anyway
      };
      const delay = delays[index] ?? 0;
      if (delay < 1) ask();
      else setTimeout(ask, delay).unref();
    });
    if (due.length > 0) this.options.log.info({ containers: due.map((port) => port.id), overMs: Math.ceil(delays.at(-1) ?? 0) }, 'DHCP clients asked to renew');
    if (wait !== undefined && this.holdoffTimer === undefined && !this.stopped) {
      this.holdoffTimer = setTimeout(() => {
        this.holdoffTimer = undefined;
        void this.reconcile();
      }, wait);
    }
  }
}
