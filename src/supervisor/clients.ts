// DHCP client processes: started inside the container's namespace, detached from us so that they
// outlive a supervisor restart, stopped with a release.
import { closeSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { ENV_CONTAINER, ENV_SPOOL, ENV_TOKEN, udhcpcArgs } from '../dhcp/udhcpc.js';
import { IpperError } from '../errors.js';
import { inNetns } from '../net/netns.js';
import { fileStem } from '../store/records.js';
import { spawnDetached } from '../sys/exec.js';
import { openForAppendNoFollow } from '../sys/fs.js';
import { isAlive, readStartTime, signal, type ProcessIdentity } from '../sys/proc.js';
import { toolPath } from '../sys/tools.js';
import type { SupervisorPaths } from './paths.js';

export interface ClientHandle {
  identity: ProcessIdentity;
  /** Tags this incarnation's events, so a late event from a previous client is ignored. */
  token: string;
  /** Resolves once the process is gone. */
  exited: Promise<void>;
}

export interface ClientStart {
  containerId: string;
  /** A process inside the target namespace (the container's init). */
  netnsPid: number;
  interface: string;
  hostname: string;
  /** ipper-helper, which udhcpc runs for each event. */
  eventScript: string;
}

export function clientLogPath(paths: SupervisorPaths, containerId: string): string {
  return `${paths.clientLogsDir}/${fileStem(containerId)}.log`;
}

export function startClient(paths: SupervisorPaths, start: ClientStart): ClientHandle {
  const token = randomBytes(8).toString('hex');
  const args = udhcpcArgs({ interface: start.interface, hostname: start.hostname, scriptPath: start.eventScript });
  const command = inNetns(start.netnsPid, [toolPath('udhcpc'), ...args]);
  const logFd = openForAppendNoFollow(clientLogPath(paths, start.containerId));
  let child;
  try {
    child = spawnDetached(command.file, command.args, {
      env: { [ENV_SPOOL]: paths.eventsDir, [ENV_CONTAINER]: start.containerId, [ENV_TOKEN]: token },
      outputFd: logFd,
    });
  } finally {
    closeSync(logFd);
  }
  const pid = child.pid;
  const startTime = pid === undefined ? undefined : readStartTime(pid);
  if (pid === undefined || startTime === undefined) {
    throw new IpperError('COMMAND_FAILED', `DHCP client for "${start.containerId}" did not start`);
  }
  return { identity: { pid, startTime }, token, exited: child.exited.then(() => undefined) };
}

/** A client started by an earlier supervisor: not our child, so its exit is seen by polling. */
export function adoptClient(identity: ProcessIdentity, token: string, pollMs = 1000): ClientHandle {
  return { identity, token, exited: waitForExit(identity, pollMs) };
}

export function waitForExit(identity: ProcessIdentity, pollMs: number, timeoutMs = Infinity): Promise<void> {
  return new Promise((resolve) => {
    const deadline = Date.now() + timeoutMs;
    const check = (): void => {
      if (!isAlive(identity) || Date.now() >= deadline) resolve();
      else {
        const timer = setTimeout(check, pollMs);
        // A bounded wait keeps the process alive until it ends; an endless watch must not.
        if (timeoutMs === Infinity) timer.unref();
      }
    };
    check();
  });
}

/** SIGTERM makes udhcpc -R send DHCPRELEASE from its bound address; SIGKILL if it hangs. */
export async function stopClient(handle: ClientHandle, graceMs = 3000): Promise<void> {
  if (!signal(handle.identity, 'SIGTERM')) return;
  const stopped = await Promise.race([handle.exited.then(() => true), waitForExit(handle.identity, 20, graceMs).then(() => !isAlive(handle.identity))]);
  if (!stopped) {
    signal(handle.identity, 'SIGKILL');
    await waitForExit(handle.identity, 20, graceMs);
  }
}
