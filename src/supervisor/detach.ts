// Taking a container's network down: poststop (detach), the one teardown every path ends in
// (attach failed, container gone, garbage collection, release-all), and release-all.
import { writeRecord } from '../store/records.js';
import { isContainerAlive } from '../store/container-ref.js';
import type { StopOutcome } from './clients.js';
import { clientLogSince, waitForLease } from './client-keeper.js';
import { clientTarget, type SupervisorContext } from './context.js';
import { advance, wakeLeaseWaiters, type Entry, type TeardownOutcome } from './entries.js';
import { hasBound, isTearingDown, type LifecycleState } from './lifecycle.js';
import { tearDownNetwork } from './teardown.js';

/** How long a teardown lets a client finish a DHCPREQUEST already sent. */
const REQUEST_GRACE_MS = 2000;

/**
 * poststop: release and remove every interface of the container, unless the recorded container
 * still runs (a newer incarnation). force: the hook undoes its own create (one of several
 * interfaces failed), so the running container loses them all.
 */
export async function detach(context: SupervisorContext, id: string, force = false): Promise<TeardownOutcome> {
  const outcomes = await Promise.all(context.entries.ofContainer(id).map((entry) => detachOne(context, entry, force)));
  return { released: outcomes.every((outcome) => outcome.released), removed: outcomes.every((outcome) => outcome.removed) };
}

function detachOne(context: SupervisorContext, entry: Entry, force: boolean): Promise<TeardownOutcome> {
  // A CNI DEL always removes: the runtime calls it before it removes the namespace.
  if (!force && entry.record.cni === undefined && !isTearingDown(entry.state) && entry.record.phase === 'active' && isContainerAlive(entry.record)) {
    context.log.info({ id: entry.key }, 'poststop for a container that still runs: kept (late poststop of an earlier incarnation)');
    return Promise.resolve({ released: true, removed: true }); // nothing of that incarnation is left to remove
  }
  return teardown(context, entry, force ? 'create undone' : entry.record.cni !== undefined ? 'CNI DEL' : 'poststop');
}

/** Stops the client (it releases the lease while the link still exists), then removes the rest; once per entry. */
export function teardown(context: SupervisorContext, entry: Entry, reason: string): Promise<TeardownOutcome> {
  if (entry.teardown === undefined) {
    const before = entry.state;
    advance(entry, { type: 'teardown' });
    entry.teardown = doTeardown(context, entry, before, reason);
  }
  return entry.teardown;
}

/** `ipper supervisor --release-all`: every lease released and every container's network removed, on purpose. */
export async function releaseAll(context: SupervisorContext): Promise<number> {
  const entries = context.entries.values();
  await Promise.all(entries.map((entry) => teardown(context, entry, 'release-all')));
  return entries.length;
}

async function doTeardown(context: SupervisorContext, entry: Entry, before: LifecycleState, reason: string): Promise<TeardownOutcome> {
  const { record } = entry;
  const { log, paths } = context;
  clearTimeout(entry.restartTimer);
  // An attach waiting for the lease learns that the container is going: never that it bound.
  wakeLeaseWaiters(entry, 'torn-down');
  const began = performance.now();
  const ip = record.lease?.ip;
  let clientBound = hasBound(before);
  let released = record.lease === null && !clientBound;
  try {
    // A request the server may already have acknowledged: let the client finish it, so that it
    // holds the lease and its release reaches the server (killed now, the lease would leak).
    if (entry.client !== undefined && !clientBound && entry.driver.exchangeSeen(clientLogSince(context, entry)).requests > 0) {
      clientBound = (await waitForLease(entry, REQUEST_GRACE_MS, new AbortController().signal)) === 'bound';
    }
    advance(entry, { type: 'release' });
    await tearDownNetwork({
      paths,
      record,
      driver: entry.driver,
      client: entry.client,
      target: clientTarget(context, entry),
      forgetPort: () => context.portFilter.forget(record, entry.key),
      afterStop: (outcome) => {
        if (outcome !== undefined) released = releaseSent(context, entry, outcome, clientBound);
        if (released && record.lease !== null) {
          // Said on disk at once: if the rest fails, the teardown that finishes it knows the lease is gone.
          record.lease = null;
          writeRecord(paths.stateDir, record);
        }
        if (ip !== undefined) context.observer.leaseEvent(released ? 'released' : 'not-released');
        if (!released) log.error({ id: entry.key, reason, ip, leaseEvent: 'not-released' }, 'lease not released: the client could not send a DHCPRELEASE; the server keeps the address until the lease expires');
        log.debug({ id: entry.key, ms: Math.round(performance.now() - began) }, 'client stopped');
      },
    });
    log.info({ id: entry.key, reason, ip, released, ...(ip !== undefined && released && { leaseEvent: 'released' }) }, 'container network removed');
    return { released, removed: true };
  } catch (error) {
    log.error({ id: entry.key, reason, err: error }, 'teardown incomplete; garbage collection will retry');
    return { released, removed: false };
  } finally {
    context.entries.remove(entry);
    advance(entry, { type: 'removed' });
  }
}

/**
 * Whether the stopped client released its lease: it had none to release, or it ended on our
 * signal and its log (its release command's, for dhclient) says it sent the release.
 */
function releaseSent(context: SupervisorContext, entry: Entry, outcome: StopOutcome, clientBound: boolean): boolean {
  if (!clientBound && entry.record.lease === null) return true; // no lease to release
  if (outcome !== 'terminated') return false;
  // [dual stack] the families that held a lease (dhcpv6.ts)
  return entry.driver.releaseSent(clientLogSince(context, entry), { ipv4: entry.record.lease !== null, ipv6: (entry.record.dhcpv6?.addresses.length ?? 0) > 0 });
}
