// Faults injected into the real system (the built hook, real namespaces, real dnsmasq and udhcpc),
// each followed by a check that nothing was lost or leaked.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { inNs, serverLeases, sh, startServer, stopServer } from '../lab/lab.js';
import { DHCP_CLIENTS } from '../../src/dhcp/driver.js';
import { askToRenew, createWorld, type TestWorld } from '../helpers/env.js';
import { FakeContainer, ociState, runHook } from '../helpers/hook.js';
import { IPPER, clientsOf, filesIn, isPidAlive, linkNames, namespaceView, processesMatching } from '../helpers/host.js';
import { inspect } from '../helpers/network.js';

let world: TestWorld;
let baselineLinks: string[];
const fakes: FakeContainer[] = [];
const CONFIG = { gcIntervalMs: 1000, leaseTimeoutMs: 5000 };

async function fake(): Promise<FakeContainer> {
  const container = new FakeContainer(world.lab);
  fakes.push(container);
  await container.ready();
  return container;
}

function create(id: string, pid: number): { status: number | null; stderr: string } {
  return runHook(world.lab, world.configPath, 'createRuntime', ociState({ id, pid }));
}

/** The runtime's poststop: the container's process is gone by then. */
function poststop(id: string, container?: FakeContainer): { status: number | null; stderr: string } {
  container?.stop();
  return runHook(world.lab, world.configPath, 'poststop', JSON.stringify({ ociVersion: '1.0.2', id, status: 'stopped' }));
}

function eth0(pid: number): string[] {
  return namespaceView(pid).addresses.filter((addr) => addr.ifname === 'eth0').map((addr) => addr.local);
}

/** Zombie children of the supervisor: processes it started and never reaped. */
function zombiesOfSupervisor(): number[] {
  const parents = new Set(supervisors());
  return readdirSync('/proc').filter((name) => /^\d+$/.test(name)).flatMap((name) => {
    try {
      const fields = readFileSync(`/proc/${name}/stat`, 'utf8').split(') ')[1]!.split(' ');
      return fields[0] === 'Z' && parents.has(Number(fields[1])) ? [Number(name)] : [];
    } catch {
      return [];
    }
  });
}

async function expectHostClean(): Promise<void> {
  await expect.poll(() => filesIn(`${world.stateDir}/containers`), { timeout: 5000 }).toEqual([]);
  expect(linkNames(world.lab.hostNs)).toEqual(baselineLinks);
  expect(clientsOf(world.stateDir, { all: true })).toEqual([]);
  expect(zombiesOfSupervisor()).toEqual([]);
}

function openFds(pid: number): number {
  return readdirSync(`/proc/${pid}/fd`).length;
}

/** The fewest descriptors seen over a short window: GC rounds open pipes for a moment. */
async function restingFds(pid: number): Promise<number> {
  let fewest = Infinity;
  for (let sample = 0; sample < 20; sample++) {
    fewest = Math.min(fewest, openFds(pid));
    await new Promise((resolve) => setTimeout(resolve, 50)); // a sampling window, not a wait for a state
  }
  return fewest;
}

/** A field of a record, or undefined while it is not (or no longer) there. */
function recordField(id: string, field: string): unknown {
  try {
    return (JSON.parse(readFileSync(`${world.stateDir}/containers/${id}.json`, 'utf8')) as Record<string, unknown>)[field];
  } catch {
    return undefined;
  }
}

function supervisors(): number[] {
  return processesMatching(`${IPPER} supervisor`)
    .filter((p) => readFileSync(`/proc/${p.pid}/environ`, 'utf8').includes(world.configPath))
    .map((p) => p.pid);
}

beforeAll(() => {
  world = createWorld('ipflt', '10.97.68', CONFIG);
  baselineLinks = linkNames(world.lab.hostNs);
});

afterEach(async () => {
  for (const container of fakes.splice(0)) container.stop();
  world.writeConfig(CONFIG);
});

afterAll(async () => {
  await world?.destroy();
});

describe('stale leftovers of an unclean stop', () => {
  it('a dead socket, an old lock, an empty pid file: the supervisor starts and replaces them', async () => {
    await world.stopSupervisor();
    mkdirSync(world.stateDir, { recursive: true, mode: 0o700 });
    const holder = spawn(process.execPath, ['-e', `require('net').createServer().listen(${JSON.stringify(`${world.stateDir}/supervisor.sock`)}, () => setTimeout(() => {}, 1e6))`], { stdio: 'ignore' });
    await expect.poll(() => filesIn(world.stateDir)).toContain('supervisor.sock');
    holder.kill('SIGKILL'); // leaves the socket file behind
    writeFileSync(`${world.stateDir}/supervisor.pid`, '');
    writeFileSync(`${world.stateDir}/supervisor.lock`, '');
    mkdirSync(`${world.stateDir}/supervisor.lock.lock`);
    const old = new Date(Date.now() - 60_000);
    utimesSync(`${world.stateDir}/supervisor.lock.lock`, old, old);
    const container = await fake();
    expect(create('stale-1', container.pid)).toMatchObject({ status: 0 });
    expect(supervisors()).toHaveLength(1);
    expect(readFileSync(`${world.stateDir}/supervisor.pid`, 'utf8').trim()).toBe(String(supervisors()[0]));
    expect(poststop('stale-1', container).status).toBe(0);
  });

  it('a pid file naming an unrelated live process: replaced by the new supervisor\'s, and that process lives on', async () => {
    await world.stopSupervisor();
    const unrelated = spawn('/bin/sleep', ['600'], { stdio: 'ignore' });
    try {
      writeFileSync(`${world.stateDir}/supervisor.pid`, `${unrelated.pid}\n`);
      const container = await fake();
      expect(create('stale-2', container.pid)).toMatchObject({ status: 0 });
      // ipper reads no pid file (it asks the socket); the file only tells the operator.
      expect(readFileSync(`${world.stateDir}/supervisor.pid`, 'utf8').trim()).toBe(String(supervisors()[0]));
      expect(poststop('stale-2', container).status).toBe(0);
      expect(isPidAlive(unrelated.pid!)).toBe(true);
    } finally {
      unrelated.kill('SIGKILL');
    }
    await expectHostClean();
  });
});

describe('the DHCP server', () => {
  it('down at start with onLeaseTimeout "continue": the container starts, and gets an address when the server returns', async () => {
    world.writeConfig({ ...CONFIG, leaseTimeoutMs: 1000, onLeaseTimeout: 'continue' });
    const container = await fake();
    stopServer(world.lab);
    try {
      expect(create('continue-1', container.pid)).toMatchObject({ status: 0, stderr: '' });
      expect(eth0(container.pid)).toEqual([]);
    } finally {
      startServer(world.lab);
    }
    await expect.poll(() => eth0(container.pid), { timeout: 20_000, interval: 200 }).toHaveLength(1);
    expect(inspect(world, 'continue-1').NetworkSettings['IPAddress']).toBe(eth0(container.pid)[0]);
    expect(poststop('continue-1', container).status).toBe(0);
    await expectHostClean();
  });

  it('restarted with an empty lease table and another range: the new address replaces the old one', async () => {
    const container = await fake();
    expect(create('moved-1', container.pid).status).toBe(0);
    const before = eth0(container.pid);
    stopServer(world.lab);
    rmSync(world.lab.leaseFile, { force: true });
    startServer(world.lab, [], [220, 230]);
    try {
      // Ask for a renewal now instead of waiting a minute for it: the server NAKs it, and the client starts over.
      const wait = askToRenew(Number(inspect(world, 'moved-1').NetworkSettings['DHCP_PID']));
      await expect.poll(() => eth0(container.pid), { timeout: wait + 20_000, interval: 200 }).toEqual([expect.stringMatching(new RegExp(`^${world.lab.subnet.replace(/\./g, '\\.')}\\.2[23]\\d$`))]);
      const now = eth0(container.pid)[0]!;
      expect(now).not.toBe(before[0]);
      expect(namespaceView(container.pid).defaultVia).toBe(world.lab.serverAddress);
      await expect.poll(() => inspect(world, 'moved-1').NetworkSettings['IPAddress']).toBe(now);
      expect(serverLeases(world.lab).map((lease) => lease.ip)).toEqual([now]);
    } finally {
      stopServer(world.lab);
      startServer(world.lab);
    }
    expect(poststop('moved-1', container).status).toBe(0);
    await expectHostClean();
  });

  it('with its range exhausted: the next container fails saying so, the others keep their address', async () => {
    stopServer(world.lab);
    startServer(world.lab, [], [240, 240]);
    world.writeConfig({ ...CONFIG, leaseTimeoutMs: 2000 });
    try {
      const first = await fake();
      expect(create('full-1', first.pid).status).toBe(0);
      const second = await fake();
      const result = create('full-2', second.pid);
      expect(result.status).toBe(75);
      expect(result.stderr).toMatch(/no DHCPOFFER came back: is a DHCP server reachable on that bridge, with free addresses\?/);
      expect(eth0(first.pid)).toEqual([`${world.lab.subnet}.240`]);
      expect(Object.keys(namespaceView(second.pid).macs)).toEqual(['lo']);
      expect(poststop('full-1', first).status).toBe(0);
    } finally {
      stopServer(world.lab);
      startServer(world.lab);
    }
    await expectHostClean();
  });
});

describe('the hook killed half-way', () => {
  // Each phase of a create, waited for (not guessed with a delay), then the hook is SIGKILLed.
  const phases: [string, (id: string) => boolean][] = [
    ['the supervisor got the request', () => supervisors().length > 0],
    ['the record is written', (id) => existsSync(`${world.stateDir}/containers/${id}.json`)],
    ['the veth exists', () => linkNames(world.lab.hostNs).length > baselineLinks.length],
    ['the client runs', (id) => recordField(id, 'client') !== null],
    ['the lease is bound', (id) => recordField(id, 'lease') !== null],
  ];
  it.each(phases)('SIGKILL once %s: the host is clean within two GC intervals, and the same id can be created again', async (_phase, reached) => {
    const container = await fake();
    const hook = spawn('/usr/bin/nsenter', [`--net=/run/netns/${world.lab.hostNs}`, '--', IPPER, 'hook', 'createRuntime'], { env: { IPPER_CONFIG: world.configPath }, stdio: ['pipe', 'ignore', 'ignore'] });
    hook.stdin.end(ociState({ id: 'killed', pid: container.pid }));
    const exited = new Promise((resolve) => hook.on('exit', resolve));
    await expect.poll(() => reached('killed') || hook.exitCode !== null, { interval: 1, timeout: 10_000 }).toBe(true);
    hook.kill('SIGKILL');
    await exited;
    // Within two GC intervals the host is consistent: nothing of the create is left, or (a hook
    // killed after the supervisor replied) the container is fully attached.
    const consistent = (): string => {
      const records = filesIn(`${world.stateDir}/containers`);
      const veths = linkNames(world.lab.hostNs).length - baselineLinks.length;
      if (records.length === 0 && veths === 0 && Object.keys(namespaceView(container.pid).macs).length === 1) return 'nothing left';
      if (records.length === 1 && veths === 1 && eth0(container.pid).length === 1) return 'fully attached';
      return `half: ${records.length} records, ${veths} veths`;
    };
    await expect.poll(consistent, { timeout: 2 * CONFIG.gcIntervalMs + 5000 }).toMatch(/^(nothing left|fully attached)$/);
    // The runtime destroys a container whose hook failed and runs poststop.
    expect(poststop('killed', container).status).toBe(0);
    await expectHostClean();
    const again = await fake();
    expect(create('killed', again.pid).status).toBe(0);
    expect(eth0(again.pid)).toHaveLength(1);
    expect(poststop('killed', again).status).toBe(0);
    await expectHostClean();
  });
});

describe('incarnations', () => {
  it('a late poststop of the previous incarnation leaves the new one its interface, client and address', async () => {
    const old = await fake();
    expect(create('again', old.pid).status).toBe(0);
    old.stop(); // killed; its poststop has not arrived yet
    const current = await fake();
    expect(create('again', current.pid).status).toBe(0);
    const settings = inspect(world, 'again').NetworkSettings;
    expect(poststop('again').status).toBe(0); // the late one
    expect(inspect(world, 'again').NetworkSettings).toEqual(settings);
    expect(isPidAlive(Number(settings['DHCP_PID']))).toBe(true);
    expect(eth0(current.pid)).toEqual([settings['IPAddress']]);
    expect(poststop('again', current).status).toBe(0);
    await expectHostClean();
  });
});

describe('poststop, answered once the release has left', () => {
  /** The runtime's poststop, without the test helpers' wait for the supervisor to finish the removal. */
  function bareHook(stage: string, state: string): number | null {
    return spawnSync('/usr/bin/nsenter', [`--net=/run/netns/${world.lab.hostNs}`, '--', IPPER, 'hook', stage], { input: state, env: { IPPER_CONFIG: world.configPath }, encoding: 'utf8', timeout: 60_000 }).status;
  }
  const stopped = (id: string): string => JSON.stringify({ ociVersion: '1.0.2', id, status: 'stopped' });
  const released = (ip: string): boolean => new RegExp(`DHCPRELEASE\\(lan0\\) ${ip.replace(/\./g, '\\.')} `).test(readFileSync(world.lab.serverLog, 'utf8'));

  it('the lease is released and, once the supervisor finished, nothing is left; a new container of the same id attaches right after', async () => {
    const first = await fake();
    expect(create('early', first.pid).status).toBe(0);
    const { IPAddress: firstIp, HostInterface: hostVeth } = inspect(world, 'early').NetworkSettings;
    first.stop();
    expect(bareHook('poststop', stopped('early'))).toBe(0);
    // The runtime may create the next container of that id at once: it waits for the old removal, then attaches.
    const second = await fake();
    expect(bareHook('createRuntime', ociState({ id: 'early', pid: second.pid }))).toBe(0);
    const secondIp = inspect(world, 'early').NetworkSettings['IPAddress']!;
    expect(eth0(second.pid)).toEqual([secondIp]);
    await expect.poll(() => released(firstIp!), { timeout: 5000 }).toBe(true);
    expect(serverLeases(world.lab).filter((lease) => lease.ip === firstIp && lease.ip !== secondIp)).toEqual([]);
    second.stop();
    expect(bareHook('poststop', stopped('early'))).toBe(0);
    await expect.poll(() => released(secondIp), { timeout: 5000 }).toBe(true);
    await expectHostClean(); // polls until the supervisor removed the record, the last step
    expect(linkNames(world.lab.hostNs)).not.toContain(hostVeth);
    expect(serverLeases(world.lab).filter((lease) => lease.ip === secondIp)).toEqual([]);
  });

  it('a supervisor killed right after it answered: the next one removes what is left', async () => {
    const container = await fake();
    expect(create('orphan', container.pid).status).toBe(0);
    const ip = inspect(world, 'orphan').NetworkSettings['IPAddress']!;
    container.stop();
    expect(bareHook('poststop', stopped('orphan'))).toBe(0);
    for (const pid of supervisors()) process.kill(pid, 'SIGKILL');
    await expect.poll(() => supervisors(), { timeout: 5000 }).toEqual([]);
    await expect.poll(() => released(ip), { timeout: 5000 }).toBe(true);
    // The next hook starts a supervisor, which adopts the record of a container that is gone and removes it.
    const next = await fake();
    expect(create('after-orphan', next.pid).status).toBe(0);
    await expect.poll(() => filesIn(`${world.stateDir}/containers`), { timeout: 2 * CONFIG.gcIntervalMs + 5000 }).toEqual(['after-orphan.json']);
    expect(linkNames(world.lab.hostNs)).toHaveLength(baselineLinks.length + 1);
    expect(clientsOf(world.stateDir)).toHaveLength(1); // the new container's: one client (some fork)
    expect(poststop('after-orphan', next).status).toBe(0);
    await expectHostClean();
  });
});

describe('load', () => {
  it('50 containers created in parallel get distinct MACs, addresses and host interfaces from one supervisor; 50 parallel deletes leave nothing', async () => {
    const warm = await fake();
    expect(create('warm', warm.pid).status).toBe(0);
    expect(poststop('warm', warm).status).toBe(0);
    const fdsBefore = await restingFds(supervisors()[0]!);
    const containers = await Promise.all(Array.from({ length: 50 }, () => fake()));
    const run = (stage: string, index: number, pid?: number) =>
      new Promise<number | null>((resolve) => {
        const hook = spawn('/usr/bin/nsenter', [`--net=/run/netns/${world.lab.hostNs}`, '--', IPPER, 'hook', stage], { env: { IPPER_CONFIG: world.configPath }, stdio: ['pipe', 'ignore', 'ignore'] });
        hook.stdin.end(stage === 'createRuntime' ? ociState({ id: `load-${index}`, pid }) : JSON.stringify({ ociVersion: '1.0.2', id: `load-${index}`, status: 'stopped' }));
        hook.on('exit', resolve);
      });
    expect(await Promise.all(containers.map((container, index) => run('createRuntime', index, container.pid)))).toEqual(Array(50).fill(0));
    const settings = containers.map((_, index) => inspect(world, `load-${index}`).NetworkSettings);
    for (const key of ['HWAddr', 'IPAddress', 'HostInterface']) expect(new Set(settings.map((s) => s[key])).size).toBe(50);
    expect(supervisors()).toHaveLength(1);
    for (const container of containers) container.stop();
    expect(await Promise.all(containers.map((_, index) => run('poststop', index)))).toEqual(Array(50).fill(0));
    await expectHostClean();
    expect(serverLeases(world.lab).filter((lease) => settings.some((s) => s['IPAddress'] === lease.ip))).toEqual([]);
    // At rest the supervisor holds no more descriptors than before the load: nothing leaked per container.
    await expect.poll(() => restingFds(supervisors()[0]!), { timeout: 20_000 }).toBeLessThanOrEqual(fdsBefore);
  });
});

// Each client, whatever the test client: dhcpcd's restart fails before the client runs
// (ipper-helper's bind mounts need the interface); the others start and die.
describe.each(DHCP_CLIENTS)('a DHCP client that crash-loops (%s)', (dhcpClient) => {
  it('is restarted with exponential backoff, never a fork storm', async () => {
    world.writeConfig({ ...CONFIG, dhcpClient });
    const container = await fake();
    expect(create('crashloop', container.pid).status).toBe(0);
    // Killed first, so that it cannot see its interface go and give the lease up (udhcpc's deconfig);
    // then, without its interface, every new client dies at once (the first restart comes after 1 s).
    process.kill(Number(inspect(world, 'crashloop').NetworkSettings['DHCP_PID']), 'SIGKILL');
    inNs(world.lab.hostNs, ['/usr/bin/nsenter', `--net=/proc/${container.pid}/ns/net`, '--', '/usr/sbin/ip', 'link', 'del', 'eth0']);
    // What each attempt says as it fails: udhcpc and dhclient "No such device", dhcpcd "eth0: interface
    // not found", or ipper-helper, before dhcpcd runs, that the interface's accept_ra is not there to bind over.
    const starts = (): number => (readFileSync(`${world.stateDir}/clients/crashloop.log`, 'utf8').match(/No such device|interface not found|mount point:/g) ?? []).length;
    await expect.poll(starts, { timeout: 10_000 }).toBeGreaterThanOrEqual(2);
    await new Promise((resolve) => setTimeout(resolve, 8000)); // a window to count restarts in, not a wait for a state
    // 1 s, 2 s, 4 s, 8 s …: at most 5 restarts in about 10 s.
    expect(starts()).toBeLessThanOrEqual(5);
    // The killed client could not release its lease, and no restart ever held it again: said as it is.
    expect(poststop('crashloop', container)).toMatchObject({ status: 71, stderr: expect.stringMatching(/lease of "crashloop" was not released/) });
    await expectHostClean();
  });
});

describe('logging and state', () => {
  it('an unwritable log file never fails a hook', async () => {
    world.writeConfig({ ...CONFIG, logFile: '/proc/ipper/cannot.log' });
    const container = await fake();
    expect(create('nolog', container.pid).status).toBe(0);
    expect(eth0(container.pid)).toHaveLength(1);
    expect(poststop('nolog', container).status).toBe(0);
    await world.stopSupervisor();
    await expectHostClean();
  });

  it('a full state filesystem: a clear error, nothing half-done, and creates work again once there is room', async () => {
    const mount = `${world.dir}/small`;
    mkdirSync(mount, { recursive: true });
    sh('/usr/bin/mount', ['-t', 'tmpfs', '-o', 'size=512k', 'tmpfs', mount]);
    const stateDir = `${mount}/state`;
    world.writeConfig({ ...CONFIG, stateDir });
    try {
      const first = await fake();
      expect(create('roomy', first.pid).status).toBe(0);
      expect(poststop('roomy', first).status).toBe(0);
      // Fill what is left, then try.
      try {
        writeFileSync(`${mount}/filler`, Buffer.alloc(1024 * 1024));
      } catch {
        // ENOSPC once the filesystem is full: that is the point
      }
      const container = await fake();
      const result = create('full', container.pid);
      expect(result.status).not.toBe(0);
      expect(result.stderr.trim().split('\n')).toHaveLength(1);
      expect(result.stderr).toMatch(/^ipper: .*(ENOSPC|no space)/i);
      expect(linkNames(world.lab.hostNs)).toEqual(baselineLinks);
      expect(filesIn(`${stateDir}/containers`)).toEqual([]);
      expect(clientsOf(stateDir, { all: true })).toEqual([]);
      expect(Object.keys(namespaceView(container.pid).macs)).toEqual(['lo']);
      rmSync(`${mount}/filler`);
      expect(create('full', container.pid).status).toBe(0);
      expect(poststop('full', container).status).toBe(0);
      expect(filesIn(`${stateDir}/containers`)).toEqual([]);
    } finally {
      try {
        process.kill(Number(readFileSync(`${stateDir}/supervisor.pid`, 'utf8')), 'SIGTERM');
      } catch {
        // not running
      }
      await expect.poll(() => processesMatching(`${IPPER} supervisor`).filter((p) => readFileSync(`/proc/${p.pid}/environ`, 'utf8').includes(world.configPath)).length).toBeLessThanOrEqual(1);
      sh('/usr/bin/umount', ['-l', mount], { allowFail: true });
    }
  });

  it('a state directory that cannot be created: a clear error and nothing made', async () => {
    world.writeConfig({ ...CONFIG, stateDir: '/proc/ipper-state' });
    const container = await fake();
    const result = create('nostate', container.pid);
    expect(result.status).not.toBe(0);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(/^ipper: /);
    expect(linkNames(world.lab.hostNs)).toEqual(baselineLinks);
    expect(Object.keys(namespaceView(container.pid).macs)).toEqual(['lo']);
  });

  it('a bridge that is down: a clear error and nothing made', async () => {
    inNs(world.lab.hostNs, ['/usr/sbin/ip', 'link', 'set', world.lab.bridge, 'down']);
    try {
      const container = await fake();
      const result = create('bridgedown', container.pid);
      expect(result.stderr).toBe('ipper: bridge "br0" is down [BRIDGE_NOT_FOUND]\n');
      expect(result.status).toBe(78);
      expect(Object.keys(namespaceView(container.pid).macs)).toEqual(['lo']);
    } finally {
      inNs(world.lab.hostNs, ['/usr/sbin/ip', 'link', 'set', world.lab.bridge, 'up']);
    }
    await expectHostClean();
  });
});
