// The one place that knows how to act inside another network namespace (Node cannot setns(2)).
import { closeSync, fstatSync, openSync, statSync } from 'node:fs';
import { IpperError } from '../errors.js';
import { readNetnsInode } from '../sys/proc.js';
import { toolPath } from '../sys/tools.js';

export function netnsPath(pid: number): string {
  return `/proc/${pid}/ns/net`;
}

/**
 * A container's network namespace, held open and checked: the inode is the one the hook recorded
 * and not our own. Commands enter it through our descriptor (`/proc/<our pid>/fd/N`), never
 * through `/proc/<pid>/ns/net` again, so a pid reused meanwhile cannot redirect them.
 */
export interface NetnsHandle {
  readonly path: string;
  readonly inode: number;
  close(): void;
}

export function openContainerNetns(pid: number, expectedInode: number): NetnsHandle {
  return openCheckedNetns(netnsPath(pid), `pid ${pid}`, '(process gone?)', expectedInode);
}

/** A CNI runtime's namespace, by the path it named (CNI_NETNS), checked like a container's. */
export function openNetnsAt(path: string, expectedInode: number): NetnsHandle {
  return openCheckedNetns(path, `"${path}"`, '(removed by the runtime?)', expectedInode);
}

/** The namespace of a record's container: by its process, or by the path a CNI runtime named. */
export function openContainerRefNetns(ref: { pid: number } | { netnsPath: string }, expectedInode: number): NetnsHandle {
  return 'netnsPath' in ref ? openNetnsAt(ref.netnsPath, expectedInode) : openContainerNetns(ref.pid, expectedInode);
}

function openCheckedNetns(path: string, what: string, goneHint: string, expectedInode: number): NetnsHandle {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (error) {
    throw new IpperError('NETNS_NOT_FOUND', `no network namespace for ${what} ${goneHint}`, { cause: error });
  }
  const inode = fstatSync(fd).ino;
  const refusal =
    inode === readNetnsInode('self')
      ? new IpperError('HOST_NAMESPACE', `${what} is in the host's own network namespace; refusing to touch it`)
      : inode !== expectedInode
        ? new IpperError('NETNS_NOT_FOUND', `network namespace of ${what} is not the container's (inode ${inode}, recorded ${expectedInode})`)
        : undefined;
  if (refusal !== undefined) {
    closeSync(fd);
    throw refusal;
  }
  let open = true;
  return {
    path: `/proc/${process.pid}/fd/${fd}`,
    inode,
    close: () => {
      if (open) closeSync(fd);
      open = false;
    },
  };
}

/** Runs `work` with the container's namespace held open and checked, and always lets it go. */
export async function withContainerNetns<T>(pid: number, expectedInode: number, work: (netns: NetnsHandle) => Promise<T>): Promise<T> {
  const netns = openContainerNetns(pid, expectedInode);
  try {
    return await work(netns);
  } finally {
    netns.close();
  }
}

/** The same, for a record's container: by its process, or by the path a CNI runtime named. */
export async function withContainerRefNetns<T>(ref: { pid: number } | { netnsPath: string }, expectedInode: number, work: (netns: NetnsHandle) => Promise<T>): Promise<T> {
  const netns = openContainerRefNetns(ref, expectedInode);
  try {
    return await work(netns);
  } finally {
    netns.close();
  }
}

/** argv that runs `command` inside the namespace held by `netns`. */
export function inNetns(netns: NetnsHandle, command: readonly string[]): { file: string; args: string[] } {
  return { file: toolPath('nsenter'), args: [`--net=${netns.path}`, '--', ...command] };
}

/**
 * The guard for a CNI runtime's namespace path: it exists, is a network namespace (nsfs) and is not
 * our own. Returns its inode.
 */
export function assertForeignNetnsPath(path: string): number {
  const own = readNetnsInode('self');
  let stat;
  try {
    stat = statSync(path);
  } catch (error) {
    throw new IpperError('NETNS_NOT_FOUND', `no network namespace at "${path}" (CNI_NETNS): removed before ADD?`, { cause: error });
  }
  if (own === undefined) throw new IpperError('NETNS_NOT_FOUND', 'cannot read our own network namespace');
  if (stat.ino === own) throw new IpperError('HOST_NAMESPACE', `"${path}" is the host's own network namespace; refusing to touch it`);
  // A namespace file is on nsfs, whose device is the same for every namespace (ours is one too).
  if (stat.dev !== statSync(`/proc/self/ns/net`).dev) throw new IpperError('NETNS_NOT_FOUND', `"${path}" is not a network namespace (CNI_NETNS)`);
  return stat.ino;
}

/**
 * The guard that comes before anything else: a DHCP client or a moved interface in our own
 * namespace would flush the host's addresses and cut the machine off its network.
 * Returns the target's namespace inode.
 */
export function assertForeignNetns(pid: number): number {
  const own = readNetnsInode('self');
  const target = readNetnsInode(pid);
  if (target === undefined) throw new IpperError('NETNS_NOT_FOUND', `no network namespace for pid ${pid} (process gone?)`);
  if (own === undefined) throw new IpperError('NETNS_NOT_FOUND', 'cannot read our own network namespace');
  if (target === own) {
    throw new IpperError('HOST_NAMESPACE', `pid ${pid} is in the host's own network namespace; refusing to touch it (was the container started with --network none?)`);
  }
  return target;
}
