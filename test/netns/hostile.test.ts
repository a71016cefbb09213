// Input that others control, against the real binary: the OCI state, the state directory, and a
// rogue DHCP server. Every rejection is one line naming the field, and nothing is made or run.
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, readdirSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { inNs, startServer, stopServer } from '../lab/lab.js';
import { createWorld, type TestWorld } from '../helpers/env.js';
import { FakeContainer, ociState, runHook } from '../helpers/hook.js';
import { IPPER, filesIn, linkNames, namespaceView, processesMatching } from '../helpers/host.js';

let world: TestWorld;
let baselineLinks: string[];
const fakes: FakeContainer[] = [];
const MARKER = '/tmp/ipper-hostile-marker';

async function fake(): Promise<FakeContainer> {
  const container = new FakeContainer(world.lab);
  fakes.push(container);
  await container.ready();
  return container;
}

function expectRefused(result: { status: number | null; stderr: string }, pattern: RegExp): void {
  expect(result.status).not.toBe(0);
  expect(result.stderr.trim().split('\n')).toHaveLength(1);
  expect(result.stderr).toMatch(pattern);
  expect(linkNames(world.lab.hostNs)).toEqual(baselineLinks);
  expect(filesIn(`${world.stateDir}/containers`)).toEqual([]);
}

beforeAll(() => {
  world = createWorld('iphost', '10.97.72', { leaseTimeoutMs: 3000 });
  baselineLinks = linkNames(world.lab.hostNs);
  rmSync(MARKER, { force: true });
});

afterEach(() => {
  for (const container of fakes.splice(0)) container.stop();
});

afterAll(async () => {
  await world?.destroy();
});

describe('the OCI state', () => {
  it.each([
    ['over 1 MiB', `{"ociVersion":"1.0.2","id":"big","status":"creating","pad":"${'x'.repeat(1024 * 1024)}"}`, /larger than 1048576 bytes/],
    ['truncated', '{"ociVersion":"1.0.2","id":"t","sta', /not valid JSON/],
    ['an unknown ociVersion', ociState({ id: 'v', pid: 1, ociVersion: '2.0.0' }), /ociVersion: must be a 1\.x\.y version/],
    ['a pid of 0', ociState({ id: 'p', pid: 0 }), /pid: must be a positive pid/],
    ['a negative pid', ociState({ id: 'p', pid: -5 }), /pid: must be a positive pid/],
    ['a huge pid', ociState({ id: 'p', pid: 2 ** 40 }), /pid: is beyond the largest pid/],
    ['a pid as a string', ociState({ id: 'p', pid: '1' }), /pid: expected number, received string/],
    ['an id with a newline', ociState({ id: 'a\nb', pid: 1 }), /id: may hold only/],
    ['an id with shell metacharacters', ociState({ id: 'a;$(reboot)', pid: 1 }), /id: may hold only/],
    ['an id of 1025 characters', ociState({ id: 'a'.repeat(1025), pid: 1 }), /id: must be at most 1024 characters/],
    ['an id of ".."', ociState({ id: '..', pid: 1 }), /id: must not be "\." or "\.\."/],
  ])('%s', (_name, stdin, pattern) => {
    expectRefused(runHook(world.lab, world.configPath, 'createRuntime', stdin), pattern);
  });
});

describe('annotations naming things on the host', () => {
  it('a bridge that exists but is not a bridge', async () => {
    world.writeConfig({ leaseTimeoutMs: 3000, allowedBridges: ['lab-peer'] });
    try {
      const container = await fake();
      expectRefused(runHook(world.lab, world.configPath, 'createRuntime', ociState({ id: 'notbr', pid: container.pid, annotations: { 'ipper.bridge': 'lab-peer' } })), /"lab-peer" exists but is not a bridge/);
    } finally {
      world.writeConfig({ leaseTimeoutMs: 3000 });
    }
  });

  it('a bridge that is not allowed', async () => {
    const container = await fake();
    expectRefused(runHook(world.lab, world.configPath, 'createRuntime', ociState({ id: 'otherbr', pid: container.pid, annotations: { 'ipper.bridge': 'br9' } })), /"br9" is not the configured bridge nor in allowedBridges/);
  });

  it("the bridge's own MAC, and a MAC another live container holds", async () => {
    const bridgeMac = (JSON.parse(inNs(world.lab.hostNs, ['/usr/sbin/ip', '-j', 'link', 'show', 'dev', world.lab.bridge])) as { address: string }[])[0]!.address;
    const probe = await fake();
    expectRefused(runHook(world.lab, world.configPath, 'createRuntime', ociState({ id: 'bridgemac', pid: probe.pid, annotations: { 'ipper.mac': bridgeMac } })), /is already used by another container or the bridge \[MAC_IN_USE\]/);
    const first = await fake();
    expect(runHook(world.lab, world.configPath, 'createRuntime', ociState({ id: 'owner', pid: first.pid })).status).toBe(0);
    const taken = namespaceView(first.pid).macs['eth0']!;
    const second = await fake();
    const result = runHook(world.lab, world.configPath, 'createRuntime', ociState({ id: 'thief', pid: second.pid, annotations: { 'ipper.mac': taken } }));
    expect(result.stderr).toBe(`ipper: MAC ${taken} is already used by another container or the bridge [MAC_IN_USE]\n`);
    expect(Object.keys(namespaceView(second.pid).macs)).toEqual(['lo']);
    first.stop();
    expect(runHook(world.lab, world.configPath, 'poststop', JSON.stringify({ ociVersion: '1.0.2', id: 'owner', status: 'stopped' })).status).toBe(0);
  });
});

describe('the state directory', () => {
  it('a symlink planted where a record will be written is replaced, its target left unchanged', async () => {
    mkdirSync(`${world.stateDir}/containers`, { recursive: true, mode: 0o700 });
    const target = `${world.dir}/precious`;
    writeFileSync(target, 'do not touch\n');
    symlinkSync(target, `${world.stateDir}/containers/planted.json`);
    const container = await fake();
    expect(runHook(world.lab, world.configPath, 'createRuntime', ociState({ id: 'planted', pid: container.pid })).status).toBe(0);
    expect(readFileSync(target, 'utf8')).toBe('do not touch\n');
    expect(() => readlinkSync(`${world.stateDir}/containers/planted.json`)).toThrow(); // a regular file now
    container.stop();
    expect(runHook(world.lab, world.configPath, 'poststop', JSON.stringify({ ociVersion: '1.0.2', id: 'planted', status: 'stopped' })).status).toBe(0);
    expect(existsSync(target)).toBe(true);
  });

  it('a state directory that is a symlink, or writable by others, is refused', async () => {
    const elsewhere = `${world.dir}/elsewhere`;
    mkdirSync(elsewhere, { mode: 0o700 });
    symlinkSync(elsewhere, `${world.dir}/linked-state`);
    world.writeConfig({ leaseTimeoutMs: 3000, stateDir: `${world.dir}/linked-state` });
    try {
      const container = await fake();
      const linked = runHook(world.lab, world.configPath, 'createRuntime', ociState({ id: 'linked', pid: container.pid }));
      expect(linked.stderr).toMatch(/is not a directory \(a symlink\?\) \[STATE_DIR_UNSAFE\]/);
      expect(readdirSync(elsewhere)).toEqual([]);
      mkdirSync(`${world.dir}/open-state`);
      chmodSync(`${world.dir}/open-state`, 0o777);
      world.writeConfig({ leaseTimeoutMs: 3000, stateDir: `${world.dir}/open-state` });
      const open = runHook(world.lab, world.configPath, 'createRuntime', ociState({ id: 'open', pid: container.pid }));
      expect(open.stderr).toMatch(/is writable by group or others \[STATE_DIR_UNSAFE\]/);
      expect(Object.keys(namespaceView(container.pid).macs)).toEqual(['lo']);
    } finally {
      world.writeConfig({ leaseTimeoutMs: 3000 });
    }
  });
});

describe('a rogue DHCP server', () => {
  it('hostile names, name servers and routes are dropped, nothing runs, the address is still taken', async () => {
    stopServer(world.lab);
    startServer(world.lab, [
      `--dhcp-option-force=15,x;$(touch ${MARKER})\`touch ${MARKER}\``,
      `--dhcp-option-force=12,h;$(touch ${MARKER})`,
      '--dhcp-option=6,0.0.0.0,255.255.255.255,10.97.72.1,10.97.72.1,192.0.2.53,192.0.2.54,192.0.2.55',
      '--dhcp-option=3,192.0.2.1',
      '--dhcp-option-force=26,68',
    ]);
    try {
      const container = await fake();
      expect(runHook(world.lab, world.configPath, 'createRuntime', ociState({ id: 'rogue', pid: container.pid }))).toMatchObject({ status: 0, stderr: '' });
      const record = JSON.parse(readFileSync(`${world.stateDir}/containers/rogue.json`, 'utf8'));
      expect(record.lease.dns).toEqual(['10.97.72.1', '192.0.2.53', '192.0.2.54']);
      expect(record.lease.router).toBeUndefined();
      // busybox turns a domain with shell characters into "bad"; ipper keeps only a valid name.
      expect(record.lease.domain ?? '').toMatch(/^[A-Za-z0-9.-]*$/);
      expect(existsSync(MARKER)).toBe(false);
      expect(namespaceView(container.pid).defaultVia).toBeUndefined();
      container.stop();
      expect(runHook(world.lab, world.configPath, 'poststop', JSON.stringify({ ociVersion: '1.0.2', id: 'rogue', status: 'stopped' })).status).toBe(0);
    } finally {
      stopServer(world.lab);
      startServer(world.lab);
    }
  });
});

describe('discipline', () => {
  it("runs with no PATH and cwd /, and nothing it leaves running holds the runtime's stdout or stderr", async () => {
    await world.stopSupervisor();
    const container = await fake();
    // IPPER_CONFIG and nothing else, as Podman gives poststop hooks nothing at all.
    const hook = spawn('/usr/bin/nsenter', [`--net=/run/netns/${world.lab.hostNs}`, '--', IPPER, 'hook', 'createRuntime'], { env: { IPPER_CONFIG: world.configPath }, cwd: '/', stdio: ['pipe', 'pipe', 'pipe'] });
    const pipeOf = (stream: unknown): string => readlinkSync(`/proc/self/fd/${(stream as { _handle: { fd: number } })._handle.fd}`);
    const runtimePipes = [pipeOf(hook.stdout), pipeOf(hook.stderr)];
    hook.stdin.end(ociState({ id: 'nopath', pid: container.pid }));
    expect(await new Promise((resolve) => hook.on('exit', resolve))).toBe(0);
    const supervisor = Number(readFileSync(`${world.stateDir}/supervisor.pid`, 'utf8'));
    const clients = processesMatching(`${world.stateDir}/udhcpc-event`).map((p) => p.pid);
    expect(clients).toHaveLength(1);
    for (const pid of [supervisor, ...clients]) {
      const links = readdirSync(`/proc/${pid}/fd`).map((fd) => {
        try {
          return readlinkSync(`/proc/${pid}/fd/${fd}`);
        } catch {
          return '';
        }
      });
      expect(links.filter((link) => runtimePipes.includes(link))).toEqual([]);
      expect(readlinkSync(`/proc/${pid}/cwd`)).toBe('/');
    }
    container.stop();
    expect(runHook(world.lab, world.configPath, 'poststop', JSON.stringify({ ociVersion: '1.0.2', id: 'nopath', status: 'stopped' })).status).toBe(0);
  });
});
