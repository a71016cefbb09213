// The one containers.conf setting that decides where Podman reads hooks.d files: `[engine]
// hooks_dir`. containers.conf is TOML, read whole by smol-toml; a file it cannot read is an error
// naming the file and line: a file Podman reads must never be silently skipped, or ipper would
// install where Podman does not look. Only `ipper install`/`uninstall` load this module.
import { parse, TomlError } from 'smol-toml';
import { IpperError } from '../errors.js';
import * as z from './zod.js';

/** Podman's built-in hooks_dir (containers/common DefaultHooksDirs), used when no file sets one. */
export const PODMAN_DEFAULT_HOOKS_DIRS: readonly string[] = ['/usr/share/containers/oci/hooks.d'];

/** One file's hooks_dir: its directories and its `{append = true|false}` attribute, if it has one. */
export interface HooksDirSetting {
  dirs: string[];
  append?: boolean;
}

const absoluteDir = z.string().check(z.refine((dir) => dir.startsWith('/'), { error: (issue) => `hooks_dir holds "${String(issue.input)}", not an absolute path` }));
const NOT_ONLY_PATHS = 'hooks_dir must hold only directory paths (and an {append = true|false} attribute)';
// containers.conf(5): `{append=true}` in the array appends it to what earlier files set (newer
// Podman; 4.3 refuses the whole file, so such a file never meets this Podman).
const appendAttribute = z.strictObject({ append: z.boolean() }, { error: NOT_ONLY_PATHS });
const isAppendAttribute = (item: unknown): boolean => typeof item === 'object' && item !== null && Object.keys(item).join() === 'append';
// The union reports a string's own message when the item is a string; for anything else, its
// message says which of the two the item failed to be.
const hooksDirSchema = z.array(
  z.union([absoluteDir, appendAttribute], {
    error: (issue) => (isAppendAttribute(issue.input) ? 'hooks_dir has an append attribute that is not true or false' : NOT_ONLY_PATHS),
  }),
  { error: 'hooks_dir must be an array of directories' },
);
// Podman decodes [engine] into a struct: anything else under that name is an error there too.
// Other keys and tables are Podman's business, not ipper's.
const containersConfSchema = z.object({
  engine: z.optional(z.object({ hooks_dir: z.optional(hooksDirSchema) }, { error: 'must be a table' })),
});

function parseToml(text: string, path: string): unknown {
  try {
    // `__proto__`/`constructor` keys mean nothing to Podman: dropped, never set on an object.
    return parse(text, { unsafeKeyBehaviour: 'drop' });
  } catch (error) {
    // smol-toml's message is one line of its own, a blank line and a snippet of the file.
    const what = (error as Error).message.replace(/^Invalid TOML document: /, '').split('\n')[0];
    const where = error instanceof TomlError ? `${path}:${error.line}` : path;
    throw new IpperError('INVALID_CONFIG', `${where}: cannot read it as TOML (${what}); Podman cannot either, fix it first`, { cause: error });
  }
}

/** `[engine] hooks_dir` of one containers.conf, or undefined when the file does not set it. */
export function readHooksDir(text: string, path: string): HooksDirSetting | undefined {
  const result = containersConfSchema.safeParse(parseToml(text, path));
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new IpperError('INVALID_CONFIG', `${path}: [engine] ${issue?.message ?? 'is not valid'}; Podman cannot use it either, fix it first`);
  }
  const hooksDir = result.data.engine?.hooks_dir;
  if (hooksDir === undefined) return undefined;
  const setting: HooksDirSetting = { dirs: [] };
  for (const item of hooksDir) {
    if (typeof item === 'string') setting.dirs.push(item.replace(/(.)\/+$/, '$1'));
    else setting.append = item.append;
  }
  return setting;
}

/**
 * The directories Podman reads hooks from, given each containers.conf's setting in the order
 * Podman reads them (containers/common: a later file overrides an earlier one; once a file says
 * `{append=true}`, this and later files append, until one says `{append=false}`). Undefined when
 * no file sets hooks_dir: Podman then uses PODMAN_DEFAULT_HOOKS_DIRS.
 */
export function effectiveHooksDirs(settings: readonly (HooksDirSetting | undefined)[]): string[] | undefined {
  let dirs: string[] | undefined;
  let append = false;
  for (const setting of settings) {
    if (setting === undefined) continue;
    if (setting.append !== undefined) append = setting.append;
    dirs = append ? [...(dirs ?? PODMAN_DEFAULT_HOOKS_DIRS), ...setting.dirs] : [...setting.dirs];
  }
  return dirs;
}
