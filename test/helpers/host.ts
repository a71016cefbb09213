// What the tests look at on the real system: links, processes, records, files.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { inNs, pause } from '../lab/lab.js';
import { isContainerAlive } from '../../src/store/container-ref.js';
import { readRecord, recordKeysOf } from '../../src/store/records.js';

export const ROOT = new URL('../..', import.meta.url).pathname.replace(/\/$/, '');
export const IPPER = `${ROOT}/dist/ipper`;

export function linkNames(ns: string): string[] {
  const links = JSON.parse(inNs(ns, ['/usr/sbin/ip', '-j', 'link', 'show'])) as { ifname: string }[];
  return links.map((link) => link.ifname).sort();
}

/** Addresses and default route inside the network namespace of `pid`. */
export function namespaceView(pid: number): { addresses: { ifname: string; local: string; prefixlen: number }[]; defaultVia: string | undefined; macs: Record<string, string> } {
  const nsenter = ['/usr/bin/nsenter', `--net=/proc/${pid}/ns/net`, '--'];
  const links = JSON.parse(execIn(nsenter, ['/usr/sbin/ip', '-j', '-4', 'addr', 'show'])) as {
    ifname: string;
    address?: string;
    addr_info: { local: string; prefixlen: number }[];
  }[];
  const routes = JSON.parse(execIn(nsenter, ['/usr/sbin/ip', '-j', '-4', 'route', 'show', 'default'])) as { gateway?: string }[];
  const macLinks = JSON.parse(execIn(nsenter, ['/usr/sbin/ip', '-j', 'link', 'show'])) as { ifname: string; address: string }[];
  return {
    addresses: links.flatMap((link) => link.addr_info.map((addr) => ({ ifname: link.ifname, local: addr.local, prefixlen: addr.prefixlen }))),
    defaultVia: routes[0]?.gateway,
    macs: Object.fromEntries(macLinks.map((link) => [link.ifname, link.address])),
  };
}

import { execFileSync } from 'node:child_process';
function execIn(prefix: string[], argv: string[]): string {
  const [file, ...args] = [...prefix, ...argv];
  return execFileSync(file!, args, { encoding: 'utf8' });
}

/** Processes whose command line contains `needle` (to find DHCP clients and supervisors). */
export function processesMatching(needle: string): { pid: number; cmdline: string }[] {
  const found: { pid: number; cmdline: string }[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const cmdline = readFileSync(`/proc/${name}/cmdline`, 'utf8').replace(/\0/g, ' ').trim();
      const state = readFileSync(`/proc/${name}/stat`, 'utf8').split(') ')[1]?.[0];
      if (state !== 'Z' && cmdline.includes(needle)) found.push({ pid: Number(name), cmdline });
    } catch {
      // exited meanwhile
    }
  }
  return found;
}

export function isPidAlive(pid: number): boolean {
  try {
    const state = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.[0];
    return state !== undefined && state !== 'Z';
  } catch {
    return false;
  }
}

/** The pid in a state directory's supervisor.pid, if that process is alive. */
export function supervisorPidOf(stateDir: string): number | undefined {
  try {
    const pid = Number(readFileSync(`${stateDir}/supervisor.pid`, 'utf8').trim());
    return isPidAlive(pid) ? pid : undefined;
  } catch {
    return undefined;
  }
}

export function filesIn(dir: string): string[] {
  try {
    return readdirSync(dir).sort();
  } catch {
    return [];
  }
}

function parentOf(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return undefined;
  }
}

/** "dev:ino" of every container's private dhcpcd run directory in a state directory. */
function privateRunDirs(stateDir: string): Set<string> {
  const dirs = new Set<string>();
  for (const stem of filesIn(`${stateDir}/clients`)) {
    try {
      const stat = statSync(`${stateDir}/clients/${stem}/run`);
      dirs.add(`${stat.dev}:${stat.ino}`);
    } catch {
      // not a dhcpcd client's directory
    }
  }
  return dirs;
}

/**
 * The DHCP clients of a state directory, whatever the client: processes (not zombies) whose
 * environment names its event spool, or (dhcpcd, which rewrites its environment for its process
 * title) in a mount namespace where one of its private run directories is at /run/dhcpcd. One per
 * client (the root of a client that forks; its event helper while it runs is the client's child);
 * `all` lists every such process.
 */
export function clientsOf(stateDir: string, { all = false } = {}): number[] {
  const spool = `IPPER_SPOOL=${stateDir}/events`;
  const runDirs = privateRunDirs(stateDir);
  const live = readdirSync('/proc').filter((name) => /^\d+$/.test(name) && isPidAlive(Number(name)));
  const mountNsOf = (pid: string): number | undefined => {
    try {
      return statSync(`/proc/${pid}/ns/mnt`).ino;
    } catch {
      return undefined;
    }
  };
  const ourMountNs = new Set<number>();
  if (runDirs.size > 0) {
    for (const pid of live) {
      try {
        const stat = statSync(`/proc/${pid}/root/run/dhcpcd`);
        if (runDirs.has(`${stat.dev}:${stat.ino}`)) ourMountNs.add(mountNsOf(pid)!);
      } catch {
        // not there, chrooted, or gone
      }
    }
  }
  const found = live.filter((pid) => {
    try {
      return readFileSync(`/proc/${pid}/environ`, 'latin1').split('\0').includes(spool) || ourMountNs.has(mountNsOf(pid) ?? 0);
    } catch {
      return false;
    }
  }).map(Number);
  if (all) return found.sort((a, b) => a - b);
  const pids = new Set(found);
  return found.filter((pid) => !pids.has(parentOf(pid) ?? 0)).sort((a, b) => a - b);
}

/** Processes that hold a network namespace (by inode): none may be left once a container is gone. */
export function holdersOf(netnsInode: number | ReadonlySet<number>): number[] {
  const wanted = typeof netnsInode === 'number' ? new Set([netnsInode]) : netnsInode;
  return readdirSync('/proc').filter((name) => /^\d+$/.test(name)).flatMap((name) => {
    try {
      return wanted.has(statSync(`/proc/${name}/ns/net`).ino) && isPidAlive(Number(name)) ? [Number(name)] : [];
    } catch {
      return [];
    }
  });
}

/**
 * Waits (polling, bounded) until the supervisor has finished a poststop: it answers the hook once
 * the lease is released and removes the link, filter element and record just after, the record
 * last. A record kept for a container that still runs (a late poststop) ends the wait too. Returns
 * whether it ended that way; a test then asserts on what is left.
 */
export function waitForRemoval(stateDir: string, id: string, timeoutMs = 10_000): boolean {
  return waitUntilSettled(stateDir, () => recordKeysOf(stateDir, id), timeoutMs);
}

/** waitForRemoval for every container of the state dir. */
export function waitForAllRemovals(stateDir: string, timeoutMs = 10_000): boolean {
  return waitUntilSettled(stateDir, () => recordKeysIn(stateDir), timeoutMs);
}

function recordKeysIn(stateDir: string): string[] {
  try {
    return readdirSync(`${stateDir}/containers`).filter((name) => name.endsWith('.json')).map((name) => name.slice(0, -'.json'.length));
  } catch {
    return [];
  }
}

function waitUntilSettled(stateDir: string, keys: () => string[], timeoutMs: number): boolean {
  const settled = (): boolean => keys().every((key) => {
    const record = readRecord(stateDir, key);
    return record !== undefined && record.phase === 'active' && isContainerAlive(record);
  });
  const deadline = Date.now() + timeoutMs;
  while (!settled()) {
    if (Date.now() >= deadline) return false;
    pause(20);
  }
  return true;
}
