// Whether a record's container is still there. The hook knows a process (pid + start time); a CNI
// runtime knows only a network namespace path (ADD comes before the container's process exists).
import { statSync } from 'node:fs';
import { isAlive, type ProcessIdentity } from '../sys/proc.js';
import type { ContainerRecord } from './records.js';

export type ContainerRef = ProcessIdentity | { netnsPath: string };

export function isNetnsRef(ref: ContainerRef): ref is { netnsPath: string } {
  return 'netnsPath' in ref;
}

/** The inode a namespace path shows now, or undefined when the path is gone. */
export function netnsInodeAt(path: string): number | undefined {
  try {
    return statSync(path).ino;
  } catch {
    return undefined;
  }
}

/**
 * The container still runs: its process (pid and start time), or, for a CNI attachment, its
 * namespace path still shows the recorded namespace. Our DHCP client pins that namespace, so its
 * inode cannot pass to another one while the record lives; the runtime removing the path (or the
 * process behind /proc/<pid>/ns/net ending) is the proof that the container is gone.
 */
export function isContainerAlive(record: Pick<ContainerRecord, 'container' | 'netnsInode'>): boolean {
  const ref = record.container;
  return isNetnsRef(ref) ? netnsInodeAt(ref.netnsPath) === record.netnsInode : isAlive(ref);
}

/** A process inside the container's namespace, to read its /proc/<pid>/net files: its own, or its DHCP client's. */
export function pidInContainer(record: Pick<ContainerRecord, 'container' | 'client'>): number | undefined {
  return isNetnsRef(record.container) ? record.client?.pid : record.container.pid;
}
