import { describe, expect, it } from 'vitest';
import { deriveLeaseState, leaseTiming, type LeaseFacts } from '../../../src/status/lease-state.js';

const BOUND = '2026-01-01T00:00:00.000Z';
const at = (seconds: number): Date => new Date(Date.parse(BOUND) + seconds * 1000);
const lease = (extra: Partial<NonNullable<LeaseFacts['lease']>> = {}): LeaseFacts['lease'] => ({ boundAt: BOUND, leaseSeconds: 1000, ...extra });
const active = (leaseValue: LeaseFacts['lease'], clientAlive = true): LeaseFacts => ({ phase: 'active', lease: leaseValue, clientAlive });

describe('deriveLeaseState', () => {
  it.each([
    ['fresh lease', active(lease()), 0, 'bound'],
    ['just before T1', active(lease()), 499.999, 'bound'],
    ['at T1 (50 %)', active(lease()), 500, 'renewing'],
    ['just before T2', active(lease()), 874.999, 'renewing'],
    ['at T2 (87.5 %)', active(lease()), 875, 'rebinding'],
    ['just before expiry', active(lease()), 999.999, 'rebinding'],
    ['at expiry', active(lease()), 1000, 'expired'],
    ['long after expiry', active(lease()), 100_000, 'expired'],
    ['a renewal restarts the clock', active(lease({ renewedAt: at(900).toISOString() })), 1000, 'bound'],
    ['renewed, then past its T1', active(lease({ renewedAt: at(900).toISOString() })), 1400, 'renewing'],
    ['a renewedAt older than boundAt does not count', active(lease({ boundAt: at(500).toISOString(), renewedAt: BOUND })), 1000, 'renewing'],
    ['client dead, lease fresh', active(lease(), false), 0, 'failed'],
    ['client dead, lease expired', active(lease(), false), 5000, 'failed'],
    ['no lease, client running', active(null), 0, 'requesting'],
    ['no lease, no client', active(null, false), 0, 'failed'],
    ['unreadable boundAt', active(lease({ boundAt: 'yesterday' })), 0, 'requesting'],
    ['attaching', { phase: 'attaching', lease: null, clientAlive: false } as LeaseFacts, 0, 'attaching'],
    ['zero-second lease', active(lease({ leaseSeconds: 0 })), 0, 'expired'],
  ])('%s', (_name, facts, seconds, expected) => {
    expect(deriveLeaseState(facts, at(seconds))).toBe(expected);
  });
});

describe('leaseTiming', () => {
  it('counts from the later of bind and renewal', () => {
    expect(leaseTiming(lease({ renewedAt: at(100).toISOString() }))).toEqual({ heardAt: at(100), expiresAt: at(1100) });
    expect(leaseTiming(lease())).toEqual({ heardAt: at(0), expiresAt: at(1000) });
  });

  it('is undefined without a lease or a readable time', () => {
    expect(leaseTiming(null)).toBeUndefined();
    expect(leaseTiming(lease({ boundAt: 'x' }))).toBeUndefined();
  });
});
