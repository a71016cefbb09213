// dockerd with `--runtime ipper` (the runtime wrapper) and `ipper attach` for running containers.
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inNs, serverLeases } from '../lab/lab.js';
import { busyboxImageTar } from '../lab/runc.js';
import { Docker } from '../helpers/docker.js';
import { createWorld, type TestWorld } from '../helpers/env.js';
import { IPPER, clientsOf, filesIn, linkNames, namespaceView, waitForAllRemovals } from '../helpers/host.js';
import { fetchFrom, inspect } from '../helpers/network.js';

let world: TestWorld;
let docker: Docker;
let baselineLinks: string[];
const HTTPD = ['/bin/busybox', 'httpd', '-f', '-p', '80', '-h', '/www'];

function pidOf(id: string): number {
  return Number(docker.run(['inspect', '--format', '{{.State.Pid}}', id]));
}

function expectClean(ips: string[]): void {
  waitForAllRemovals(world.stateDir); // poststop answers once the lease is released; the rest goes just after
  expect(serverLeases(world.lab).filter((lease) => ips.includes(lease.ip))).toEqual([]);
  expect(linkNames(world.lab.hostNs)).toEqual(baselineLinks);
  expect(filesIn(`${world.stateDir}/containers`)).toEqual([]);
  expect(clientsOf(world.stateDir, { all: true })).toEqual([]);
}

beforeAll(async () => {
  world = createWorld('ipdock', '10.97.66', { gcIntervalMs: 1000 });
  baselineLinks = linkNames(world.lab.hostNs);
  docker = new Docker(world.lab, `${world.dir}/docker`, IPPER, world.configPath);
  await docker.start();
  docker.run(['import', busyboxImageTar(`${world.dir}/rootfs`, `${world.dir}/busybox.tar`), 'ipper-busybox:latest']);
});

afterAll(async () => {
  await docker?.stop();
  await world?.destroy();
});

describe('docker run --runtime ipper --network none', () => {
  it('holds a lease, resolves by name, and docker rm -f releases it and leaves nothing', async () => {
    const id = docker.run(['run', '-d', '--runtime', 'ipper', '--network', 'none', 'ipper-busybox', ...HTTPD]);
    const ip = inspect(world, id).NetworkSettings['IPAddress']!;
    expect(namespaceView(pidOf(id)).addresses.map((addr) => addr.local)).toContain(ip);
    await expect.poll(() => fetchFrom(world.lab.peerNs, `http://${id.slice(0, 12)}.${world.lab.domain}/`), { timeout: 10_000 }).toBe('hello from an ipper container\n');
    docker.run(['rm', '-f', id]);
    expect(inNs(world.lab.dhcpNs, ['/bin/cat', world.lab.serverLog])).toContain(`DHCPRELEASE(lan0) ${ip} `);
    expectClean([ip]);
  });

  it('takes per-container settings from -e IPPER_HOSTNAME (environment reaches the bundle)', () => {
    const id = docker.run(['run', '-d', '--runtime', 'ipper', '--network', 'none', '-e', 'IPPER_HOSTNAME=webserver', 'ipper-busybox', ...HTTPD]);
    const ip = inspect(world, id).NetworkSettings['IPAddress']!;
    expect(inspect(world, id).NetworkSettings['Hostname']).toBe('webserver');
    expect(inNs(world.lab.peerNs, ['/bin/busybox', 'nslookup', `webserver.${world.lab.domain}`, world.lab.serverAddress])).toContain(`Address: ${ip}`);
    docker.run(['rm', '-f', id]);
    expectClean([ip]);
  });

  it('writes the lease\'s name server and domain into the resolv.conf Docker bind-mounts into the container, in place', () => {
    const id = docker.run(['run', '-d', '--runtime', 'ipper', '--network', 'none', '-e', 'IPPER_IPV6=off', 'ipper-busybox', ...HTTPD]);
    const ip = inspect(world, id).NetworkSettings['IPAddress']!;
    const resolv = docker.run(['exec', id, '/bin/busybox', 'cat', '/etc/resolv.conf']);
    expect(resolv.split('\n')).toEqual(expect.arrayContaining([`nameserver ${world.lab.serverAddress}`, `search ${world.lab.domain}`]));
    expect(inspect(world, id).NetworkSettings).toMatchObject({ ResolvConfNameservers: world.lab.serverAddress, ResolvConfSearch: world.lab.domain });
    docker.run(['rm', '-f', id]);
    expectClean([ip]);
  });

  it('leaves a container on the host network untouched', () => {
    const id = docker.run(['run', '-d', '--runtime', 'ipper', '--network', 'host', 'ipper-busybox', '/bin/busybox', 'sleep', '600']);
    expect(docker.run(['inspect', '--format', '{{.State.Running}}', id])).toBe('true');
    expect(filesIn(`${world.stateDir}/containers`)).toEqual([]);
    docker.run(['rm', '-f', id]);
  });
});

describe('ipper attach', () => {
  it('gives a running --network none container a lease; docker rm -f releases it (garbage collection)', async () => {
    const id = docker.run(['run', '-d', '--network', 'none', '--name', 'attached', 'ipper-busybox', ...HTTPD]);
    const result = spawnSync(IPPER, ['attach', world.lab.bridge, 'attached', 'dhcp'], { encoding: 'utf8', env: { IPPER_CONFIG: world.configPath, DOCKER_HOST: `unix://${docker.socket}` } });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    const printed = JSON.parse(result.stdout);
    expect(printed).toEqual(inspect(world, id));
    const ip = printed.NetworkSettings.IPAddress;
    expect(namespaceView(pidOf(id)).addresses.map((addr) => addr.local)).toContain(ip);
    await expect.poll(() => fetchFrom(world.lab.peerNs, `http://${id.slice(0, 12)}.${world.lab.domain}/`), { timeout: 10_000 }).toBe('hello from an ipper container\n');
    docker.run(['rm', '-f', id]);
    await expect.poll(() => filesIn(`${world.stateDir}/containers`), { timeout: 15_000 }).toEqual([]);
    expect(inNs(world.lab.dhcpNs, ['/bin/cat', world.lab.serverLog])).toContain(`DHCPRELEASE(lan0) ${ip} `);
    expectClean([ip]);
  });
});

describe('the runtime wrapper is transparent', () => {
  it.each([[['--version']], [['state', 'no-such-container']], [['--root', '/nonexistent', 'list']]])('runc %j: same stdout, stderr and exit code', (args) => {
    const direct = spawnSync('/usr/sbin/runc', args, { encoding: 'utf8' });
    const wrapped = spawnSync(IPPER, ['runtime', ...args], { encoding: 'utf8', env: {} });
    expect({ status: wrapped.status, stdout: wrapped.stdout, stderr: wrapped.stderr.replace(/time="[^"]*"/g, 'time') }).toEqual({
      status: direct.status,
      stdout: direct.stdout,
      stderr: direct.stderr.replace(/time="[^"]*"/g, 'time'),
    });
  });
});
