// Input that others control, against the real binary: the OCI state, the state directory, and a
// rogue DHCP server. Every rejection is one line naming the field, and nothing is made or run.
import { PROTOCOL_VERSION } from '../../src/supervisor/protocol.js';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, lstatSync, mkdirSync, readFileSync, readdirSync, readlinkSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { inNs, sh, startServer, stopServer } from '../lab/lab.js';
import { TEST_DHCP_CLIENT, createWorld, type TestWorld } from '../helpers/env.js';
import { FakeContainer, ociState, runHook } from '../helpers/hook.js';
import { IPPER, filesIn, linkNames, namespaceView, clientsOf } from '../helpers/host.js';

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

/** The runtime's poststop for a container the test has stopped; it must succeed. */
function stopped(id: string): void {
  expect(runHook(world.lab, world.configPath, 'poststop', JSON.stringify({ ociVersion: '1.0.2', id, status: 'stopped' })).status).toBe(0);
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
    stopped('owner');
  });
});

describe('the state directory', () => {
  it('a symlink planted where a record will be written is replaced, its target left unchanged', async () => {
    mkdirSync(`${world.stateDir}/containers`, { recursive: true, mode: 0o700 });
    const target = `${world.dir}/precious`;
    writeFileSync(target, 'do not touch\n');
    symlinkSync(target, `${world.stateDir}/containers/planted.json`);
    const container = await fake();
    expect(runHook(world.lab, world.configPath, 'createRuntime', ociState({ id: 'planted', pid: container.pid }))).toMatchObject({ status: 0, stderr: '' });
    expect(readFileSync(target, 'utf8')).toBe('do not touch\n');
    expect(() => readlinkSync(`${world.stateDir}/containers/planted.json`)).toThrow(); // a regular file now
    container.stop();
    stopped('planted');
    expect(existsSync(target)).toBe(true);
  });

  it("symlinks planted at the supervisor's lock, pid file, socket and a client's log: removed, their targets unchanged", async () => {
    await world.stopSupervisor();
    mkdirSync(`${world.stateDir}/clients`, { recursive: true, mode: 0o700 });
    const planted = ['supervisor.lock', 'supervisor.pid', 'supervisor.sock', 'clients/plantlog.log'];
    for (const [index, name] of planted.entries()) {
      writeFileSync(`${world.dir}/target${index}`, 'do not touch\n');
      rmSync(`${world.stateDir}/${name}`, { force: true });
      symlinkSync(`${world.dir}/target${index}`, `${world.stateDir}/${name}`);
    }
    const container = await fake();
    expect(runHook(world.lab, world.configPath, 'createRuntime', ociState({ id: 'plantlog', pid: container.pid })).status).toBe(0);
    for (const [index, name] of planted.entries()) {
      expect(readFileSync(`${world.dir}/target${index}`, 'utf8'), name).toBe('do not touch\n');
      expect(lstatSync(`${world.stateDir}/${name}`).isSymbolicLink(), name).toBe(false);
    }
    container.stop();
    stopped('plantlog');
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

describe('the state directory on a noexec filesystem', () => {
  it('works (Debian and Ubuntu mount /run noexec); a helperDir there is a clear error and nothing is made', async () => {
    const mount = `${world.dir}/noexec`;
    mkdirSync(mount);
    sh('/usr/bin/mount', ['-t', 'tmpfs', '-o', 'noexec,nosuid,nodev,mode=0700,size=4m', 'tmpfs', mount]);
    try {
      await world.stopSupervisor();
      world.writeConfig({ leaseTimeoutMs: 3000, stateDir: `${mount}/state` });
      const container = await fake();
      expect(runHook(world.lab, world.configPath, 'createRuntime', ociState({ id: 'noexec', pid: container.pid }))).toMatchObject({ status: 0, stderr: '' });
      expect(namespaceView(container.pid).addresses.map((address) => address.ifname)).toContain('eth0');
      container.stop();
      stopped('noexec');
      await world.stopSupervisor(`${mount}/state`);

      world.writeConfig({ leaseTimeoutMs: 3000, stateDir: `${mount}/state`, helperDir: `${mount}/lib` });
      const refused = await fake();
      const result = runHook(world.lab, world.configPath, 'createRuntime', ociState({ id: 'noexec2', pid: refused.pid }));
      expect(result.status).not.toBe(0);
      expect(result.stderr.trim().split('\n')).toHaveLength(1);
      expect(result.stderr).toMatch(/EACCES \(is helperDir on a noexec filesystem\?\)/);
      expect(linkNames(world.lab.hostNs)).toEqual(baselineLinks);
      expect(filesIn(`${mount}/state/containers`)).toEqual([]);
      expect(Object.keys(namespaceView(refused.pid).macs)).toEqual(['lo']);
    } finally {
      await world.stopSupervisor(`${mount}/state`);
      sh('/usr/bin/umount', [mount]);
      world.writeConfig({ leaseTimeoutMs: 3000 });
    }
  });
});

describe("the supervisor's socket", () => {
  const NOBODY = 65534;

  /** Sends one request line over the socket, as root or as another user; returns the reply. */
  function ask(line: string, uid = 0, { withVersion = true } = {}): { ok: boolean; code?: string } {
    // Every line in the protocol's version, unless the case is about the version itself.
    if (withVersion && line.startsWith('{')) line = `{"v":${PROTOCOL_VERSION},${line.slice(1)}`;
    const script = `const c = require('net').createConnection(process.argv[1]); let d = '';
      c.on('connect', () => c.write(process.argv[2] + '\\n')); c.on('data', (x) => (d += x)); c.on('end', () => process.stdout.write(d));
      c.on('error', (e) => { process.stdout.write(JSON.stringify({ ok: false, code: e.code })); });`;
    const argv = [process.execPath, '-e', script, `${world.stateDir}/supervisor.sock`, line];
    const command = uid === 0 ? argv : ['/usr/bin/setpriv', `--reuid=${uid}`, `--regid=${uid}`, '--clear-groups', ...argv];
    const result = spawnSync(command[0]!, command.slice(1), { encoding: 'utf8', env: {}, cwd: '/', timeout: 20_000 });
    if (result.stdout === '') throw new Error(`no reply: ${result.stderr || String(result.error)}`);
    return JSON.parse(result.stdout) as { ok: boolean; code?: string };
  }

  /** A hand-made attach request; every use is refused before a client starts, so naming udhcpc changes nothing. */
  function attachRequest(id: string, pid: number): string {
    const startTime = Number(readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')[19]);
    return JSON.stringify({ op: 'attach', id, pid, pidStartTime: startTime, netnsInode: statSync(`/proc/${pid}/ns/net`).ino, bridge: world.lab.bridge, interface: 'eth0', hostname: id, dhcpClient: 'udhcpc', leaseTimeoutMs: 3000, onLeaseTimeout: 'fail' });
  }

  it('refuses and logs another user even when the socket is opened to everyone', async () => {
    const owner = await fake();
    expect(runHook(world.lab, world.configPath, 'createRuntime', ociState({ id: 'sockowner', pid: owner.pid })).status).toBe(0);
    const ownerClient = clientsOf(world.stateDir);
    const victim = await fake();
    const modes = [world.dir, world.stateDir].map((path) => [path, statSync(path).mode & 0o777] as const);
    try {
      // A wrong chmod: only the peer check stands between another user and the supervisor.
      for (const [path] of modes) chmodSync(path, 0o711);
      chmodSync(`${world.stateDir}/supervisor.sock`, 0o666);
      expect(ask(attachRequest('sockvictim', victim.pid), NOBODY)).toMatchObject({ ok: false, code: 'PERMISSION_DENIED' });
      expect(ask('{"op":"release-all"}', NOBODY)).toMatchObject({ ok: false, code: 'PERMISSION_DENIED' });
      expect(ask('{"op":"status"}')).toMatchObject({ ok: true });
    } finally {
      for (const [path, mode] of modes) chmodSync(path, mode);
    }
    expect(Object.keys(namespaceView(victim.pid).macs)).toEqual(['lo']);
    expect(filesIn(`${world.stateDir}/containers`)).toEqual(['sockowner.json']);
    expect(namespaceView(owner.pid).addresses.map((address) => address.ifname)).toContain('eth0');
    expect(clientsOf(world.stateDir)).toEqual(ownerClient);
    const refusals = readFileSync(world.logFile, 'utf8').split('\n').filter(Boolean).map((line) => JSON.parse(line) as { peer?: { uid: number } });
    expect(refusals.filter((entry) => entry.peer?.uid === NOBODY)).toHaveLength(2);
    owner.stop();
    stopped('sockowner');
  });

  it('takes ids and pids, never a path or a field it does not know', async () => {
    const container = await fake();
    expect(ask('{"op":"status"}')).toMatchObject({ ok: true }); // the supervisor is up
    for (const line of [
      attachRequest('../../../etc/cron.d/x', container.pid),
      attachRequest('/etc/passwd', container.pid),
      JSON.stringify({ ...JSON.parse(attachRequest('extra', container.pid)), stateDir: '/etc' }),
      '{"op":"detach","id":"../containers/x"}',
      '{"op":"status","socket":"/tmp/x"}',
      '{"op":"exec","argv":["/bin/sh"]}',
    ]) {
      expect(ask(line), line).toMatchObject({ ok: false, code: 'INVALID_REQUEST' });
    }
    // A caller of another protocol version (an older hook) is told so, whatever it asks.
    expect(ask(attachRequest('old', container.pid), 0, { withVersion: false })).toMatchObject({ ok: false, code: 'PROTOCOL_MISMATCH' });
    expect(Object.keys(namespaceView(container.pid).macs)).toEqual(['lo']);
    expect(filesIn(`${world.stateDir}/containers`)).toEqual([]);
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
      stopped('rogue');
    } finally {
      stopServer(world.lab);
      startServer(world.lab);
    }
  });
});

describe('a rogue server beyond what dnsmasq will send (busybox udhcpd)', () => {
  /** Runs udhcpd in the lab's server namespace instead of dnsmasq, with extra config lines. */
  async function withUdhcpd(lines: string[], body: () => Promise<void>): Promise<void> {
    const conf = `${world.dir}/udhcpd.conf`;
    const pidFile = `${world.dir}/udhcpd.pid`;
    const subnet = world.lab.subnet;
    writeFileSync(`${world.dir}/udhcpd.leases`, '');
    writeFileSync(conf, [
      'interface lan0', `start ${subnet}.100`, `end ${subnet}.199`, `lease_file ${world.dir}/udhcpd.leases`, `pidfile ${pidFile}`,
      `option dns ${world.lab.serverAddress}`, ...lines, '',
    ].join('\n'));
    stopServer(world.lab);
    rmSync(pidFile, { force: true });
    const server = spawn('/usr/bin/nsenter', [`--net=/run/netns/${world.lab.dhcpNs}`, '--', '/bin/busybox', 'udhcpd', '-f', conf], { stdio: 'ignore' });
    try {
      for (let i = 0; i < 100 && !existsSync(pidFile); i++) await new Promise((resolve) => setTimeout(resolve, 20));
      await body();
    } finally {
      server.kill('SIGTERM');
      await new Promise((resolve) => server.once('exit', resolve));
      startServer(world.lab);
      world.writeConfig({ leaseTimeoutMs: 3000 });
    }
  }

  /** DHCP packets the server's namespace received (nftables counter), to see renewals. */
  function serverDhcpPackets(): number {
    const rules = inNs(world.lab.dhcpNs, ['/usr/sbin/nft', '-j', 'list', 'chain', 'inet', 'ipperlab', 'count']);
    const counter = (JSON.parse(rules) as { nftables: { rule?: { expr: { counter?: { packets: number } }[] } }[] }).nftables
      .flatMap((item) => item.rule?.expr ?? []).find((expr) => expr.counter !== undefined);
    return counter!.counter!.packets;
  }

  /** Creates a container against the running udhcpd, hands it to `check`, then removes it. */
  async function withContainer(id: string, check: (pid: number, lease: Record<string, unknown>) => void): Promise<void> {
    world.writeConfig({ leaseTimeoutMs: 8000 });
    const container = await fake();
    try {
      expect(runHook(world.lab, world.configPath, 'createRuntime', ociState({ id, pid: container.pid }))).toMatchObject({ status: 0, stderr: '' });
      check(container.pid, JSON.parse(readFileSync(`${world.stateDir}/containers/${id}.json`, 'utf8')).lease);
    } finally {
      container.stop();
      stopped(id);
    }
  }

  function inContainerNs(pid: number, argv: string[]): unknown {
    return JSON.parse(execFileSync('/usr/bin/nsenter', [`--net=/proc/${pid}/ns/net`, '--', ...argv], { encoding: 'utf8' }));
  }

  it('500 search names with a hostile one first, and MTU 68: the first six valid names, MTU 576', async () => {
    const names = Array.from({ length: 500 }, (_, i) => `d${i}.example.org`);
    // udhcpd sends the first 15 names that fit in one option; udhcpc passes them on unchecked.
    await withUdhcpd(['option subnet 255.255.255.0', `option search x;$(touch\${IFS}${MARKER}) ${names.join(' ')}`, 'option mtu 68'], () =>
      withContainer('search500', (pid, lease) => {
        // dhclient drops a search option that holds any name it cannot print safely, whole.
        expect(lease['search']).toEqual(TEST_DHCP_CLIENT === 'dhclient' ? undefined : names.slice(0, 6));
        expect(lease['mtu']).toBe(576);
        expect((inContainerNs(pid, ['/usr/sbin/ip', '-j', 'link', 'show', 'dev', 'eth0']) as { mtu: number }[])[0]!.mtu).toBe(576);
        expect(existsSync(MARKER)).toBe(false);
      }),
    );
  });

  it('200 classless static routes, one off-subnet, and a router option they override: 32 routes applied', async () => {
    const subnet = world.lab.subnet;
    const routes = Array.from({ length: 200 }, (_, i) => `10.${i}.0.0/16 ${subnet}.1`);
    // udhcpd sends the first 36 routes that fit in one option: the off-subnet one, the default, 34 more.
    await withUdhcpd(['option subnet 255.255.255.0', `option router ${subnet}.254`, `option staticroutes 10.250.0.0/16 192.0.2.1, 0.0.0.0/0 ${subnet}.1, ${routes.join(', ')}`], () =>
      withContainer('routes200', (pid, lease) => {
        expect(lease['routes']).toHaveLength(31); // 32 kept, the default among them
        expect((lease['routes'] as unknown[])[0]).toEqual({ to: '10.0.0.0/16', via: `${subnet}.1` });
        expect(lease['router']).toBe(`${subnet}.1`); // RFC 3442: from option 121, not option 3
        expect(namespaceView(pid).defaultVia).toBe(`${subnet}.1`);
        const table = inContainerNs(pid, ['/usr/sbin/ip', '-j', '-4', 'route', 'show']) as { dst: string }[];
        expect(table.filter((route) => /^10\.\d+\.0\.0\/16$/.test(route.dst))).toHaveLength(31);
        expect(table.some((route) => route.dst === '10.250.0.0/16')).toBe(false);
      }),
    );
  });

  it('lease times 0 and 0xffffffff: bound, and no renewal storm', async () => {
    inNs(world.lab.dhcpNs, ['/usr/sbin/nft', '-f', '-'], { input: 'table inet ipperlab {\n  chain count {\n    type filter hook input priority 0;\n    udp dport 67 counter\n  }\n}\n' });
    try {
      for (const [id, seconds] of [['lease0', 0], ['leasemax', 4294967295]] as const) {
        await withUdhcpd(['option subnet 255.255.255.0', `option router ${world.lab.serverAddress}`, `option lease ${seconds}`], async () => {
          world.writeConfig({ leaseTimeoutMs: 8000 });
          const container = await fake();
          if (seconds === 0 && TEST_DHCP_CLIENT === 'dhclient') {
            // dhclient refuses a lease with no expiry ("no expiry time on offered lease") and ignores that server.
            expect(runHook(world.lab, world.configPath, 'createRuntime', ociState({ id, pid: container.pid }))).toMatchObject({ status: 75, stderr: expect.stringMatching(/^ipper: no DHCP lease within 8000 ms: .*\[LEASE_TIMEOUT\]\n$/) });
            expect(linkNames(world.lab.hostNs)).toEqual(baselineLinks);
            expect(filesIn(`${world.stateDir}/containers`)).toEqual([]);
            return;
          }
          expect(runHook(world.lab, world.configPath, 'createRuntime', ociState({ id, pid: container.pid })).status).toBe(0);
          expect(JSON.parse(readFileSync(`${world.stateDir}/containers/${id}.json`, 'utf8')).lease.leaseSeconds).toBe(seconds);
          // udhcpc treats a lease under 30 s as 30 s: the first renewal comes after 15 s. Watch
          // for 5 s: a storm would send dozens of requests, a sane client none.
          const bound = serverDhcpPackets();
          const until = Date.now() + 5000;
          while (Date.now() < until) {
            expect(serverDhcpPackets() - bound).toBeLessThanOrEqual(1);
            await new Promise((resolve) => setTimeout(resolve, 250));
          }
          expect(namespaceView(container.pid).addresses.map((address) => address.ifname)).toContain('eth0');
          container.stop();
          stopped(id);
        });
      }
    } finally {
      inNs(world.lab.dhcpNs, ['/usr/sbin/nft', 'delete', 'table', 'inet', 'ipperlab']);
    }
  });

  it('mask 0: the lease is refused, the hook says why, and nothing is left', async () => {
    await withUdhcpd(['option subnet 0.0.0.0', `option router ${world.lab.serverAddress}`], async () => {
      world.writeConfig({ leaseTimeoutMs: 4000 });
      const container = await fake();
      const result = runHook(world.lab, world.configPath, 'createRuntime', ociState({ id: 'mask0', pid: container.pid }));
      expect(result.status).not.toBe(0);
      expect(result.stderr.trim().split('\n')).toHaveLength(1);
      expect(result.stderr).toMatch(/the server's lease was refused: mask "0" is not a prefix length 1-32/);
      expect(linkNames(world.lab.hostNs)).toEqual(baselineLinks);
      expect(filesIn(`${world.stateDir}/containers`)).toEqual([]);
      expect(clientsOf(world.stateDir, { all: true })).toEqual([]);
      expect(Object.keys(namespaceView(container.pid).macs)).toEqual(['lo']);
    });
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
    expect(clientsOf(world.stateDir)).toHaveLength(1);
    // Every process of it (dhcpcd forks), once the events of the create are handled: no event helper comes and goes meanwhile.
    await expect.poll(() => readdirSync(`${world.stateDir}/events`), { timeout: 5000 }).toEqual([]);
    const clients = clientsOf(world.stateDir, { all: true }).filter((pid) => readFileSync(`/proc/${pid}/comm`, 'utf8').trim() !== 'ipper-helper');
    for (const pid of [supervisor, ...clients]) {
      const links = readdirSync(`/proc/${pid}/fd`).map((fd) => {
        try {
          return readlinkSync(`/proc/${pid}/fd/${fd}`);
        } catch {
          return '';
        }
      });
      expect(links.filter((link) => runtimePipes.includes(link))).toEqual([]);
      // At its root: / (dhcpcd's privilege-separated helpers chroot into their own directory).
      expect(readlinkSync(`/proc/${pid}/cwd`)).toBe(readlinkSync(`/proc/${pid}/root`));
    }
    container.stop();
    stopped('nopath');
  });
});
