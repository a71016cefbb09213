// The supervisor's registry of containers: one entry per container id, with its lifecycle state
// (lifecycle.ts) and what belongs to its DHCP client. Single-threaded and single-instance, so this
// map is the host's lock for MACs and ids.
import type { DhcpDriver } from '../dhcp/driver.js';
import { driverOfRecord } from '../dhcp/drivers.js';
import { compareInterfaces, recordKey, type ContainerRecord } from '../store/records.js';
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

/** What poststop answers: the release is settled; removed is absent while the rest is still being removed. */
export interface DetachOutcome {
  released: boolean;
  removed?: boolean;
}

/** One interface of a container (most containers have one). */
export interface Entry {
  /** recordKey: the container id, or "<id>@<interface>" for an extra interface. */
  readonly key: string;
  record: ContainerRecord;
  /** Where this container is in its life; changed only through `advance`. */
  state: LifecycleState;
  /** The record's client (dhcpClient): the one this container's lease is kept by. */
  driver: DhcpDriver;
  client: ClientHandle | undefined;
  /** The teardown, once begun: every later caller waits for the same one. */
  teardown: Promise<TeardownOutcome> | undefined;
  /**
   * Settles once the teardown's client has stopped, its release sent (true) or not, before the
   * link and filter element go; or when the teardown ends without getting that far. poststop answers on it.
   */
  releaseSettled: Promise<boolean> | undefined;
  restartDelayMs: number;
  /** The pending restart (state client-restarting). */
  restartTimer: NodeJS.Timeout | undefined;
  /** The client stopped on purpose to renew (RenewMethod restart): its exit is no failure. */
  renewByRestart: ClientHandle | undefined;
  /** Told how the lease wait ended: bound, or torn down. */
  leaseWaiters: Set<(outcome: LeaseWaitOutcome) => void>;
  /** Serializes this container's lease events. */
  events: Promise<void>;
  clientLogOffset: number;
  /** Why the server's last lease was refused (say, a mask of 0): the lease timeout's reason. */
  refusedLease: string | undefined;
  /** Why the last lease could not be applied inside the namespace: the lease timeout's reason. */
  applyFailure: string | undefined;
  /**
   * A client being started: its token, and when it is known to run. A fast client can bind before
   * that (10 creates at once on 2 cores): its events wait for it instead of being dropped.
   */
  starting: { token: string; started: Promise<void> } | undefined;
}

/** Moves the entry to its next state; an event its state does not allow throws (a bug). */
export function advance(entry: Entry, event: LifecycleEvent): void {
  entry.state = transition(entry.state, event);
}

/** Wakes every lease waiter with the outcome. */
export function wakeLeaseWaiters(entry: Entry, outcome: LeaseWaitOutcome): void {
  for (const waiter of [...entry.leaseWaiters]) waiter(outcome);
}

/** Every entry by its key (recordKey). */
export class Entries {
  private readonly byId = new Map<string, Entry>();
  /** Keys whose attach has begun but holds no entry yet: a second attach for one is refused. */
  private readonly reserved = new Set<string>();

  get size(): number {
    return this.byId.size;
  }

  get(key: string): Entry | undefined {
    return this.byId.get(key);
  }

  has(key: string): boolean {
    return this.byId.has(key);
  }

  values(): Entry[] {
    return [...this.byId.values()];
  }

  /** Every interface of one container: its first, then the extra ones by name. */
  ofContainer(id: string): Entry[] {
    return this.values()
      .filter((entry) => entry.record.id === id)
      .sort((a, b) => compareInterfaces(a.record, b.record));
  }

  /** Whether this is the entry the registry holds for its key (not a replaced or removed one). */
  holds(entry: Entry): boolean {
    return this.byId.get(entry.key) === entry;
  }

  /** A new entry for the record, registered under its id. */
  add(record: ContainerRecord, state: 'attaching' | 'adopting'): Entry {
    const entry: Entry = {
      key: recordKey(record),
      record,
      state,
      driver: driverOfRecord(record),
      client: undefined,
      teardown: undefined,
      releaseSettled: undefined,
      restartDelayMs: RESTART_MIN_MS,
      restartTimer: undefined,
      renewByRestart: undefined,
      leaseWaiters: new Set(),
      events: Promise.resolve(),
      clientLogOffset: 0,
      refusedLease: undefined,
      applyFailure: undefined,
      starting: undefined,
    };
    this.byId.set(entry.key, entry);
    return entry;
  }

  remove(entry: Entry): void {
    if (this.holds(entry)) this.byId.delete(entry.key);
  }

  isReserved(key: string): boolean {
    return this.reserved.has(key);
  }

  reservedIds(): string[] {
    return [...this.reserved];
  }

  /** Runs an attach with its key reserved: two attaches for one key must never interleave. */
  async withReserved<T>(key: string, onBusy: () => Error, work: () => Promise<T>): Promise<T> {
    if (this.reserved.has(key)) throw onBusy();
    this.reserved.add(key);
    try {
      return await work();
    } finally {
      this.reserved.delete(key);
    }
  }
}
