// `ipper supervisor`: one per host, kept single by a lock file in the state directory.
import { closeSync } from 'node:fs';
import lockfile from 'proper-lockfile';
import type { Config } from '../config/schema.js';
import { IpperError, isErrnoCode } from '../errors.js';
import { createLogger } from '../log/logger.js';
import { ensurePrivateDir, openForAppendNoFollow, readFileNoFollow, removeFile, writeFileAtomic } from '../sys/fs.js';
import { leaveRuntimeCgroup } from '../sys/cgroup.js';
import { HelperFile } from '../sys/helper.js';
import { VERSION } from '../version.js';
import { supervisorPaths } from './paths.js';
import { listen } from './server.js';
import { EventSpool } from './spool.js';
import { LOCK_STALE_MS } from './lock-timing.js';
import { Supervisor } from './supervisor.js';
import { BridgeWatch } from './bridge-watch.js';
import { startMetrics, type MetricsServer, type Observer } from './metrics.js';
import { parseMetricsListen } from '../config/metrics-listen.js';


/** How long a stopping supervisor lets teardowns under way finish; garbage collection takes what is left. */
const SHUTDOWN_TEARDOWN_MS = 5000;

/** Runs until SIGTERM. Returns false at once when another supervisor holds the lock. */
export async function runSupervisor(config: Config): Promise<boolean> {
  const paths = supervisorPaths(config.stateDir);
  ensurePrivateDir(paths.stateDir);
  ensurePrivateDir(paths.eventsDir);
  ensurePrivateDir(paths.clientLogsDir);
  closeSync(openForAppendNoFollow(paths.lockTarget));
  const log = createLogger({ file: config.logFile, level: config.logLevel, name: 'supervisor', reopenOnHangup: true });
  let release: () => Promise<void>;
  try {
    release = await lockfile.lock(paths.lockTarget, {
      realpath: false,
      stale: LOCK_STALE_MS,
      update: 1000,
      retries: { retries: 8, minTimeout: 200, maxTimeout: 1000, factor: 1.5 },
      onCompromised: (error) => {
        log.fatal({ err: error }, 'supervisor lock lost; exiting so that only one supervisor runs');
        process.exit(1);
      },
    });
  } catch (error) {
    if (isErrnoCode(error, 'ELOCKED')) return false;
    throw new IpperError('LOCK_TIMEOUT', `cannot lock ${paths.lockTarget}: ${(error as Error).message}`, { cause: error });
  }
  // Before any DHCP client starts: they inherit the cgroup, and a runtime's restart must spare them.
  leaveRuntimeCgroup(log);
  const helper = new HelperFile(config.helperDir, (reason) => log.warn({ path: helper.path, reason }, 'ipper-helper written again'));
  helper.ensure();
  helper.watch();
  writeFileAtomic(paths.pidFile, `${process.pid}\n`, 0o644);
  const starts = countStart(`${paths.stateDir}/supervisor.starts`);
  let metrics: MetricsServer | undefined;
  // Forwards to the metrics once they are up; a no-op while they are off.
  const observer: Observer = {
    leaseEvent: (kind) => metrics?.observer.leaseEvent(kind),
    attach: (seconds, code) => metrics?.observer.attach(seconds, code),
  };
  const supervisor = new Supervisor({ paths, helper, log, hostAddress: config.hostAddress, bridgeFilter: config.bridgeFilter, observer });
  const metricsListen = config.metrics === undefined ? undefined : parseMetricsListen(config.metrics);
  if (metricsListen !== undefined) {
    metrics = await startMetrics(metricsListen, { leaseFacts: () => supervisor.leaseFacts(), clientRestarts: () => supervisor.clientRestarts, supervisorStarts: starts }).catch((error: unknown) => {
      log.error({ err: error, metrics: config.metrics }, 'metrics not served; carrying on');
      return undefined;
    });
  }
  // Periodic and start-up work logs and carries on: the supervisor never dies of one failure.
  const guarded = (what: string, work: () => Promise<unknown>): Promise<void> =>
    work().then(
      () => undefined,
      (error: unknown) => log.error({ err: error }, `${what} failed; carrying on`),
    );
  await guarded('adoption', () => supervisor.adopt());
  await guarded('bridge filter', () => supervisor.syncBridgeFilter());
  // After adoption, so that ports that lost their bridge while no supervisor ran are put back;
  // not awaited: the hook that started this supervisor waits for the socket.
  const bridgeWatch = new BridgeWatch({ log, ports: () => supervisor.ports(), syncBridgeFilter: () => supervisor.syncBridgeFilter() });
  void guarded('bridge watch', () => bridgeWatch.start());
  const spool = new EventSpool(paths.eventsDir, (event) => supervisor.handleEvent(event), log);
  spool.start();
  let gc: NodeJS.Timeout | undefined;
  // SIGTERM leaves every client running: containers keep their leases across an upgrade.
  const shutdown = (signal: string): void => {
    log.info({ signal }, 'supervisor stopping; DHCP clients keep running');
    clearInterval(gc);
    metrics?.close();
    bridgeWatch.stop();
    spool.stop();
    helper.close();
    server.close();
    removeFile(paths.socket);
    removeFile(paths.pidFile);
    // A poststop is answered before its link and record are gone (detach.ts): let those finish, briefly.
    const finishing = Promise.race([supervisor.teardownsSettled(), new Promise((resolve) => setTimeout(resolve, SHUTDOWN_TEARDOWN_MS))]);
    void finishing.then(() => release()).finally(() => process.exit(0));
  };
  const server = await listen({ socketPath: paths.socket, helper, version: VERSION, onShutdown: () => shutdown('shutdown request'), missingBridges: () => bridgeWatch.missingBridges(), observer }, supervisor, log);
  gc = setInterval(() => void guarded('garbage collection', () => supervisor.collectGarbage()), config.gcIntervalMs);
  log.info({ stateDir: paths.stateDir, containers: supervisor.size }, 'supervisor started');
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
  return true;
}

/** Supervisors started for this state directory since boot (it lives in /run): restarts + 1. */
function countStart(path: string): number {
  let count = 0;
  try {
    count = Number.parseInt(readFileNoFollow(path) ?? '0', 10) || 0;
  } catch {
    // unreadable (a planted symlink): counted from here
  }
  writeFileAtomic(path, `${count + 1}\n`);
  return count + 1;
}
