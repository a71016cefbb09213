// More than one interface per container: ipper.bridge naming two bridges, and `ipper attach -i`
// adding one to a running container. Real runc, the built binary, two lab LANs each with its own
// dnsmasq.
import { randomBytes } from 'node:crypto';
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serverLeases, startServer, stopServer, type Lab } from '../lab/lab.js';
import { askToRenew, createWorld, type TestWorld } from '../helpers/env.js';
import { FakeContainer, ociState, runHook } from '../helpers/hook.js';
import { IPPER, clientsOf, filesIn, holdersOf, isPidAlive, linkNames, waitForRemoval } from '../helpers/host.js';
import { Runc, ensureBusyboxRootfs, writeBundle } from '../lab/runc.js';

let world: TestWorld;
let lan2: Lab;
let runc: Runc;
let rootfs: string;
let baselineLinks: string[];

interface Settings {
  Interface: string;
  Bridge: string;
  HWAddr: string;
  IPAddress: string;
  Hostname: string;
  HostInterface: string;
  DHCP_PID: string;
}

function inspect(id: string): { Container: string; NetworkSettings: Settings; Interfaces: Settings[] } {
  return JSON.parse(execFileSync(IPPER, ['inspect', id], { encoding: 'utf8', env: { IPPER_CONFIG: world.configPath } }));
}

function ipper(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync('/usr/bin/nsenter', [`--net=/run/netns/${world.lab.hostNs}`, '--', IPPER, ...args], { encoding: 'utf8', env: { IPPER_CONFIG: world.configPath }, timeout: 60_000 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** The container's IPv4 addresses by interface, and every default route (gateway and device). */
function view(pid: number): { addresses: Record<string, string[]>; defaults: { gateway: string | undefined; dev: string }[]; macs: Record<string, string> } {
  const run = (argv: string[]): unknown => JSON.parse(execFileSync('/usr/bin/nsenter', [`--net=/proc/${pid}/ns/net`, '--', '/usr/sbin/ip', '-j', ...argv], { encoding: 'utf8' }));
  const links = run(['-4', 'addr', 'show']) as { ifname: string; addr_info: { local: string }[] }[];
  const defaults = run(['-4', 'route', 'show', 'default']) as { gateway?: string; dev: string }[];
  const macLinks = run(['link', 'show']) as { ifname: string; address: string }[];
  return {
    addresses: Object.fromEntries(links.filter((link) => link.ifname !== 'lo').map((link) => [link.ifname, link.addr_info.map((addr) => addr.local)])),
    defaults: defaults.map((route) => ({ gateway: route.gateway, dev: route.dev })),
    macs: Object.fromEntries(macLinks.map((link) => [link.ifname, link.address])),
  };
}

function newContainer(annotations: Record<string, string>): { id: string; pid: number } {
  const id = randomBytes(32).toString('hex');
  const bundleDir = `${world.dir}/bundles/${id.slice(0, 12)}`;
  writeBundle({ bundleDir, rootfs, args: ['/bin/busybox', 'sleep', '600'], ipperPath: IPPER, ipperConfig: world.configPath, annotations });
  runc.create(id, bundleDir);
  runc.start(id);
  const state = runc.state(id);
  if (state === undefined) throw new Error(`runc has no container ${id}`);
  return { id, pid: state.pid };
}

/** The server logged the release and dropped the lease (polled: the server handles the packet on its own time). */
function released(lab: Lab, ip: string): boolean {
  return readFileSync(lab.serverLog, 'utf8').includes(`DHCPRELEASE(lan0) ${ip} `) && !serverLeases(lab).some((lease) => lease.ip === ip);
}

function expectHostClean(): void {
  expect(linkNames(world.lab.hostNs)).toEqual(baselineLinks);
  expect(filesIn(`${world.stateDir}/containers`)).toEqual([]);
  expect(clientsOf(world.stateDir, { all: true })).toEqual([]);
}

beforeAll(() => {
  world = createWorld('ipifs', '10.97.76', {}, { secondLan: { bridge: 'br1', subnet: '10.97.77' } });
  lan2 = world.lan2!;
  runc = new Runc(world.lab, `${world.dir}/runc`, (id) => waitForRemoval(world.stateDir, id));
  rootfs = `${world.dir}/rootfs`;
  ensureBusyboxRootfs(rootfs);
  baselineLinks = linkNames(world.lab.hostNs);
});

afterAll(async () => {
  for (const id of runc?.list() ?? []) runc.remove(id);
  await world?.destroy();
});

describe('ipper.bridge naming two bridges', () => {
  let container: { id: string; pid: number };
  let ips: { eth0: string; eth1: string };

  it('eth0 on the first and eth1 on the second, each with its own MAC, lease and DNS name; the default route only via eth0', () => {
    container = newContainer({ 'ipper.bridge': `${world.lab.bridge},${lan2.bridge}` });
    const seen = view(container.pid);
    const eth0 = seen.addresses['eth0']?.[0];
    const eth1 = seen.addresses['eth1']?.[0];
    expect(eth0?.startsWith(`${world.lab.subnet}.`)).toBe(true);
    expect(eth1?.startsWith(`${lan2.subnet}.`)).toBe(true);
    ips = { eth0: eth0!, eth1: eth1! };
    expect(seen.macs['eth0']).not.toBe(seen.macs['eth1']);
    // Each server leased its own interface's address to that interface's MAC, under its own name.
    const short = container.id.slice(0, 12);
    expect(serverLeases(world.lab).find((lease) => lease.ip === eth0)).toMatchObject({ mac: seen.macs['eth0'], hostname: short });
    expect(serverLeases(lan2).find((lease) => lease.ip === eth1)).toMatchObject({ mac: seen.macs['eth1'], hostname: `${short}-eth1` });
    expect(seen.defaults).toEqual([{ gateway: world.lab.serverAddress, dev: 'eth0' }]);
    // One client per interface.
    expect(clientsOf(world.stateDir)).toHaveLength(2);
  });

  it('inspect keeps the first interface in the seed\'s shape and lists both in Interfaces', () => {
    const json = inspect(container.id);
    expect(json.NetworkSettings).toMatchObject({ Interface: 'eth0', Bridge: world.lab.bridge, IPAddress: ips.eth0 });
    expect(json.Interfaces.map((entry) => [entry.Interface, entry.Bridge, entry.IPAddress])).toEqual([
      ['eth0', world.lab.bridge, ips.eth0],
      ['eth1', lan2.bridge, ips.eth1],
    ]);
    expect(new Set(json.Interfaces.map((entry) => entry.HostInterface)).size).toBe(2);
  });

  it('poststop removes both veths and releases both leases on their servers', async () => {
    const json = inspect(container.id);
    const netnsInode = statSync(`/proc/${container.pid}/ns/net`).ino;
    const clients = json.Interfaces.map((entry) => Number(entry.DHCP_PID));
    runc.remove(container.id);
    await expect.poll(() => released(world.lab, ips.eth0)).toBe(true);
    await expect.poll(() => released(lan2, ips.eth1)).toBe(true);
    for (const entry of json.Interfaces) expect(linkNames(world.lab.hostNs)).not.toContain(entry.HostInterface);
    for (const pid of clients) expect(isPidAlive(pid)).toBe(false);
    expect(holdersOf(netnsInode)).toEqual([]);
    expectHostClean();
  });
});

describe('ipper attach -i', () => {
  it('adds eth1 on the second bridge to a running container: its own lease, eth0 keeps the default route; poststop removes both', async () => {
    const container = newContainer({});
    const before = view(container.pid);
    expect(Object.keys(before.addresses)).toEqual(['eth0']);
    const result = ipper(['attach', lan2.bridge, String(container.pid), '-i', 'eth1', 'dhcp']);
    expect(result).toMatchObject({ status: 0, stderr: '' });
    // The pid was taken as the container runc runs: the same id, both interfaces.
    const printed = JSON.parse(result.stdout) as { Container: string; Interfaces: Settings[] };
    expect(printed.Container).toBe(container.id.slice(0, 12));
    const after = view(container.pid);
    const eth1 = after.addresses['eth1']?.[0];
    expect(eth1?.startsWith(`${lan2.subnet}.`)).toBe(true);
    expect(after.addresses['eth0']).toEqual(before.addresses['eth0']);
    expect(after.defaults).toEqual([{ gateway: world.lab.serverAddress, dev: 'eth0' }]);
    expect(serverLeases(lan2).find((lease) => lease.ip === eth1)).toMatchObject({ mac: after.macs['eth1'], hostname: `${container.id.slice(0, 12)}-eth1` });
    expect(printed.Interfaces.map((entry) => [entry.Interface, entry.IPAddress])).toEqual([['eth0', before.addresses['eth0']![0]], ['eth1', eth1]]);
    // A second attach of the same interface is refused, and changes nothing.
    const again = ipper(['attach', lan2.bridge, String(container.pid), '-i', 'eth1', 'dhcp']);
    expect(again.status).not.toBe(0);
    expect(again.stderr).toMatch(/^ipper: .*"eth1".* \[[A-Z_]+\]\n$/);
    expect(view(container.pid).addresses['eth1']).toEqual([eth1]);
    runc.remove(container.id);
    await expect.poll(() => released(world.lab, before.addresses['eth0']![0]!)).toBe(true);
    await expect.poll(() => released(lan2, eth1!)).toBe(true);
    expectHostClean();
  });
});

describe('a supervisor restart and a poststop without a supervisor', () => {
  it('a new supervisor adopts both clients (no restart, no duplicate), and their eth1 renewal reaches it', async () => {
    const container = newContainer({ 'ipper.bridge': `${world.lab.bridge},${lan2.bridge}` });
    const before = inspect(container.id).Interfaces;
    const clients = before.map((entry) => Number(entry.DHCP_PID));
    process.kill(Number(readFileSync(`${world.stateDir}/supervisor.pid`, 'utf8')), 'SIGKILL');
    expect(ipper(['gc']).status).toBe(0); // a new supervisor adopts what the records name
    expect(ipper(['gc', '--dry-run']).stdout).toBe(''); // nothing unexplained, no duplicate client
    expect(clientsOf(world.stateDir)).toEqual([...clients].sort((a, b) => a - b));
    expect(inspect(container.id).Interfaces.map((entry) => [entry.Interface, entry.IPAddress, entry.DHCP_PID])).toEqual(before.map((entry) => [entry.Interface, entry.IPAddress, entry.DHCP_PID]));
    const record = (): { lease: { renewedAt?: string } | null } => JSON.parse(readFileSync(`${world.stateDir}/containers/${container.id}@eth1.json`, 'utf8'));
    const renewedAt = record().lease?.renewedAt;
    await expect.poll(() => record().lease?.renewedAt, { timeout: askToRenew(clients[1]!, undefined, { sameProcess: true }) }).not.toBe(renewedAt);
    runc.remove(container.id);
    await expect.poll(() => released(world.lab, before[0]!.IPAddress)).toBe(true);
    await expect.poll(() => released(lan2, before[1]!.IPAddress)).toBe(true);
    expectHostClean();
  });

  it('no supervisor answering at poststop: the hook releases and removes both interfaces itself, from the records', async () => {
    const container = new FakeContainer(world.lab);
    await container.ready();
    const created = runHook(world.lab, world.configPath, 'createRuntime', ociState({ id: 'direct', pid: container.pid, annotations: { 'ipper.bridge': `${world.lab.bridge},${lan2.bridge}` } }));
    expect(created.stderr).toBe('');
    expect(created.status).toBe(0);
    const seen = view(container.pid);
    const supervisor = Number(readFileSync(`${world.stateDir}/supervisor.pid`, 'utf8'));
    process.kill(supervisor, 'SIGSTOP'); // its socket takes the request and never answers
    try {
      container.stop();
      const result = runHook(world.lab, world.configPath, 'poststop', JSON.stringify({ ociVersion: '1.0.2', id: 'direct', status: 'stopped' }));
      expect(result).toMatchObject({ status: 0, stderr: '' });
      await expect.poll(() => released(world.lab, seen.addresses['eth0']![0]!)).toBe(true);
      await expect.poll(() => released(lan2, seen.addresses['eth1']![0]!)).toBe(true);
      expectHostClean();
    } finally {
      process.kill(supervisor, 'SIGCONT');
      await world.stopSupervisor();
    }
  });
});

describe('garbage collection', () => {
  it('a container with two interfaces gone without a poststop: both leases released, both veths and clients gone', async () => {
    const container = new FakeContainer(world.lab);
    await container.ready();
    const id = `gc-${randomBytes(4).toString('hex')}`;
    const created = runHook(world.lab, world.configPath, 'createRuntime', ociState({ id, pid: container.pid, annotations: { 'ipper.bridge': `${world.lab.bridge},${lan2.bridge}` } }));
    expect(created.stderr).toBe('');
    expect(created.status).toBe(0);
    const seen = view(container.pid);
    const [eth0, eth1] = [seen.addresses['eth0']![0]!, seen.addresses['eth1']![0]!];
    container.stop();
    expect(ipper(['gc']).status).toBe(0);
    await expect.poll(() => released(world.lab, eth0)).toBe(true);
    await expect.poll(() => released(lan2, eth1)).toBe(true);
    expectHostClean();
  });
});

describe('one interface of two cannot be made', () => {
  it('the hook fails with one line and undoes the other: no veth, no client, no record, its lease released', async () => {
    world.writeConfig({ leaseTimeoutMs: 1500, onLeaseTimeout: 'fail' });
    stopServer(lan2);
    const container = new FakeContainer(world.lab);
    try {
      await container.ready();
      const result = runHook(world.lab, world.configPath, 'createRuntime', ociState({ id: 'half', pid: container.pid, annotations: { 'ipper.bridge': `${world.lab.bridge},${lan2.bridge}` } }));
      expect(result.status).not.toBe(0);
      expect(result.stderr).toMatch(/^ipper: no DHCP lease within 1500 ms: .* \[LEASE_TIMEOUT\]\n$/);
      expect(Object.keys(view(container.pid).addresses)).toEqual([]);
      expect(serverLeases(world.lab).filter((lease) => lease.hostname === 'half')).toEqual([]);
      expectHostClean();
    } finally {
      container.stop();
      startServer(lan2);
      world.writeConfig();
    }
  });
});
