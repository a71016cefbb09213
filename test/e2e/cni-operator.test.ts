// The README's CNI path, exactly: `ipper install` on the machine's real root (it links the plugin
// into /opt/cni/bin and /usr/lib/cni), the README's conflist (read from README.md, so the README
// cannot drift from what works) as /etc/cni/net.d/10-lan.conflist, and the installed default
// config. Then each runtime on its own defaults: Podman 4.3's CNI backend (no CONTAINERS_CONF, no
// network or plugin directory given: it reads /etc/cni/net.d and its default plugin dirs) with
// `podman run --network lan`, and the machine's containerd service with `ctr run --cni` (the first
// config by name in /etc/cni/net.d, the plugins in /opt/cni/bin and, Debian's ctr, /usr/lib/cni,
// where the conflist's portmap is), beside Podman's own 87-podman-bridge.conflist that Debian
// ships in the same directory.
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { serverLeases, sh } from '../lab/lab.js';
import { ensureBusyboxRootfs } from '../lab/runc.js';
import { MachineContainerd } from '../helpers/containerd.js';
import { createWorld, type TestWorld } from '../helpers/env.js';
import { IPPER, ROOT, filesIn, isPidAlive, linkNames, namespaceView } from '../helpers/host.js';
import { INSTALLED, InstalledMachine, exists, expectInstalledLease, expectInstalledRelease, installedClients, installedSupervisorPid } from '../helpers/installed.js';
import { fetchFrom } from '../helpers/network.js';
import { OperatorPodman } from '../helpers/podman.js';

let world: TestWorld;
let podman: OperatorPodman | undefined;
let containerd: MachineContainerd | undefined;
let machine: InstalledMachine | undefined;
let baselineLinks: string[];
let pluginLinksBefore: string[];
const SUBNET = '10.97.78';
const NET_D = '/etc/cni/net.d';
const CONFLIST = `${NET_D}/10-lan.conflist`;
const PLUGIN_LINKS = ['/opt/cni/bin/ipper', '/usr/lib/cni/ipper'];
const IMAGE = OperatorPodman.IMAGE;
const PAGE = 'hello from an ipper container\n';
const prefix = process.env['IPPER_LAB_PREFIX'] ?? '';
/** The runtimes' CNI result cache (libcni's default): what a DEL never came for stays there. */
const CNI_RESULTS = '/var/lib/cni/results';
const cacheEntries: string[] = [];

/** The ```json conflist of the README's CNI section, as text. */
function readmeConflist(): string {
  const readme = readFileSync(`${ROOT}/README.md`, 'utf8');
  const start = readme.indexOf('\n### CNI plugin');
  const section = readme.slice(start, readme.indexOf('\n## ', start + 1));
  const block = /```json\n(\{[\s\S]*?\n\})\n```/.exec(section)?.[1];
  if (start < 0 || block === undefined) throw new Error('README.md: no ```json conflist in the CNI plugin section');
  return `${block}\n`;
}

/** The network configs a runtime sees in /etc/cni/net.d, in libcni's order (by name). */
function cniConfigs(): string[] {
  return readdirSync(NET_D).filter((name) => /\.(conf|conflist|json)$/.test(name)).sort();
}

async function leaveMachine(): Promise<void> {
  podman?.run(['rm', '-f', '-a', '-t', '0'], true);
  await containerd?.stop();
  for (const entry of cacheEntries) rmSync(`${CNI_RESULTS}/${entry}`, { force: true });
  await machine?.leave();
}

beforeAll(() => {
  // The lab's host namespace has its bridge named br0, as the installed default config and the README's conflist expect.
  world = createWorld('ipcnop', SUBNET);
  baselineLinks = linkNames(world.lab.hostNs);
  pluginLinksBefore = PLUGIN_LINKS.filter(exists);
  machine = new InstalledMachine();
  podman = OperatorPodman.withBusybox(world.lab, world.dir);
});

afterAll(async () => {
  await leaveMachine();
  await world?.destroy();
}, 120_000);

describe("the README's steps: ipper install, then its conflist in /etc/cni/net.d", () => {
  it('ipper install links the plugin into /opt/cni/bin and /usr/lib/cni', () => {
    sh(IPPER, ['install'], { env: {} });
    for (const link of PLUGIN_LINKS) expect(readlinkSync(link), link).toBe(INSTALLED.binary);
    // Each answers as a CNI plugin, as a runtime calls it.
    for (const link of PLUGIN_LINKS) {
      const version = JSON.parse(sh(link, [], { env: { CNI_COMMAND: 'VERSION' }, input: '{}' })) as { supportedVersions: string[] };
      expect(version.supportedVersions).toContain('1.0.0');
    }
  });

  it("the README's conflist goes in as 10-lan.conflist, the first config there by name (the one ctr reads)", () => {
    writeFileSync(CONFLIST, readmeConflist());
    const conflist = JSON.parse(readFileSync(CONFLIST, 'utf8')) as { name: string; plugins: Record<string, unknown>[] };
    expect(conflist.name).toBe('lan');
    expect(conflist.plugins[0]).toMatchObject({ type: 'ipper', bridge: 'br0' });
    expect(cniConfigs()[0]).toBe('10-lan.conflist');
  });
});

describe('Podman on its defaults (CNI backend): podman run --network lan', () => {
  const name = `${prefix}readme-web`;
  let id: string;
  let ip: string;
  let pid: number;

  it('Podman uses its CNI backend and finds the network lan in /etc/cni/net.d', () => {
    expect(podman!.run(['info', '--format', '{{.Host.NetworkBackend}}'])).toBe('cni');
    expect(podman!.run(['network', 'ls', '--format', '{{.Name}}']).split('\n')).toContain('lan');
  });

  it('the container gets a lab lease under its name, and another lab host reaches it by that name', async () => {
    id = podman!.run(['run', '-d', '--name', name, '--network', 'lan', ...OperatorPodman.RUN_LIMITS, IMAGE, '/bin/busybox', 'httpd', '-f', '-p', '80', '-h', '/www']);
    cacheEntries.push(`lan-${id}-eth0`);
    pid = Number(podman!.run(['inspect', '--format', '{{.State.Pid}}', id]));
    ip = await expectInstalledLease(world.lab, `${id}+eth0`, pid);
    expect(serverLeases(world.lab)).toContainEqual(expect.objectContaining({ ip, hostname: name }));
    await expect.poll(() => fetchFrom(world.lab.peerNs, `http://${name}.${world.lab.domain}/`), { timeout: 10_000 }).toBe(PAGE);
  });

  it('the supervisor killed while the container runs: the container keeps its address and its client', async () => {
    const clients = installedClients();
    const supervisor = installedSupervisorPid()!;
    expect(supervisor).toBeDefined();
    process.kill(supervisor, 'SIGKILL');
    await expect.poll(() => isPidAlive(supervisor)).toBe(false);
    expect(namespaceView(pid).addresses).toContainEqual({ ifname: 'eth0', local: ip, prefixlen: 24 });
    expect(installedClients()).toEqual(clients);
  });

  it("podman rm -f: Podman's DEL (no supervisor running; it starts one) releases the lease and leaves no veth, record or client", async () => {
    podman!.run(['rm', '-f', '-t', '0', id]);
    await expectInstalledRelease(world.lab, ip, baselineLinks);
    expect(filesIn(CNI_RESULTS)).not.toContain(`lan-${id}-eth0`);
  });
});

describe("containerd on its defaults (the machine's service, /run/containerd/containerd.sock): ctr run --cni", () => {
  // ctr names the attachment <namespace>-<id> in its default namespace: that is the DHCP hostname.
  const web = `${prefix}readme-web`;
  const once = `${prefix}readme-once`;

  beforeAll(async () => {
    containerd = new MachineContainerd(world.lab, `${world.dir}/containerd.log`);
    await containerd.ensureRunning();
    ensureBusyboxRootfs(`${world.dir}/rootfs`);
  }, 60_000);

  it('ctr run -d --cni: the container gets a lab lease as default-<id>, reachable by that name', async () => {
    containerd!.track(web);
    cacheEntries.push(`lan-default-${web}-eth0`);
    containerd!.ctr(['run', '-d', '--cni', '--rootfs', `${world.dir}/rootfs`, web, '/bin/busybox', 'httpd', '-f', '-p', '80', '-h', '/www']);
    const pid = containerd!.taskPid(web)!;
    const ip = await expectInstalledLease(world.lab, `default-${web}+eth0`, pid);
    expect(serverLeases(world.lab)).toContainEqual(expect.objectContaining({ ip, hostname: `default-${web}` }));
    await expect.poll(() => fetchFrom(world.lab.peerNs, `http://default-${web}.${world.lab.domain}/`), { timeout: 10_000 }).toBe(PAGE);

    // ctr task kill + ctr container rm send no DEL: ipper's garbage collection sees the task's
    // namespace gone and releases the lease within gcIntervalMs of the installed config.
    const { gcIntervalMs } = parseConfig(readFileSync(INSTALLED.config, 'utf8'), INSTALLED.config);
    containerd!.ctr(['task', 'kill', '-s', 'SIGKILL', web]);
    await expect.poll(() => isPidAlive(pid)).toBe(false);
    containerd!.ctr(['task', 'rm', web]);
    containerd!.ctr(['container', 'rm', web]);
    await expectInstalledRelease(world.lab, ip, baselineLinks, gcIntervalMs + 10_000);
  });

  it('ctr run --rm --cni: the supervisor killed while the task runs; the DEL when the task ends starts a new one, which releases the lease', async () => {
    containerd!.track(once);
    cacheEntries.push(`lan-default-${once}-eth0`);
    const [file, ...args] = containerd!.ctrArgv(['run', '--rm', '--cni', '--rootfs', `${world.dir}/rootfs`, once, '/bin/busybox', 'sleep', '600']);
    const run = spawn(file!, args, { stdio: 'ignore', env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' } });
    const exited = new Promise<number | null>((resolve) => run.on('exit', resolve));
    await expect.poll(() => containerd!.containers().includes(once) && containerd!.taskPid(once) !== undefined, { timeout: 20_000 }).toBe(true);
    const pid = containerd!.taskPid(once)!;
    const ip = await expectInstalledLease(world.lab, `default-${once}+eth0`, pid);
    const supervisor = installedSupervisorPid()!;
    expect(supervisor).toBeDefined();
    process.kill(supervisor, 'SIGKILL');
    await expect.poll(() => isPidAlive(supervisor)).toBe(false);
    expect(namespaceView(pid).addresses).toContainEqual({ ifname: 'eth0', local: ip, prefixlen: 24 });
    containerd!.ctr(['task', 'kill', '-s', 'SIGKILL', once]);
    expect(await exited).not.toBeNull();
    await expectInstalledRelease(world.lab, ip, baselineLinks);
    expect(containerd!.containers()).not.toContain(once);
  });
});

describe('afterwards', () => {
  it('the machine is as it was: no conflist, no plugin links, no supervisor, no containerd this test started', async () => {
    const startedContainerd = containerd?.startedHere ?? false;
    await leaveMachine();
    expect(installedSupervisorPid()).toBeUndefined();
    expect(installedClients()).toEqual([]);
    expect(filesIn(INSTALLED.stateDir)).toEqual(machine?.stateDirBefore);
    expect(existsSync(CONFLIST)).toBe(false);
    expect(PLUGIN_LINKS.filter(exists)).toEqual(pluginLinksBefore);
    if (startedContainerd) {
      expect(MachineContainerd.answers()).toBe(false);
      expect(existsSync('/run/containerd/containerd.sock')).toBe(false);
    }
  });
});
