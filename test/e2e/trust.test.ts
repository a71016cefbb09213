// Trust under faults: nothing ipper does may take the network away from a container that still
// runs. Each case is a way a live container lost its network before, on the real system.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { inNs, serverLeases } from '../lab/lab.js';
import { askToRenew, createWorld, type TestWorld } from '../helpers/env.js';
import { FakeContainer, ociState, runHook } from '../helpers/hook.js';
import { IPPER, filesIn, isPidAlive, supervisorPidOf, linkNames, namespaceView, clientsOf } from '../helpers/host.js';
import { inspect } from '../helpers/network.js';
import { PROTOCOL_VERSION } from '../../src/supervisor/protocol.js';

let world: TestWorld;
let baselineLinks: string[];
const fakes: FakeContainer[] = [];
const GC_MS = 1000;

/** A second configuration on the same host and bridge: its own state dir, helper dir and log. */
let other: { configPath: string; stateDir: string };

async function fake(): Promise<FakeContainer> {
  const container = new FakeContainer(world.lab);
  fakes.push(container);
  await container.ready();
  return container;
}

function create(id: string, pid: number, configPath = world.configPath): { status: number | null; stderr: string } {
  return runHook(world.lab, configPath, 'createRuntime', ociState({ id, pid }));
}

function poststop(id: string, configPath = world.configPath): { status: number | null; stderr: string } {
  return runHook(world.lab, configPath, 'poststop', JSON.stringify({ ociVersion: '1.0.2', id, status: 'stopped' }));
}

function ipper(args: string[], configPath = world.configPath): { status: number | null; stdout: string; stderr: string } {
  return spawnIn(args, configPath);
}

function spawnIn(args: string[], configPath: string): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync('/usr/bin/nsenter', [`--net=/run/netns/${world.lab.hostNs}`, '--', IPPER, ...args], { encoding: 'utf8', env: { IPPER_CONFIG: configPath } });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

function eth0(pid: number): string[] {
  return namespaceView(pid).addresses.filter((addr) => addr.ifname === 'eth0').map((addr) => addr.local);
}

/** The host veth's master, or undefined when it has none (or is gone). */
function masterOf(hostVeth: string): string | undefined {
  const links = JSON.parse(inNs(world.lab.hostNs, ['/usr/sbin/ip', '-j', 'link', 'show'])) as { ifname: string; master?: string }[];
  return links.find((link) => link.ifname === hostVeth)?.master;
}

function peerReaches(ip: string): boolean {
  return inNs(world.lab.peerNs, ['/bin/busybox', 'ping', '-c', '1', '-W', '1', ip], { allowFail: true }).includes('1 packets received');
}

/** What a container needs to be on the LAN: its address, its veth on the bridge, its client alive, reachable. */
async function expectConnected(id: string, pid: number, configPath = world.configPath): Promise<void> {
  const settings = inspectWith(id, configPath).NetworkSettings;
  expect(eth0(pid)).toEqual([settings['IPAddress']]);
  expect(masterOf(settings['HostInterface']!)).toBe(world.lab.bridge);
  expect(isPidAlive(Number(settings['DHCP_PID']))).toBe(true);
  // One ping may be lost to a neighbour entry being resolved on a loaded machine; a cut-off container never answers.
  await expect.poll(() => peerReaches(settings['IPAddress']!), { timeout: 10_000 }).toBe(true);
}

function inspectWith(id: string, configPath: string): { NetworkSettings: Record<string, string> } {
  return JSON.parse(spawnIn(['inspect', id], configPath).stdout) as { NetworkSettings: Record<string, string> };
}

function dryRun(configPath = world.configPath): Record<string, unknown>[] {
  const out = ipper(['gc', '--dry-run'], configPath).stdout.trim();
  return out === '' ? [] : out.split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
}

function supervisorPid(stateDir = world.stateDir): number | undefined {
  return supervisorPidOf(stateDir);
}

beforeAll(() => {
  world = createWorld('iptrust', '10.97.72', { gcIntervalMs: GC_MS, leaseTimeoutMs: 5000 });
  baselineLinks = linkNames(world.lab.hostNs);
  other = { configPath: `${world.dir}/config-b.json`, stateDir: `${world.dir}/state-b` };
  writeFileSync(other.configPath, JSON.stringify({ bridge: world.lab.bridge, stateDir: other.stateDir, helperDir: `${world.dir}/lib-b`, logFile: `${world.dir}/ipper-b.log`, logLevel: 'debug', gcIntervalMs: GC_MS, leaseTimeoutMs: 5000 }));
});

afterEach(async () => {
  for (const container of fakes.splice(0)) container.stop();
});

afterAll(async () => {
  await world?.stopSupervisor(other.stateDir);
  await world?.destroy();
});

async function expectHostClean(): Promise<void> {
  await expect.poll(() => filesIn(`${world.stateDir}/containers`).filter((name) => name.endsWith('.json')), { timeout: 5 * GC_MS + 5000 }).toEqual([]);
  await expect.poll(() => linkNames(world.lab.hostNs), { timeout: 5 * GC_MS + 5000 }).toEqual(baselineLinks);
  expect(clientsOf(world.stateDir, { all: true })).toEqual([]);
}

describe('two configurations with different state directories on one bridge', () => {
  it('run side by side for several GC rounds without touching each other\'s containers', async () => {
    const [a, b] = [await fake(), await fake()];
    expect(create('side-a', a.pid).status).toBe(0);
    expect(create('side-b', b.pid, other.configPath).status).toBe(0);
    // Several rounds on each side, on demand, and the timers' own rounds meanwhile.
    for (let round = 0; round < 3; round++) {
      expect(ipper(['gc']).status).toBe(0);
      expect(ipper(['gc'], other.configPath).status).toBe(0);
    }
    expect(dryRun()).toEqual([]);
    expect(dryRun(other.configPath)).toEqual([]);
    await expectConnected('side-a', a.pid);
    await expectConnected('side-b', b.pid, other.configPath);
    a.stop();
    b.stop();
    expect(poststop('side-a').status).toBe(0);
    expect(poststop('side-b', other.configPath).status).toBe(0);
    await expectHostClean();
    expect(filesIn(`${other.stateDir}/containers`)).toEqual([]);
  });
});

describe('an unreadable record', () => {
  it('is set aside, and its running container keeps its network until it is gone', async () => {
    const container = await fake();
    expect(create('corrupt', container.pid).status).toBe(0);
    const { IPAddress: ip, DHCP_PID: clientPid } = inspect(world, 'corrupt').NetworkSettings;
    await world.stopSupervisor();
    writeFileSync(`${world.stateDir}/containers/corrupt.json`, '{"version": 1, "id": "corr');
    expect(ipper(['gc']).status).toBe(0); // a new supervisor starts and adopts what it can read
    for (let round = 0; round < 3; round++) expect(ipper(['gc']).status).toBe(0);
    expect(isPidAlive(Number(clientPid))).toBe(true);
    expect(eth0(container.pid)).toEqual([ip]);
    await expect.poll(() => peerReaches(ip!), { timeout: 10_000 }).toBe(true);
    const kept = filesIn(`${world.stateDir}/containers`);
    expect(kept).toHaveLength(1);
    expect(kept[0]).toMatch(/^corrupt\.json\.unreadable-/);
    expect(dryRun().map(({ action, kind }) => ({ action, kind }))).toEqual([{ action: 'report', kind: 'client' }, { action: 'report', kind: 'veth' }]);
    // Once the container is gone, garbage collection has its proof: release, then nothing left.
    container.stop();
    await expect.poll(() => isPidAlive(Number(clientPid)), { timeout: 5 * GC_MS + 5000 }).toBe(false);
    await expect.poll(() => serverLeases(world.lab).map((lease) => lease.ip), { timeout: 5000 }).not.toContain(ip);
    rmSync(`${world.stateDir}/containers/${kept[0]}`);
    await expectHostClean();
  });
});

describe('a container id that starts with a dot', () => {
  it('is adopted after a supervisor restart like any other', async () => {
    const container = await fake();
    expect(create('.dotted', container.pid).status).toBe(0);
    const before = inspect(world, '.dotted').NetworkSettings;
    process.kill(supervisorPid()!, 'SIGKILL');
    expect(ipper(['gc']).status).toBe(0);
    for (let round = 0; round < 3; round++) expect(ipper(['gc']).status).toBe(0);
    expect(dryRun()).toEqual([]);
    expect(inspect(world, '.dotted').NetworkSettings['DHCP_PID']).toBe(before['DHCP_PID']);
    await expectConnected('.dotted', container.pid);
    container.stop();
    expect(poststop('.dotted').status).toBe(0);
    await expectHostClean();
  });
});

describe('the helper file', () => {
  it('removed under a running supervisor comes back: creates and renewals keep working', async () => {
    const first = await fake();
    expect(create('helper-1', first.pid).status).toBe(0);
    rmSync(world.helper);
    await expect.poll(() => existsSync(world.helper), { timeout: 5000 }).toBe(true);
    rmSync(world.helper);
    const second = await fake();
    expect(create('helper-2', second.pid)).toMatchObject({ status: 0, stderr: '' });
    expect(existsSync(world.helper)).toBe(true);
    // A renewal of the first container reaches the supervisor through the helper again.
    const renewedBefore = recordOf('helper-1').lease?.renewedAt;
    const wait = askToRenew(Number(inspect(world, 'helper-1').NetworkSettings['DHCP_PID']));
    await expect.poll(() => recordOf('helper-1').lease?.renewedAt, { timeout: wait }).not.toBe(renewedBefore);
    for (const [id, container] of [['helper-1', first], ['helper-2', second]] as const) {
      container.stop();
      expect(poststop(id).status).toBe(0);
    }
    await expectHostClean();
  });
});

function recordOf(id: string): { lease: { ip: string; renewedAt?: string } | null; client: { pid: number } | null; hostVeth: string } {
  return JSON.parse(readFileSync(`${world.stateDir}/containers/${id}.json`, 'utf8'));
}

describe('the DHCP client', () => {
  it('killed together with its container: the container network is torn down, no restart loop', async () => {
    const container = await fake();
    expect(create('both-gone', container.pid).status).toBe(0);
    const clientPid = Number(inspect(world, 'both-gone').NetworkSettings['DHCP_PID']);
    container.stop();
    process.kill(clientPid, 'SIGKILL');
    await expectHostClean();
  });

  it('killed while its container runs: restarted in the container\'s namespace, same address', async () => {
    const container = await fake();
    expect(create('client-dies', container.pid).status).toBe(0);
    const before = inspect(world, 'client-dies').NetworkSettings;
    process.kill(Number(before['DHCP_PID']), 'SIGKILL');
    await expect.poll(() => recordOf('client-dies').client?.pid, { timeout: 10_000 }).not.toBe(Number(before['DHCP_PID']));
    await expect.poll(() => recordOf('client-dies').lease?.ip, { timeout: 10_000 }).toBe(before['IPAddress']);
    await expectConnected('client-dies', container.pid);
    container.stop();
    expect(poststop('client-dies').status).toBe(0);
    await expectHostClean();
  });

  it('a process that carries a client\'s environment but is not the client (its event helper) is never stopped', async () => {
    const container = await fake();
    expect(create('lookalike', container.pid).status).toBe(0);
    const lookalike = spawn('/bin/sleep', ['600'], { stdio: 'ignore', env: { IPPER_SPOOL: `${world.stateDir}/events`, IPPER_CONTAINER: 'lookalike', IPPER_TOKEN: 'x' } });
    try {
      for (let round = 0; round < 3; round++) expect(ipper(['gc']).status).toBe(0);
      expect(isPidAlive(lookalike.pid!)).toBe(true);
      await expectConnected('lookalike', container.pid);
    } finally {
      lookalike.kill('SIGKILL');
    }
    container.stop();
    expect(poststop('lookalike').status).toBe(0);
    await expectHostClean();
  });

  it('that cannot send its release (stopped): poststop says so and still removes everything', async () => {
    const container = await fake();
    expect(create('no-release', container.pid).status).toBe(0);
    const clientPid = Number(inspect(world, 'no-release').NetworkSettings['DHCP_PID']);
    process.kill(clientPid, 'SIGSTOP');
    container.stop();
    const result = poststop('no-release');
    expect(result.status).not.toBe(0);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(/not released/);
    await expectHostClean();
  });
});

describe('addresses', () => {
  it('live as long as the lease, and a renewal extends them', async () => {
    const container = await fake();
    expect(create('lifetime', container.pid).status).toBe(0);
    const lifetime = (): number => {
      const links = JSON.parse(inNs(world.lab.hostNs, ['/usr/bin/nsenter', `--net=/proc/${container.pid}/ns/net`, '--', '/usr/sbin/ip', '-j', '-4', 'addr', 'show', 'dev', 'eth0'])) as { addr_info: { valid_life_time: number }[] }[];
      return links[0]!.addr_info[0]!.valid_life_time;
    };
    // The lab's leases last 120 s: the address must expire with the lease, not live for ever.
    expect(lifetime()).toBeLessThanOrEqual(120);
    expect(lifetime()).toBeGreaterThan(60);
    await expect.poll(lifetime, { timeout: 5000 }).toBeLessThan(120);
    const before = lifetime();
    const wait = askToRenew(Number(inspect(world, 'lifetime').NetworkSettings['DHCP_PID']));
    await expect.poll(lifetime, { timeout: wait }).toBeGreaterThan(before);
    container.stop();
    expect(poststop('lifetime').status).toBe(0);
    await expectHostClean();
  });
});

describe('two attach requests for one id at the same time', () => {
  it('one wins, the other is refused, and the winner\'s network stays whole', async () => {
    const container = await fake();
    const run = () =>
      new Promise<number | null>((resolve) => {
        const hook = spawn('/usr/bin/nsenter', [`--net=/run/netns/${world.lab.hostNs}`, '--', IPPER, 'hook', 'createRuntime'], { env: { IPPER_CONFIG: world.configPath }, stdio: ['pipe', 'ignore', 'ignore'] });
        hook.stdin.end(ociState({ id: 'twice', pid: container.pid }));
        hook.on('exit', resolve);
      });
    // A warm supervisor, so that both requests reach it together.
    expect(ipper(['gc']).status).toBe(0);
    const statuses = await Promise.all([run(), run()]);
    expect(statuses.filter((status) => status === 0)).toHaveLength(1);
    await expectConnected('twice', container.pid);
    container.stop();
    expect(poststop('twice').status).toBe(0);
    await expectHostClean();
  });
});

describe('a supervisor that speaks another protocol', () => {
  let server: Server | undefined;
  afterEach(() => server?.close());

  it.each([
    ['an unknown failure code', { v: PROTOCOL_VERSION, ok: false, code: 'SOMETHING_NEW', message: 'from the future' }],
    ['an old supervisor\'s reply, without a version', { ok: true }],
  ])('%s: the hook fails with one line, never a silent success', async (_name, reply) => {
    await world.stopSupervisor();
    const stateDir = `${world.dir}/state-fake`;
    rmSync(stateDir, { recursive: true, force: true });
    const configPath = `${world.dir}/config-fake.json`;
    writeFileSync(configPath, JSON.stringify({ bridge: world.lab.bridge, stateDir, helperDir: `${world.dir}/lib`, logFile: `${world.dir}/fake.log` }));
    mkdirSync(stateDir, { mode: 0o700 });
    server = createServer((socket) => socket.once('data', () => socket.end(`${JSON.stringify(reply)}\n`)));
    // A unix socket is a file: the hook in the lab's namespace reaches it all the same.
    await new Promise<void>((resolve) => server!.listen(`${stateDir}/supervisor.sock`, resolve));
    const container = await fake();
    // Asynchronously: the fake supervisor answers from this very process.
    const result = await new Promise<{ status: number | null; stderr: string }>((resolve) => {
      const hook = spawn('/usr/bin/nsenter', [`--net=/run/netns/${world.lab.hostNs}`, '--', IPPER, 'hook', 'createRuntime'], { env: { IPPER_CONFIG: configPath }, stdio: ['pipe', 'ignore', 'pipe'] });
      let stderr = '';
      hook.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
      hook.stdin.end(ociState({ id: 'protocol', pid: container.pid }));
      hook.on('exit', (status) => resolve({ status, stderr }));
    });
    expect(result.status).toBe(69);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(/\[PROTOCOL_MISMATCH\]$/m);
    expect(Object.keys(namespaceView(container.pid).macs)).toEqual(['lo']);
    expect(statSync(stateDir).isDirectory()).toBe(true);
  });
});

describe('ipper uninstall with a supervisor running', () => {
  it('refuses while a container has a network, and stops an idle supervisor so that its helper does not come back', async () => {
    const root = `${world.dir}/root`;
    const uninstall = () => spawnSync(IPPER, ['uninstall', '--root', root], { encoding: 'utf8', env: {} });
    expect(spawnSync(IPPER, ['install', '--root', root], { env: {} }).status).toBe(0);
    // The installed config names places under the root; the supervisor sees the same places from the host.
    writeFileSync(`${root}/etc/ipper/config.json`, JSON.stringify({ bridge: world.lab.bridge, stateDir: '/state' }));
    const configPath = `${world.dir}/config-root.json`;
    writeFileSync(configPath, JSON.stringify({ bridge: world.lab.bridge, stateDir: `${root}/state`, helperDir: `${root}/var/lib/ipper`, logFile: `${world.dir}/root.log`, gcIntervalMs: GC_MS }));
    const container = await fake();
    expect(create('uninstall-1', container.pid, configPath).status).toBe(0);
    const refused = uninstall();
    expect(refused.status).toBe(75);
    expect(refused.stderr.trim().split('\n')).toHaveLength(1);
    for (const path of ['/usr/local/bin/ipper', '/var/lib/ipper/ipper-helper', '/etc/ipper/config.json']) expect(existsSync(`${root}${path}`)).toBe(true);
    await expectConnected('uninstall-1', container.pid, configPath);
    const supervisor = supervisorPid(`${root}/state`);
    expect(supervisor).toBeDefined();
    container.stop();
    expect(poststop('uninstall-1', configPath).status).toBe(0);
    expect(uninstall().status).toBe(0);
    expect(isPidAlive(supervisor!)).toBe(false);
    for (const path of ['/usr/local/bin/ipper', '/var/lib/ipper/ipper-helper']) expect(existsSync(`${root}${path}`)).toBe(false);
  });
});

describe('a failure inside adoption or a GC round', () => {
  it('is logged and the supervisor lives on: it starts, and the other containers keep their network', async () => {
    const [healthy, broken] = [await fake(), await fake()];
    expect(create('adopt-ok', healthy.pid).status).toBe(0);
    expect(create('adopt-broken', broken.pid).status).toBe(0);
    await world.stopSupervisor();
    // The broken one's client died meanwhile, and its log cannot be opened: restarting it fails.
    const renewedBefore = recordOf('adopt-broken').lease?.renewedAt;
    process.kill(recordOf('adopt-broken').client!.pid, 'SIGKILL');
    const log = `${world.stateDir}/clients/adopt-broken.log`;
    rmSync(log, { force: true });
    mkdirSync(log);
    try {
      expect(ipper(['gc']).status).toBe(0); // a new supervisor starts, adopting both
      const supervisor = supervisorPid();
      expect(supervisor).toBeDefined();
      for (let round = 0; round < 3; round++) expect(ipper(['gc']).status).toBe(0);
      expect(supervisorPid()).toBe(supervisor);
      await expectConnected('adopt-ok', healthy.pid);
    } finally {
      rmSync(log, { recursive: true, force: true });
    }
    // Once the log can be opened again the client comes back by itself (its restart backs off) and
    // binds its address again (the lease in the record is still the dead client's until then).
    await expect.poll(() => isPidAlive(recordOf('adopt-broken').client?.pid ?? 0) && recordOf('adopt-broken').lease?.renewedAt !== renewedBefore, { timeout: 20_000 }).toBe(true);
    for (const [id, container] of [['adopt-ok', healthy], ['adopt-broken', broken]] as const) {
      container.stop();
      expect(poststop(id).status).toBe(0);
    }
    await expectHostClean();
  });
});
