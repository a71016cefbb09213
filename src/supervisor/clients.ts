// DHCP client processes: started inside the container's namespace, detached from us so that they
// outlive a supervisor restart, stopped with a release. What differs between clients is asked of
// their driver (src/dhcp/driver.ts); this module only runs processes.
import { appendFileSync, closeSync, fstatSync, lstatSync, mkdirSync, openSync, readFileSync, readlinkSync, realpathSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import type { ClientIdentity } from '../dhcp/client-id.js';
import { ENV_CONTAINER, ENV_SPOOL, ENV_TOKEN, type ClientCommand, type ClientSetup, type DhcpDriver, type Dhcpv6Use } from '../dhcp/driver.js';
import { clientProgram, installedClientExecutables } from '../dhcp/drivers.js';
import { IpperError, isErrnoCode } from '../errors.js';
import { isValidInterfaceName } from '../net/names.js';
import { inNetns, openContainerNetns, openContainerRefNetns, type NetnsHandle } from '../net/netns.js';
import { fileStem } from '../store/records.js';
import { run, spawnDetached } from '../sys/exec.js';
import { ensurePrivateDir, openForAppendNoFollow, writeFileAtomic } from '../sys/fs.js';
import { isAlive, isStopped, mountNamespacesShowing, processesInMountNs, readMountNsInode, readNetnsInode, readStartTime, signal, type ProcessIdentity } from '../sys/proc.js';
import type { SupervisorPaths } from './paths.js';

export interface ClientHandle {
  identity: ProcessIdentity;
  /** Tags this incarnation's events, so a late event from a previous client is ignored. */
  token: string;
  /** Resolves once the process is gone. */
  exited: Promise<void>;
  /**
   * The client's own mount namespace, when it has one (dhcpcd), held open: its privilege-separated
   * helpers outlive a client killed by hand, and are found and ended by it. Held, so that its
   * inode cannot pass to another namespace (inodes of namespaces are reused) before they are.
   */
  mountNs: MountNsHold | undefined;
}

interface MountNsHold {
  inode: number;
  /** Closed once the client's leftovers are ended. */
  fd: number | undefined;
}

/** Who a client is for: enough to start it, and to release with the same files. */
export interface ClientTarget {
  containerId: string;
  /** The namespace recorded at attach: the client starts there or not at all. */
  netnsInode: number;
  interface: string;
  hostname: string;
  /** ipper-helper, every client's event script. */
  helper: string;
  /** The client id and DUID/IAID (the record's): the same at every start. */
  identity: ClientIdentity;
  dhcpv4: boolean;
  dhcpv6: Dhcpv6Use;
  requestIpv4?: string | undefined;
}

/** What a leftover's release needs of a target when no record says more: its driver releases by signal or from its own files. */
export const NO_RECORD_CLIENT = { identity: {}, dhcpv4: true, dhcpv6: 'off' } as const satisfies Pick<ClientTarget, 'identity' | 'dhcpv4' | 'dhcpv6'>;

/** A client to stop: its namespace may be unknown (a leftover no record explains). */
export type ReleaseTarget = Omit<ClientTarget, 'netnsInode'> & { netnsInode: number | undefined };

export interface ClientStart extends ClientTarget {
  /** The target namespace: by a process inside it (the container's init), or by the path a CNI runtime named. */
  netns: { pid: number } | { netnsPath: string };
}

/** How long a new client may take to enter the namespace (nsenter's setns, then exec). */
const ENTER_TIMEOUT_MS = 2000;
/** How long a release command (dhclient -r) may take. */
const RELEASE_COMMAND_MS = 5000;

export function clientLogPath(paths: SupervisorPaths, containerId: string): string {
  return `${paths.clientLogsDir}/${fileStem(containerId)}.log`;
}

/** The container's own directory for its client's lease, pid and config files; it goes with the container. */
export function clientDir(paths: SupervisorPaths, containerId: string): string {
  return `${paths.clientLogsDir}/${fileStem(containerId)}`;
}

/** Removes a container's client log and files (a directory of ours: rm never follows a symlink in it). */
export function removeClientFiles(paths: SupervisorPaths, containerId: string): void {
  rmSync(clientLogPath(paths, containerId), { force: true });
  rmSync(clientDir(paths, containerId), { recursive: true, force: true });
}

function clientSetup(paths: SupervisorPaths, driver: DhcpDriver, target: ReleaseTarget, token: string): ClientSetup {
  return {
    program: clientProgram(driver),
    helper: target.helper,
    interface: target.interface,
    hostname: target.hostname,
    dir: clientDir(paths, target.containerId),
    env: { [ENV_SPOOL]: paths.eventsDir, [ENV_CONTAINER]: target.containerId, [ENV_TOKEN]: token },
    identity: target.identity,
    dhcpv4: target.dhcpv4,
    dhcpv6: target.dhcpv6,
    requestIpv4: target.requestIpv4,
    now: new Date(),
  };
}

/** The client's directory with the files and subdirectories its command names, none of them a symlink. */
function prepareClientDir(dir: string, { files, seedFiles = {}, dirs }: ClientCommand): void {
  ensurePrivateDir(dir);
  for (const name of dirs) {
    const path = `${dir}/${name}`;
    try {
      mkdirSync(path, { mode: 0o755 });
    } catch (error) {
      if (!isErrnoCode(error, 'EEXIST')) throw error;
      if (!lstatSync(path).isDirectory()) throw new IpperError('STATE_DIR_UNSAFE', `"${path}" is not a directory (a symlink?)`);
    }
  }
  for (const [name, content] of Object.entries(files)) writeFileAtomic(`${dir}/${name}`, content);
  for (const [name, content] of Object.entries(seedFiles)) {
    if (!pathExists(`${dir}/${name}`)) writeFileAtomic(`${dir}/${name}`, content);
  }
}

/** Whether anything (a symlink too) is at the path. */
function pathExists(path: string): boolean {
  try {
    lstatSync(path);
    return true;
  } catch (error) {
    if (isErrnoCode(error, 'ENOENT')) return false;
    throw error;
  }
}

/** Tags one client incarnation's events (see ClientHandle.token). */
export function newClientToken(): string {
  return randomBytes(8).toString('hex');
}

export async function startClient(paths: SupervisorPaths, driver: DhcpDriver, start: ClientStart, token: string): Promise<ClientHandle> {
  const setup = clientSetup(paths, driver, start, token);
  const command = driver.command(setup);
  prepareClientDir(setup.dir, command);
  // Held open until the client is inside: nsenter enters through our descriptor, never by a pid
  // that could have been reused since the hook checked it.
  const netns = openContainerRefNetns(start.netns, start.netnsInode);
  try {
    const entering = inNetns(netns, command.argv);
    const logFd = openForAppendNoFollow(clientLogPath(paths, start.containerId));
    let child;
    try {
      child = spawnDetached(entering.file, entering.args, { env: { ...setup.env }, outputFd: logFd });
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
    await waitUntilRunning(identity, netns.inode, realpathSync(setup.program), exited);
    return { identity, token, exited, mountNs: holdOwnMountNs(identity) };
  } finally {
    netns.close();
  }
}

/**
 * Polls (a few ms) until the new process runs the client itself in the container's namespace
 * (nsenter, and ipper-helper for dhcpcd, exec it in place); it exits if either failed.
 */
async function waitUntilRunning(identity: ProcessIdentity, inode: number, executable: string, exited: Promise<void>): Promise<void> {
  let gone = false;
  void exited.then(() => (gone = true));
  const deadline = Date.now() + ENTER_TIMEOUT_MS;
  for (let delayMs = 1; ; delayMs = Math.min(20, delayMs * 2)) {
    if (readNetnsInode(identity.pid) === inode && exeOf(identity.pid) === executable && isAlive(identity)) return;
    if (gone || !isAlive(identity)) throw new IpperError('COMMAND_FAILED', 'the DHCP client exited before it entered the container\'s namespace');
    if (Date.now() > deadline) {
      signal(identity, 'SIGKILL');
      throw new IpperError('COMMAND_FAILED', 'the DHCP client did not enter the container\'s namespace');
    }
    await new Promise((resolve) => setTimeout(resolve, delayMs));
  }
}

function exeOf(pid: number): string | undefined {
  try {
    return readlinkSync(`/proc/${pid}/exe`);
  } catch {
    return undefined;
  }
}

/** A live client's mount namespace, held open, when it is not ours (one ipper-helper made for it). */
function holdOwnMountNs(identity: ProcessIdentity): MountNsHold | undefined {
  let fd: number;
  try {
    fd = openSync(`/proc/${identity.pid}/ns/mnt`, 'r');
  } catch {
    return undefined;
  }
  const inode = fstatSync(fd).ino;
  // Still that process after the open (not a reused pid), and a namespace of its own.
  if (!isAlive(identity) || inode === readMountNsInode('self')) {
    closeSync(fd);
    return undefined;
  }
  return { inode, fd };
}

/**
 * A client started by an earlier supervisor (or found by garbage collection): not our child, so
 * its exit is seen by polling.
 */
export function adoptClient(identity: ProcessIdentity, token: string, pollMs = 1000): ClientHandle {
  return { identity, token, exited: waitForExit(identity, pollMs), mountNs: holdOwnMountNs(identity) };
}

/**
 * Ends whatever is left of a client that has exited: the processes in its own mount namespace
 * (dhcpcd's helpers, which a SIGKILLed dhcpcd leaves behind holding the container's namespace).
 */
export function endClientLeftovers(handle: Pick<ClientHandle, 'mountNs'>): void {
  const hold = handle.mountNs;
  if (hold?.fd === undefined) return;
  try {
    killClientsInMountNs(hold.inode, installedClientExecutables());
  } finally {
    closeSync(hold.fd);
    hold.fd = undefined;
  }
}

/**
 * Ends a client's processes that outlived it with no handle to find them by: dhcpcd's helpers
 * after its main process was killed while no supervisor ran (nobody held its mount namespace).
 * They hold the container's namespace and a socket on its address for ever. Found by the
 * container's private directory, which their namespace shows at the driver's mount point; called
 * before that directory goes.
 */
export function endOrphanedClientProcesses(paths: SupervisorPaths, driver: DhcpDriver, containerId: string): void {
  const { privateDir } = driver;
  if (privateDir === undefined) return;
  let dir;
  try {
    dir = lstatSync(`${clientDir(paths, containerId)}/${privateDir.name}`);
  } catch {
    return; // never started here, or already removed
  }
  if (!dir.isDirectory()) return;
  const namespaces = mountNamespacesShowing(privateDir.mountpoint, `${dir.dev}:${dir.ino}`);
  if (namespaces.size === 0) return;
  const clients = installedClientExecutables();
  for (const inode of namespaces) killClientsInMountNs(inode, clients);
}

/** SIGKILLs every DHCP client executable in a mount namespace (nothing else that may be there). */
function killClientsInMountNs(inode: number, clients: ReadonlyMap<string, unknown>): void {
  for (const process of processesInMountNs(inode)) {
    const exe = exeOf(process.pid);
    if (exe !== undefined && clients.has(exe)) signal(process, 'SIGKILL');
  }
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

/** How long a client may take to stop on SIGSTOP (it may be in an uninterruptible wait). */
const FREEZE_TIMEOUT_MS = 1000;

/**
 * Freezes a client with SIGSTOP, which no process can block or ignore, and waits until it has
 * stopped: from then on it sends nothing, so the messages its log shows are all it ever sent.
 * 'running': it did not stop in time (and is let go on).
 */
export async function freezeClient(handle: Pick<ClientHandle, 'identity'>): Promise<'frozen' | 'gone' | 'running'> {
  if (!signal(handle.identity, 'SIGSTOP')) return 'gone';
  const deadline = Date.now() + FREEZE_TIMEOUT_MS;
  for (let delayMs = 1; !isStopped(handle.identity); delayMs = Math.min(20, delayMs * 2)) {
    if (!isAlive(handle.identity)) return 'gone';
    if (Date.now() > deadline) {
      thawClient(handle);
      return 'running';
    }
    await new Promise((resolve) => setTimeout(resolve, delayMs));
  }
  return 'frozen';
}

export function thawClient(handle: Pick<ClientHandle, 'identity'>): void {
  signal(handle.identity, 'SIGCONT');
}

/** How a client ended: on our signal (after its release), killed after the grace, or already gone. */
export type StopOutcome = 'terminated' | 'killed' | 'gone';

/**
 * Stops a client so that it releases its lease, the way its driver says: on a signal that makes it
 * release and exit (udhcpc -R, dhcpcd), or with SIGTERM and then its release command in the same
 * namespace (dhclient -r), which this holds open meanwhile: the client may be the last process in
 * it.
 */
export async function stopClient(paths: SupervisorPaths, driver: DhcpDriver, handle: ClientHandle, target: ReleaseTarget, { release = true, graceMs = 3000 } = {}): Promise<StopOutcome> {
  try {
    if (!release) return (await killProcess(handle.identity)) ? 'killed' : 'gone';
    return await stopAndRelease(paths, driver, handle, target, graceMs);
  } finally {
    endClientLeftovers(handle);
  }
}

async function stopAndRelease(paths: SupervisorPaths, driver: DhcpDriver, handle: ClientHandle, target: ReleaseTarget, graceMs: number): Promise<StopOutcome> {
  const { release } = driver;
  if (release.kind === 'signal') return signalAndWait(handle, release.signal, graceMs);
  let netns: NetnsHandle | undefined;
  try {
    if (target.netnsInode !== undefined && isAlive(handle.identity)) netns = openContainerNetns(handle.identity.pid, target.netnsInode);
  } catch {
    netns = undefined; // no namespace to release in: the link is gone with it
  }
  try {
    const outcome = await signalAndWait(handle, 'SIGTERM', graceMs);
    // Only after a clean exit: a client that had to be killed is not trusted to have kept its lease file.
    if (netns !== undefined && outcome === 'terminated') {
      const setup = clientSetup(paths, driver, target, handle.token);
      const entering = inNetns(netns, release.argv(setup));
      const said = await run(entering.file, entering.args, { timeoutMs: RELEASE_COMMAND_MS, env: { ...setup.env } }).then(
        (result) => `${result.stdout}\n${result.stderr}\n`,
        (error: unknown) => `release command failed: ${(error as Error).message}\n`,
      );
      appendFileSync(clientLogPath(paths, target.containerId), said);
    }
    return outcome;
  } finally {
    netns?.close();
  }
}

async function signalAndWait(handle: ClientHandle, sig: NodeJS.Signals, graceMs: number): Promise<StopOutcome> {
  if (!signal(handle.identity, sig)) return 'gone';
  const stopped = await Promise.race([handle.exited.then(() => true), waitForExit(handle.identity, 20, graceMs).then(() => !isAlive(handle.identity))]);
  if (stopped) return 'terminated';
  signal(handle.identity, 'SIGKILL');
  await waitForExit(handle.identity, 20, graceMs);
  return 'killed';
}

/** A duplicate client holds the same lease as the live one: it goes without a release. */
export async function killClient(identity: ProcessIdentity): Promise<void> {
  const handle = adoptClient(identity, '', 20);
  await killProcess(identity);
  endClientLeftovers(handle);
}

/** SIGKILL (a frozen process too), and its end awaited; false: it was gone already. */
async function killProcess(identity: ProcessIdentity): Promise<boolean> {
  if (!signal(identity, 'SIGKILL')) return false;
  await waitForExit(identity, 20, 3000);
  return true;
}

/** The interface a running client serves: every driver's argv ends with it. */
export function clientInterfaceOf(pid: number, fallback: string): string {
  try {
    const argv = readFileSync(`/proc/${pid}/cmdline`, 'latin1').split('\0').filter(Boolean);
    const last = argv.at(-1);
    return last !== undefined && isValidInterfaceName(last) ? last : fallback;
  } catch {
    return fallback;
  }
}
