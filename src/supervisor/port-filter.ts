// The bridge filter as the supervisor keeps it (the rules themselves: net/filter.ts): the table is
// made once, each port's MAC added with the port and removed with it, and the whole table made
// again with every known port if someone flushed it meanwhile.
import type { Logger } from '../log/logger.js';
import { allowPort, ensureBridgeFilter, forgetPort, isMissingNftObject, removeBridgeFilter } from '../net/filter.js';

export interface FilteredPort {
  hostVeth: string;
  mac: string;
}

export class PortFilter {
  private ready: Promise<void> | undefined;

  constructor(
    private readonly enabled: boolean,
    private readonly log: Logger,
    /** The ports the supervisor knows now, to fill a table made again. */
    private readonly knownPorts: () => Iterable<FilteredPort>,
  ) {}

  /** Puts the table in the state the config asks for: every known port's MAC, or no table at all. */
  async sync(): Promise<void> {
    if (!this.enabled) {
      await removeBridgeFilter().catch((error: unknown) => this.log.error({ err: error }, 'bridge filter not removed'));
      return;
    }
    try {
      await ensureBridgeFilter();
      for (const port of this.knownPorts()) await allowPort(port.hostVeth, port.mac);
    } catch (error) {
      this.log.error({ err: error }, 'bridge filter not set up; creates will fail until it is');
    }
  }

  /** Lets the port's own MAC through, making the table first (or again, if it was flushed). */
  async allow(port: FilteredPort): Promise<void> {
    if (!this.enabled) return;
    try {
      await this.ensureOnce();
      await allowPort(port.hostVeth, port.mac);
      return;
    } catch (error) {
      if (!isMissingNftObject(error)) throw error;
    }
    this.log.warn({}, 'bridge filter table missing; made again');
    this.ready = undefined;
    await this.ensureOnce();
    for (const known of this.knownPorts()) await allowPort(known.hostVeth, known.mac);
  }

  /** Removes the port's element; a failure is logged, as the port itself is going anyway. */
  async forget(port: FilteredPort, id: string): Promise<void> {
    if (!this.enabled) return;
    await forgetPort(port.hostVeth, port.mac).catch((error: unknown) => this.log.warn({ id, err: error }, 'bridge filter element not removed'));
  }

  private ensureOnce(): Promise<void> {
    this.ready ??= ensureBridgeFilter().catch((error: unknown) => {
      this.ready = undefined;
      throw error;
    });
    return this.ready;
  }
}
