// Writes the container's resolv.conf: the only code that opens files inside a container's root.
// The image is untrusted: every symlink in it is resolved as a chroot would (an absolute target
// starts again at the container's root, ".." stops at it), one component at a time through the
// directory already opened (/proc/self/fd/<dir>/<name>, Node's stand-in for openat), and the
// final file is opened with O_NOFOLLOW: a symlink swapped in meanwhile fails instead of leading out.
import { closeSync, constants, fstatSync, ftruncateSync, lstatSync, openSync, readlinkSync, statSync, writeSync } from 'node:fs';
import { IpperError, isErrnoCode } from '../errors.js';
import type { ResolvTarget } from './resolv.js';

/** Linux's own limit on symlinks followed in one lookup. */
const MAX_HOPS = 40;
const WRITE_FLAGS = constants.O_WRONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK | constants.O_NOCTTY;
const DIR_FLAGS = constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW;

function refuse(what: string): IpperError {
  return new IpperError('RESOLV_CONF_UNSAFE', `resolv.conf not written: ${what}`);
}

function splitPath(path: string): string[] {
  return path.split('/').filter((part) => part !== '' && part !== '.');
}

/** Opens (or creates, 0644) `path` inside `root` for writing, never leaving `root`. */
export function openInsideRoot(root: string, path: string): number {
  const rootFd = openSync(root, constants.O_RDONLY | constants.O_DIRECTORY);
  const dirs = [rootFd];
  try {
    // A root that is the host's own (a rootfs symlinked to /) would make /etc/resolv.conf the host's.
    const rootStat = fstatSync(rootFd);
    const hostRoot = statSync('/');
    if (rootStat.ino === hostRoot.ino && rootStat.dev === hostRoot.dev) throw refuse(`the container's root "${root}" is the host's root`);
    const pending = splitPath(path);
    let hops = 0;
    while (pending.length > 0) {
      const name = pending.shift()!;
      if (name === '..') {
        if (dirs.length > 1) closeSync(dirs.pop()!);
        continue;
      }
      const at = `/proc/self/fd/${dirs.at(-1)!}/${name}`;
      let stat;
      try {
        stat = lstatSync(at);
      } catch (error) {
        if (isErrnoCode(error, 'ENOENT') && pending.length === 0) {
          return openSync(at, WRITE_FLAGS | constants.O_CREAT | constants.O_EXCL, 0o644);
        }
        throw refuse(`"${path}" cannot be resolved in the container's root (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
      }
      if (stat.isSymbolicLink()) {
        if (++hops > MAX_HOPS) throw refuse(`"${path}" has more than ${MAX_HOPS} symlinks (a loop?)`);
        const target = readlinkSync(at);
        if (target.startsWith('/')) while (dirs.length > 1) closeSync(dirs.pop()!);
        pending.unshift(...splitPath(target));
        continue;
      }
      if (pending.length === 0) return openRegular(at, path);
      if (!stat.isDirectory()) throw refuse(`a component of "${path}" is not a directory`);
      dirs.push(openSync(at, DIR_FLAGS));
    }
    throw refuse(`"${path}" names a directory`);
  } finally {
    for (const fd of dirs) closeSync(fd);
  }
}

/** A regular file with one link (a hard link could be a file of someone else's), opened without following. */
function openRegular(at: string, shown: string): number {
  let fd: number;
  try {
    fd = openSync(at, WRITE_FLAGS);
  } catch (error) {
    throw refuse(`"${shown}" cannot be opened (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  const stat = fstatSync(fd);
  if (!stat.isFile() || stat.nlink !== 1) {
    closeSync(fd);
    throw refuse(`"${shown}" is not a regular file with a single link`);
  }
  return fd;
}

/**
 * Writes the text in place (truncate, then write): a bind-mounted file must stay the same inode,
 * or the container would keep seeing the old one.
 */
export function writeResolvConf(target: ResolvTarget, text: string): void {
  const fd = target.kind === 'rootfs' ? openInsideRoot(target.root, '/etc/resolv.conf') : openRegular(target.path, target.path);
  try {
    ftruncateSync(fd, 0);
    const bytes = Buffer.from(text);
    for (let offset = 0; offset < bytes.length; ) offset += writeSync(fd, bytes, offset, bytes.length - offset, offset);
  } finally {
    closeSync(fd);
  }
}
