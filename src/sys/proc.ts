// Process identity: a pid alone is reused by the kernel, a pid with its start time is not.
import { readdirSync, readFileSync, statSync } from 'node:fs';

export interface ProcessIdentity {
  pid: number;
  /** Start time in clock ticks since boot (field 22 of /proc/<pid>/stat). */
  startTime: number;
}

interface ProcStat {
  state: string;
  startTime: number;
}

/** Parses /proc/<pid>/stat; the command name may itself hold spaces and parentheses. */
export function parseProcStat(text: string): ProcStat | undefined {
  const close = text.lastIndexOf(')');
  if (close < 0) return undefined;
  const fields = text.slice(close + 2).split(' ');
  // fields[0] is field 3 (state); field 22 (starttime) is fields[19].
  const state = fields[0];
  const startTime = Number(fields[19]);
  if (state === undefined || !Number.isSafeInteger(startTime)) return undefined;
  return { state, startTime };
}

function readProcStat(pid: number): ProcStat | undefined {
  try {
    return parseProcStat(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return undefined;
  }
}

/** The start time of a running (not zombie) process, or undefined when there is none. */
export function readStartTime(pid: number): number | undefined {
  const stat = readProcStat(pid);
  if (stat === undefined || stat.state === 'Z' || stat.state === 'X') return undefined;
  return stat.startTime;
}

export function isAlive(identity: ProcessIdentity): boolean {
  return readStartTime(identity.pid) === identity.startTime;
}

/** Whether the process is stopped by a signal (state T): it runs no code until SIGCONT. */
export function isStopped(identity: ProcessIdentity): boolean {
  const stat = readProcStat(identity.pid);
  return stat !== undefined && stat.startTime === identity.startTime && stat.state === 'T';
}

/** Inode of a process's network namespace: equal inodes mean the same namespace. */
export function readNetnsInode(pid: number | 'self'): number | undefined {
  try {
    return statSync(`/proc/${pid}/ns/net`).ino;
  } catch {
    return undefined;
  }
}

/** Interface names in a process's network namespace, read without entering it. */
export function readInterfaceNames(pid: number): string[] {
  const text = readFileSync(`/proc/${pid}/net/dev`, 'utf8');
  return text
    .split('\n')
    .slice(2)
    .map((line) => line.split(':')[0]?.trim() ?? '')
    .filter((name) => name !== '');
}

/** Inode of a process's mount namespace. */
export function readMountNsInode(pid: number | 'self'): number | undefined {
  try {
    return statSync(`/proc/${pid}/ns/mnt`).ino;
  } catch {
    return undefined;
  }
}

/** Every live process in a mount namespace, with its identity as it was listed. */
export function processesInMountNs(inode: number): ProcessIdentity[] {
  const found: ProcessIdentity[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name) || readMountNsInode(Number(name)) !== inode) continue;
    const startTime = readStartTime(Number(name));
    if (startTime !== undefined) found.push({ pid: Number(name), startTime });
  }
  return found;
}

/**
 * "dev:ino" of the directory a process sees at `path`, through its own root and so through its
 * mount namespace (where a bind mount may have put another); undefined when it is chrooted or gone.
 */
export function dirSeenBy(pid: number | string, path: string): string | undefined {
  try {
    const stat = statSync(`/proc/${pid}/root${path}`);
    return `${stat.dev}:${stat.ino}`;
  } catch {
    return undefined;
  }
}

/** The mount namespaces whose members (those not chrooted) see the directory `dir` ("dev:ino") at `mountpoint`. */
export function mountNamespacesShowing(mountpoint: string, dir: string): Set<number> {
  const found = new Set<number>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name) || dirSeenBy(name, mountpoint) !== dir) continue;
    const inode = readMountNsInode(Number(name));
    if (inode !== undefined) found.add(inode);
  }
  return found;
}

export function signal(identity: ProcessIdentity, sig: NodeJS.Signals): boolean {
  if (!isAlive(identity)) return false;
  try {
    process.kill(identity.pid, sig);
    return true;
  } catch {
    return false;
  }
}
