import { describe, expect, it } from 'vitest';
import type { LinkEvent } from '../../../src/net/link-monitor.js';
import type { LinkState } from '../../../src/net/links.js';
import { emptyView, noteLinkEvent, planPass, RENEW_SPACING_MS, RENEW_SPREAD_MAX_MS, spreadRenewals, type WatchView } from '../../../src/supervisor/bridge-plan.js';

const A = { id: 'a', hostVeth: 'ipraaaaaaaaaaaa', bridge: 'br0' };
const B = { id: 'b', hostVeth: 'iprbbbbbbbbbbbb', bridge: 'br0' };
const C = { id: 'c', hostVeth: 'iprcccccccccccc', bridge: 'br1' };
const PORTS = [A, B, C];

function link(name: string, fields: Partial<LinkState> = {}): LinkState {
  return { name, master: undefined, up: true, isBridge: false, ...fields };
}
const BR0 = link('br0', { isBridge: true });
const BR1 = link('br1', { isBridge: true });

function view(fields: Partial<WatchView> = {}): WatchView {
  return { ...emptyView(), ...fields };
}

function event(name: string, fields: Partial<LinkEvent> = {}): LinkEvent {
  return { name, deleted: false, up: true, ...fields };
}

describe('noteLinkEvent', () => {
  const settled = (): WatchView => view({ bridges: new Map([['br0', 'up'], ['br1', 'up']]), uplinks: new Map([['eth1', 'br0']]) });

  it('a bridge deleted: a look, and its clients owe a renewal', () => {
    const seen = settled();
    expect(noteLinkEvent(seen, event('br0', { deleted: true, up: false }), PORTS)).toBe(true);
    expect(seen.bridges.get('br0')).toBe('missing');
    expect([...seen.pendingRenew]).toEqual(['br0']);
  });

  it('a bridge down, then up: a look each time, the renewal still owed', () => {
    const seen = settled();
    expect(noteLinkEvent(seen, event('br0', { up: false }), PORTS)).toBe(true);
    expect(noteLinkEvent(seen, event('br0', { up: true }), PORTS)).toBe(true);
    expect([...seen.pendingRenew]).toEqual(['br0']);
  });

  it('a bridge reporting the same state again (its address follows a new port): nothing', () => {
    const seen = settled();
    expect(noteLinkEvent(seen, event('br0'), PORTS)).toBe(false);
    expect(seen.pendingRenew.size).toBe(0);
  });

  it("one of ipper's ports off its bridge: a look", () => {
    expect(noteLinkEvent(settled(), event(A.hostVeth), PORTS)).toBe(true);
    expect(noteLinkEvent(settled(), event(A.hostVeth, { master: 'br9' }), PORTS)).toBe(true);
  });

  it("one of ipper's ports on its bridge, going down or deleted (its container is going): nothing", () => {
    expect(noteLinkEvent(settled(), event(A.hostVeth, { master: 'br0' }), PORTS)).toBe(false);
    expect(noteLinkEvent(settled(), event(A.hostVeth, { master: 'br0', up: false }), PORTS)).toBe(false);
    expect(noteLinkEvent(settled(), event(A.hostVeth, { deleted: true, up: false }), PORTS)).toBe(false);
  });

  it('a port of a container still being made: nothing', () => {
    expect(noteLinkEvent(settled(), event('ipr999999999999'), PORTS)).toBe(false);
  });

  it('the uplink leaves: nothing yet; it rejoins: a look and a renewal owed', () => {
    const seen = settled();
    expect(noteLinkEvent(seen, event('eth1'), PORTS)).toBe(false);
    expect(seen.uplinks.has('eth1')).toBe(false);
    expect(noteLinkEvent(seen, event('eth1', { master: 'br0' }), PORTS)).toBe(true);
    expect([...seen.pendingRenew]).toEqual(['br0']);
  });

  it('a link joining a bridge no container uses: nothing', () => {
    expect(noteLinkEvent(settled(), event('eth2', { master: 'br7' }), PORTS)).toBe(false);
  });
});

describe('planPass', () => {
  it('all in place: nothing to do', () => {
    const links = [BR0, BR1, link('eth1', { master: 'br0' }), link(A.hostVeth, { master: 'br0' }), link(B.hostVeth, { master: 'br0' }), link(C.hostVeth, { master: 'br1' })];
    const plan = planPass(links, PORTS, new Set());
    expect(plan).toStrictEqual({
      view: { bridges: new Map([['br0', 'up'], ['br1', 'up']]), uplinks: new Map([['eth1', 'br0']]), pendingRenew: new Set() },
      reattach: [],
      renew: [],
    });
  });

  it('the bridge is back without its ports: they go back on it and renew; the other bridge is left alone', () => {
    const links = [BR0, BR1, link(A.hostVeth), link(B.hostVeth), link(C.hostVeth, { master: 'br1' })];
    const plan = planPass(links, PORTS, new Set());
    expect(plan.reattach).toEqual([A, B]);
    expect(plan.renew).toEqual([A, B]);
  });

  it('a port that is down on its bridge is brought up', () => {
    const plan = planPass([BR0, link(A.hostVeth, { master: 'br0', up: false })], [A], new Set());
    expect(plan.reattach).toEqual([A]);
  });

  it('the bridge is missing: it is reported, nothing is touched, the renewal stays owed', () => {
    const plan = planPass([link(A.hostVeth), link(B.hostVeth)], [A, B], new Set(['br0']));
    expect(plan.view.bridges.get('br0')).toBe('missing');
    expect(plan.reattach).toEqual([]);
    expect(plan.renew).toEqual([]);
    expect([...plan.view.pendingRenew]).toEqual(['br0']);
  });

  it('a link of the same name that is not a bridge counts as missing', () => {
    const plan = planPass([link('br0'), link(A.hostVeth)], [A], new Set());
    expect(plan.view.bridges.get('br0')).toBe('missing');
    expect(plan.reattach).toEqual([]);
  });

  it('the bridge is down: ports go back on it, but renew only once it is up', () => {
    const plan = planPass([link('br0', { isBridge: true, up: false }), link(A.hostVeth)], [A], new Set());
    expect(plan.reattach).toEqual([A]);
    expect(plan.renew).toEqual([]);
    expect([...plan.view.pendingRenew]).toEqual(['br0']);
  });

  it('a renewal owed to an up bridge: every client of that bridge renews, and nothing stays owed', () => {
    const links = [BR0, BR1, link(A.hostVeth, { master: 'br0' }), link(B.hostVeth, { master: 'br0' }), link(C.hostVeth, { master: 'br1' })];
    const plan = planPass(links, PORTS, new Set(['br0']));
    expect(plan.renew).toEqual([A, B]);
    expect(plan.view.pendingRenew.size).toBe(0);
  });

  it('a port whose link is gone (its container is being removed) is left to the teardown', () => {
    const plan = planPass([BR0], [A], new Set());
    expect(plan.reattach).toEqual([]);
  });
});

describe('spreadRenewals', () => {
  /** A seeded sequence in [0, 1): the property checks see many draws, reproducibly. */
  function seeded(seed: number): () => number {
    let state = seed;
    return () => {
      state = (state * 1103515245 + 12345) % 2 ** 31;
      return state / 2 ** 31;
    };
  }

  it('sends a single renewal at once, and none for none', () => {
    expect(spreadRenewals(0)).toEqual([]);
    expect(spreadRenewals(1, () => 0.9)).toEqual([0]);
  });

  it('gives each renewal its own slot of the spacing, in order, at a random point within it', () => {
    const delays = spreadRenewals(10, seeded(7));
    delays.forEach((delay, index) => {
      expect(delay).toBeGreaterThanOrEqual(index * RENEW_SPACING_MS);
      expect(delay).toBeLessThan((index + 1) * RENEW_SPACING_MS);
    });
    expect(spreadRenewals(3, () => 0)).toEqual([0, RENEW_SPACING_MS, 2 * RENEW_SPACING_MS]);
    expect(new Set([0.1, 0.5, 0.9].map((draw) => spreadRenewals(2, () => draw)[1])).size).toBe(3);
  });

  it('a thousand renewals: all within the bounded window, never two in one slot', () => {
    for (const count of [2, 100, 1000, 5000]) {
      for (const draw of [() => 0, () => 0.999_999, seeded(count)]) {
        const delays = spreadRenewals(count, draw);
        const slot = Math.min(RENEW_SPACING_MS, RENEW_SPREAD_MAX_MS / count);
        expect(delays).toHaveLength(count);
        expect(Math.max(...delays)).toBeLessThan(Math.min(count * RENEW_SPACING_MS, RENEW_SPREAD_MAX_MS));
        expect(new Set(delays.map((delay) => Math.floor(delay / slot))).size).toBe(count);
      }
    }
    // A draw of exactly 1 (Math.random never gives one; an injected one might) stays in its slot.
    expect(spreadRenewals(2, () => 1)[1]).toBeLessThan(2 * RENEW_SPACING_MS);
  });
});
