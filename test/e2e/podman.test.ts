// Rootful Podman with the shipped hooks.d file: containers that opt in by annotation get a lease.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inNs, serverLeases } from '../lab/lab.js';
import { busyboxImageTar } from '../lab/runc.js';
import { createWorld, type TestWorld } from '../helpers/env.js';
import { IPPER, clientsOf, filesIn, linkNames, namespaceView } from '../helpers/host.js';
import { inspect, fetchFrom } from '../helpers/network.js';
import { Podman } from '../helpers/podman.js';

let world: TestWorld;
let podman: Podman;
let baselineLinks: string[];
const IMAGE = 'localhost/ipper-busybox:latest';
const HTTPD = ['/bin/busybox', 'httpd', '-f', '-p', '80', '-h', '/www'];

function pidOf(id: string): number {
  return Number(podman.run(['inspect', '--format', '{{.State.Pid}}', id]));
}

/** A lab, a Podman of its own with the busybox image, and the host's links before any container. */
function podmanWorld(...args: Parameters<typeof createWorld>): { world: TestWorld; podman: Podman; baselineLinks: string[] } {
  const made = createWorld(...args);
  const its = new Podman(made.lab, `${made.dir}/podman`, IPPER, made.configPath);
  its.run(['import', busyboxImageTar(`${made.dir}/rootfs`, `${made.dir}/busybox.tar`), IMAGE]);
  return { world: made, podman: its, baselineLinks: linkNames(made.lab.hostNs) };
}

beforeAll(() => {
  ({ world, podman, baselineLinks } = podmanWorld('ippod', '10.97.65', { gcIntervalMs: 1000 }));
});

afterAll(async () => {
  podman?.run(['rm', '-f', '-a', '-t', '0'], true);
  await world?.destroy();
});

describe('podman run --network none --annotation ipper.bridge=br0', () => {
  let first: string;
  let second: string;

  it('gives each opted-in container a lease; both serve port 80 on their own addresses, by name', async () => {
    first = podman.run(['run', '-d', '--network', 'none', '--annotation', 'ipper.bridge=br0', IMAGE, ...HTTPD]);
    second = podman.run(['run', '-d', '--network', 'none', '--annotation', 'ipper.bridge=br0', IMAGE, ...HTTPD]);
    const ips = [first, second].map((id) => inspect(world, id).NetworkSettings['IPAddress']);
    expect(new Set(ips).size).toBe(2);
    for (const [index, id] of [first, second].entries()) {
      expect(namespaceView(pidOf(id)).addresses.map((addr) => addr.local)).toContain(ips[index]);
      await expect.poll(() => fetchFrom(world.lab.peerNs, `http://${id.slice(0, 12)}.${world.lab.domain}/`), { timeout: 10_000 }).toBe('hello from an ipper container\n');
    }
    // one container reaches the other on the bridge
    expect(podman.run(['exec', first, '/bin/busybox', 'wget', '-q', '-O', '-', `http://${ips[1]}/`])).toBe('hello from an ipper container');
  });

  it('writes the lease\'s name server and domain into the container\'s /etc/resolv.conf, which resolves the other container by name', () => {
    const resolv = podman.run(['exec', first, '/bin/busybox', 'cat', '/etc/resolv.conf']);
    expect(resolv.split('\n')).toEqual(expect.arrayContaining([`nameserver ${world.lab.serverAddress}`, `search ${world.lab.domain}`]));
    const ip = inspect(world, second).NetworkSettings['IPAddress']!;
    expect(podman.run(['exec', first, '/bin/busybox', 'nslookup', second.slice(0, 12)])).toContain(ip);
  });

  it('leaves a container without an ipper annotation untouched', () => {
    const plain = podman.run(['run', '-d', '--network', 'none', IMAGE, '/bin/busybox', 'sleep', '600']);
    expect(Object.keys(namespaceView(pidOf(plain)).macs)).toEqual(['lo']);
    expect(filesIn(`${world.stateDir}/containers`)).not.toContain(`${plain}.json`);
    podman.run(['rm', '-f', '-t', '0', plain]);
  });

  it('with hostnameFrom "config", the DHCP hostname is the one Podman put in config.json (--hostname)', () => {
    world.writeConfig({ gcIntervalMs: 1000, hostnameFrom: 'config' });
    try {
      const named = podman.run(['run', '-d', '--network', 'none', '--hostname', 'podweb', '--annotation', 'ipper.bridge=br0', IMAGE, ...HTTPD]);
      const ip = inspect(world, named).NetworkSettings['IPAddress']!;
      expect(inspect(world, named).NetworkSettings['Hostname']).toBe('podweb');
      expect(inNs(world.lab.peerNs, ['/bin/busybox', 'nslookup', `podweb.${world.lab.domain}`, world.lab.serverAddress])).toContain(`Address: ${ip}`);
      podman.run(['rm', '-f', '-t', '0', named]);
    } finally {
      world.writeConfig({ gcIntervalMs: 1000 });
    }
  });

  it('podman restart gives the container its network again, at the same address (its client id)', async () => {
    const before = inspect(world, first).NetworkSettings['IPAddress'];
    podman.run(['restart', '-t', '0', first]);
    await expect.poll(() => inspect(world, first).NetworkSettings['IPAddress'], { timeout: 15_000 }).toMatch(/^10\.97\.65\./);
    const ip = inspect(world, first).NetworkSettings['IPAddress']!;
    expect(ip).toBe(before);
    expect(namespaceView(pidOf(first)).addresses.map((addr) => addr.local)).toContain(ip);
    expect(serverLeases(world.lab).map((lease) => lease.ip)).toContain(ip);
  });

  it('podman stop + rm release the leases and leave nothing behind', async () => {
    const ips = [first, second].map((id) => inspect(world, id).NetworkSettings['IPAddress']!);
    // Releases of these addresses from now on: an earlier one (a restart) must not count.
    const releases = (ip: string): number => inNs(world.lab.dhcpNs, ['/bin/cat', world.lab.serverLog]).split('\n').filter((line) => line.includes(`DHCPRELEASE(lan0) ${ip} `)).length;
    const before = ips.map(releases);
    podman.run(['stop', '-t', '0', first, second]);
    podman.run(['rm', first, second]);
    await expect.poll(() => serverLeases(world.lab).filter((lease) => ips.includes(lease.ip)), { timeout: 10_000 }).toEqual([]);
    // poststop answers once the release has left; the supervisor removes the rest just after, the record last.
    await expect.poll(() => filesIn(`${world.stateDir}/containers`), { timeout: 10_000 }).toEqual([]);
    expect(linkNames(world.lab.hostNs)).toEqual(baselineLinks);
    expect(clientsOf(world.stateDir, { all: true })).toEqual([]);
    expect(ips.map(releases)).toEqual(before.map((count) => count + 1));
  });
});

// The same, on a LAN whose router advertisements ask for DHCPv6 (M flag), with the default client.
describe('podman restart on a LAN with DHCPv6 (dhcpcd)', () => {
  let world6: TestWorld;
  let podman6: Podman;
  let baseline6: string[];

  beforeAll(() => {
    ({ world: world6, podman: podman6, baselineLinks: baseline6 } = podmanWorld('ippod6', '10.97.94', { gcIntervalMs: 1000, dhcpClient: 'dhcpcd', ipv6WaitMs: 5000 }, { ra: 'stateful' }));
  });

  afterAll(async () => {
    podman6?.run(['rm', '-f', '-a', '-t', '0'], true);
    await world6?.destroy();
  });

  it('comes back at the same IPv4 and DHCPv6 addresses, and rm releases both', async () => {
    const id = podman6.run(['run', '-d', '--network', 'none', '--annotation', 'ipper.bridge=br0', IMAGE, ...HTTPD]);
    const addresses = (): { ip: string | undefined; ip6: string | undefined } => {
      const settings = inspect(world6, id).NetworkSettings;
      return { ip: settings['IPAddress'], ip6: settings['GlobalIPv6Address'] };
    };
    const before = addresses();
    expect(before.ip).toMatch(/^10\.97\.94\./);
    expect(before.ip6).toMatch(/^fd97:/);
    podman6.run(['restart', '-t', '0', id]);
    await expect.poll(() => addresses().ip, { timeout: 15_000 }).toMatch(/^10\.97\.94\./);
    expect(addresses()).toEqual(before);
    expect(namespaceView(Number(podman6.run(['inspect', '--format', '{{.State.Pid}}', id]))).addresses.map((addr) => addr.local)).toContain(before.ip);
    // dnsmasq logs an IPv4 release with its address, a DHCPv6 one with the client's DUID.
    const releases = (): string[] => inNs(world6.lab.dhcpNs, ['/bin/cat', world6.lab.serverLog]).split('\n').filter((line) => line.includes('DHCPRELEASE(lan0)'));
    const releasedBefore = releases();
    podman6.run(['rm', '-f', '-t', '0', id]);
    await expect.poll(() => serverLeases(world6.lab).filter((lease) => lease.ip === before.ip), { timeout: 10_000 }).toEqual([]);
    await expect.poll(() => releases().length, { timeout: 10_000 }).toBe(releasedBefore.length + 2);
    expect(releases().slice(releasedBefore.length).filter((line) => line.includes(` ${before.ip} `))).toHaveLength(1);
    await expect.poll(() => filesIn(`${world6.stateDir}/containers`), { timeout: 10_000 }).toEqual([]);
    expect(linkNames(world6.lab.hostNs)).toEqual(baseline6);
  });
});
