// Where `ipper install` puts the hooks.d entry so that Podman, with its own defaults or with the
// operator's hooks_dir, actually reads it; and which copies are ipper's own to remove.
//
// Podman (containers/common) reads hooks only from `[engine] hooks_dir` of containers.conf, whose
// built-in value is /usr/share/containers/oci/hooks.d: Debian 12's Podman 4.3.1 reads nothing else.
// CRI-O and some Podman versions also read /etc/containers/oci/hooks.d, where a file of the same
// name masks the /usr/share one: a stale ipper.json there would shadow the fresh one.
import { readdirSync, readFileSync } from 'node:fs';
import { isDeepStrictEqual } from 'node:util';
import { IpperError, isErrnoCode } from '../errors.js';
import { effectiveHooksDirs, PODMAN_DEFAULT_HOOKS_DIRS, readHooksDir } from '../config/containers-conf.js';

export const HOOKS_FILE_NAME = 'ipper.json';
/** Read by CRI-O and some Podman versions besides /usr/share; where ipper installed before. */
export const ETC_HOOKS_DIR = '/etc/containers/oci/hooks.d';
/** containers.conf files in the order Podman reads them (rootful; a later one overrides). */
const CONTAINERS_CONF = ['/usr/share/containers/containers.conf', '/etc/containers/containers.conf'];
const CONTAINERS_CONF_D = '/etc/containers/containers.conf.d';

export interface HooksFilePlan {
  /** Directories to write ipper.json into. */
  write: string[];
  /** Other directories a runtime may read: an ipper.json there that is ipper's own is removed. */
  clean: string[];
}

/**
 * Pure: with no hooks_dir configured, Podman's default directory. With one, also the directory
 * listed last (Podman reads only the listed ones, and the last wins for a file of the same name).
 * A stale copy in any other directory a runtime reads is ipper's to remove, not to keep in step.
 */
export function planHooksFiles(configured: readonly string[] | undefined): HooksFilePlan {
  const last = configured?.at(-1);
  const write = [...new Set([...PODMAN_DEFAULT_HOOKS_DIRS, ...(last === undefined ? [] : [last])])];
  const known = new Set([...PODMAN_DEFAULT_HOOKS_DIRS, ETC_HOOKS_DIR, ...(configured ?? [])]);
  return { write, clean: [...known].filter((dir) => !write.includes(dir)) };
}

/** The containers.conf files that exist under `root`, in Podman's reading order. */
function containersConfFiles(root: string): string[] {
  let dropIns: string[] = [];
  try {
    dropIns = readdirSync(`${root}${CONTAINERS_CONF_D}`, { withFileTypes: true })
      .filter((entry) => !entry.isDirectory() && entry.name.endsWith('.conf'))
      .map((entry) => `${CONTAINERS_CONF_D}/${entry.name}`)
      .sort();
  } catch (error) {
    if (!isErrnoCode(error, 'ENOENT')) throw new IpperError('INVALID_CONFIG', `cannot read ${root}${CONTAINERS_CONF_D}: ${(error as Error).message}`, { cause: error });
  }
  return [...CONTAINERS_CONF, ...dropIns];
}

/**
 * hooks_dir as Podman will see it from the containers.conf files under `root` (undefined: not
 * set, Podman's default applies). A file that exists but cannot be read or parsed is an error.
 * CONTAINERS_CONF in Podman's own environment replaces all of these files; install cannot see it.
 */
export function configuredHooksDirs(root: string): string[] | undefined {
  const settings = containersConfFiles(root).map((path) => {
    let text: string;
    try {
      text = readFileSync(`${root}${path}`, 'utf8');
    } catch (error) {
      if (isErrnoCode(error, 'ENOENT')) return undefined;
      throw new IpperError('INVALID_CONFIG', `cannot read ${root}${path}: ${(error as Error).message}`, { cause: error });
    }
    return readHooksDir(text, `${root}${path}`);
  });
  return effectiveHooksDirs(settings);
}

/** True when `text` is an entry ipper install wrote (the only one it has ever written is `entry`). */
export function isIpperEntry(text: string, entry: unknown): boolean {
  try {
    return isDeepStrictEqual(JSON.parse(text), entry);
  } catch {
    return false;
  }
}
