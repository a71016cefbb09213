// Taking a container's network down: poststop (detach), the one teardown every path ends in
// (attach failed, container gone, garbage collection, release-all), and release-all.
import { writeRecord } from '../store/records.js';
import { isContainerAlive } from '../store/container-ref.js';
import type { ExchangeSeen } from '../dhcp/driver.js';
import type { StopOutcome } from './clients.js';
import { clientLogSince, settleUnboundClient } from './client-keeper.js';
import { clientTarget, type SupervisorContext } from './context.js';
import { advance, wakeLeaseWaiters, type DetachOutcome, type Entry, type TeardownOutcome } from './entries.js';
import { hasBound, isTearingDown, type LifecycleState } from './lifecycle.js';
import { tearDownNetwork } from './teardown.js';

/** How long a teardown lets a client finish a DHCPREQUEST already sent. */
const REQUEST_GRACE_MS = 2000;

/**
 * poststop: release and remove every interface of the container, unless the recorded container
 * still runs (a newer incarnation). Answered once every client has stopped and its release has
 * left: the link, filter element and record go after the answer (`removed` absent); until they
 * are gone the entry stays, so a new container of the same id waits for them (attach.ts), and a
 * supervisor that dies meanwhile leaves the record to the next one's adoption.
 * force: the hook undoes its own create (one of several interfaces failed), so the running
 * container loses them all; it and a CNI DEL are answered once everything is gone.
 */
export async function detach(context: SupervisorContext, id: string, force = false): Promise<DetachOutcome> {
  const outcomes = await Promise.all(context.entries.ofContainer(id).map((entry) => detachOne(context, entry, force)));
  return { released: outcomes.every((outcome) => outcome.released), ...removedOf(outcomes) };
}

/** false if any removal failed; absent while any is still under way. */
function removedOf(outcomes: readonly DetachOutcome[]): { removed?: boolean } {
  if (outcomes.some((outcome) => outcome.removed === false)) return { removed: false };
  return outcomes.every((outcome) => outcome.removed === true) ? { removed: true } : {};
}

function detachOne(context: SupervisorContext, entry: Entry, force: boolean): Promise<DetachOutcome> {
  // A CNI DEL always removes: the runtime calls it before it removes the namespace.
  if (!force && entry.record.cni === undefined && !isTearingDown(entry.state) && entry.record.phase === 'active' && isContainerAlive(entry.record)) {
    context.log.info({ id: entry.key }, 'poststop for a container that still runs: kept (late poststop of an earlier incarnation)');
    return Promise.resolve({ released: true, removed: true }); // nothing of that incarnation is left to remove
  }
  const done = teardown(context, entry, force ? 'create undone' : entry.record.cni !== undefined ? 'CNI DEL' : 'poststop');
  if (force || entry.record.cni !== undefined || entry.releaseSettled === undefined) return done;
  return Promise.race([done, entry.releaseSettled.then((released): DetachOutcome => ({ released }))]);
}

/** Stops the client (it releases the lease while the link still exists), then removes the rest; once per entry. */
export function teardown(context: SupervisorContext, entry: Entry, reason: string): Promise<TeardownOutcome> {
  if (entry.teardown === undefined) {
    const before = entry.state;
    advance(entry, { type: 'teardown' });
    let settleRelease: (released: boolean) => void = () => undefined;
    entry.releaseSettled = new Promise((resolve) => (settleRelease = resolve));
    entry.teardown = doTeardown(context, entry, before, reason, settleRelease);
    // A teardown that failed before its client stopped settles it too (a second settle is ignored).
    void entry.teardown.then((outcome) => settleRelease(outcome.released));
  }
  return entry.teardown;
}

/** `ipper supervisor --release-all`: every lease released and every container's network removed, on purpose. */
export async function releaseAll(context: SupervisorContext): Promise<number> {
  const entries = context.entries.values();
  await Promise.all(entries.map((entry) => teardown(context, entry, 'release-all')));
  return entries.length;
}

async function doTeardown(context: SupervisorContext, entry: Entry, before: LifecycleState, reason: string, settleRelease: (released: boolean) => void): Promise<TeardownOutcome> {
  const { record } = entry;
  const { log, paths } = context;
  clearTimeout(entry.restartTimer);
  // An attach waiting for the lease learns that the container is going: never that it bound.
  wakeLeaseWaiters(entry, 'torn-down');
  const began = performance.now();
  const ip = record.lease?.ip;
  let clientBound = hasBound(before);
  // What the server may hold that the record does not know: the client asked for it, unanswered.
  let requested: ExchangeSeen | undefined;
  // The client holds nothing on the server: killed, with no release to wait for.
  let nothingHeld = false;
  let released = record.lease === null && !clientBound;
  try {
    // A client that never asked for an address goes without a release; one whose request the
    // server may have acknowledged is let finish it, so that its release reaches the server.
    if (entry.client !== undefined && !clientBound) {
      const fate = await settleUnboundClient(context, entry, entry.client, REQUEST_GRACE_MS);
      clientBound = fate.outcome === 'bound';
      nothingHeld = fate.outcome === 'nothing-held';
      if (fate.outcome === 'unbound') requested = fate.seen;
    }
    advance(entry, { type: 'release' });
    await tearDownNetwork({
      paths,
      record,
      driver: entry.driver,
      client: entry.client,
      release: !nothingHeld,
      target: clientTarget(context, entry),
      forgetPort: () => context.portFilter.forget(record, entry.key),
      afterStop: (outcome) => {
        if (outcome !== undefined) released = releaseSent(context, entry, outcome, clientBound, requested);
        if (released && record.lease !== null) {
          // Said on disk at once: if the rest fails, the teardown that finishes it knows the lease is gone.
          record.lease = null;
          writeRecord(paths.stateDir, record);
        }
        if (ip !== undefined) context.observer.leaseEvent(released ? 'released' : 'not-released');
        if (!released) log.error({ id: entry.key, reason, ip, leaseEvent: 'not-released' }, 'lease not released: the client could not send a DHCPRELEASE; the server keeps the address until the lease expires');
        log.debug({ id: entry.key, ms: Math.round(performance.now() - began) }, 'client stopped');
        settleRelease(released);
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
 * Whether the stopped client released its lease: it had none to release (it never bound nor asked
 * for one), or it ended on our signal and its log (its release command's, for dhclient) says it
 * sent the release of each family it held or asked for.
 */
function releaseSent(context: SupervisorContext, entry: Entry, outcome: StopOutcome, clientBound: boolean, requested: ExchangeSeen | undefined): boolean {
  const { record } = entry;
  // [dual stack] the families that held a lease (dhcpv6.ts)
  const held = {
    ipv4: record.lease !== null || (requested?.requests ?? 0) > 0,
    ipv6: (record.dhcpv6?.addresses.length ?? 0) > 0 || (requested?.requests6 ?? 0) > 0,
  };
  if (!clientBound && !held.ipv4 && !held.ipv6) return true; // no lease to release
  if (outcome !== 'terminated') return false;
  return entry.driver.releaseSent(clientLogSince(context, entry), held);
}
