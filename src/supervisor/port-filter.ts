// The bridge filter as the supervisor keeps it (the rules themselves: net/filter.ts): this
// instance's table is made once, each port's elements added with the port and removed with it, its
// address bound when its lease is, and the whole table made again with every known port if someone
// flushed it meanwhile. One nft process per change; one port's changes run one at a time, so that
// its elements are never added back after they were removed, and no port waits for another's.
import type { Logger } from '../log/logger.js';
import { addPortScript, applyNft, bindAddressScript, bridgeFilterTable, forgetPort, isMissingNftObject, LEGACY_TABLE, rebuildScript, removeBridgeFilter, type FilteredPort } from '../net/filter.js';
import { instanceId } from '../net/names.js';

export interface KnownPort {
  hostVeth: string;
  mac: string;
  lease: { ip: string } | null;
}

export class PortFilter {
  readonly table: string;
  private made = false;
  /** Each port's changes in flight, in order. */
  private readonly queues = new Map<string, Promise<unknown>>();
  /** Each port's address as the table holds it, to replace at renewal and remove at teardown. */
  private readonly boundIps = new Map<string, string>();
  /** Ports removed: an address bound late (a lease event finishing after the teardown) is not added back. */
  private readonly gone = new Set<string>();

  constructor(
    private readonly enabled: boolean,
    stateDir: string,
    private readonly log: Logger,
    /** The ports the supervisor knows now, to fill a table made again. */
    private readonly knownPorts: () => Iterable<KnownPort>,
  ) {
    this.table = bridgeFilterTable(instanceId(stateDir));
  }

  /** Puts this instance's table in the state the config asks for: every known port, or no table at all. */
  async sync(): Promise<void> {
    // ipper's former host-wide table would drop every port it does not know, this instance's included.
    await removeBridgeFilter(LEGACY_TABLE).catch((error: unknown) => this.log.error({ err: error }, 'former host-wide bridge filter not removed'));
    if (!this.enabled) {
      await removeBridgeFilter(this.table).catch((error: unknown) => this.log.error({ err: error, table: this.table }, 'bridge filter not removed'));
      return;
    }
    await this.rebuild().catch((error: unknown) => this.log.error({ err: error, table: this.table }, 'bridge filter not set up; creates will fail until it is'));
  }

  /** Lets the port's own traffic through, making the table first (or again, if it was flushed). */
  allow(port: FilteredPort): Promise<void> {
    if (!this.enabled) return Promise.resolve();
    this.gone.delete(port.hostVeth);
    this.boundIps.delete(port.hostVeth);
    return this.serial(port.hostVeth, async () => {
      if (!this.made) return this.rebuild(); // the known ports include this one
      await this.orRebuild(addPortScript(this.table, { hostVeth: port.hostVeth, mac: port.mac }));
    });
  }

  /** From now on the port's ARP may claim only this address (or 0.0.0.0, for probes). Never throws: the lease stands either way. */
  bindAddress(port: FilteredPort, ip: string): Promise<void> {
    if (!this.enabled) return Promise.resolve();
    return this.serial(port.hostVeth, async () => {
      const previous = this.boundIps.get(port.hostVeth);
      if (this.gone.has(port.hostVeth) || previous === ip) return;
      await this.orRebuild(bindAddressScript(this.table, port.hostVeth, ip, previous));
      this.boundIps.set(port.hostVeth, ip);
    }).catch((error: unknown) => this.log.error({ err: error, hostVeth: port.hostVeth, ip }, 'bridge filter address not bound'));
  }

  /** Removes the port's elements; a failure is logged, as the port itself is going anyway. */
  forget(port: KnownPort, id: string): Promise<void> {
    if (!this.enabled) return Promise.resolve();
    this.gone.add(port.hostVeth);
    return this.serial(port.hostVeth, async () => {
      const ip = this.boundIps.get(port.hostVeth) ?? port.lease?.ip;
      this.boundIps.delete(port.hostVeth);
      await forgetPort(this.table, { hostVeth: port.hostVeth, mac: port.mac, ip });
    }).catch((error: unknown) => this.log.warn({ id, err: error }, 'bridge filter element not removed'));
  }

  /** Runs a change; if the table is gone (flushed by someone), makes it again with every known port instead. */
  private async orRebuild(script: string): Promise<void> {
    try {
      await applyNft(script);
    } catch (error) {
      if (!isMissingNftObject(error)) throw error;
      this.log.warn({ table: this.table }, 'bridge filter table missing; made again');
      await this.rebuild();
    }
  }

  private async rebuild(): Promise<void> {
    const ports = [...this.knownPorts()].filter((port) => !this.gone.has(port.hostVeth));
    await applyNft(rebuildScript(this.table, ports.map((port) => ({ hostVeth: port.hostVeth, mac: port.mac, ip: port.lease?.ip }))));
    this.boundIps.clear();
    for (const port of ports) if (port.lease !== null) this.boundIps.set(port.hostVeth, port.lease.ip);
    this.made = true;
  }

  private serial<T>(hostVeth: string, change: () => Promise<T>): Promise<T> {
    const next = (this.queues.get(hostVeth) ?? Promise.resolve()).then(change);
    const settled = next.catch(() => undefined);
    this.queues.set(hostVeth, settled);
    void settled.then(() => {
      if (this.queues.get(hostVeth) === settled) this.queues.delete(hostVeth);
    });
    return next;
  }
}
