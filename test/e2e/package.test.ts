// The .deb, as the README says: `npm run package`, `apt-get install ./dist/ipper_*.deb`, then a
// Podman container with no extra flags and a Docker container (a dockerd that reads
// /etc/docker/daemon.json) get LAN addresses; `apt-get remove` keeps the edited config and takes
// everything else; `apt-get purge` leaves nothing of ipper. The package is never left installed:
// afterAll purges it whatever happened, and the machine's own files at those paths come back.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sh, serverLeases } from '../lab/lab.js';
import { busyboxImageTar } from '../lab/runc.js';
import { Docker } from '../helpers/docker.js';
import { createWorld, type TestWorld } from '../helpers/env.js';
import { filesIn, linkNames, namespaceView } from '../helpers/host.js';
import { INSTALLED, PACKAGE_PATHS, installedClients, installedSupervisorPid, setAsideInstall, stopInstalledSupervisor, exists } from '../helpers/installed.js';
import { OperatorPodman } from '../helpers/podman.js';

const ROOT = new URL('../../', import.meta.url).pathname;
const VERSION: string = JSON.parse(readFileSync(`${ROOT}package.json`, 'utf8')).version;
const DEB = `./dist/ipper_${VERSION}_amd64.deb`;
const SUBNET = '10.97.92';
const IMAGE = OperatorPodman.IMAGE;
const APT_ENV = { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', DEBIAN_FRONTEND: 'noninteractive' };
const EDITED_CONFIG = `${JSON.stringify({ bridge: 'br0', logLevel: 'debug' }, null, 2)}\n`;

let world: TestWorld;
let podman: OperatorPodman | undefined;
let docker: Docker | undefined;
let backupDir: string;
let restoreMachine: (() => void) | undefined;
let baselineLinks: string[];

/** dpkg's idea of the package: "" when it knows none. */
function packageStatus(): string {
  return sh('/usr/bin/dpkg-query', ['-W', '-f=${db:Status-Abbrev}', 'ipper'], { allowFail: true }).trim();
}

function aptGet(args: readonly string[]): string {
  return execFileSync('/usr/bin/apt-get', ['-y', '-q', '-o', 'DPkg::Lock::Timeout=120', ...args], { cwd: ROOT, env: APT_ENV, encoding: 'utf8', timeout: 300_000 });
}

/** Processes running the package's binary (deleted or not). */
function packageProcesses(): number[] {
  return readdirSync('/proc').filter((name) => /^\d+$/.test(name)).filter((name) => {
    try {
      return readlinkSync(`/proc/${name}/exe`).startsWith('/usr/bin/ipper');
    } catch {
      return false;
    }
  }).map(Number);
}


function daemonRuntimes(): Record<string, unknown> | undefined {
  if (!existsSync('/etc/docker/daemon.json')) return undefined;
  return JSON.parse(readFileSync('/etc/docker/daemon.json', 'utf8')).runtimes;
}

async function leaveMachine(): Promise<void> {
  podman?.run(['rm', '-f', '-a', '-t', '0'], true);
  await docker?.stop();
  docker = undefined;
  if (restoreMachine === undefined) return;
  // Never leave the package installed: purge stops an idle supervisor (prerm) and removes the rest.
  if (packageStatus() !== '') sh('/usr/bin/dpkg', ['--purge', 'ipper'], { allowFail: true, env: APT_ENV, timeoutMs: 120_000 });
  await stopInstalledSupervisor();
  restoreMachine();
  restoreMachine = undefined;
}

beforeAll(() => {
  // This test owns dpkg's "ipper" for its run: a machine with the package installed is not ours to touch.
  const before = packageStatus();
  if (before !== '' && !before.startsWith('un')) throw new Error(`the ipper package is installed on this machine (${before}): this test needs it absent`);
  execFileSync(process.execPath, [`${ROOT}scripts/package.mjs`], { cwd: ROOT, stdio: 'ignore', timeout: 120_000 });
  world = createWorld('pkgdeb', SUBNET);
  baselineLinks = linkNames(world.lab.hostNs);
  backupDir = mkdtempSync('/tmp/ipper-machine-');
  restoreMachine = setAsideInstall(backupDir, ['/etc/docker/key.json']);
}, 180_000);

afterAll(async () => {
  await leaveMachine();
  rmSync(backupDir, { recursive: true, force: true });
  await world?.destroy();
});

function expectLease(pid: number): Promise<string> {
  const eth0 = (): string[] => namespaceView(pid).addresses.filter((addr) => addr.ifname === 'eth0').map((addr) => addr.local);
  return expect.poll(eth0, { timeout: 10_000 }).toEqual([expect.stringMatching(new RegExp(`^${SUBNET.replace(/\./g, '\\.')}\\.\\d+$`))]).then(() => eth0()[0]!);
}

describe('apt-get install ./dist/ipper_*.deb', () => {
  it('installs the binary, the link, the hooks.d file, the config, the unit, the man page, logrotate; the runtime is in daemon.json', () => {
    // Nothing else to install, so nothing to download (apt's --no-download refuses local files).
    expect(aptGet(['-s', 'install', DEB]).split('\n').filter((line) => /^(Inst|Remv) /.test(line))).toEqual([`Inst ipper (${VERSION} local-deb [amd64])`]);
    aptGet(['install', DEB]);
    expect(packageStatus()).toBe('ii');
    expect(sh('/usr/bin/ipper', ['--version'], { env: {} }).trim()).toBe(VERSION);
    expect(readlinkSync('/usr/bin/ipper-runtime')).toBe('ipper');
    expect(JSON.parse(readFileSync('/usr/share/containers/oci/hooks.d/ipper.json', 'utf8')).hook).toEqual({ path: '/usr/bin/ipper', args: ['ipper', 'hook'] });
    expect(JSON.parse(readFileSync('/etc/ipper/config.json', 'utf8'))).toEqual({ bridge: 'br0' });
    expect(readFileSync('/lib/systemd/system/ipper-supervisor.service', 'utf8')).toContain('ExecStart=/usr/bin/ipper supervisor\n');
    expect(sh('/usr/bin/man', ['-P', '/bin/cat', '-l', '/usr/share/man/man1/ipper.1.gz'], { env: { ...APT_ENV, MANWIDTH: '100' } })).toContain('ipper supervisor [--release-all]');
    expect(readFileSync('/etc/logrotate.d/ipper', 'utf8')).toContain('kill -HUP');
    expect(daemonRuntimes()).toEqual({ ipper: { path: '/usr/bin/ipper-runtime' } });
    // The operator names a bridge (here the same) and a log level: remove must keep this.
    writeFileSync('/etc/ipper/config.json', EDITED_CONFIG);
  });

  it('a Podman container with no extra flags gets a lease (Podman finds the hook by its own defaults)', async () => {
    podman = OperatorPodman.withBusybox(world.lab, world.dir);
    const id = podman.run(['run', '-d', '--network', 'none', '--annotation', 'ipper.bridge=br0', ...OperatorPodman.RUN_LIMITS, IMAGE, '/bin/busybox', 'sleep', '600']);
    const ip = await expectLease(Number(podman.run(['inspect', '--format', '{{.State.Pid}}', id])));
    expect(serverLeases(world.lab).map((lease) => lease.ip)).toContain(ip);
    expect(filesIn(`${INSTALLED.stateDir}/containers`)).toEqual([`${id}.json`]);
    expect(statusOf(id)).toMatchObject({ state: 'bound', addresses: [expect.stringMatching(new RegExp(`^${ip.replace(/\./g, '\\.')}/`))] });
    // The supervisor the hook started is the package's binary.
    expect(readlinkSync(`/proc/${installedSupervisorPid()!}/exe`)).toBe('/usr/bin/ipper');
    podman.run(['rm', '-f', '-t', '0', id]);
    await expect.poll(() => serverLeases(world.lab).map((lease) => lease.ip), { timeout: 10_000 }).not.toContain(ip);
  });

  it("logrotate's postrotate makes the supervisor reopen its log", async () => {
    const script = /postrotate\n([\s\S]*?)\n\s*endscript/.exec(readFileSync('/etc/logrotate.d/ipper', 'utf8'))?.[1];
    expect(script).toBeDefined();
    renameSync('/var/log/ipper.log', '/var/log/ipper.log.1');
    sh('/bin/sh', ['-c', script!], { env: APT_ENV });
    // Nothing else writes the log meanwhile: only the supervisor's reopen makes the file again.
    await expect.poll(() => existsSync('/var/log/ipper.log')).toBe(true);
    expect(installedSupervisorPid()).toBeDefined();
  });

  it('a Docker container with --runtime ipper gets a lease (dockerd reads the runtime from daemon.json)', async () => {
    docker = new Docker(world.lab, `${world.dir}/docker`, 'installed');
    await docker.start();
    docker.run(['import', busyboxImageTar(`${world.dir}/rootfs`, `${world.dir}/busybox.tar`), 'ipper-busybox:latest']);
    const id = docker.run(['run', '-d', '--runtime', 'ipper', '--network', 'none', 'ipper-busybox', '/bin/busybox', 'sleep', '600']);
    const ip = await expectLease(Number(docker.run(['inspect', '--format', '{{.State.Pid}}', id])));
    expect(serverLeases(world.lab).map((lease) => lease.ip)).toContain(ip);
    expect(installedClients()).toHaveLength(1);
    expect(statusOf(id)).toMatchObject({ state: 'bound', addresses: [expect.stringMatching(new RegExp(`^${ip.replace(/\./g, '\\.')}/`))] });
    docker.run(['rm', '-f', id]);
    await expect.poll(() => serverLeases(world.lab).map((lease) => lease.ip), { timeout: 10_000 }).not.toContain(ip);
    await docker.stop();
    docker = undefined;
    await expect.poll(() => linkNames(world.lab.hostNs), { timeout: 10_000 }).toEqual(baselineLinks); // the veth goes just after poststop answered
    expect(installedClients()).toEqual([]);
  });
});

/** The container's row in `ipper status --json`, as an operator would look it up. */
function statusOf(id: string): Record<string, unknown> | undefined {
  const status = JSON.parse(sh('/usr/bin/ipper', ['status', '--json'], { env: {} })) as { containers: { id: string }[] };
  return status.containers.find((container) => container.id === id);
}

describe('apt-get remove, then apt-get purge', () => {
  it('remove refuses while a container holds an ipper network: the package, the runtime and the lease stay', async () => {
    const id = podman!.run(['run', '-d', '--network', 'none', '--annotation', 'ipper.bridge=br0', ...OperatorPodman.RUN_LIMITS, IMAGE, '/bin/busybox', 'sleep', '600']);
    const ip = await expectLease(Number(podman!.run(['inspect', '--format', '{{.State.Pid}}', id])));
    const refused = spawnSync('/usr/bin/apt-get', ['-y', '-q', '-o', 'DPkg::Lock::Timeout=120', 'remove', 'ipper'], { cwd: ROOT, env: APT_ENV, encoding: 'utf8', timeout: 300_000 });
    expect(refused.status).not.toBe(0);
    expect(`${refused.stdout}${refused.stderr}`).toMatch(/^ipper: .*uninstall changed nothing.* \[IN_USE\]$/m);
    expect(packageStatus()).toBe('ii');
    expect(daemonRuntimes()).toEqual({ ipper: { path: '/usr/bin/ipper-runtime' } });
    expect(existsSync('/usr/bin/ipper')).toBe(true);
    expect(serverLeases(world.lab).map((lease) => lease.ip)).toContain(ip);
    expect(installedClients()).toHaveLength(1);
    podman!.run(['rm', '-f', '-t', '0', id]);
    await expect.poll(() => serverLeases(world.lab).map((lease) => lease.ip), { timeout: 10_000 }).not.toContain(ip);
  });

  it('remove stops the supervisor, takes the runtime out of daemon.json and every file away, and keeps the edited config', () => {
    expect(installedSupervisorPid()).toBeDefined();
    aptGet(['remove', 'ipper']);
    expect(packageStatus()).toBe('rc');
    expect(packageProcesses()).toEqual([]);
    expect(installedSupervisorPid()).toBeUndefined();
    expect(daemonRuntimes()?.['ipper']).toBeUndefined();
    for (const path of [...PACKAGE_PATHS.filter((path) => path !== '/etc/logrotate.d/ipper'), '/usr/share/containers/oci/hooks.d/ipper.json', INSTALLED.helper]) expect([path, exists(path)]).toEqual([path, false]);
    // Conffiles stay until purge.
    expect(readFileSync('/etc/ipper/config.json', 'utf8')).toBe(EDITED_CONFIG);
  });

  it('purge removes the config, the state, the helper directory and the logs: nothing of ipper is left', () => {
    expect(exists('/var/log/ipper.log')).toBe(true);
    aptGet(['purge', 'ipper']);
    expect(packageStatus()).toBe('');
    for (const path of ['/etc/ipper', '/etc/logrotate.d/ipper', '/run/ipper', '/var/lib/ipper', '/var/log/ipper.log', '/usr/share/containers/oci/hooks.d/ipper.json', ...PACKAGE_PATHS]) {
      expect([path, exists(path)]).toEqual([path, false]);
    }
    // ipper.log.1 from the logrotate step above: purge takes rotated logs too.
    expect(filesIn('/var/log').filter((name) => name.startsWith('ipper'))).toEqual([]);
    expect(filesIn('/var/lib/dpkg/info').filter((name) => name.startsWith('ipper.'))).toEqual([]);
    expect(daemonRuntimes()?.['ipper']).toBeUndefined();
    expect(packageProcesses()).toEqual([]);
    expect(installedClients()).toEqual([]);
    expect(linkNames(world.lab.hostNs)).toEqual(baselineLinks);
  });
});
