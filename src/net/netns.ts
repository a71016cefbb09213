// The one place that knows how to act inside another network namespace (Node cannot setns(2)).
import { IpperError } from '../errors.js';
import { readNetnsInode } from '../sys/proc.js';
import { toolPath } from '../sys/tools.js';

export function netnsPath(pid: number): string {
  return `/proc/${pid}/ns/net`;
}

/** argv that runs `command` inside the network namespace of `pid`. */
export function inNetns(pid: number, command: readonly string[]): { file: string; args: string[] } {
  return { file: toolPath('nsenter'), args: [`--net=${netnsPath(pid)}`, '--', ...command] };
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
