// The state directory by ensurePrivateDir's rules (a directory, not a symlink, ours, not writable
// by group or others), looked at without creating it; and records that cannot be read. Pure.
import { fail, ok, warn, type Finding } from './check.js';

export interface StateDirFacts {
  path: string;
  /** lstat of the directory; undefined when it does not exist; an error string when lstat failed otherwise. */
  stat: { isDirectory: boolean; isSymlink: boolean; uid: number; mode: number } | { error: string } | undefined;
  ourUid: number;
  unreadableRecords: readonly string[];
}

export function checkStateDir(facts: StateDirFacts): Finding[] {
  const { path, stat } = facts;
  if (stat === undefined) return [ok('state-dir', `${path} does not exist yet (made, private, at the first container start)`)];
  if ('error' in stat) return [fail('state-dir', `cannot look at ${path}: ${stat.error}`, `make ${path} a directory that root can read`)];
  if (stat.isSymlink) return [fail('state-dir', `${path} is a symlink: ipper refuses it (someone could point it elsewhere)`, `rm ${path} (ipper makes it again), or set "stateDir" to a real directory`)];
  if (!stat.isDirectory) return [fail('state-dir', `${path} is not a directory: every container start fails`, `move it away; ipper makes the directory at the next start`)];
  if (stat.uid !== facts.ourUid) return [fail('state-dir', `${path} is owned by uid ${stat.uid}, not ${facts.ourUid}: ipper refuses it`, `chown ${facts.ourUid} ${path}`)];
  if ((stat.mode & 0o022) !== 0) return [fail('state-dir', `${path} is writable by group or others (mode ${(stat.mode & 0o777).toString(8)}): ipper refuses it`, `chmod 700 ${path}`)];
  const findings = [ok('state-dir', `${path} is a private directory (mode ${(stat.mode & 0o777).toString(8)})`)];
  if (facts.unreadableRecords.length > 0) findings.push(warn('state-records', `${facts.unreadableRecords.length} record(s) cannot be read: ${facts.unreadableRecords.slice(0, 3).join(', ')}`, 'garbage collection sets them aside; look at them, then remove them'));
  return findings;
}
