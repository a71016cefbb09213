// Where a container's lease stands, from its record alone: pure, so `status` and `doctor` agree.
// RFC 2131 4.4.5: a client renews with its server from T1 (50 % of the lease), rebinds with any
// server from T2 (87.5 %), and loses the address when the lease runs out.
import type { Lease } from '../dhcp/lease.js';

export type LeaseState = 'attaching' | 'requesting' | 'bound' | 'renewing' | 'rebinding' | 'expired' | 'failed';

export const T1_FRACTION = 0.5;
export const T2_FRACTION = 0.875;

export interface LeaseFacts {
  phase: 'attaching' | 'active';
  lease: Pick<Lease, 'boundAt' | 'renewedAt' | 'leaseSeconds'> | null;
  /** The record names a DHCP client and that very process (pid + start time) runs. */
  clientAlive: boolean;
}

export interface LeaseTiming {
  /** When the server last granted the lease: the last renewal, or the bind. */
  heardAt: Date;
  expiresAt: Date;
}

/** When the lease was last granted and when it runs out; undefined without a (readable) lease. */
export function leaseTiming(lease: LeaseFacts['lease']): LeaseTiming | undefined {
  if (lease === null) return undefined;
  const bound = Date.parse(lease.boundAt);
  const renewed = lease.renewedAt === undefined ? Number.NaN : Date.parse(lease.renewedAt);
  const heard = Math.max(Number.isNaN(bound) ? -Infinity : bound, Number.isNaN(renewed) ? -Infinity : renewed);
  if (!Number.isFinite(heard)) return undefined;
  return { heardAt: new Date(heard), expiresAt: new Date(heard + lease.leaseSeconds * 1000) };
}

/**
 * failed: the client is gone (nobody renews); attaching: the hook has not handed the container
 * over yet; requesting: a client runs and holds no lease; otherwise where the lease is in its life.
 */
export function deriveLeaseState(facts: LeaseFacts, now: Date): LeaseState {
  if (facts.phase === 'attaching') return 'attaching';
  if (!facts.clientAlive) return 'failed';
  const timing = leaseTiming(facts.lease);
  if (facts.lease === null || timing === undefined) return 'requesting';
  const elapsed = now.getTime() - timing.heardAt.getTime();
  const length = facts.lease.leaseSeconds * 1000;
  if (elapsed >= length) return 'expired';
  if (elapsed >= length * T2_FRACTION) return 'rebinding';
  if (elapsed >= length * T1_FRACTION) return 'renewing';
  return 'bound';
}
