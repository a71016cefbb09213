import { describe, expect, it } from 'vitest';
import {
  acceptsLeaseEvents, allows, hasBound, isTearingDown, LifecycleError, transition,
  type LifecycleEvent, type LifecycleState,
} from '../../../src/supervisor/lifecycle.js';

const STATES: LifecycleState[] = ['attaching', 'adopting', 'waiting-lease', 'bound', 'unbound', 'client-restarting', 'no-client', 'tearing-down', 'releasing', 'gone'];
const EVENTS: LifecycleEvent[] = [
  { type: 'client-started' }, { type: 'client-adopted', holdsLease: true }, { type: 'client-adopted', holdsLease: false },
  { type: 'client-not-needed' }, { type: 'lease-bound' }, { type: 'lease-lost' }, { type: 'client-exited' },
  { type: 'teardown' }, { type: 'release' }, { type: 'removed' },
];

/** Every allowed transition, written out: anything not here must be refused. */
const ALLOWED: [LifecycleState, string, LifecycleState][] = [
  ['attaching', 'client-started', 'waiting-lease'],
  ['attaching', 'client-not-needed', 'no-client'],
  ['attaching', 'teardown', 'tearing-down'],
  ['adopting', 'client-started', 'waiting-lease'],
  ['adopting', 'client-adopted:true', 'bound'],
  ['adopting', 'client-adopted:false', 'waiting-lease'],
  ['adopting', 'client-not-needed', 'no-client'],
  ['adopting', 'client-exited', 'client-restarting'],
  ['adopting', 'teardown', 'tearing-down'],
  ['waiting-lease', 'lease-bound', 'bound'],
  ['waiting-lease', 'client-exited', 'client-restarting'],
  ['waiting-lease', 'teardown', 'tearing-down'],
  ['bound', 'lease-bound', 'bound'],
  ['bound', 'lease-lost', 'unbound'],
  ['bound', 'client-exited', 'client-restarting'],
  ['bound', 'teardown', 'tearing-down'],
  ['unbound', 'lease-bound', 'bound'],
  ['unbound', 'client-exited', 'client-restarting'],
  ['unbound', 'teardown', 'tearing-down'],
  ['client-restarting', 'client-started', 'waiting-lease'],
  ['client-restarting', 'client-exited', 'client-restarting'],
  ['client-restarting', 'lease-bound', 'client-restarting'],
  ['client-restarting', 'teardown', 'tearing-down'],
  ['no-client', 'teardown', 'tearing-down'],
  ['tearing-down', 'lease-bound', 'tearing-down'],
  ['tearing-down', 'release', 'releasing'],
  ['tearing-down', 'removed', 'gone'],
  ['releasing', 'removed', 'gone'],
];

function key(event: LifecycleEvent): string {
  return event.type === 'client-adopted' ? `${event.type}:${String(event.holdsLease)}` : event.type;
}

describe('transition', () => {
  it.each(ALLOWED)('%s --%s--> %s', (from, eventKey, to) => {
    const event = EVENTS.find((candidate) => key(candidate) === eventKey)!;
    expect(transition(from, event)).toBe(to);
    expect(allows(from, event)).toBe(true);
  });

  const refused = STATES.flatMap((from) => EVENTS.filter((event) => !ALLOWED.some(([f, e]) => f === from && e === key(event))).map((event) => [from, key(event), event] as const));

  it.each(refused)('%s refuses %s', (from, eventKey, event) => {
    expect(allows(from, event)).toBe(false);
    expect(() => transition(from, event)).toThrow(LifecycleError);
    expect(() => transition(from, event)).toThrow(`lifecycle: "${event.type}" is not allowed in state "${from}"`);
    expect(eventKey).toBeTruthy();
  });

  it('refuses a second teardown, and anything after gone', () => {
    expect(() => transition('tearing-down', { type: 'teardown' })).toThrow(LifecycleError);
    for (const event of EVENTS) expect(allows('gone', event)).toBe(false);
  });
});

describe('a container walked through its life', () => {
  it('attach, bind, renew, lose, rebind, client restart, teardown, gone', () => {
    const walk: [LifecycleEvent, LifecycleState][] = [
      [{ type: 'client-started' }, 'waiting-lease'],
      [{ type: 'lease-bound' }, 'bound'],
      [{ type: 'lease-bound' }, 'bound'], // a renewal
      [{ type: 'lease-lost' }, 'unbound'],
      [{ type: 'lease-bound' }, 'bound'],
      [{ type: 'client-exited' }, 'client-restarting'],
      [{ type: 'client-started' }, 'waiting-lease'],
      [{ type: 'teardown' }, 'tearing-down'],
      [{ type: 'lease-bound' }, 'tearing-down'], // a request it let finish
      [{ type: 'release' }, 'releasing'],
      [{ type: 'removed' }, 'gone'],
    ];
    let state: LifecycleState = 'attaching';
    for (const [event, expected] of walk) {
      state = transition(state, event);
      expect(state).toBe(expected);
    }
  });
});

describe('what the states allow', () => {
  it.each(STATES)('%s', (state) => {
    expect(hasBound(state)).toBe(state === 'bound' || state === 'unbound');
    expect(isTearingDown(state)).toBe(['tearing-down', 'releasing', 'gone'].includes(state));
    expect(acceptsLeaseEvents(state)).toBe(!['releasing', 'gone'].includes(state));
  });
});
