// The README's Podman path, exactly: `ipper install` on the machine's real root, then
// `podman run -d --network none --annotation ipper.bridge=br0 <image>` with no --hooks-dir and
// no hooks_dir in any containers.conf. Podman must find the hooks.d file by its own defaults,
// and the hook must work with the installed default config and Podman's empty environment.
// Then the same with an operator's hooks_dir in a containers.conf drop-in: Podman reads only that.
import { existsSync, mkdirSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configuredHooksDirs } from '../../src/cli/hooks-files.js';
import { serverLeases, sh } from '../lab/lab.js';
import { createWorld, type TestWorld } from '../helpers/env.js';
import { IPPER, filesIn, linkNames, namespaceView } from '../helpers/host.js';
import { INSTALLED, installedClients, installedSupervisorPid, InstalledMachine, expectInstalledLease, expectInstalledRelease } from '../helpers/installed.js';
import { OperatorPodman } from '../helpers/podman.js';

let world: TestWorld;
let podman: OperatorPodman;
let machine: InstalledMachine | undefined;
let baselineLinks: string[];
const IMAGE = OperatorPodman.IMAGE;
const SUBNET = '10.97.75';

/** Podman off the machine, the supervisor stopped, ipper uninstalled, the machine's own files back. */
async function leaveMachine(): Promise<void> {
  podman?.run(['rm', '-f', '-a', '-t', '0'], true);
  await machine?.leave();
}

beforeAll(() => {
  // The lab's host namespace has its bridge named br0, as the installed default config expects.
  world = createWorld('ipop', SUBNET);
  baselineLinks = linkNames(world.lab.hostNs);
  machine = new InstalledMachine();
  podman = OperatorPodman.withBusybox(world.lab, world.dir);
});

afterAll(async () => {
  await leaveMachine();
  await world?.destroy();
});

describe('the README path: ipper install, then podman run with Podman defaults', () => {
  let id: string;
  let ip: string;

  it('ipper install on the real root; no containers.conf on this machine sets hooks_dir', () => {
    expect(configuredHooksDirs('')).toBeUndefined();
    sh(IPPER, ['install'], { env: {} });
    expect(sh(INSTALLED.binary, ['--version'], { env: {} })).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('podman run --network none --annotation ipper.bridge=br0 gives the container a lease on the LAN', async () => {
    id = podman.run(['run', '-d', '--network', 'none', '--annotation', 'ipper.bridge=br0', ...OperatorPodman.RUN_LIMITS, IMAGE, '/bin/busybox', 'sleep', '600']);
    const pid = Number(podman.run(['inspect', '--format', '{{.State.Pid}}', id]));
    ip = await expectInstalledLease(world.lab, id, pid);
  });

  it('podman rm -f releases the lease on the server and leaves no veth, client or record', async () => {
    podman.run(['rm', '-f', '-t', '0', id]);
    await expectInstalledRelease(world.lab, ip, baselineLinks);
  });

});

describe("an operator's hooks_dir in /etc/containers/containers.conf.d: Podman reads only that directory", () => {
  const DROP_IN_DIR = '/etc/containers/containers.conf.d';
  // Other tests' Podman runs with CONTAINERS_CONF, which replaces every system file: this one
  // reaches only Podman run as an operator would.
  const dropIn = `${DROP_IN_DIR}/zz-${process.env['IPPER_LAB_PREFIX'] ?? ''}ipper-e2e.conf`;
  let createdDropInDir = false;
  let hooksDir: string;

  afterAll(() => {
    rmSync(dropIn, { force: true });
    if (createdDropInDir) rmdirSync(DROP_IN_DIR);
  });

  it('ipper install writes the hooks.d file into the directory containers.conf names, and Podman runs the hook from there', async () => {
    hooksDir = `${world.dir}/operator-hooks`;
    createdDropInDir = !existsSync(DROP_IN_DIR);
    mkdirSync(DROP_IN_DIR, { recursive: true });
    writeFileSync(dropIn, `[engine]\nhooks_dir = ["${hooksDir}"]\n`);
    expect(configuredHooksDirs('')).toEqual([hooksDir]);
    sh(IPPER, ['install'], { env: {} });
    const id = podman.run(['run', '-d', '--network', 'none', '--annotation', 'ipper.bridge=br0', ...OperatorPodman.RUN_LIMITS, IMAGE, '/bin/busybox', 'sleep', '600']);
    const pid = Number(podman.run(['inspect', '--format', '{{.State.Pid}}', id]));
    const eth0 = (): string[] => namespaceView(pid).addresses.filter((addr) => addr.ifname === 'eth0').map((addr) => addr.local);
    await expect.poll(eth0, { timeout: 10_000 }).toEqual([expect.stringMatching(new RegExp(`^${SUBNET.replace(/\./g, '\\.')}\\.\\d+$`))]);
    const ip = eth0()[0]!;
    expect(serverLeases(world.lab).map((lease) => lease.ip)).toContain(ip);
    expect(filesIn(hooksDir)).toEqual(['ipper.json']);
    podman.run(['rm', '-f', '-t', '0', id]);
    await expect.poll(() => serverLeases(world.lab).map((lease) => lease.ip), { timeout: 10_000 }).not.toContain(ip);
    // The veth goes just after poststop answered (once the release had left).
    await expect.poll(() => linkNames(world.lab.hostNs), { timeout: 10_000 }).toEqual(baselineLinks);
  });

  it('ipper uninstall removes the copy in that directory too (and stops the idle supervisor the hook started)', () => {
    expect(installedSupervisorPid()).toBeDefined();
    sh(IPPER, ['uninstall'], { env: {} });
    expect(installedSupervisorPid()).toBeUndefined();
    expect(filesIn(hooksDir)).toEqual([]);
    expect(existsSync('/usr/share/containers/oci/hooks.d/ipper.json')).toBe(false);
  });
});

describe('afterwards', () => {
  it('the machine is as it was', async () => {
    await leaveMachine();
    expect(installedSupervisorPid()).toBeUndefined();
    expect(installedClients()).toEqual([]);
    expect(filesIn(INSTALLED.stateDir)).toEqual(machine?.stateDirBefore);
  });
});
