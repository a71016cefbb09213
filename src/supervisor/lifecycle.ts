// One container's life in the supervisor, as a pure state machine: which states there are, which
// events move it, and what each state allows. The supervisor's modules ask this module instead of
// keeping flags of their own; an event a state does not allow is a bug, refused here.
//
//   attaching ──client-started──► waiting-lease ──lease-bound──► bound ◄──lease-bound── unbound
//   adopting  ──client-adopted──►   (either)                       │ lease-bound (renew)   ▲
//       │  └───client-not-needed──► no-client (IPv4 off)            └──lease-lost───────────┘
//       │
//   waiting-lease / bound / unbound ──client-exited──► client-restarting ──client-started──► waiting-lease
//   any state above ──teardown──► tearing-down ──release──► releasing ──removed──► gone
//
// A renewal is bound → bound: the client renews by itself and tells us only once it has.

export type LifecycleState =
  /** The veth and record are being made; no client runs yet. */
  | 'attaching'
  /** A record left by an earlier supervisor is being taken over. */
  | 'adopting'
  /** A client runs and has not bound a lease (this incarnation of it). */
  | 'waiting-lease'
  /** The client holds a lease, applied in the container. */
  | 'bound'
  /** The client held a lease and lost it (deconfig); it keeps asking. */
  | 'unbound'
  /** The client exited while its container runs: a new one is started after a back-off. */
  | 'client-restarting'
  /** IPv4 off: no DHCP client runs (IPv6 only). */
  | 'no-client'
  /** Teardown began: a request already sent may still complete (its lease is then released). */
  | 'tearing-down'
  /** The client is being stopped (it releases): its events are ignored from here on. */
  | 'releasing'
  /** Removed from the supervisor. */
  | 'gone';

export type LifecycleEvent =
  | { type: 'client-started' }
  /** An earlier supervisor's client, alive; holdsLease: the record says it bound. */
  | { type: 'client-adopted'; holdsLease: boolean }
  | { type: 'client-not-needed' }
  | { type: 'lease-bound' }
  | { type: 'lease-lost' }
  /** The client exited, or a new one could not be started. */
  | { type: 'client-exited' }
  | { type: 'teardown' }
  | { type: 'release' }
  | { type: 'removed' };

export type LifecycleEventType = LifecycleEvent['type'];

/** What the current client incarnation did: the states in which it holds or held a lease. */
const BOUND_ONCE: ReadonlySet<LifecycleState> = new Set(['bound', 'unbound']);
const CLIENT_RUNS: ReadonlySet<LifecycleState> = new Set(['waiting-lease', 'bound', 'unbound']);
const TEARING_DOWN: ReadonlySet<LifecycleState> = new Set(['tearing-down', 'releasing', 'gone']);

export class LifecycleError extends Error {
  constructor(readonly from: LifecycleState, readonly event: LifecycleEventType) {
    super(`lifecycle: "${event}" is not allowed in state "${from}"`);
    this.name = 'LifecycleError';
  }
}

/** The next state, or a LifecycleError for an event the state does not allow. */
export function transition(from: LifecycleState, event: LifecycleEvent): LifecycleState {
  const to = next(from, event);
  if (to === undefined) throw new LifecycleError(from, event.type);
  return to;
}

/** Whether the event is allowed in the state (transition would not throw). */
export function allows(from: LifecycleState, event: LifecycleEvent): boolean {
  return next(from, event) !== undefined;
}

function next(from: LifecycleState, event: LifecycleEvent): LifecycleState | undefined {
  switch (event.type) {
    case 'client-started':
      return from === 'attaching' || from === 'adopting' || from === 'client-restarting' ? 'waiting-lease' : undefined;
    case 'client-adopted':
      if (from !== 'adopting') return undefined;
      return event.holdsLease ? 'bound' : 'waiting-lease';
    case 'client-not-needed':
      return from === 'attaching' || from === 'adopting' ? 'no-client' : undefined;
    case 'lease-bound':
      if (CLIENT_RUNS.has(from)) return 'bound';
      // A late event of a client that has just exited, or of a request a teardown lets finish.
      if (from === 'client-restarting' || from === 'tearing-down') return from;
      return undefined;
    case 'lease-lost':
      return from === 'bound' ? 'unbound' : undefined;
    case 'client-exited':
      // adopting: the new client could not be started; client-restarting: nor could its restart.
      return CLIENT_RUNS.has(from) || from === 'adopting' || from === 'client-restarting' ? 'client-restarting' : undefined;
    case 'teardown':
      return TEARING_DOWN.has(from) ? undefined : 'tearing-down';
    case 'release':
      return from === 'tearing-down' ? 'releasing' : undefined;
    case 'removed':
      return from === 'releasing' || from === 'tearing-down' ? 'gone' : undefined;
  }
}

/** The current client has bound a lease (it may have lost it since): its release must be confirmed. */
export function hasBound(state: LifecycleState): boolean {
  return BOUND_ONCE.has(state);
}

/** Teardown has begun (or is over): nothing new is started, nothing is written back. */
export function isTearingDown(state: LifecycleState): boolean {
  return TEARING_DOWN.has(state);
}

/** Lease events of the client are applied (not once it is being stopped). */
export function acceptsLeaseEvents(state: LifecycleState): boolean {
  return state !== 'releasing' && state !== 'gone';
}

/** How a wait for the lease ended: torn down is never taken for bound. */
export type LeaseWaitOutcome = 'bound' | 'timeout' | 'aborted' | 'torn-down';
