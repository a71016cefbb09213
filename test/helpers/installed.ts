// For the tests that take the README's path: `ipper install` on the machine's real root, the
// installed default config (/etc/ipper/config.json: stateDir /run/ipper, log /var/log/ipper.log).
// Whatever was at those paths before is moved aside and put back; whatever the test added goes.
import { cpSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, rmdirSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { isErrnoCode } from '../../src/errors.js';
import { expect } from 'vitest';
import { inNs, serverLeases, sh, type Lab } from '../lab/lab.js';
import { IPPER, clientsOf, filesIn, isPidAlive, linkNames, namespaceView } from './host.js';

export const INSTALLED = {
  binary: '/usr/local/bin/ipper',
  config: '/etc/ipper/config.json',
  stateDir: '/run/ipper',
  helper: '/var/lib/ipper/ipper-helper',
};

/** What the .deb installs (scripts/package.mjs), besides the paths `ipper install` shares with it. */
export const PACKAGE_PATHS = [
  '/usr/bin/ipper',
  '/usr/bin/ipper-runtime',
  '/lib/systemd/system/ipper-supervisor.service',
  '/usr/share/man/man1/ipper.1.gz',
  '/usr/share/doc/ipper',
  '/etc/logrotate.d/ipper',
];

/** Every path `ipper install` (or the package), its hook and its supervisor write on the real root. */
const PATHS = [
  ...PACKAGE_PATHS,
  '/usr/local/bin/ipper',
  '/usr/local/bin/ipper-runtime',
  '/usr/share/containers/oci/hooks.d/ipper.json',
  '/etc/containers/oci/hooks.d/ipper.json',
  '/etc/ipper/config.json',
  '/etc/docker/daemon.json',
  '/run/ipper',
  '/var/lib/ipper',
  '/var/log/ipper.log',
  '/var/log/ipper.log.1',
  // The CNI plugin's links (src/cli/install.ts CNI_PLUGIN_DIRS) and the README's conflist.
  '/opt/cni/bin/ipper',
  '/usr/lib/cni/ipper',
  '/etc/cni/net.d/10-lan.conflist',
];

export function exists(path: string): boolean {
  try {
    lstatSync(path);
    return true;
  } catch {
    return false;
  }
}

/** DHCP clients run for the installed config, whichever client it names (one per client, not its helper processes). */
export function installedClients(): { pid: number; cmdline: string }[] {
  return clientsOf(INSTALLED.stateDir).map((pid) => ({ pid, cmdline: readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ').trim() }));
}

/** The pid in /run/ipper/supervisor.pid if that process lives. */
export function installedSupervisorPid(): number | undefined {
  try {
    const pid = Number(readFileSync(`${INSTALLED.stateDir}/supervisor.pid`, 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 && isPidAlive(pid) ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** Stops the supervisor that the installed hook started (the test caused it, the test ends it). */
export async function stopInstalledSupervisor(): Promise<void> {
  const pid = installedSupervisorPid();
  if (pid === undefined) return;
  process.kill(pid, 'SIGTERM');
  for (let i = 0; i < 250 && isPidAlive(pid); i++) await new Promise((resolve) => setTimeout(resolve, 20));
}

/**
 * Moves the machine's own files at the install paths into `backupDir` and returns the function
 * that puts them back (and removes what the test created, directories included); `others` are
 * more paths the test's tools write (dockerd's /etc/docker/key.json). Refuses to start
 * while a supervisor runs from /run/ipper: that install is someone else's, in use.
 */
export function setAsideInstall(backupDir: string, others: readonly string[] = []): () => void {
  const running = installedSupervisorPid();
  if (running !== undefined) throw new Error(`an ipper supervisor (pid ${running}) runs from ${INSTALLED.stateDir}: this test needs the machine's default install to itself`);
  const paths = [...PATHS, ...others];
  const saved = paths.filter(exists);
  const createdDirs = new Set<string>();
  for (const path of paths) {
    for (let dir = dirname(path); dir !== '/' && !existsSync(dir); dir = dirname(dir)) createdDirs.add(dir);
  }
  for (const path of saved) {
    mkdirSync(dirname(`${backupDir}${path}`), { recursive: true });
    cpSync(path, `${backupDir}${path}`, { recursive: true, preserveTimestamps: true, verbatimSymlinks: true });
    rmSync(path, { recursive: true, force: true });
  }
  return () => {
    for (const path of paths) rmSync(path, { recursive: true, force: true });
    for (const path of saved) {
      mkdirSync(dirname(path), { recursive: true });
      cpSync(`${backupDir}${path}`, path, { recursive: true, preserveTimestamps: true, verbatimSymlinks: true });
    }
    // Deepest first; a directory that something else filled meanwhile stays.
    for (const dir of [...createdDirs].sort((a, b) => b.length - a.length)) {
      try {
        rmdirSync(dir);
      } catch (error) {
        if (!isErrnoCode(error, 'ENOENT') && !isErrnoCode(error, 'ENOTEMPTY')) throw error;
      }
    }
  };
}

/**
 * The machine's default install set aside for a README-path test, and put back however the test
 * ends: `leave()` uninstalls (which stops the idle supervisor), stops a supervisor a failed run
 * left, and restores the machine's own files.
 */
export class InstalledMachine {
  /** What /run/ipper held before: the test ends with the same. */
  readonly stateDirBefore = filesIn(INSTALLED.stateDir);
  private readonly backupDir = mkdtempSync('/tmp/ipper-machine-');
  private restore: (() => void) | undefined;

  constructor(others: readonly string[] = []) {
    this.restore = setAsideInstall(this.backupDir, others);
  }

  async leave(): Promise<void> {
    if (this.restore !== undefined) {
      sh(IPPER, ['uninstall'], { allowFail: true, env: {} });
      await stopInstalledSupervisor();
      this.restore();
      this.restore = undefined;
    }
    rmSync(this.backupDir, { recursive: true, force: true });
  }
}

/**
 * A container started through the installed ipper holds one lab address on eth0, leased by the
 * lab's server, with its record and one client of the installed supervisor. Returns the address.
 * `id` names the record: the container id, or `<container id>+<ifname>` for a CNI attachment.
 */
export async function expectInstalledLease(lab: Lab, id: string, pid: number): Promise<string> {
  const eth0 = (): string[] => namespaceView(pid).addresses.filter((addr) => addr.ifname === 'eth0').map((addr) => addr.local);
  await expect.poll(eth0, { timeout: 10_000 }).toEqual([expect.stringMatching(new RegExp(`^${lab.subnet.replace(/\./g, '\\.')}\\.\\d+$`))]);
  const ip = eth0()[0]!;
  expect(serverLeases(lab).map((lease) => lease.ip)).toContain(ip);
  expect(filesIn(`${INSTALLED.stateDir}/containers`)).toContain(`${id}.json`);
  expect(installedClients()).toHaveLength(1);
  return ip;
}

/**
 * Its removal released the lease on the server (DHCPRELEASE in its log) and left no veth, record or
 * client. `timeoutMs`: how long the release may take (a CNI DEL may come from a process that
 * outlives the runtime's command; garbage collection comes within gcIntervalMs).
 */
export async function expectInstalledRelease(lab: Lab, ip: string, baselineLinks: readonly string[], timeoutMs = 10_000): Promise<void> {
  await expect.poll(() => filesIn(`${INSTALLED.stateDir}/containers`), { timeout: timeoutMs }).toEqual([]);
  await expect.poll(() => serverLeases(lab).map((lease) => lease.ip), { timeout: 10_000 }).not.toContain(ip);
  expect(inNs(lab.dhcpNs, ['/bin/cat', lab.serverLog])).toMatch(new RegExp(`DHCPRELEASE\\(\\S+\\) ${ip.replace(/\./g, '\\.')} `));
  // poststop answers once the release has left; the supervisor removes the rest just after, the record last.
  await expect.poll(() => filesIn(`${INSTALLED.stateDir}/containers`), { timeout: 10_000 }).toEqual([]);
  expect(linkNames(lab.hostNs)).toEqual(baselineLinks);
  expect(installedClients()).toEqual([]);
}
