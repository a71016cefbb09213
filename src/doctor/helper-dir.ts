// helperDir: the supervisor writes ipper-helper there and every DHCP client runs it, so its
// filesystem must allow exec (/run often does not). Pure: the path and /proc/self/mountinfo.
import { fail, ok, type Finding } from './check.js';

export interface HelperDirFacts {
  path: string;
  mountinfo: string | undefined;
}

/** The mount that holds `path` (the longest mount point above it) and its per-mount options. */
export function mountOf(path: string, mountinfo: string): { point: string; options: string[] } | undefined {
  let best: { point: string; options: string[] } | undefined;
  for (const line of mountinfo.split('\n')) {
    const fields = line.split(' ');
    const point = fields[4]?.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8)));
    if (point === undefined || fields[5] === undefined) continue;
    const covers = point === '/' || path === point || path.startsWith(`${point}/`);
    // A later line for the same point is mounted over the earlier one.
    if (covers && (best === undefined || point.length >= best.point.length)) best = { point, options: fields[5].split(',') };
  }
  return best;
}

export function checkHelperDir(facts: HelperDirFacts): Finding[] {
  const mount = facts.mountinfo === undefined ? undefined : mountOf(facts.path, facts.mountinfo);
  if (mount === undefined) return [ok('helper-dir', `${facts.path}: its mount could not be read; not checked`)];
  if (mount.options.includes('noexec')) {
    return [fail('helper-dir', `${facts.path} is on ${mount.point}, mounted noexec: the DHCP clients cannot run ipper-helper, no lease reaches ipper`, 'set "helperDir" in the ipper config to a directory on a filesystem mounted with exec (the default /var/lib/ipper usually is)')];
  }
  return [ok('helper-dir', `${facts.path} is on ${mount.point}, which allows exec`)];
}
