// The supervisor must not live in the cgroup of the runtime whose hook started it: `systemctl
// restart docker` (KillMode=control-group) kills every process of docker.service's cgroup, and a
// supervisor started from a hook would sit there with every DHCP client it starts.
//   - Where systemd runs, the hook starts the supervisor as a transient unit of its own.
//   - Elsewhere the supervisor moves itself, before it starts any client, into a cgroup named
//     "ipper" at the root of each hierarchy that a service manager tracks processes by (cgroup v2,
//     or a named v1 hierarchy such as name=systemd or name=openrc) where it is not at the root
//     already; clients inherit it. Resource controllers (memory, pids, cpu) are left as they are:
//     a service stop kills by the tracking hierarchy, and leaving a memory or pids cgroup would
//     take the supervisor out of limits the host put on purpose (a sandbox's, say).
import { mkdirSync, readFileSync, rmdirSync, statSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { isErrnoCode } from '../errors.js';

export const SUPERVISOR_CGROUP = 'ipper';

export interface CgroupMembership {
  /** 0 for the unified (v2) hierarchy. */
  hierarchyId: number;
  /** v1 controllers and names ("memory", "name=systemd"); empty for v2. */
  controllers: string[];
  path: string;
}

export interface CgroupMount {
  mountPoint: string;
  /** The hierarchy's directory that the mount shows ("/" unless bind-mounted from below). */
  root: string;
  version: 1 | 2;
  controllers: string[];
}

/** Pure: /proc/<pid>/cgroup ("id:controllers:path" per line). */
export function parseProcCgroup(text: string): CgroupMembership[] {
  const memberships: CgroupMembership[] = [];
  for (const line of text.split('\n')) {
    const match = /^(\d+):([^:]*):(\/.*)$/.exec(line);
    if (match === null) continue;
    memberships.push({ hierarchyId: Number(match[1]), controllers: match[2] === '' ? [] : match[2]!.split(','), path: match[3]! });
  }
  return memberships;
}

/** mountinfo escapes blanks and backslashes in paths as octal. */
function unescapeMountPath(path: string): string {
  return path.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8)));
}

/** Pure: the cgroup mounts in /proc/<pid>/mountinfo. */
export function parseCgroupMounts(mountinfo: string): CgroupMount[] {
  const mounts: CgroupMount[] = [];
  for (const line of mountinfo.split('\n')) {
    const [before, after] = line.split(' - ');
    if (before === undefined || after === undefined) continue;
    const fields = before.split(' ');
    const [fsType, , superOptions = ''] = after.split(' ');
    const root = fields[3];
    const mountPoint = fields[4];
    if (root === undefined || mountPoint === undefined) continue;
    if (fsType === 'cgroup2') mounts.push({ mountPoint: unescapeMountPath(mountPoint), root: unescapeMountPath(root), version: 2, controllers: [] });
    if (fsType === 'cgroup') {
      const controllers = superOptions.split(',').filter((option) => !['rw', 'ro', 'clone_children', 'noprefix', 'xattr'].includes(option) && !option.startsWith('release_agent='));
      mounts.push({ mountPoint: unescapeMountPath(mountPoint), root: unescapeMountPath(root), version: 1, controllers });
    }
  }
  return mounts;
}

export interface CgroupMove {
  /** The directory to create and move into. */
  dir: string;
  /** The hierarchy's root directory (cpuset needs cpus and mems copied from it). */
  hierarchyRoot: string;
  controllers: string[];
}

/**
 * Pure: where to move so that no runtime's service cgroup holds us: `<hierarchy root>/<name>` for
 * each process-tracking hierarchy where `memberships` is below the root and not already there. Hierarchies mounted
 * from below their root (a container's view) are left as they are.
 */
export function planCgroupMoves(memberships: readonly CgroupMembership[], mounts: readonly CgroupMount[], name = SUPERVISOR_CGROUP): CgroupMove[] {
  const moves: CgroupMove[] = [];
  for (const membership of memberships) {
    if (membership.path === '/' || membership.path === `/${name}`) continue;
    if (!tracksProcesses(membership)) continue;
    const mount = mounts.find((candidate) =>
      candidate.root === '/' &&
      (membership.hierarchyId === 0 ? candidate.version === 2 : candidate.version === 1 && sameSet(candidate.controllers, membership.controllers)),
    );
    if (mount === undefined) continue;
    moves.push({ dir: `${mount.mountPoint}/${name}`, hierarchyRoot: mount.mountPoint, controllers: membership.controllers });
  }
  return moves;
}

/** The unified hierarchy, or a named v1 one with no controller (name=systemd, name=openrc). */
function tracksProcesses(membership: CgroupMembership): boolean {
  return membership.hierarchyId === 0 || (membership.controllers.length > 0 && membership.controllers.every((controller) => controller.startsWith('name=')));
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((item) => b.includes(item));
}

/** True where systemd is the init system (sd_booted(3): the directory exists). */
export function systemdRuns(): boolean {
  try {
    return statSync('/run/systemd/system').isDirectory();
  } catch {
    return false;
  }
}

/**
 * Pure: the argv that starts the supervisor outside the caller's cgroup. Under systemd a
 * transient unit (its own cgroup; KillMode=process: stopping it leaves the DHCP clients running,
 * as the shipped ipper-supervisor.service does); elsewhere the command as it is (the supervisor
 * then moves itself: leaveRuntimeCgroup). A unit name of its own per start: two hooks starting a
 * supervisor at once must not fail on a name in use; the lock keeps one supervisor.
 */
export function supervisorLaunchCommand(command: readonly string[], env: Readonly<Record<string, string>>, underSystemd: boolean, systemdRun: string, suffix: string): string[] {
  if (!underSystemd) return [...command];
  const setenv = Object.entries(env).map(([key, value]) => `--setenv=${key}=${value}`);
  return [systemdRun, '--quiet', '--collect', `--unit=ipper-supervisor-${suffix}`, '--description=ipper supervisor (started by a hook)', '--property=KillMode=process', ...setenv, '--', ...command];
}

/** The launch argv for this host (see supervisorLaunchCommand). */
export function launchOutsideRuntime(command: readonly string[], env: Readonly<Record<string, string>>, toolPath: (name: string) => string): string[] {
  const underSystemd = systemdRuns();
  return supervisorLaunchCommand(command, env, underSystemd, underSystemd ? toolPath('systemd-run') : '', randomBytes(4).toString('hex'));
}

/** The two logger calls used here (pino's shape). */
export interface CgroupLog {
  info: (fields: object, message: string) => void;
  warn: (fields: object, message: string) => void;
}

export interface CgroupMoveResult {
  moved: string[];
  failed: { dir: string; reason: string }[];
}

/**
 * Where systemd does not run: moves this process into its own cgroup in every hierarchy where a
 * runtime's cgroup holds it (planCgroupMoves). Never throws: a host where this cannot be done
 * still gets a supervisor.
 */
export function leaveRuntimeCgroup(log: CgroupLog, underSystemd = systemdRuns()): CgroupMoveResult {
  const result: CgroupMoveResult = { moved: [], failed: [] };
  // Under systemd the supervisor runs as a unit of its own (systemd-run, or the shipped unit):
  // leaving that unit's cgroup behind systemd's back would undo exactly that.
  if (underSystemd) return result;
  let moves: CgroupMove[];
  try {
    moves = planCgroupMoves(parseProcCgroup(readFileSync('/proc/self/cgroup', 'utf8')), parseCgroupMounts(readFileSync('/proc/self/mountinfo', 'utf8')));
  } catch (error) {
    result.failed.push({ dir: '/proc/self/cgroup', reason: (error as Error).message });
    log.warn({ failed: result.failed }, 'cannot leave the cgroup of the runtime that started the supervisor');
    return result;
  }
  for (const move of moves) {
    try {
      try {
        mkdirSync(move.dir, { mode: 0o755 });
        // A new v1 cpuset starts with no cpus and no mems: nothing could run in it.
        if (move.controllers.includes('cpuset')) {
          for (const file of ['cpuset.cpus', 'cpuset.mems']) writeFileSync(`${move.dir}/${file}`, readFileSync(`${move.hierarchyRoot}/${file}`, 'utf8'));
        }
      } catch (error) {
        if (!isErrnoCode(error, 'EEXIST')) throw error;
      }
      // All of this process's threads move (cgroup.procs takes a thread group).
      writeFileSync(`${move.dir}/cgroup.procs`, `${process.pid}\n`);
      result.moved.push(move.dir);
    } catch (error) {
      result.failed.push({ dir: move.dir, reason: (error as Error).message });
    }
  }
  if (result.failed.length > 0) log.warn({ moved: result.moved, failed: result.failed }, 'cannot leave the cgroup of the runtime that started the supervisor; a restart of that runtime may stop the supervisor');
  else if (result.moved.length > 0) log.info({ moved: result.moved }, 'supervisor moved out of the runtime\'s cgroup');
  return result;
}

/** After the supervisor stopped (uninstall, package removal): its now empty cgroups go. */
export function removeSupervisorCgroups(name = SUPERVISOR_CGROUP): void {
  let mounts: CgroupMount[];
  try {
    mounts = parseCgroupMounts(readFileSync('/proc/self/mountinfo', 'utf8'));
  } catch {
    return;
  }
  for (const mount of mounts.filter((candidate) => candidate.root === '/')) {
    try {
      rmdirSync(`${mount.mountPoint}/${name}`);
    } catch {
      // not there, or still holding processes (DHCP clients of containers that run): it stays
    }
  }
}
