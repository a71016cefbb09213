// The supervisor that a hook starts must not live in the runtime's cgroup: `systemctl restart
// docker` (KillMode=control-group) kills every process of docker.service's cgroup. This machine
// runs no systemd (cgroup v1 hybrid), so the supervisor moves itself into a cgroup "ipper" of its
// own in the process-tracking hierarchies. Here a stand-in runtime runs in a fresh cgroup of each
// of those, runs the hook that starts the supervisor, and then every process of that cgroup is
// killed, as systemd would.
import { randomBytes } from 'node:crypto';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCgroupMounts, parseProcCgroup, SUPERVISOR_CGROUP } from '../../src/sys/cgroup.js';
import { askToRenew, createWorld, type TestWorld } from '../helpers/env.js';
import { FakeContainer, ociState, runHook } from '../helpers/hook.js';
import { IPPER, clientsOf, isPidAlive } from '../helpers/host.js';
import { inspect } from '../helpers/network.js';

let world: TestWorld;
const SUBNET = '10.97.91';
/** The runtime's cgroup in each hierarchy: a child of this test's own (so that it stays in its limits). */
let runtimeCgroups: string[] = [];

/**
 * The hierarchies a service manager finds a service's processes by, and kills them by: cgroup v2
 * and the named v1 ones (name=systemd here). Resource controllers are not where a restart looks.
 */
function hierarchies(): { mountPoint: string; current: string }[] {
  const own = parseProcCgroup(readFileSync('/proc/self/cgroup', 'utf8'));
  return parseCgroupMounts(readFileSync('/proc/self/mountinfo', 'utf8'))
    .filter((mount) => mount.root === '/' && (mount.version === 2 || (mount.controllers.length > 0 && mount.controllers.every((c) => c.startsWith('name=')))))
    .flatMap((mount) => {
      const membership = own.find((entry) => (mount.version === 2 ? entry.hierarchyId === 0 : entry.controllers.length === mount.controllers.length && entry.controllers.every((c) => mount.controllers.includes(c))));
      return membership === undefined ? [] : [{ mountPoint: mount.mountPoint, current: membership.path }];
    });
}

function pidsIn(cgroup: string): number[] {
  return readFileSync(`${cgroup}/cgroup.procs`, 'utf8').split('\n').filter(Boolean).map(Number);
}

/** Every cgroup path of a process, one per hierarchy line of /proc/<pid>/cgroup. */
function cgroupsOf(pid: number): string[] {
  return readFileSync(`/proc/${pid}/cgroup`, 'utf8').trim().split('\n');
}

beforeAll(() => {
  world = createWorld('cgrp', SUBNET);
  const name = `${process.env['IPPER_LAB_PREFIX'] ?? ''}runtime-${randomBytes(3).toString('hex')}`;
  runtimeCgroups = hierarchies().map(({ mountPoint, current }) => `${mountPoint}${current === '/' ? '' : current}/${name}`);
  for (const dir of runtimeCgroups) mkdirSync(dir);
});

afterAll(async () => {
  // A failed run must not leave a DHCP client behind in the fake container's namespace.
  for (const pid of world === undefined ? [] : clientsOf(world.stateDir, { all: true })) process.kill(pid, 'SIGKILL');
  for (const dir of runtimeCgroups) for (const pid of existsSync(dir) ? pidsIn(dir) : []) process.kill(pid, 'SIGKILL');
  await world?.destroy();
  for (const dir of runtimeCgroups) {
    for (let i = 0; i < 100 && existsSync(dir); i++) {
      try {
        rmdirSync(dir);
      } catch {
        await new Promise((resolve) => setTimeout(resolve, 20)); // killed processes leave the cgroup when reaped
      }
    }
  }
  // The supervisor's own cgroups go when empty; another supervisor on this machine may hold them.
  for (const { mountPoint } of hierarchies()) {
    try {
      rmdirSync(`${mountPoint}/${SUPERVISOR_CGROUP}`);
    } catch {
      // in use, or never made
    }
  }
});

/** A stand-in runtime: a process that joins the runtime's cgroups, then runs the createRuntime hook. */
async function runHookFromRuntimeCgroup(state: string): Promise<number | null> {
  writeFileSync(`${world.dir}/state.json`, state);
  // sh waits on its stdin until it has joined the cgroups, then becomes the hook (exec).
  const runtime: ChildProcess = spawn(
    '/bin/sh',
    ['-c', 'read go && exec "$@" < "$STATE_FILE"', 'runtime', '/usr/bin/nsenter', `--net=/run/netns/${world.lab.hostNs}`, '--', IPPER, 'hook', 'createRuntime'],
    { env: { IPPER_CONFIG: world.configPath, STATE_FILE: `${world.dir}/state.json` }, stdio: ['pipe', 'ignore', 'inherit'], cwd: '/' },
  );
  for (const dir of runtimeCgroups) writeFileSync(`${dir}/cgroup.procs`, `${runtime.pid}\n`);
  for (const dir of runtimeCgroups) expect(pidsIn(dir)).toContain(runtime.pid);
  runtime.stdin!.end('go\n');
  return new Promise((resolve) => runtime.once('exit', (code) => resolve(code)));
}

describe('a supervisor started by a hook in a runtime\'s cgroup', () => {
  let container: FakeContainer;
  let id: string;
  let supervisorPid: number;
  let clientPid: number;

  it('moves itself out of that cgroup before it starts the DHCP client, which follows it', async () => {
    container = new FakeContainer(world.lab);
    await container.ready();
    id = randomBytes(32).toString('hex');
    expect(await runHookFromRuntimeCgroup(ociState({ id, pid: container.pid }))).toBe(0);
    supervisorPid = Number(readFileSync(`${world.stateDir}/supervisor.pid`, 'utf8'));
    clientPid = Number(inspect(world, id).NetworkSettings['DHCP_PID']);
    expect(isPidAlive(supervisorPid) && isPidAlive(clientPid)).toBe(true);
    for (const pid of [supervisorPid, clientPid]) {
      const runtimeLines = cgroupsOf(pid).filter((line) => runtimeCgroups.some((dir) => line.endsWith(dir.slice(dir.lastIndexOf('/')))));
      expect(runtimeLines).toEqual([]);
      expect(cgroupsOf(pid)).toEqual(expect.arrayContaining([expect.stringMatching(new RegExp(`:/${SUPERVISOR_CGROUP}$`))]));
    }
  });

  it('killing every process of the runtime\'s cgroup (a runtime restart) leaves the supervisor and the client alive, and the lease renews', async () => {
    // The stand-in runtime is gone already; a runtime that runs when it is restarted is killed too.
    const lingering = spawn('/bin/sleep', ['600'], { stdio: 'ignore' });
    for (const dir of runtimeCgroups) writeFileSync(`${dir}/cgroup.procs`, `${lingering.pid}\n`);
    for (const dir of runtimeCgroups) {
      for (const pid of pidsIn(dir)) process.kill(pid, 'SIGKILL');
    }
    await expect.poll(() => runtimeCgroups.flatMap(pidsIn)).toEqual([]);
    expect(isPidAlive(supervisorPid)).toBe(true);
    expect(isPidAlive(clientPid)).toBe(true);
    expect(clientsOf(world.stateDir)).toEqual([clientPid]);
    const record = (): { lease?: { renewedAt?: string } } => JSON.parse(readFileSync(`${world.stateDir}/containers/${id}.json`, 'utf8'));
    const before = record().lease?.renewedAt;
    // This very client renews (now where it can be asked without a restart, else at its own T1).
    await expect.poll(() => record().lease?.renewedAt, { timeout: askToRenew(clientPid, undefined, { sameProcess: true }) }).not.toBe(before);
    expect(isPidAlive(clientPid)).toBe(true);
    expect(record().lease?.renewedAt).toBeDefined();
    // And the supervisor still answers: the container stops, the poststop hook releases through it.
    container.stop();
    await expect.poll(() => isPidAlive(container.pid)).toBe(false);
    expect(runHook(world.lab, world.configPath, 'poststop', ociState({ id, status: 'stopped' })).status).toBe(0);
    await expect.poll(() => isPidAlive(clientPid)).toBe(false);
    expect(clientsOf(world.stateDir, { all: true })).toEqual([]);
  });
});
