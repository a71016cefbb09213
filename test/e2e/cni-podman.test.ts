// ipper's CNI plugin under Podman's CNI backend (network_backend = "cni"): a network whose
// conflist uses ipper, in the test's own CNI config and plugin directories (containers.conf).
// The DEL often comes from conmon's `podman container cleanup`, whose environment Podman filters
// (IPPER_CONFIG does not reach it): the conflist names the host config with "hostConfig".
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inNs, serverLeases, sh } from '../lab/lab.js';
import { busyboxImageTar } from '../lab/runc.js';
import { createWorld, type TestWorld } from '../helpers/env.js';
import { IPPER, clientsOf, filesIn, linkNames, namespaceView } from '../helpers/host.js';
import { fetchFrom, inspect } from '../helpers/network.js';

let world: TestWorld;
let baselineLinks: string[];
let podmanArgv: string[];
let podmanEnv: Record<string, string>;
const IMAGE = 'localhost/ipper-busybox:latest';
const NETWORK = 'ipperlan';

function podman(args: readonly string[], allowFail = false): string {
  const [file, ...rest] = podmanArgv;
  return sh(file!, [...rest, ...args], { allowFail, env: podmanEnv, timeoutMs: 120_000 }).trim();
}

beforeAll(() => {
  // No garbage collection round during the test: the release must come from Podman's DEL.
  world = createWorld('icnpod', '10.97.97', { gcIntervalMs: 3_600_000 });
  baselineLinks = linkNames(world.lab.hostNs);
  const dir = `${world.dir}/podman`;
  mkdirSync(`${dir}/net.d`, { recursive: true });
  mkdirSync(`${dir}/cni-bin`, { recursive: true });
  symlinkSync(IPPER, `${dir}/cni-bin/ipper`);
  writeFileSync(`${dir}/net.d/${NETWORK}.conflist`, JSON.stringify({ cniVersion: '1.0.0', name: NETWORK, plugins: [{ type: 'ipper', bridge: world.lab.bridge, hostConfig: world.configPath }] }));
  // Podman's default ulimits exceed this machine's hard limits; crun fails here: runc (design.md).
  writeFileSync(`${dir}/containers.conf`, [
    '[containers]',
    'default_ulimits = ["nofile=20000:20000", "nproc=20000:20000"]',
    '[engine]',
    'runtime = "runc"',
    'cgroup_manager = "cgroupfs"',
    'events_logger = "file"',
    '[network]',
    'network_backend = "cni"',
    `network_config_dir = "${dir}/net.d"`,
    `cni_plugin_dirs = ["${dir}/cni-bin"]`,
    '',
  ].join('\n'));
  podmanArgv = ['/usr/bin/nsenter', `--net=/run/netns/${world.lab.hostNs}`, '--', '/usr/bin/podman', '--root', `${dir}/root`, '--runroot', `${dir}/runroot`, '--storage-driver', 'vfs'];
  podmanEnv = { CONTAINERS_CONF: `${dir}/containers.conf`, PATH: '/usr/sbin:/usr/bin:/sbin:/bin' };
  podman(['import', busyboxImageTar(`${world.dir}/rootfs`, `${world.dir}/busybox.tar`), IMAGE]);
});

afterAll(async () => {
  if (podmanArgv !== undefined) podman(['rm', '-f', '-a', '-t', '0'], true);
  await world?.stopSupervisor();
  for (const pid of world ? clientsOf(world.stateDir, { all: true }) : []) process.kill(pid, 'SIGKILL');
  await world?.destroy();
});

describe('podman run --network <a network whose conflist uses ipper> (CNI backend)', () => {
  it('the container gets a lab lease under its name, is reachable by it, and podman rm releases the lease', async () => {
    expect(podman(['info', '--format', '{{.Host.NetworkBackend}}'])).toBe('cni');
    const id = podman(['run', '-d', '--name', 'podweb', '--network', NETWORK, IMAGE, '/bin/busybox', 'httpd', '-f', '-p', '80', '-h', '/www']);
    const pid = Number(podman(['inspect', '--format', '{{.State.Pid}}', id]));
    const record = `${id}+eth0`;
    const network = inspect(world, record).NetworkSettings as unknown as { IPAddress: string; HWAddr: string; Hostname: string; CNI: { Netns: string; Network: string } };
    expect(network.CNI).toMatchObject({ Network: NETWORK, Netns: expect.stringMatching(/^\/run\/netns\/netns-/) });
    // Podman names the pod (its container) in CNI_ARGS: that is the DHCP hostname.
    expect(network.Hostname).toBe('podweb');
    const ip = network.IPAddress;
    expect(namespaceView(pid).addresses).toContainEqual({ ifname: 'eth0', local: ip, prefixlen: 24 });
    expect(serverLeases(world.lab)).toContainEqual(expect.objectContaining({ ip, mac: network.HWAddr, hostname: 'podweb' }));
    // Podman reports what the plugin's result said.
    expect(podman(['inspect', '--format', `{{(index .NetworkSettings.Networks "${NETWORK}").IPAddress}}`, id])).toBe(ip);
    await expect.poll(() => fetchFrom(world.lab.peerNs, `http://podweb.${world.lab.domain}/`), { timeout: 10_000 }).toBe('hello from an ipper container\n');

    podman(['rm', '-f', '-t', '0', id]);
    // The DEL may come from conmon's `podman container cleanup`, which can finish after rm returns.
    await expect.poll(() => filesIn(`${world.stateDir}/containers`), { timeout: 10_000 }).toEqual([]);
    expect(serverLeases(world.lab).map((lease) => lease.ip)).not.toContain(ip);
    expect(inNs(world.lab.dhcpNs, ['/bin/cat', world.lab.serverLog])).toContain(`DHCPRELEASE(lan0) ${ip} ${network.HWAddr}`);
    expect(linkNames(world.lab.hostNs)).toEqual(baselineLinks);
    expect(clientsOf(world.stateDir, { all: true })).toEqual([]);
  });
});
