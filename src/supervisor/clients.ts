// DHCP client processes: started inside the container's namespace, detached from us so that they
// outlive a supervisor restart, stopped with a release.
import { closeSync, realpathSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { ENV_CONTAINER, ENV_SPOOL, ENV_TOKEN, udhcpcArgs } from '../dhcp/udhcpc.js';
import { IpperError } from '../errors.js';
import { inNetns, openContainerNetns } from '../net/netns.js';
import { fileStem } from '../store/records.js';
import { spawnDetached } from '../sys/exec.js';
import { openForAppendNoFollow } from '../sys/fs.js';
import { isAlive, readNetnsInode, readStartTime, signal, type ProcessIdentity } from '../sys/proc.js';
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
  /** The namespace recorded at attach: the client starts there or not at all. */
  netnsInode: number;
  interface: string;
  hostname: string;
  /** ipper-helper, which udhcpc runs for each event. */
  eventScript: string;
}

/** How long a new client may take to enter the namespace (nsenter's setns, then exec). */
const ENTER_TIMEOUT_MS = 2000;

export function clientLogPath(paths: SupervisorPaths, containerId: string): string {
  return `${paths.clientLogsDir}/${fileStem(containerId)}.log`;
}

/** The file a running client's /proc/<pid>/exe names: how garbage collection tells it from its event helper. */
export function clientExecutable(): string {
  return realpathSync(toolPath('udhcpc'));
}

export async function startClient(paths: SupervisorPaths, start: ClientStart): Promise<ClientHandle> {
  const token = randomBytes(8).toString('hex');
  const args = udhcpcArgs({ interface: start.interface, hostname: start.hostname, scriptPath: start.eventScript });
  // Held open until the client is inside: nsenter enters through our descriptor, never by a pid
  // that could have been reused since the hook checked it.
  const netns = openContainerNetns(start.netnsPid, start.netnsInode);
  try {
    const command = inNetns(netns, [toolPath('udhcpc'), ...args]);
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
    const identity = { pid, startTime };
    const exited = child.exited.then(() => undefined);
    await waitUntilInside(identity, netns.inode, exited);
    return { identity, token, exited };
  } finally {
    netns.close();
  }
}

/** Polls (a few ms) until the new process's namespace is the container's; it exits if nsenter failed. */
async function waitUntilInside(identity: ProcessIdentity, inode: number, exited: Promise<void>): Promise<void> {
  let gone = false;
  void exited.then(() => (gone = true));
  const deadline = Date.now() + ENTER_TIMEOUT_MS;
  for (let delayMs = 1; ; delayMs = Math.min(20, delayMs * 2)) {
    if (readNetnsInode(identity.pid) === inode && isAlive(identity)) return;
    if (gone || !isAlive(identity)) throw new IpperError('COMMAND_FAILED', 'the DHCP client exited before it entered the container\'s namespace');
    if (Date.now() > deadline) {
      signal(identity, 'SIGKILL');
      throw new IpperError('COMMAND_FAILED', 'the DHCP client did not enter the container\'s namespace');
    }
    await new Promise((resolve) => setTimeout(resolve, delayMs));
  }
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

/** How a client ended: on our SIGTERM (udhcpc -R releases first), killed after the grace, or already gone. */
export type StopOutcome = 'terminated' | 'killed' | 'gone';

/** SIGTERM makes udhcpc -R send DHCPRELEASE from its bound address; SIGKILL if it hangs. */
export async function stopClient(handle: ClientHandle, graceMs = 3000): Promise<StopOutcome> {
  if (!signal(handle.identity, 'SIGTERM')) return 'gone';
  const stopped = await Promise.race([handle.exited.then(() => true), waitForExit(handle.identity, 20, graceMs).then(() => !isAlive(handle.identity))]);
  if (stopped) return 'terminated';
  signal(handle.identity, 'SIGKILL');
  await waitForExit(handle.identity, 20, graceMs);
  return 'killed';
}

/** A duplicate client holds the same lease as the live one: it goes without a release. */
export async function killClient(identity: ProcessIdentity): Promise<void> {
  if (signal(identity, 'SIGKILL')) await waitForExit(identity, 20, 3000);
}
