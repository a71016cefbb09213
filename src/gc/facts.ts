// What garbage collection looks at on the host: this instance's veths, its DHCP clients, and
// which network namespaces still hold a container process.
import { lstatSync, readdirSync, readFileSync, readlinkSync, statSync } from 'node:fs';
import { run } from '../sys/exec.js';
import { dirSeenBy, readStartTime } from '../sys/proc.js';
import { toolPath } from '../sys/tools.js';
import { ENV_CONTAINER, ENV_SPOOL, type DhcpClientName } from '../dhcp/driver.js';
import { DRIVERS } from '../dhcp/drivers.js';
import { HOST_VETH_NAME, parseVethAlias } from '../net/names.js';
import type { GcClientFact, GcVethFact } from './plan.js';

interface IpLinkJson {
  ifname?: string;
  ifalias?: string;
}

/** Host veths named like ipper's and marked with this instance's alias; another instance's are not ours. */
export function parseOwnVeths(json: string, instance: string): GcVethFact[] {
  const links = JSON.parse(json === '' ? '[]' : json) as IpLinkJson[];
  const veths: GcVethFact[] = [];
  for (const link of links) {
    const mark = parseVethAlias(link.ifalias);
    if (link.ifname !== undefined && HOST_VETH_NAME.test(link.ifname) && mark?.instance === instance) veths.push({ name: link.ifname, netnsInode: mark.netnsInode });
  }
  return veths;
}

export async function listOwnVeths(instance: string): Promise<GcVethFact[]> {
  const { stdout } = await run(toolPath('ip'), ['-j', 'link', 'show', 'type', 'veth']);
  return parseOwnVeths(stdout, instance);
}

function numericDirs(): string[] {
  return readdirSync('/proc').filter((name) => /^\d+$/.test(name));
}

function netnsInodeOf(pid: string): number | undefined {
  try {
    return statSync(`/proc/${pid}/ns/net`).ino;
  } catch {
    return undefined;
  }
}

/** Every process ipper started for this state directory: its spool is in their environment. */
export interface OwnProcesses {
  /** DHCP clients: the client's own executable (an event helper it runs is not a client). */
  clients: GcClientFact[];
  /** Clients and whatever they run (ipper-helper): never taken for a container process. */
  pids: Set<number>;
}

/** "dev:ino" of each container's private client directory (dhcpcd's run directory) → the container's file stem. */
function privateDirs(clientsDir: string): Map<string, string> {
  const dirs = new Map<string, string>();
  let stems: string[];
  try {
    stems = readdirSync(clientsDir);
  } catch {
    return dirs;
  }
  for (const driver of Object.values(DRIVERS)) {
    if (driver.privateDir === undefined) continue;
    for (const stem of stems) {
      try {
        const stat = lstatSync(`${clientsDir}/${stem}/${driver.privateDir.name}`);
        if (stat.isDirectory()) dirs.set(`${stat.dev}:${stat.ino}`, stem);
      } catch {
        // not this client's directory
      }
    }
  }
  return dirs;
}

interface ProcessSeen {
  name: string;
  environ: string[];
  driver: DhcpClientName | undefined;
  mountNs: number | undefined;
}

/**
 * The container of each client whose environment cannot be read, by mount namespace: the
 * namespace ipper-helper made for it shows the container's private directory at the driver's
 * mount point to any member not chrooted (dhcpcd's main process is, its privileged proxy is not).
 */
function containersByMountNs(seen: readonly ProcessSeen[], clientsDir: string): Map<number, string> {
  const byMountNs = new Map<number, string>();
  let dirs: Map<string, string> | undefined;
  for (const process of seen) {
    const privateDir = process.driver === undefined ? undefined : DRIVERS[process.driver].privateDir;
    if (privateDir === undefined || process.mountNs === undefined || byMountNs.has(process.mountNs)) continue;
    const seen = dirSeenBy(process.name, privateDir.mountpoint);
    const stem = seen === undefined ? undefined : (dirs ??= privateDirs(clientsDir)).get(seen);
    if (stem !== undefined) byMountNs.set(process.mountNs, stem);
  }
  return byMountNs;
}

export function listOwnProcesses(spoolDir: string, clientsDir: string, clientExecutables: ReadonlyMap<string, DhcpClientName>): OwnProcesses {
  const seen: ProcessSeen[] = [];
  for (const name of numericDirs()) {
    try {
      const environ = readFileSync(`/proc/${name}/environ`, 'latin1').split('\0');
      const exe = exeOf(name);
      const driver = exe === undefined ? undefined : clientExecutables.get(exe);
      seen.push({ name, environ, driver, mountNs: driver === undefined ? undefined : statSync(`/proc/${name}/ns/mnt`).ino });
    } catch {
      // gone, or a kernel thread
    }
  }
  const spool = `${ENV_SPOOL}=${spoolDir}`;
  const byMountNs = containersByMountNs(seen, clientsDir);
  const candidates: (GcClientFact & { parent: number | undefined })[] = [];
  const pids = new Set<number>();
  for (const { name, environ, driver, mountNs } of seen) {
    const container = environ.includes(spool)
      ? (environ.find((entry) => entry.startsWith(`${ENV_CONTAINER}=`))?.slice(ENV_CONTAINER.length + 1) ?? '')
      : mountNs === undefined ? undefined : byMountNs.get(mountNs);
    if (container === undefined) continue;
    const pid = Number(name);
    pids.add(pid);
    const startTime = readStartTime(pid);
    if (container === '' || startTime === undefined || driver === undefined) continue;
    candidates.push({ pid, startTime, containerId: container, netnsInode: netnsInodeOf(name), driver, parent: parentOf(name) });
  }
  // A client that forks (dhcpcd's privilege separation) is one client: its process tree's root.
  const clientPids = new Set(candidates.map((candidate) => candidate.pid));
  const clients = candidates.filter((candidate) => candidate.parent === undefined || !clientPids.has(candidate.parent)).map(({ parent: _parent, ...fact }) => fact);
  return { clients, pids };
}

/** Field 4 of /proc/<pid>/stat (after the command name, which may hold spaces and parentheses). */
function parentOf(pid: string): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const parent = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    return Number.isSafeInteger(parent) ? parent : undefined;
  } catch {
    return undefined;
  }
}

function exeOf(pid: string): string | undefined {
  try {
    return readlinkSync(`/proc/${pid}/exe`);
  } catch {
    return undefined;
  }
}

/**
 * A lazy answer to "does a container process still run in this namespace?": /proc is read once,
 * on the first question, and only when garbage collection has something unexplained to ask about.
 */
export function containerProcessProbe(ownPids: ReadonlySet<number>): (netnsInode: number) => boolean {
  let occupied: Set<number> | undefined;
  return (netnsInode) => {
    if (occupied === undefined) {
      occupied = new Set();
      for (const name of numericDirs()) {
        if (ownPids.has(Number(name))) continue;
        const inode = netnsInodeOf(name);
        if (inode !== undefined) occupied.add(inode);
      }
    }
    return occupied.has(netnsInode);
  };
}
