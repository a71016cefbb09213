// Files in the state directory: never follow a symlink, always replace atomically.
import { constants, closeSync, fsyncSync, lstatSync, mkdirSync, openSync, readFileSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { crypto } from './crypto.js';
import { dirname } from 'node:path';
import { IpperError, isErrnoCode } from '../errors.js';

/** Creates (0700) or checks a directory that only root may write, refusing symlinks and foreign owners. */
export function ensurePrivateDir(path: string): void {
  try {
    mkdirSync(path, { recursive: false, mode: 0o700 });
  } catch (error) {
    if (isErrnoCode(error, 'ENOENT')) {
      ensurePrivateDir(dirname(path) === path ? '/' : dirname(path));
      mkdirSync(path, { mode: 0o700 });
    } else if (!isErrnoCode(error, 'EEXIST')) {
      throw new IpperError('STATE_DIR_UNSAFE', `cannot create "${path}": ${(error as Error).message}`, { cause: error });
    }
  }
  const stat = lstatSync(path);
  if (!stat.isDirectory()) throw new IpperError('STATE_DIR_UNSAFE', `"${path}" is not a directory (a symlink?)`);
  if (stat.uid !== process.getuid?.()) throw new IpperError('STATE_DIR_UNSAFE', `"${path}" is owned by uid ${stat.uid}, not by us`);
  if ((stat.mode & 0o022) !== 0) throw new IpperError('STATE_DIR_UNSAFE', `"${path}" is writable by group or others`);
}

/** Writes a whole file by temp file + rename; readers see the old or the new content, never half. */
export function writeFileAtomic(path: string, content: string | Uint8Array, mode = 0o600): void {
  const temp = `${dirname(path)}/.${crypto().randomBytes(6).toString('hex')}.tmp`;
  const fd = openSync(temp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, mode);
  try {
    try {
      // A short write (the disk filling up) is retried until it throws: never a truncated record.
      const bytes = typeof content === 'string' ? Buffer.from(content) : content;
      for (let offset = 0; offset < bytes.length; ) offset += writeSync(fd, bytes, offset);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temp, path);
  } catch (error) {
    removeFile(temp); // a full disk must not leave half a file behind
    throw error;
  }
}

/**
 * Opens a file in our private directory for appending, never through a symlink: one planted
 * there is removed (not followed), so its target is left as it was.
 */
export function openForAppendNoFollow(path: string): number {
  const flags = constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_NOFOLLOW;
  try {
    return openSync(path, flags, 0o600);
  } catch (error) {
    if (!isErrnoCode(error, 'ELOOP')) throw error;
    unlinkSync(path);
    return openSync(path, flags | constants.O_EXCL, 0o600);
  }
}

/** Reads a regular file without following a symlink; undefined when it does not exist. */
export function readFileNoFollow(path: string): string | undefined {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch (error) {
    if (isErrnoCode(error, 'ENOENT')) return undefined;
    throw error;
  }
  try {
    return readFileSync(fd, 'utf8');
  } finally {
    closeSync(fd);
  }
}

/** Removes a file; one that is already gone is success. */
export function removeFile(path: string): void {
  try {
    unlinkSync(path);
  } catch (error) {
    if (!isErrnoCode(error, 'ENOENT')) throw error;
  }
}
