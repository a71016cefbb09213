// Garbage collection against the real system: what a crashed runtime or a crashed hook leaves.
import { randomBytes } from 'node:crypto';
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inNs, serverLeases, sh } from '../lab/lab.js';
import { HOST_VETH_PREFIX, instanceId } from '../../src/net/names.js';
import { Runc, ensureBusyboxRootfs, writeBundle } from '../lab/runc.js';
import { askToRenew, createWorld, type TestWorld } from '../helpers/env.js';
import { FakeContainer } from '../helpers/hook.js';
import { IPPER, filesIn, isPidAlive, linkNames, processesMatching, clientsOf, holdersOf, waitForRemoval } from '../helpers/host.js';
import { inspect } from '../helpers/network.js';

let world: TestWorld;
let runc: Runc;
let baselineLinks: string[];
const GC_MS = 1000;

function newContainer(): { id: string; pid: number } {
  const id = randomBytes(32).toString('hex');
  const bundleDir = `${world.dir}/bundles/${id.slice(0, 12)}`;
  writeBundle({ bundleDir, rootfs: `${world.dir}/rootfs`, args: ['/bin/busybox', 'sleep', '600'], ipperPath: IPPER, ipperConfig: world.configPath });
  runc.create(id, bundleDir);
  runc.start(id);
  return { id, pid: runc.state(id)!.pid };
}

function ipper(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync('/usr/bin/nsenter', [`--net=/run/netns/${world.lab.hostNs}`, '--', IPPER, ...args], { encoding: 'utf8', env: { IPPER_CONFIG: world.configPath } });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

function expectHostClean(): void {
  expect(linkNames(world.lab.hostNs)).toEqual(baselineLinks);
  expect(filesIn(`${world.stateDir}/containers`)).toEqual([]);
  expect(clientsOf(world.stateDir, { all: true })).toEqual([]);
}

beforeAll(() => {
  world = createWorld('ipgc', '10.97.67', { gcIntervalMs: GC_MS });
  runc = new Runc(world.lab, `${world.dir}/runc`, (id) => waitForRemoval(world.stateDir, id));
  ensureBusyboxRootfs(`${world.dir}/rootfs`);
  baselineLinks = linkNames(world.lab.hostNs);
});

afterAll(async () => {
  for (const id of runc?.list() ?? []) runc.remove(id);
  await world?.destroy();
});

describe('garbage collection', () => {
  it('reaps a container SIGKILLed whose runtime never calls poststop: lease released, namespace freed', async () => {
    const { id, pid } = newContainer();
    const ip = inspect(world, id).NetworkSettings['IPAddress']!;
    const netnsInode = statSync(`/proc/${pid}/ns/net`).ino;
    process.kill(pid, 'SIGKILL');
    rmSync(`${world.dir}/runc/${id}`, { recursive: true, force: true }); // the runtime forgets it
    await expect.poll(() => filesIn(`${world.stateDir}/containers`), { timeout: 5 * GC_MS + 5000 }).toEqual([]);
    expect(serverLeases(world.lab).map((lease) => lease.ip)).not.toContain(ip);
    expect(inNs(world.lab.dhcpNs, ['/bin/cat', world.lab.serverLog])).toContain(`DHCPRELEASE(lan0) ${ip} `);
    expect(holdersOf(netnsInode)).toEqual([]);
    expectHostClean();
  });

  it('deletes a marked veth only with proof that its container is gone; reports one whose container runs; never touches another instance\'s or another tool\'s', async () => {
    const instance = instanceId(world.stateDir);
    // A namespace that only a mount holds: no process left in it, as after a crashed runtime.
    const emptyNs = `${world.lab.name}-empty`;
    sh('/usr/sbin/ip', ['netns', 'add', emptyNs]);
    const live = new FakeContainer(world.lab);
    await live.ready();
    const veth = (name: string, alias: string | undefined, peerNs: string, peer: string): void => {
      inNs(world.lab.hostNs, ['/usr/sbin/ip', 'link', 'add', name, 'master', world.lab.bridge, 'type', 'veth', 'peer', 'name', peer, 'netns', peerNs]);
      if (alias !== undefined) inNs(world.lab.hostNs, ['/usr/sbin/ip', 'link', 'set', 'dev', name, 'alias', alias]);
    };
    const gone = `${HOST_VETH_PREFIX}${randomBytes(6).toString('hex')}`;
    const running = `${HOST_VETH_PREFIX}${randomBytes(6).toString('hex')}`;
    const otherInstance = `${HOST_VETH_PREFIX}${randomBytes(6).toString('hex')}`;
    const unmarked = `${HOST_VETH_PREFIX}${randomBytes(6).toString('hex')}`;
    try {
      veth(gone, `ipper:${instance}:${statSync(`/run/netns/${emptyNs}`).ino}`, `/run/netns/${emptyNs}`, 'gonepeer');
      veth(running, `ipper:${instance}:${statSync(`/proc/${live.pid}/ns/net`).ino}`, `/proc/${live.pid}/ns/net`, 'livepeer');
      veth(otherInstance, `ipper:0badc0de:${statSync(`/run/netns/${emptyNs}`).ino}`, `/run/netns/${emptyNs}`, 'otherpeer');
      veth(unmarked, undefined, `/run/netns/${emptyNs}`, 'plainpeer');
      const dry = ipper(['gc', '--dry-run']);
      expect(dry.status).toBe(0);
      const planned = dry.stdout.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
      expect(planned.map(({ action, name }) => ({ action, name }))).toEqual([
        { action: 'delete-veth', name: gone },
        { action: 'report', name: running },
      ]);
      expect(linkNames(world.lab.hostNs)).toEqual(expect.arrayContaining([gone, running, otherInstance, unmarked]));
      for (let round = 0; round < 3; round++) expect(ipper(['gc']).status).toBe(0);
      const after = linkNames(world.lab.hostNs);
      expect(after).not.toContain(gone);
      expect(after).toEqual(expect.arrayContaining([running, otherInstance, unmarked]));
    } finally {
      for (const name of [running, otherInstance, unmarked]) inNs(world.lab.hostNs, ['/usr/sbin/ip', 'link', 'del', name], { allowFail: true });
      sh('/usr/sbin/ip', ['netns', 'del', emptyNs], { allowFail: true });
      live.stop();
    }
    expectHostClean();
  });

  it('stops a DHCP client that no record explains once its container is gone, and leaves one whose container runs', async () => {
    // Stray clients started by hand: any client ipper knows is recognised the same way (by its
    // executable and environment); udhcpc whatever the test client is, as it needs no files.
    const startClient = (pid: number, id: string) =>
      spawn('/usr/bin/nsenter', [`--net=/proc/${pid}/ns/net`, '--', '/usr/sbin/udhcpc', '-f', '-i', 'lo', '-s', '/bin/true'], {
        env: { IPPER_SPOOL: `${world.stateDir}/events`, IPPER_CONTAINER: id, IPPER_TOKEN: 'x' },
        stdio: 'ignore',
      });
    const live = new FakeContainer(world.lab);
    const dead = new FakeContainer(world.lab);
    await Promise.all([live.ready(), dead.ready()]);
    const kept = startClient(live.pid, 'ghost-live');
    const orphan = startClient(dead.pid, 'ghost-dead');
    try {
      for (const client of [kept, orphan]) await expect.poll(() => isPidAlive(client.pid!) && readFileSync(`/proc/${client.pid}/comm`, 'utf8').trim()).toBe('udhcpc');
      dead.stop(); // only the client is left in that namespace
      await expect.poll(() => isPidAlive(orphan.pid!), { timeout: 5 * GC_MS + 5000 }).toBe(false);
      // Several rounds later the one whose container runs is still there, and reported.
      for (let round = 0; round < 3; round++) expect(ipper(['gc']).status).toBe(0);
      expect(isPidAlive(kept.pid!)).toBe(true);
      const planned = ipper(['gc', '--dry-run']).stdout.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
      expect(planned).toEqual([expect.objectContaining({ action: 'report', kind: 'client', name: String(kept.pid), id: 'ghost-live' })]);
    } finally {
      kept.kill('SIGKILL');
      orphan.kill('SIGKILL');
      live.stop();
    }
  });

  it('reaps a record whose pid now belongs to another process, and never signals that process', async () => {
    const { id, pid } = newContainer();
    const impostor = spawn('/bin/sleep', ['600'], { stdio: 'ignore' });
    try {
      await world.stopSupervisor();
      // As if the container died and its pid went to a new process: same pid field, another process.
      const path = `${world.stateDir}/containers/${id}.json`;
      const record = JSON.parse(readFileSync(path, 'utf8'));
      record.container.pid = impostor.pid;
      writeFileSync(path, JSON.stringify(record));
      process.kill(pid, 'SIGKILL');
      rmSync(`${world.dir}/runc/${id}`, { recursive: true, force: true });
      expect(ipper(['gc']).status).toBe(0); // starts a supervisor, which adopts and reaps
      await expect.poll(() => filesIn(`${world.stateDir}/containers`), { timeout: 5 * GC_MS + 5000 }).toEqual([]);
      expect(isPidAlive(impostor.pid!)).toBe(true);
      expectHostClean();
    } finally {
      impostor.kill('SIGKILL');
    }
  });
});

describe('the supervisor', () => {
  it('runs in a session of its own, so that the end of the runtime session does not take it along', () => {
    const { id } = newContainer();
    const supervisorPid = Number(readFileSync(`${world.stateDir}/supervisor.pid`, 'utf8'));
    const session = Number(readFileSync(`/proc/${supervisorPid}/stat`, 'utf8').split(') ')[1]!.split(' ')[3]);
    expect(session).toBe(supervisorPid);
    runc.remove(id);
  });

  it('SIGKILLed while 20 containers run: clients keep running, the next one adopts them without duplicates, renewals go on', async () => {
    const containers = Array.from({ length: 20 }, () => newContainer());
    const clientsBefore = containers.map(({ id }) => Number(inspect(world, id).NetworkSettings['DHCP_PID']));
    const supervisorPid = Number(readFileSync(`${world.stateDir}/supervisor.pid`, 'utf8'));
    process.kill(supervisorPid, 'SIGKILL');
    await expect.poll(() => isPidAlive(supervisorPid)).toBe(false);
    expect(clientsBefore.every(isPidAlive)).toBe(true);
    // What a supervisor killed between writing a record's temp file and renaming it leaves.
    const halfWritten = `${world.stateDir}/containers/.0123456789ab.tmp`;
    writeFileSync(halfWritten, '{"version":1,"id":');
    // The next hook starts a new supervisor, which adopts every recorded client.
    const extra = newContainer();
    expect(filesIn(`${world.stateDir}/containers`)).not.toContain('.0123456789ab.tmp');
    expect(processesMatching(' supervisor').filter((p) => p.cmdline.startsWith(IPPER)).length).toBeGreaterThanOrEqual(1);
    expect(containers.map(({ id }) => Number(inspect(world, id).NetworkSettings['DHCP_PID']))).toEqual(clientsBefore);
    expect(clientsOf(world.stateDir)).toHaveLength(containers.length + 1);
    // An adopted client's renewal (asked for now where the client can be asked) reaches the server and the new supervisor.
    const renewed = containers[0]!.id;
    const record = () => JSON.parse(readFileSync(`${world.stateDir}/containers/${renewed}.json`, 'utf8'));
    const ip = record().lease.ip;
    const requestsBefore = (readFileSync(world.lab.serverLog, 'utf8').match(new RegExp(`DHCPACK\\(lan0\\) ${ip.replace(/\./g, '\\.')} `, 'g')) ?? []).length;
    await expect.poll(() => record().lease.renewedAt, { timeout: askToRenew(clientsBefore[0]!, undefined, { sameProcess: true }) }).toBeDefined();
    expect((readFileSync(world.lab.serverLog, 'utf8').match(new RegExp(`DHCPACK\\(lan0\\) ${ip.replace(/\./g, '\\.')} `, 'g')) ?? []).length).toBeGreaterThan(requestsBefore);
    for (const { id } of [...containers, extra]) runc.remove(id);
    expectHostClean();
  });

  it('SIGTERM leaves the clients running; --release-all releases everything on purpose', async () => {
    const { id } = newContainer();
    const client = Number(inspect(world, id).NetworkSettings['DHCP_PID']);
    const ip = inspect(world, id).NetworkSettings['IPAddress']!;
    await world.stopSupervisor();
    expect(isPidAlive(client)).toBe(true);
    const result = ipper(['supervisor', '--release-all']);
    expect(result).toMatchObject({ status: 0, stdout: 'released 1 container(s)\n' });
    expect(isPidAlive(client)).toBe(false);
    expect(serverLeases(world.lab).map((lease) => lease.ip)).not.toContain(ip);
    runc.remove(id);
    expectHostClean();
  });

  it('two hooks racing to start it: exactly one runs', async () => {
    await world.stopSupervisor();
    const a = spawn('/usr/bin/nsenter', [`--net=/run/netns/${world.lab.hostNs}`, '--', IPPER, 'gc'], { env: { IPPER_CONFIG: world.configPath }, stdio: 'ignore' });
    const b = spawn('/usr/bin/nsenter', [`--net=/run/netns/${world.lab.hostNs}`, '--', IPPER, 'gc'], { env: { IPPER_CONFIG: world.configPath }, stdio: 'ignore' });
    const codes = await Promise.all([a, b].map((child) => new Promise((resolve) => child.on('exit', resolve))));
    expect(codes).toEqual([0, 0]);
    const supervisors = () => processesMatching(`${IPPER} supervisor`).filter((p) => readFileSync(`/proc/${p.pid}/environ`, 'utf8').includes(world.configPath));
    await expect.poll(() => supervisors().length, { timeout: 10_000 }).toBe(1);
  });
});
