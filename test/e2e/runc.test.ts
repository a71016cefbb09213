// The core path for real: runc, the built binary as its hook, the lab's dnsmasq.
import { randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inNs, serverLeases } from '../lab/lab.js';
import { createWorld, type TestWorld } from '../helpers/env.js';
import { IPPER, filesIn, isPidAlive, linkNames, namespaceView, clientsOf, holdersOf, waitForRemoval } from '../helpers/host.js';
import { Runc, ensureBusyboxRootfs, writeBundle } from '../lab/runc.js';
import { runHook } from '../helpers/hook.js';

let world: TestWorld;
let runc: Runc;
let rootfs: string;

function inspect(id: string): { Container: string; NetworkSettings: Record<string, string> } {
  const out = execFileSync(IPPER, ['inspect', id], { encoding: 'utf8', env: { IPPER_CONFIG: world.configPath } });
  return JSON.parse(out);
}

function newContainer(args: string[] = ['/bin/busybox', 'httpd', '-f', '-p', '80', '-h', '/www'], annotations: Record<string, string> = {}, createStage?: 'prestart'): { id: string; pid: number } {
  const id = randomBytes(32).toString('hex');
  const bundleDir = `${world.dir}/bundles/${id.slice(0, 12)}`;
  writeBundle({ bundleDir, rootfs, args, ipperPath: IPPER, ipperConfig: world.configPath, annotations, ...(createStage !== undefined && { createStage }) });
  runc.create(id, bundleDir);
  runc.start(id);
  const state = runc.state(id);
  if (state === undefined) throw new Error(`runc has no container ${id}`);
  return { id, pid: state.pid };
}

beforeAll(() => {
  world = createWorld('ipe2e', '10.97.62');
  runc = new Runc(world.lab, `${world.dir}/runc`, (id) => waitForRemoval(world.stateDir, id));
  rootfs = `${world.dir}/rootfs`;
  ensureBusyboxRootfs(rootfs);
});

afterAll(async () => {
  for (const id of runc?.list() ?? []) runc.remove(id);
  await world?.destroy();
});

describe('a runc container with the ipper hook', () => {
  let container: { id: string; pid: number };
  let ip: string;
  let netnsInode: number;

  it('gets an address from the lab range on eth0, with a scheme MAC and a default route', () => {
    container = newContainer();
    netnsInode = statSync(`/proc/${container.pid}/ns/net`).ino;
    const view = namespaceView(container.pid);
    const eth0 = view.addresses.find((addr) => addr.ifname === 'eth0');
    expect(eth0).toBeDefined();
    ip = eth0!.local;
    const last = Number(ip.split('.')[3]);
    expect(ip.startsWith(`${world.lab.subnet}.`)).toBe(true);
    expect(last).toBeGreaterThanOrEqual(world.lab.range[0]);
    expect(last).toBeLessThanOrEqual(world.lab.range[1]);
    expect(eth0!.prefixlen).toBe(24);
    expect(view.defaultVia).toBe(world.lab.serverAddress);
    const mac = view.macs['eth0']!;
    const octets = mac.split(':').map((octet) => Number.parseInt(octet, 16));
    expect(octets[0]! & 0b11).toBe(0b10);
    expect(octets.slice(1, 4)).toEqual(world.lab.hostAddress.split('.').slice(1).map(Number));
  });

  it('is in the server lease table under its short id, and inspect agrees with the namespace', () => {
    const mac = namespaceView(container.pid).macs['eth0'];
    const lease = serverLeases(world.lab).find((entry) => entry.ip === ip);
    expect(lease).toMatchObject({ mac, hostname: container.id.slice(0, 12) });
    const json = inspect(container.id);
    expect(json.Container).toBe(container.id.slice(0, 12));
    expect(json.NetworkSettings).toMatchObject({
      HWAddr: mac,
      Bridge: world.lab.bridge,
      IPAddress: ip,
      IPPrefixLen: '24',
      Gateway: world.lab.serverAddress,
      DNS: world.lab.serverAddress,
    });
    expect(isPidAlive(Number(json.NetworkSettings['DHCP_PID']))).toBe(true);
    expect(inspect(container.id.slice(0, 12)).NetworkSettings['IPAddress']).toBe(ip);
  });

  it('resolves by name through the lab DNS and serves its page to another lab host', async () => {
    const name = `${container.id.slice(0, 12)}.${world.lab.domain}`;
    const answer = inNs(world.lab.peerNs, ['/bin/busybox', 'nslookup', name, world.lab.serverAddress]);
    expect(answer).toContain(`Address: ${ip}`);
    // httpd may still be starting when runc start returns.
    const fetchPage = (): string => {
      try {
        // (no -T: Debian's busybox wget crashes with it)
        return inNs(world.lab.peerNs, ['/bin/busybox', 'wget', '-q', '-O', '-', `http://${name}/`], { timeoutMs: 3000 });
      } catch (error) {
        return (error as Error).message;
      }
    };
    await expect.poll(fetchPage, { timeout: 10_000, interval: 100 }).toBe('hello from an ipper container\n');
  });

  it('renews its lease with the server while the container lives', async () => {
    const before = serverLeases(world.lab).find((entry) => entry.ip === ip)!.expires;
    // dnsmasq's shortest lease is 2 minutes: udhcpc renews at half of it.
    await expect
      .poll(() => serverLeases(world.lab).find((entry) => entry.ip === ip)?.expires ?? 0, { timeout: 90_000, interval: 1000 })
      .toBeGreaterThan(before);
    expect(namespaceView(container.pid).addresses.some((addr) => addr.local === ip)).toBe(true);
  });

  it('restarts a DHCP client that dies while its container lives: same MAC, same address', async () => {
    const before = inspect(container.id).NetworkSettings;
    process.kill(Number(before['DHCP_PID']), 'SIGKILL');
    await expect
      .poll(() => {
        const pid = Number(inspect(container.id).NetworkSettings['DHCP_PID']);
        return pid !== Number(before['DHCP_PID']) && isPidAlive(pid);
      }, { timeout: 15_000, interval: 100 })
      .toBe(true);
    // The new client asks for and gets the same lease (same MAC, so the same client id).
    await expect.poll(() => serverLeases(world.lab).filter((entry) => entry.mac === before['HWAddr']).map((entry) => entry.ip), { timeout: 15_000 }).toEqual([ip]);
    expect(inspect(container.id).NetworkSettings).toMatchObject({ HWAddr: before['HWAddr'], IPAddress: ip });
    expect(namespaceView(container.pid).addresses.filter((addr) => addr.ifname === 'eth0').map((addr) => addr.local)).toEqual([ip]);
  });

  it('releases the lease and leaves nothing behind after runc delete', async () => {
    const clientPid = Number(inspect(container.id).NetworkSettings['DHCP_PID']);
    const hostVeth = inspect(container.id).NetworkSettings['HostInterface']!;
    expect(linkNames(world.lab.hostNs)).toContain(hostVeth);
    runc.remove(container.id);
    expect(readFileSync(world.lab.serverLog, 'utf8')).toMatch(new RegExp(`DHCPRELEASE\\(lan0\\) ${ip.replace(/\./g, '\\.')} `));
    expect(serverLeases(world.lab).some((entry) => entry.ip === ip)).toBe(false);
    expect(linkNames(world.lab.hostNs)).not.toContain(hostVeth);
    expect(isPidAlive(clientPid)).toBe(false);
    expect(filesIn(`${world.stateDir}/containers`)).toEqual([]);
    expect(clientsOf(world.stateDir, { all: true })).toEqual([]);
    // Nothing pins the container's namespace: not the client, nor anything a killed client left.
    expect(holdersOf(netnsInode)).toEqual([]);
  });

  it('a second poststop for the same container exits 0 and changes nothing', () => {
    const before = { links: linkNames(world.lab.hostNs), files: filesIn(world.stateDir), leases: serverLeases(world.lab) };
    const result = runHook(world.lab, world.configPath, 'poststop', JSON.stringify({ ociVersion: '1.0.2', id: container.id, status: 'stopped' }));
    expect(result).toMatchObject({ status: 0, stderr: '' });
    expect({ links: linkNames(world.lab.hostNs), files: filesIn(world.stateDir), leases: serverLeases(world.lab) }).toEqual(before);
  });
});

describe('a runc config that registers the hook as prestart (deprecated, still run by runc)', () => {
  it('gets its lease as with createRuntime, and poststop releases it and leaves nothing', () => {
    const container = newContainer(['/bin/busybox', 'sleep', '600'], {}, 'prestart');
    const bundle = JSON.parse(readFileSync(`${world.dir}/bundles/${container.id.slice(0, 12)}/config.json`, 'utf8'));
    expect(Object.keys(bundle.hooks).sort()).toEqual(['poststop', 'prestart']);
    const view = namespaceView(container.pid);
    const ip = view.addresses.find((addr) => addr.ifname === 'eth0')?.local;
    expect(ip?.startsWith(`${world.lab.subnet}.`)).toBe(true);
    expect(view.defaultVia).toBe(world.lab.serverAddress);
    expect(serverLeases(world.lab).find((entry) => entry.ip === ip)).toMatchObject({ mac: view.macs['eth0'], hostname: container.id.slice(0, 12) });
    const hostVeth = inspect(container.id).NetworkSettings['HostInterface']!;
    runc.remove(container.id);
    expect(serverLeases(world.lab).some((entry) => entry.ip === ip)).toBe(false);
    expect(linkNames(world.lab.hostNs)).not.toContain(hostVeth);
    expect(filesIn(`${world.stateDir}/containers`)).toEqual([]);
    expect(clientsOf(world.stateDir, { all: true })).toEqual([]);
  });
});
