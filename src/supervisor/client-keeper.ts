// Keeping a container's DHCP client running: start it in the container's namespace, restart it
// with a back-off when it exits while the container runs, and wait for its lease.
import { readFileSync, statSync } from 'node:fs';
import { isContainerAlive } from '../store/container-ref.js';
import { recordHoldsLease } from '../store/records.js';
import { signal } from '../sys/proc.js';
import { clientLogPath, endClientLeftovers, freezeClient, newClientToken, startClient, stopClient, thawClient, type ClientHandle } from './clients.js';
import type { ExchangeSeen } from '../dhcp/driver.js';
import { clientTarget, persist, type SupervisorContext } from './context.js';
import { advance, RESTART_MIN_MS, type Entry } from './entries.js';
import { isTearingDown, type LeaseWaitOutcome } from './lifecycle.js';

const RESTART_MAX_MS = 60_000;

/** Starts a client in the container's own namespace, entered by the container's pid or CNI namespace path (never a dead client's). */
export async function startClientFor(context: SupervisorContext, entry: Entry): Promise<void> {
  const { record } = entry;
  entry.clientLogOffset = fileSize(clientLogPath(context.paths, entry.key));
  const token = newClientToken();
  let markStarted = (): void => undefined;
  entry.starting = { token, started: new Promise<void>((resolve) => (markStarted = resolve)) };
  let client: ClientHandle;
  try {
    client = await startClient(context.paths, entry.driver, { ...clientTarget(context, entry), netns: record.container }, token);
    if (isTearingDown(entry.state)) {
      // Torn down while it started: it must not outlive the entry, nor leave a lease behind.
      const { outcome } = await settleUnboundClient(context, entry, client, 0);
      await stopClient(context.paths, entry.driver, client, clientTarget(context, entry), { release: outcome !== 'nothing-held' });
      return;
    }
    advance(entry, { type: 'client-started' });
    entry.client = client;
    record.client = { ...client.identity, token: client.token };
    persist(context, entry);
  } finally {
    // The events that came before this point run now, against the record as the start left it.
    if (entry.starting?.token === token) entry.starting = undefined;
    markStarted();
  }
  context.log.info({ id: entry.key, clientPid: client.identity.pid }, 'DHCP client started');
  void client.exited.then(() => onClientExit(context, entry, client));
}

/**
 * The entry's client exited (or undefined: a new one could not be started): restarted after a
 * back-off while the container runs, torn down once it does not.
 */
export function onClientExit(context: SupervisorContext, entry: Entry, client: ClientHandle | undefined): void {
  // What a client killed by hand leaves (dhcpcd's helpers) would hold the namespace and the lease.
  if (client !== undefined) endClientLeftovers(client);
  if (isTearingDown(entry.state) || entry.client !== client || !context.entries.holds(entry)) return;
  entry.client = undefined;
  if (!isContainerAlive(entry.record)) {
    void context.teardown(entry, 'container gone');
    return;
  }
  advance(entry, { type: 'client-exited' });
  // Only the client asked to restart counts: a start that failed (client undefined) backs off like a crash.
  const renewing = client !== undefined && entry.renewByRestart === client;
  entry.renewByRestart = undefined;
  const delay = renewing ? 0 : entry.restartDelayMs;
  if (renewing) context.log.info({ id: entry.key }, 'DHCP client restarted to renew');
  else {
    context.clientRestarts += 1;
    entry.restartDelayMs = Math.min(RESTART_MAX_MS, delay * 2);
    context.log.warn({ id: entry.key, delayMs: delay }, 'DHCP client exited; restarting');
  }
  entry.restartTimer = setTimeout(() => {
    entry.restartTimer = undefined;
    if (isTearingDown(entry.state)) return;
    if (!isContainerAlive(entry.record)) {
      void context.teardown(entry, 'container gone');
      return;
    }
    startClientFor(context, entry).catch((error: unknown) => {
      context.log.error({ id: entry.key, err: error }, 'DHCP client restart failed');
      onClientExit(context, entry, undefined);
    });
  }, delay);
}

/** Makes the entry's client renew now, as its driver can (DhcpDriver.renew); false: no client runs. */
export function renewClient(entry: Entry): boolean {
  const { client, driver } = entry;
  if (client === undefined || isTearingDown(entry.state)) return false;
  if (driver.renew.kind === 'signal') return signal(client.identity, driver.renew.signal);
  // It exits without a release, and onClientExit starts it again at once with the same files.
  entry.renewByRestart = client;
  return signal(client.identity, driver.renew.stopSignal);
}

/** The lease resets the back-off: the next exit restarts at once again. */
export function resetRestartDelay(entry: Entry): void {
  entry.restartDelayMs = RESTART_MIN_MS;
}

/** Waits until a lease is bound, the time is up, the caller gives up, or the entry is torn down. */
export function waitForLease(entry: Entry, timeoutMs: number, abort: AbortSignal): Promise<LeaseWaitOutcome> {
  if (entry.state === 'bound') return Promise.resolve('bound'); // its event came first
  return new Promise((resolve) => {
    const finish = (outcome: LeaseWaitOutcome): void => {
      clearTimeout(timer);
      entry.leaseWaiters.delete(finish);
      abort.removeEventListener('abort', onAbort);
      resolve(outcome);
    };
    const onAbort = (): void => finish('aborted');
    const timer = setTimeout(() => finish('timeout'), timeoutMs);
    entry.leaseWaiters.add(finish);
    abort.addEventListener('abort', onAbort);
  });
}

/** What a client stopped before it bound may hold on the server (see settleUnboundClient). */
export interface UnboundClientFate {
  /**
   * nothing-held: it never asked for an address and the record holds no lease, so the server holds
   * nothing for it: it is left frozen, to be killed. bound: it bound in the grace. unbound: it is
   * to stop with a release (it asked, or the record holds a lease), running again.
   */
  outcome: 'nothing-held' | 'bound' | 'unbound';
  seen: ExchangeSeen;
}

/**
 * What becomes of a client that is to stop before it bound. It is frozen first, so that no request
 * can leave between the look at its log and the signal: a dhcpcd told to release while it was
 * still discovering went on to take a lease, and was killed holding it (churn, under load). If its
 * log shows no request and the record no lease, it may simply be killed. If it asked, the server
 * may have acknowledged it: it goes on for `graceMs` to bind, so that its release can reach the
 * server. Only a client to be killed stays frozen: a frozen one could not act on its release signal.
 */
export async function settleUnboundClient(context: SupervisorContext, entry: Entry, client: ClientHandle, graceMs: number): Promise<UnboundClientFate> {
  const frozen = await freezeClient(client);
  const seen = entry.driver.exchangeSeen(clientLogSince(context, entry));
  const requested = seen.requests > 0 || (seen.requests6 ?? 0) > 0;
  // Not frozen in time ('running'): what it sent cannot be known, so it is stopped with a release as before.
  if (!requested && !recordHoldsLease(entry.record) && frozen !== 'running') return { outcome: 'nothing-held', seen };
  thawClient(client);
  if (!requested || graceMs === 0) return { outcome: 'unbound', seen };
  const bound = (await waitForLease(entry, graceMs, new AbortController().signal)) === 'bound';
  return { outcome: bound ? 'bound' : 'unbound', seen };
}

/** What the current client printed since it started. */
export function clientLogSince(context: SupervisorContext, entry: Entry): string {
  try {
    return readFileSync(clientLogPath(context.paths, entry.key), 'utf8').slice(entry.clientLogOffset);
  } catch {
    return ''; // no log: the client never started
  }
}

/** Where a client's new output starts: 0 unless the log is a file now (whatever else is there may give way to a new file before the client opens it). */
function fileSize(path: string): number {
  try {
    const stat = statSync(path);
    return stat.isFile() ? stat.size : 0;
  } catch {
    return 0;
  }
}
