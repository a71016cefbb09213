// The Podman hooks.d entry: in a directory this Podman reads (containers.conf hooks_dir, or its
// built-in default), valid, for the right stages, and pointing at a binary that exists: Podman
// silently drops an entry whose hook.path is missing. Pure.
import { fail, installCommand, ok, skip, type Finding } from './check.js';

export interface HooksFacts {
  /** Directories Podman reads in order (the last one wins for a name), or why they are unknown. */
  readDirs: string[] | { error: string };
  /** Whether containers.conf sets hooks_dir (else Podman's built-in default applies). */
  configured: boolean;
  /** ipper.json's text in each directory looked at (read ones and other known ones); undefined: none. */
  files: ReadonlyMap<string, string | undefined>;
  /** Whether a hook.path names an executable file (under --root). */
  isExecutable: (path: string) => boolean;
  podmanInstalled: boolean;
  /** The --root prefix, for messages. */
  root: string;
}

interface HookEntry {
  hook?: { path?: unknown };
  stages?: unknown;
}

function parseEntry(text: string): HookEntry | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as HookEntry) : undefined;
  } catch {
    return undefined;
  }
}

export function checkHooks(facts: HooksFacts): Finding[] {
  const { root } = facts;
  if (!Array.isArray(facts.readDirs)) return [fail('hooks.d', facts.readDirs.error, `fix containers.conf so that Podman can read it, then run ${installCommand(facts.root)}`)];
  const dirs = facts.readDirs;
  if (dirs.length === 0) return [fail('hooks.d', 'containers.conf sets hooks_dir = []: Podman reads no hooks directory and never runs ipper', `list a directory in [engine] hooks_dir (or remove the setting), then run ${installCommand(facts.root)}`)];
  const where = `${dirs.map((dir) => `${root}${dir}`).join(', ')} (${facts.configured ? 'hooks_dir in containers.conf' : "Podman's default"})`;
  const effective = [...dirs].reverse().find((dir) => facts.files.get(dir) !== undefined);
  if (effective === undefined) {
    if (!facts.podmanInstalled) return [skip('hooks.d', `Podman is not installed and no ipper.json is in ${where}`)];
    const unread = [...facts.files].filter(([dir, text]) => text !== undefined && !dirs.includes(dir)).map(([dir]) => `${root}${dir}`);
    const elsewhere = unread.length > 0 ? `; there is one in ${unread.join(', ')}, which this Podman does not read` : '';
    return [fail('hooks.d', `no ipper.json in the directories Podman reads, ${where}: Podman never runs ipper${elsewhere}`, `${installCommand(facts.root)} (it writes the entry where Podman reads it)`)];
  }
  const path = `${root}${effective}/ipper.json`;
  const entry = parseEntry(facts.files.get(effective)!);
  if (entry === undefined) return [fail('hooks.d', `${path} is not a JSON object: Podman refuses it`, `${installCommand(facts.root)} (writes it again)`)];
  const hookPath = entry.hook?.path;
  if (typeof hookPath !== 'string') return [fail('hooks.d', `${path} has no hook.path: Podman refuses it`, `${installCommand(facts.root)} (writes it again)`)];
  const stages = Array.isArray(entry.stages) ? entry.stages : [];
  const creates = stages.includes('createRuntime') || stages.includes('prestart');
  if (!creates || !stages.includes('poststop')) return [fail('hooks.d', `${path} runs at ${JSON.stringify(stages)}, not at createRuntime and poststop: containers ${creates ? 'keep their leases and leftovers after they stop' : 'get no network'}`, `${installCommand(facts.root)} (writes it again)`)];
  if (!facts.isExecutable(`${root}${hookPath}`)) return [fail('hooks.d', `${path} points at ${root}${hookPath}, which is not an executable file: Podman drops the entry without a word`, `${installCommand(facts.root)} (installs the binary and the entry together)`)];
  return [ok('hooks.d', `${path} is read by Podman (${facts.configured ? 'hooks_dir in containers.conf' : 'its default directory'}) and runs ${root}${hookPath}`)];
}
