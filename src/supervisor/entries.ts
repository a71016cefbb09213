// The supervisor's registry of containers: one entry per container id, with its lifecycle state
// (lifecycle.ts) and what belongs to its DHCP client. Single-threaded and single-instance, so this
// map is the host's lock for MACs and ids.
import type { DhcpDriver } from '../dhcp/driver.js';
import { driverOfRecord } from '../dhcp/drivers.js';
import type { ContainerRecord } from '../store/records.js';
import type { ClientHandle } from './clients.js';
import { transition, type LeaseWaitOutcome, type LifecycleEvent, type LifecycleState } from './lifecycle.js';

export const RESTART_MIN_MS = 1000;

/** What a teardown achieved: poststop reports it as it is. */
export interface TeardownOutcome {
  /** The lease was released (the client said so), or there was none to release. */
  released: boolean;
  /** The client, veth, filter element and record are all gone. */
  removed: boolean;
}

export interface Entry {
  record: ContainerRecord;
  /** Where this container is in its life; changed only through `advance`. */
  state: LifecycleState;
  /** The record's client (dhcpClient): the one this container's lease is kept by. */
  driver: DhcpDriver;
  client: ClientHandle | undefined;
  /** The teardown, once begun: every later caller waits for the same one. */
  teardown: Promise<TeardownOutcome> | undefined;
  restartDelayMs: number;
  /** The pending restart (state client-restarting). */
  restartTimer: NodeJS.Timeout | undefined;
  /** Told how the lease wait ended: bound, or torn down. */
  leaseWaiters: Set<(outcome: LeaseWaitOutcome) => void>;
  /** Serializes this container's lease events. */
  events: Promise<void>;
  clientLogOffset: number;
  /** Why the server's last lease was refused (say, a mask of 0): the lease timeout's reason. */
  refusedLease: string | undefined;
  /** Why the last lease could not be applied inside the namespace: the lease timeout's reason. */
  applyFailure: string | undefined;
}

/** Moves the entry to its next state; an event its state does not allow throws (a bug). */
export function advance(entry: Entry, event: LifecycleEvent): void {
  entry.state = transition(entry.state, event);
}

/** Wakes every lease waiter with the outcome. */
export function wakeLeaseWaiters(entry: Entry, outcome: LeaseWaitOutcome): void {
  for (const waiter of [...entry.leaseWaiters]) waiter(outcome);
}

export class Entries {
  private readonly byId = new Map<string, Entry>();
  /** Ids whose attach has begun but holds no entry yet: a second attach for one is refused. */
  private readonly reserved = new Set<string>();

  get size(): number {
    return this.byId.size;
  }

  get(id: string): Entry | undefined {
    return this.byId.get(id);
  }

  has(id: string): boolean {
    return this.byId.has(id);
  }

  values(): Entry[] {
    return [...this.byId.values()];
  }

  /** Whether this is the entry the registry holds for its id (not a replaced or removed one). */
  holds(entry: Entry): boolean {
    return this.byId.get(entry.record.id) === entry;
  }

  /** A new entry for the record, registered under its id. */
  add(record: ContainerRecord, state: 'attaching' | 'adopting'): Entry {
    const entry: Entry = {
      record,
      state,
      driver: driverOfRecord(record),
      client: undefined,
      teardown: undefined,
      restartDelayMs: RESTART_MIN_MS,
      restartTimer: undefined,
      leaseWaiters: new Set(),
      events: Promise.resolve(),
      clientLogOffset: 0,
      refusedLease: undefined,
      applyFailure: undefined,
    };
    this.byId.set(record.id, entry);
    return entry;
  }

  remove(entry: Entry): void {
    if (this.holds(entry)) this.byId.delete(entry.record.id);
  }

  isReserved(id: string): boolean {
    return this.reserved.has(id);
  }

  reservedIds(): string[] {
    return [...this.reserved];
  }

  /** Runs an attach with its id reserved: two attaches for one id must never interleave. */
  async withReserved<T>(id: string, onBusy: () => Error, work: () => Promise<T>): Promise<T> {
    if (this.reserved.has(id)) throw onBusy();
    this.reserved.add(id);
    try {
      return await work();
    } finally {
      this.reserved.delete(id);
    }
  }
}
