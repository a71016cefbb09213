// `ipper doctor` against the real lab: each check is broken for real (in the lab's namespaces, or
// under a scratch --root for the host files) and the doctor must name it; the healthy lab passes.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { inNs, restoreBridge } from '../lab/lab.js';
import { driverFor } from '../../src/dhcp/drivers.js';
import { toolPath } from '../../src/sys/tools.js';
import { TEST_DHCP_CLIENT, createWorld, type TestWorld } from '../helpers/env.js';
import { Docker } from '../helpers/docker.js';
import { FakeContainer, ociState, runHook, startFake } from '../helpers/hook.js';
import { IPPER, holdersOf, isPidAlive } from '../helpers/host.js';

let world: TestWorld;
let root: string;
const fakes: FakeContainer[] = [];
const IP = '/usr/sbin/ip';
const USR_HOOKS = '/usr/share/containers/oci/hooks.d';
const ETC_HOOKS = '/etc/containers/oci/hooks.d';

interface Finding {
  check: string;
  verdict: 'ok' | 'warn' | 'fail' | 'skip';
  message: string;
  fix: string | null;
}

interface DoctorRun {
  status: number | null;
  ok: boolean;
  checks: Finding[];
  stderr: string;
}

/** `ipper doctor --json` in the lab host's namespace, on the scratch root; never asks the machine's dockerd. */
function doctor(args: string[] = [], prefix: string[] = [], env: Record<string, string> = {}): DoctorRun {
  const argv = [...prefix, '/usr/bin/nsenter', `--net=/run/netns/${world.lab.hostNs}`, '--', IPPER, 'doctor', '--json', '--root', root, ...args];
  const result = spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8', env: { IPPER_CONFIG: world.configPath, DOCKER_HOST: `unix://${world.dir}/no-dockerd.sock`, ...env } });
  const parsed = result.stdout === '' ? { ok: false, checks: [] } : (JSON.parse(result.stdout) as { ok: boolean; checks: Finding[] });
  return { status: result.status, ...parsed, stderr: result.stderr };
}

/** The verdicts of the named check, in order (a check may report more than once, one bridge each). */
function verdictOf(run: DoctorRun, check: string): string[] {
  return run.checks.filter((finding) => finding.check === check).map((finding) => finding.verdict);
}

function findingOf(run: DoctorRun, check: string): Finding {
  const finding = run.checks.find((candidate) => candidate.check === check);
  expect(finding, `no "${check}" finding in ${JSON.stringify(run.checks)}`).toBeDefined();
  return finding!;
}

/** A healthy lab: every check ok (or skipped, or the dockerd that does not run here), exit 0. */
function expectHealthy(args: string[] = []): DoctorRun {
  const run = doctor(args);
  const notOk = run.checks.filter((finding) => finding.verdict !== 'ok' && !(finding.check === 'dockerd' && finding.verdict === 'warn'));
  expect(notOk).toEqual([]);
  expect(run.ok).toBe(true);
  expect(run.status).toBe(0);
  return run;
}

/** The doctor names `check` as failed, says so in its exit code, and gives a fix. */
function expectFailure(run: DoctorRun, check: string, says: RegExp): Finding {
  const finding = findingOf(run, check);
  expect(finding.verdict).toBe('fail');
  expect(finding.message).toMatch(says);
  expect(finding.fix).not.toBeNull();
  expect(run.ok).toBe(false);
  expect(run.status).toBe(1);
  return finding;
}

/**
 * Runs `body` with the argv prefix that enters a private mount namespace where `mounts` (mount(8)
 * arguments) are made: the machine's own mounts stay as they are.
 */
function withPrivateMounts(mounts: string[][], body: (inHolder: string[]) => void): void {
  const holder: ChildProcess = spawn('/usr/bin/unshare', ['--mount', '--propagation', 'private', '/bin/sleep', '600'], { stdio: 'ignore' });
  try {
    // The holder's namespace is ready once it runs sleep.
    for (let i = 0; i < 200 && readFileSync(`/proc/${holder.pid}/comm`, 'utf8').trim() !== 'sleep'; i++) spawnSync('/bin/sleep', ['0.01']);
    const inHolder = ['/usr/bin/nsenter', `--mount=/proc/${holder.pid}/ns/mnt`, '--'];
    for (const args of mounts) {
      const mounted = spawnSync(inHolder[0]!, [...inHolder.slice(1), '/usr/bin/mount', ...args], { encoding: 'utf8' });
      expect(mounted.stderr).toBe('');
      expect(mounted.status).toBe(0);
    }
    body(inHolder);
  } finally {
    holder.kill('SIGKILL');
  }
}

function hostNs(argv: string[]): string {
  return inNs(world.lab.hostNs, argv);
}

function start(id: string): Promise<FakeContainer> {
  return startFake(world.lab, world.configPath, fakes, id);
}

function record(id: string): { hostVeth: string; client: { pid: number } } {
  return JSON.parse(readFileSync(`${world.stateDir}/containers/${id}.json`, 'utf8')) as { hostVeth: string; client: { pid: number } };
}

beforeAll(() => {
  world = createWorld('ipdoc', '10.97.92', { leaseTimeoutMs: 3000 });
  root = `${world.dir}/root`;
  // The host files as `ipper install` writes them, under a scratch root: never the machine's /etc.
  const install = spawnSync(IPPER, ['install', '--root', root], { encoding: 'utf8' });
  expect(install.stderr).toBe('');
  expect(install.status).toBe(0);
});

afterEach(async () => {
  for (const container of fakes.splice(0)) container.stop();
  restoreBridge(world.lab);
  hostNs(['/usr/sbin/iptables', '-P', 'FORWARD', 'ACCEPT']);
  hostNs(['/usr/sbin/sysctl', '-qw', 'net.bridge.bridge-nf-call-iptables=1']);
  // The supervisor caches what it learnt of the bridge for a moment: the next test starts a fresh one.
  await world.stopSupervisor();
});

afterAll(async () => {
  await world?.destroy();
});

describe('ipper doctor on the host', () => {
  it('passes a healthy lab', () => {
    const run = expectHealthy();
    expect(verdictOf(run, 'bridge')).toEqual(['ok']);
    expect(findingOf(run, 'hooks.d').message).toContain(`${root}${USR_HOOKS}/ipper.json is read by Podman`);
    expect(findingOf(run, 'docker').verdict).toBe('ok');
    // The table: one line per finding.
    const text = spawnSync('/usr/bin/nsenter', [`--net=/run/netns/${world.lab.hostNs}`, '--', IPPER, 'doctor', '--root', root], { encoding: 'utf8', env: { IPPER_CONFIG: world.configPath, DOCKER_HOST: `unix://${world.dir}/no-dockerd.sock` } });
    expect(text.status).toBe(0);
    expect(text.stdout.trimEnd().split('\n')).toHaveLength(run.checks.length);
  });

  it('names a bridge that is missing', () => {
    hostNs([IP, 'link', 'del', world.lab.bridge]);
    expectFailure(doctor(), 'bridge', /bridge "br0" does not exist/);
  });

  it('names a bridge that is down', () => {
    hostNs([IP, 'link', 'set', world.lab.bridge, 'down']);
    expect(expectFailure(doctor(), 'bridge-up', /"br0" is down/).fix).toBe('ip link set br0 up');
  });

  it('names a bridge with no port toward the LAN, and so does the lease timeout of a container started then', async () => {
    for (const uplink of ['lab-dhcp', 'lab-peer']) hostNs([IP, 'link', 'set', uplink, 'nomaster']);
    expectFailure(doctor(), 'bridge-uplink', /"br0" has no port toward the LAN/);
    const container = new FakeContainer(world.lab);
    fakes.push(container);
    await container.ready();
    const hook = runHook(world.lab, world.configPath, 'createRuntime', ociState({ id: 'doc-nouplink', pid: container.pid }));
    expect(hook.status).toBe(75);
    expect(hook.stderr).toMatch(/likely cause: "br0" has no port toward the LAN.*\[LEASE_TIMEOUT\]/);
  });

  it('names a bridge without an IPv4 address, and that a container cannot start then', async () => {
    hostNs([IP, 'addr', 'flush', 'dev', world.lab.bridge]);
    expectFailure(doctor(), 'bridge-ipv4', /"br0" has no IPv4 address/);
    // The doctor's claim holds: the MAC scheme has nothing to derive from.
    const container = new FakeContainer(world.lab);
    fakes.push(container);
    await container.ready();
    expect(runHook(world.lab, world.configPath, 'createRuntime', ociState({ id: 'doc-noaddr', pid: container.pid })).status).toBe(78);
  });

  it("names br_netfilter with Docker's FORWARD policy DROP, which really stops DHCP; passes once bridged frames skip iptables", async () => {
    hostNs(['/usr/sbin/iptables', '-P', 'FORWARD', 'DROP']);
    const finding = expectFailure(doctor(), 'br-netfilter', /bridge-nf-call-iptables=1.*policy is DROP/);
    expect(finding.fix).toContain('--physdev-is-bridged');
    // The doctor's claim holds: no lease comes.
    const container = new FakeContainer(world.lab);
    fakes.push(container);
    await container.ready();
    const hook = runHook(world.lab, world.configPath, 'createRuntime', ociState({ id: 'doc-drop', pid: container.pid }));
    expect(hook.stderr).toMatch(/no DHCP lease within .*likely cause: .*bridge-nf-call-iptables=1.*\[LEASE_TIMEOUT\]/);
    expect(hook.status).toBe(75);
    // Either fix it names makes the check pass.
    hostNs(['/usr/sbin/sysctl', '-qw', 'net.bridge.bridge-nf-call-iptables=0']);
    expect(findingOf(doctor(), 'br-netfilter').verdict).toBe('ok');
    hostNs(['/usr/sbin/sysctl', '-qw', 'net.bridge.bridge-nf-call-iptables=1']);
    hostNs(['/usr/sbin/iptables', '-I', 'FORWARD', '-m', 'physdev', '--physdev-is-bridged', '-j', 'ACCEPT']);
    expect(findingOf(doctor(), 'br-netfilter').verdict).toBe('ok');
    hostNs(['/usr/sbin/iptables', '-F', 'FORWARD']);
  });

  it('names a DHCP client that is not installed, with its Debian package', () => {
    const notExecutable = `${world.dir}/not-executable`;
    writeFileSync(notExecutable, '', { mode: 0o644 });
    const driver = driverFor(TEST_DHCP_CLIENT); // the configured one
    withPrivateMounts([['--bind', notExecutable, toolPath(driver.program)]], (inHolder) => {
      expect(expectFailure(doctor([], inHolder), 'dhcp-client', new RegExp(`"${driver.name}" is not installed`)).fix).toBe(`apt-get install ${driver.debianPackage}`);
    });
  });

  it('names a helperDir on a noexec filesystem', () => {
    const helperDir = `${world.dir}/lib`;
    mkdirSync(helperDir, { recursive: true });
    withPrivateMounts([['-t', 'tmpfs', '-o', 'noexec', 'tmpfs', helperDir]], (inHolder) => {
      expectFailure(doctor([], inHolder), 'helper-dir', new RegExp(`${helperDir} is on ${helperDir}, mounted noexec`));
    });
    expect(findingOf(doctor(), 'helper-dir').verdict).toBe('ok');
  });

  it('names a hooks.d file missing from where Podman reads, or pointing at no binary', () => {
    renameSync(`${root}${USR_HOOKS}/ipper.json`, `${world.dir}/ipper.json`);
    try {
      expectFailure(doctor(), 'hooks.d', /no ipper\.json in the directories Podman reads/);
      // Only in /etc, which this Podman does not read.
      mkdirSync(`${root}${ETC_HOOKS}`, { recursive: true });
      writeFileSync(`${root}${ETC_HOOKS}/ipper.json`, readFileSync(`${world.dir}/ipper.json`));
      expectFailure(doctor(), 'hooks.d', /which this Podman does not read/);
      // Unless containers.conf says so: then it is read.
      mkdirSync(`${root}/etc/containers`, { recursive: true });
      writeFileSync(`${root}/etc/containers/containers.conf`, `[engine]\nhooks_dir = ["${ETC_HOOKS}"]\n`);
      expect(findingOf(doctor(), 'hooks.d')).toMatchObject({ verdict: 'ok', message: expect.stringContaining('hooks_dir in containers.conf') });
    } finally {
      rmSync(`${root}/etc/containers`, { recursive: true, force: true });
      renameSync(`${world.dir}/ipper.json`, `${root}${USR_HOOKS}/ipper.json`);
    }
    renameSync(`${root}/usr/local/bin/ipper`, `${world.dir}/ipper-binary`);
    try {
      expectFailure(doctor(), 'hooks.d', /points at .*\/usr\/local\/bin\/ipper, which is not an executable file/);
      expectFailure(doctor(), 'docker', /ipper-runtime, which is not an executable file/);
    } finally {
      renameSync(`${world.dir}/ipper-binary`, `${root}/usr/local/bin/ipper`);
    }
    expectHealthy();
  });

  it('names a daemon.json without the ipper runtime', () => {
    const path = `${root}/etc/docker/daemon.json`;
    const installed = readFileSync(path, 'utf8');
    try {
      writeFileSync(path, JSON.stringify({ runtimes: { other: { path: '/usr/bin/runc' } } }));
      expectFailure(doctor(), 'docker', /registers no "ipper" runtime/);
      writeFileSync(path, '{');
      expectFailure(doctor(), 'docker', /not valid JSON/);
    } finally {
      writeFileSync(path, installed);
    }
    expect(findingOf(doctor(), 'dockerd')).toMatchObject({ verdict: 'warn', message: expect.stringContaining('dockerd did not answer') });
  });

  it('asks dockerd whether it knows the runtime, and names one that does not', async () => {
    const docker = new Docker(world.lab, `${world.dir}/docker`, IPPER, world.configPath);
    try {
      await docker.start();
      const asking = (): DoctorRun => doctor([], [], { DOCKER_HOST: `unix://${docker.socket}` });
      expect(findingOf(asking(), 'dockerd')).toMatchObject({ verdict: 'ok', message: 'dockerd knows the "ipper" runtime' });
      // dockerd reads its config again on SIGHUP: now without the ipper runtime.
      const config = `${world.dir}/docker/daemon.json`;
      writeFileSync(config, JSON.stringify({ ...JSON.parse(readFileSync(config, 'utf8')), runtimes: {} }));
      process.kill(Number(readFileSync(`${world.dir}/docker/docker.pid`, 'utf8')), 'SIGHUP');
      await expect.poll(() => findingOf(asking(), 'dockerd').verdict, { timeout: 10_000 }).toBe('fail');
      expectFailure(asking(), 'dockerd', /dockerd does not know the "ipper" runtime/);
    } finally {
      await docker.stop();
    }
  });

  it('names a state directory ipper refuses', () => {
    mkdirSync(world.stateDir, { recursive: true, mode: 0o700 });
    chmodSync(world.stateDir, 0o777);
    try {
      expectFailure(doctor(), 'state-dir', /writable by group or others/);
    } finally {
      chmodSync(world.stateDir, 0o700);
    }
    renameSync(world.stateDir, `${world.stateDir}.real`);
    symlinkSync(`${world.stateDir}.real`, world.stateDir);
    try {
      expectFailure(doctor(), 'state-dir', /is a symlink/);
    } finally {
      rmSync(world.stateDir);
      renameSync(`${world.stateDir}.real`, world.stateDir);
    }
  });
});

describe('ipper doctor <container>', () => {
  it('passes a bound container, then names its veth off the bridge, its dead client and the missing supervisor', async () => {
    const container = await start('doc-ctr');
    const healthy = expectHealthy(['doc-ctr']);
    expect(verdictOf(healthy, 'container')).toEqual(['ok']);
    expect(findingOf(healthy, 'container-lease').message).toMatch(/has 10\.97\.92\.\d+\/24 \(bound\); last heard a server \d+s ago/);

    // No supervisor (SIGTERM leaves the clients running): nobody puts things right behind our back.
    await world.stopSupervisor();
    expectFailure(doctor(['doc-ctr']), 'supervisor', /no supervisor answers .* while 1 container\(s\) are recorded/);
    const { hostVeth, client } = record('doc-ctr');
    hostNs([IP, 'link', 'set', hostVeth, 'nomaster']);
    expect(expectFailure(doctor(['doc-ctr']), 'container-port', new RegExp(`${hostVeth} is on no bridge`)).fix).toBe(`ip link set ${hostVeth} master br0 up`);
    hostNs([IP, 'link', 'set', hostVeth, 'master', world.lab.bridge]);
    process.kill(client.pid, 'SIGKILL');
    await expect.poll(() => isPidAlive(client.pid)).toBe(false);
    const run = doctor(['doc-ctr']);
    expectFailure(run, 'container-client', new RegExp(`DHCP client \\(pid ${client.pid}\\) is not running`));
    expect(findingOf(run, 'container-port').verdict).toBe('ok');

    const netnsInode = container.netnsInode;
    container.stop();
    await expect.poll(() => isPidAlive(container.pid)).toBe(false);
    expectFailure(doctor(['doc-ctr']), 'container', /its process .* is gone/);
    expect(runHook(world.lab, world.configPath, 'poststop', JSON.stringify({ ociVersion: '1.0.2', id: 'doc-ctr', status: 'stopped' })).status).toBe(0);
    // Nothing left in its namespace: dhcpcd's helpers outlive its killed main process.
    await expect.poll(() => holdersOf(netnsInode)).toEqual([]);
  });

  it('refuses a container it does not know, with one line', () => {
    const run = doctor(['no-such-container']);
    expect(run.status).toBe(65);
    expect(run.stderr).toBe('ipper: no container "no-such-container" attached by ipper (ipper status lists them) [NOT_FOUND]\n');
  });
});
