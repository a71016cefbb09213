// ipper's CNI plugin under a real runtime: a containerd of this test's own (root, state, socket)
// and `ctr run --cni`, which calls the plugins in /opt/cni/bin with the first config in
// /etc/cni/net.d. ctr runs in a mount namespace of this test where those two directories and its
// result cache are the test's own (tmpfs on /opt and /var/lib/cni, a bind mount on
// /etc/cni/net.d): the host's are never touched.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { inNs, serverLeases, sh } from '../lab/lab.js';
import { ensureBusyboxRootfs } from '../lab/runc.js';
import { createWorld, type TestWorld } from '../helpers/env.js';
import { IPPER, clientsOf, filesIn, isPidAlive, linkNames, namespaceView } from '../helpers/host.js';
import { fetchFrom, inspect } from '../helpers/network.js';

let world: TestWorld;
let baselineLinks: string[];
let containerd: ChildProcess | undefined;
let mountHolder: ChildProcess | undefined;
let socket: string;
const GC_MS = 1000;
const CNI_CACHE = '/var/lib/cni';
let createdCniCache = false;

/** A command in the lab's host namespace and the test's mount namespace (its /opt/cni/bin and /etc/cni/net.d). */
function inTestMounts(argv: string[], env: Record<string, string> = {}): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync('/usr/bin/nsenter', [`--mount=/proc/${mountHolder!.pid}/ns/mnt`, `--net=/run/netns/${world.lab.hostNs}`, '--', ...argv], {
    encoding: 'utf8',
    env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', IPPER_CONFIG: world.configPath, ...env },
    timeout: 60_000,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

function ctr(args: string[]): string {
  const result = inTestMounts(['/usr/bin/ctr', '--address', socket, ...args]);
  if (result.status !== 0) throw new Error(`ctr ${args.join(' ')} failed: ${result.stderr.trim()}`);
  return result.stdout;
}

function taskPid(id: string): number | undefined {
  const line = ctr(['task', 'ls']).split('\n').find((row) => row.split(/\s+/)[0] === id);
  const pid = Number(line?.split(/\s+/)[1]);
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

function mountNsOf(pid: number): number | undefined {
  try {
    return statSync(`/proc/${pid}/ns/mnt`).ino;
  } catch {
    return undefined;
  }
}

beforeAll(async () => {
  world = createWorld('icnctrd', '10.97.96', { gcIntervalMs: GC_MS });
  baselineLinks = linkNames(world.lab.hostNs);
  ensureBusyboxRootfs(`${world.dir}/rootfs`);
  const dir = `${world.dir}/containerd`;
  mkdirSync(`${dir}/net.d`, { recursive: true });
  socket = `${dir}/containerd.sock`;
  writeFileSync(`${dir}/net.d/10-ipper.conflist`, JSON.stringify({
    cniVersion: '1.0.0',
    name: 'lan',
    plugins: [{ type: 'ipper', bridge: world.lab.bridge }],
  }));
  writeFileSync(`${dir}/config.toml`, [
    'version = 2',
    `root = "${dir}/root"`,
    `state = "${dir}/state"`,
    'disabled_plugins = ["io.containerd.grpc.v1.cri"]',
    '[grpc]',
    `  address = "${socket}"`,
    '[plugins."io.containerd.internal.v1.opt"]',
    `  path = "${dir}/opt"`,
    '',
  ].join('\n'));
  // The mount namespace ctr runs in: held by a sleeping process, set up with mount(8) from outside.
  mountHolder = spawn('/usr/bin/unshare', ['--mount', '--propagation', 'private', '/bin/sleep', '3600'], { stdio: 'ignore' });
  await vi.waitFor(() => {
    if (mountNsOf(mountHolder!.pid!) === undefined || mountNsOf(mountHolder!.pid!) === mountNsOf(process.pid)) throw new Error('mount namespace not made yet');
  });
  const inHolder = (argv: string[]): string => sh('/usr/bin/nsenter', [`--mount=/proc/${mountHolder!.pid}/ns/mnt`, '--', ...argv]);
  inHolder(['/usr/bin/mount', '-t', 'tmpfs', 'tmpfs', '/opt']);
  inHolder(['/usr/bin/mkdir', '-p', '/opt/cni/bin']);
  inHolder(['/usr/bin/ln', '-s', IPPER, '/opt/cni/bin/ipper']);
  inHolder(['/usr/bin/mount', '--bind', `${dir}/net.d`, '/etc/cni/net.d']);
  // ctr's result cache (libcni's /var/lib/cni/results) too: a removal without DEL leaves its entry.
  createdCniCache = !existsSync(CNI_CACHE);
  mkdirSync(CNI_CACHE, { recursive: true });
  inHolder(['/usr/bin/mount', '-t', 'tmpfs', 'tmpfs', CNI_CACHE]);
  const log = openSync(`${dir}/containerd.log`, 'a');
  containerd = spawn('/usr/bin/nsenter', [`--net=/run/netns/${world.lab.hostNs}`, '--', '/usr/bin/containerd', '--config', `${dir}/config.toml`], {
    stdio: ['ignore', log, log],
    env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' },
  });
  closeSync(log);
  await vi.waitFor(() => {
    const version = inTestMounts(['/usr/bin/ctr', '--address', socket, 'version']);
    if (version.status !== 0) throw new Error(`containerd does not answer: ${version.stderr}`);
  }, { timeout: 20_000, interval: 100 });
}, 60_000);

afterAll(async () => {
  for (const id of (() => {
    try {
      return ctr(['container', 'ls', '-q']).split('\n').filter(Boolean);
    } catch {
      return [];
    }
  })()) {
    inTestMounts(['/usr/bin/ctr', '--address', socket, 'task', 'kill', '-s', 'SIGKILL', id]);
    inTestMounts(['/usr/bin/ctr', '--address', socket, 'task', 'rm', '-f', id]);
    inTestMounts(['/usr/bin/ctr', '--address', socket, 'container', 'rm', id]);
  }
  if (containerd?.pid !== undefined && isPidAlive(containerd.pid)) {
    containerd.kill('SIGTERM');
    await vi.waitFor(() => {
      if (isPidAlive(containerd!.pid!)) throw new Error('containerd still runs');
    }, { timeout: 10_000 });
  }
  mountHolder?.kill('SIGKILL');
  if (createdCniCache) rmSync(CNI_CACHE, { recursive: true, force: true });
  await world?.stopSupervisor();
  for (const pid of world ? clientsOf(world.stateDir, { all: true }) : []) process.kill(pid, 'SIGKILL');
  await world?.destroy();
}, 60_000);

describe('containerd (ctr run --cni) with an ipper conflist', () => {
  it('the container gets a lab lease, is reachable by name from another lab host, and task kill + container rm releases it server-side', async () => {
    const id = 'web';
    ctr(['run', '--cni', '-d', '--rootfs', `${world.dir}/rootfs`, id, '/bin/busybox', 'httpd', '-f', '-p', '80', '-h', '/www']);
    const pid = taskPid(id)!;
    // ctr names the attachment by the namespace and id ("default-web") and the namespace by the task's pid.
    const record = `default-${id}+eth0`;
    const network = inspect(world, record).NetworkSettings as unknown as { IPAddress: string; HWAddr: string; CNI: { Netns: string; Network: string } };
    expect(network.CNI).toMatchObject({ Netns: `/proc/${pid}/ns/net`, Network: 'lan' });
    const ip = network.IPAddress;
    expect(namespaceView(pid).addresses).toContainEqual({ ifname: 'eth0', local: ip, prefixlen: 24 });
    expect(serverLeases(world.lab)).toContainEqual(expect.objectContaining({ ip, mac: network.HWAddr, hostname: `default-${id}` }));
    await expect.poll(() => fetchFrom(world.lab.peerNs, `http://default-${id}.${world.lab.domain}/`), { timeout: 10_000 }).toBe('hello from an ipper container\n');

    // The supervisor dies while the container runs: its client keeps the lease, and the next
    // supervisor (started here by a CNI STATUS, as the next ADD or DEL would) adopts it as it is.
    const client = clientsOf(world.stateDir);
    expect(client).toHaveLength(1);
    const supervisor = Number(readFileSync(`${world.stateDir}/supervisor.pid`, 'utf8').trim());
    process.kill(supervisor, 'SIGKILL');
    await expect.poll(() => isPidAlive(supervisor)).toBe(false);
    const status = spawnSync('/usr/bin/nsenter', [`--net=/run/netns/${world.lab.hostNs}`, '--', IPPER], {
      encoding: 'utf8',
      env: { CNI_COMMAND: 'STATUS', IPPER_CONFIG: world.configPath },
      input: JSON.stringify({ cniVersion: '1.1.0', name: 'lan', type: 'ipper', bridge: world.lab.bridge }),
    });
    expect(status.status, status.stdout).toBe(0);
    expect(Number(readFileSync(`${world.stateDir}/supervisor.pid`, 'utf8').trim())).not.toBe(supervisor);
    expect(clientsOf(world.stateDir)).toEqual(client);
    expect(inspect(world, record).NetworkSettings['IPAddress']).toBe(ip);
    expect(fetchFrom(world.lab.peerNs, `http://default-${id}.${world.lab.domain}/`)).toBe('hello from an ipper container\n');

    ctr(['task', 'kill', '-s', 'SIGKILL', id]);
    await expect.poll(() => isPidAlive(pid)).toBe(false);
    ctr(['task', 'rm', id]);
    ctr(['container', 'rm', id]);
    // ctr sends no DEL here: the task's namespace went with its process, and garbage collection proves it.
    await expect.poll(() => filesIn(`${world.stateDir}/containers`), { timeout: 5 * GC_MS + 5000 }).toEqual([]);
    expect(serverLeases(world.lab).map((lease) => lease.ip)).not.toContain(ip);
    expect(inNs(world.lab.dhcpNs, ['/bin/cat', world.lab.serverLog])).toContain(`DHCPRELEASE(lan0) ${ip} ${network.HWAddr}`);
    expect(linkNames(world.lab.hostNs)).toEqual(baselineLinks);
    expect(clientsOf(world.stateDir, { all: true })).toEqual([]);
  });

  it('ctr run --rm: ADD before the task starts; the supervisor killed meanwhile; the DEL when it ends starts a new one, and the lease is released', async () => {
    const id = 'once';
    const run = spawn('/usr/bin/nsenter', [`--mount=/proc/${mountHolder!.pid}/ns/mnt`, `--net=/run/netns/${world.lab.hostNs}`, '--', '/usr/bin/ctr', '--address', socket, 'run', '--cni', '--rm', '--rootfs', `${world.dir}/rootfs`, id, '/bin/busybox', 'sleep', '600'], {
      stdio: 'ignore',
      env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', IPPER_CONFIG: world.configPath },
    });
    const exited = new Promise<number | null>((resolve) => run.on('exit', resolve));
    const record = `default-${id}+eth0`;
    await expect.poll(() => filesIn(`${world.stateDir}/containers`), { timeout: 20_000 }).toEqual([`${record}.json`]);
    await expect.poll(() => inspect(world, record).NetworkSettings['IPAddress'], { timeout: 15_000 }).not.toBe('');
    const { IPAddress: ip, HWAddr: mac } = inspect(world, record).NetworkSettings;
    const supervisor = Number(readFileSync(`${world.stateDir}/supervisor.pid`, 'utf8').trim());
    process.kill(supervisor, 'SIGKILL');
    await expect.poll(() => isPidAlive(supervisor)).toBe(false);
    ctr(['task', 'kill', '-s', 'SIGKILL', id]);
    expect(await exited).not.toBeNull();
    // ctr's DEL (with an empty CNI_NETNS) found no supervisor and started one, which released the lease.
    expect(filesIn(`${world.stateDir}/containers`)).toEqual([]);
    expect(serverLeases(world.lab).map((lease) => lease.ip)).not.toContain(ip);
    expect(inNs(world.lab.dhcpNs, ['/bin/cat', world.lab.serverLog])).toContain(`DHCPRELEASE(lan0) ${ip} ${mac}`);
    expect(linkNames(world.lab.hostNs)).toEqual(baselineLinks);
    expect(clientsOf(world.stateDir, { all: true })).toEqual([]);
  });
});
