// ipper as a CNI plugin, driven as a runtime drives it: CNI_* in the environment, the network
// config on stdin, in namespaces this test makes in the lab's host namespace.
import { randomBytes } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { inNs, serverLeases, sh, startServer, stopServer } from '../lab/lab.js';
import { createWorld, type TestWorld } from '../helpers/env.js';
import { IPPER, clientsOf, filesIn, holdersOf, isPidAlive, supervisorPidOf, linkNames } from '../helpers/host.js';
import { inspect } from '../helpers/network.js';

let world: TestWorld;
let baselineLinks: string[];
const NETWORK = 'labnet';
const GC_MS = 1000;
const namespaces = new Set<string>();

interface CniCall {
  status: number | null;
  stdout: string;
  stderr: string;
  /** stdout as JSON, when there is any. */
  json: Record<string, unknown> | undefined;
}

function netconf(extra: Record<string, unknown> = {}, cniVersion = '1.1.0'): Record<string, unknown> {
  return { cniVersion, name: NETWORK, type: 'ipper', bridge: world.lab.bridge, leaseTimeoutMs: 10_000, ...extra };
}

/** One plugin call in the lab's host namespace, as a runtime makes it. */
function cni(command: string, options: { containerId?: string; netns?: string; ifname?: string; config?: unknown; plugin?: string } = {}): CniCall {
  const env: Record<string, string> = { CNI_COMMAND: command, CNI_PATH: '/usr/lib/cni', IPPER_CONFIG: world.configPath, PATH: '/usr/sbin:/usr/bin:/sbin:/bin' };
  if (options.containerId !== undefined) env['CNI_CONTAINERID'] = options.containerId;
  if (options.netns !== undefined) env['CNI_NETNS'] = options.netns;
  if (options.containerId !== undefined) env['CNI_IFNAME'] = options.ifname ?? 'eth0';
  const result = spawnSync('/usr/bin/nsenter', [`--net=/run/netns/${world.lab.hostNs}`, '--', options.plugin ?? IPPER], {
    encoding: 'utf8',
    env,
    input: JSON.stringify(options.config ?? netconf()),
  });
  let json: Record<string, unknown> | undefined;
  try {
    json = result.stdout.trim() === '' ? undefined : (JSON.parse(result.stdout) as Record<string, unknown>);
  } catch {
    json = undefined;
  }
  return { status: result.status, stdout: result.stdout, stderr: result.stderr, json };
}

/** A fresh network namespace, as a runtime makes one (a bind mount under /run/netns). */
function newNetns(): { name: string; path: string; inode: number } {
  const name = `${world.lab.name}-c${randomBytes(4).toString('hex')}`;
  sh('/usr/sbin/ip', ['netns', 'add', name]);
  namespaces.add(name);
  const path = `/run/netns/${name}`;
  return { name, path, inode: statSync(path).ino };
}

function deleteNetns(name: string): void {
  sh('/usr/sbin/ip', ['netns', 'del', name], { allowFail: true });
  namespaces.delete(name);
}

function addressesIn(ns: string, ifname = 'eth0'): string[] {
  const links = JSON.parse(inNs(ns, ['/usr/sbin/ip', '-j', '-4', 'addr', 'show', 'dev', ifname], { allowFail: true }) || '[]') as { addr_info: { local: string; prefixlen: number }[] }[];
  return links.flatMap((link) => link.addr_info.map((addr) => `${addr.local}/${addr.prefixlen}`));
}

function recordOf(id: string): { client: { pid: number } | null; lease: { ip: string } | null; mac: string; hostVeth: string } | undefined {
  try {
    return JSON.parse(readFileSync(`${world.stateDir}/containers/${id}.json`, 'utf8'));
  } catch {
    return undefined;
  }
}

function serverLog(): string {
  return inNs(world.lab.dhcpNs, ['/bin/cat', world.lab.serverLog]);
}

function supervisorPid(): number | undefined {
  return supervisorPidOf(world.stateDir);
}

interface AddResult {
  cniVersion: string;
  interfaces: { name: string; mac?: string; sandbox?: string }[];
  ips: { address: string; gateway?: string; interface?: number; version?: string }[];
  routes: { dst: string; gw?: string }[];
  dns: { nameservers?: string[]; domain?: string };
}

/** ADD, asserted to succeed; returns the result and the address the server leased. */
function add(containerId: string, netns: { path: string }, config = netconf()): { result: AddResult; ip: string } {
  const call = cni('ADD', { containerId, netns: netns.path, config });
  expect(call.json, call.stderr).toBeDefined();
  expect(call.status, call.stdout).toBe(0);
  const result = call.json as unknown as AddResult;
  const ip = result.ips[0]!.address.split('/')[0]!;
  return { result, ip };
}

function expectReleased(ip: string, mac: string): void {
  expect(serverLeases(world.lab).map((lease) => lease.ip)).not.toContain(ip);
  expect(serverLog()).toContain(`DHCPRELEASE(lan0) ${ip} ${mac}`);
}

function expectHostClean(): void {
  expect(linkNames(world.lab.hostNs)).toEqual(baselineLinks);
  expect(filesIn(`${world.stateDir}/containers`)).toEqual([]);
  expect(clientsOf(world.stateDir, { all: true })).toEqual([]);
}

beforeAll(() => {
  world = createWorld('icni', '10.97.95', { gcIntervalMs: GC_MS });
  baselineLinks = linkNames(world.lab.hostNs);
});

afterEach(() => {
  for (const name of [...namespaces]) deleteNetns(name);
});

afterAll(async () => {
  // After a failed test: the clients of what was left would pin namespaces this file removed.
  await world?.stopSupervisor();
  for (const pid of world ? clientsOf(world.stateDir, { all: true }) : []) process.kill(pid, 'SIGKILL');
  await world?.destroy();
});

describe('CNI plugin against the lab', () => {
  it('VERSION lists 0.4.0, 1.0.0 and 1.1.0', () => {
    const call = cni('VERSION', { config: { cniVersion: '1.0.0' } });
    expect(call.status).toBe(0);
    expect(call.json).toEqual({ cniVersion: '1.0.0', supportedVersions: ['0.3.0', '0.3.1', '0.4.0', '1.0.0', '1.1.0'] });
  });

  it('ADD gets a lab lease and a spec result; inspect shows it; DEL releases it server-side; a second DEL succeeds', () => {
    const netns = newNetns();
    const containerId = `ctr${randomBytes(6).toString('hex')}`;
    const { result, ip } = add(containerId, netns);
    // The result as the spec has it: host and container interfaces, the IP with its gateway, routes, dns.
    expect(result.cniVersion).toBe('1.1.0');
    expect(result.interfaces).toHaveLength(2);
    expect(result.interfaces[0]!.name).toMatch(/^ipr[0-9a-f]{12}$/);
    expect(result.interfaces[0]!.mac).toMatch(/^([0-9a-f]{2}:){5}[0-9a-f]{2}$/);
    expect(result.interfaces[1]).toEqual({ name: 'eth0', mac: expect.stringMatching(/^([0-9a-f]{2}:){5}[0-9a-f]{2}$/), sandbox: netns.path });
    expect(result.ips).toEqual([{ address: `${ip}/24`, gateway: world.lab.serverAddress, interface: 1 }]);
    expect(result.routes).toContainEqual({ dst: '0.0.0.0/0', gw: world.lab.serverAddress });
    expect(result.dns.nameservers).toEqual([world.lab.serverAddress]);
    // What the result says is what is: the address in the namespace, the MAC on the server's lease.
    expect(addressesIn(netns.name)).toEqual([`${ip}/24`]);
    const mac = result.interfaces[1]!.mac!;
    expect(serverLeases(world.lab)).toContainEqual(expect.objectContaining({ ip, mac }));
    expect(linkNames(world.lab.hostNs)).toContain(result.interfaces[0]!.name);
    const id = `${containerId}+eth0`;
    expect(inspect(world, id).NetworkSettings).toMatchObject({ IPAddress: ip, HWAddr: mac, CNI: { ContainerID: containerId, IfName: 'eth0', Network: NETWORK, Netns: netns.path } });
    const client = recordOf(id)!.client!.pid;
    // A second ADD for the same attachment is refused and leaves the first as it was.
    const twice = cni('ADD', { containerId, netns: netns.path });
    expect(twice.status).not.toBe(0);
    expect(twice.json).toMatchObject({ code: 100, msg: `the namespace "${netns.path}" already has an interface "eth0": give this network another CNI_IFNAME` });
    expect(addressesIn(netns.name)).toEqual([`${ip}/24`]);
    expect(recordOf(id)!.client!.pid).toBe(client);

    const del = cni('DEL', { containerId, netns: netns.path });
    expect(del.status, del.stdout).toBe(0);
    expect(del.stdout).toBe('');
    expectReleased(ip, mac);
    expect(isPidAlive(client)).toBe(false);
    expectHostClean();
    const again = cni('DEL', { containerId, netns: netns.path });
    expect(again.status, again.stdout).toBe(0);
    expectHostClean();
  });

  it('DEL for an attachment never added succeeds and makes nothing', () => {
    const netns = newNetns();
    const call = cni('DEL', { containerId: `never${randomBytes(4).toString('hex')}`, netns: netns.path });
    expect(call.status, call.stdout).toBe(0);
    const noNetns = cni('DEL', { containerId: `never${randomBytes(4).toString('hex')}` });
    expect(noNetns.status, noNetns.stdout).toBe(0);
    expectHostClean();
  });

  it('ADD with a namespace that vanished fails with code 3 and leaves nothing', () => {
    const netns = newNetns();
    deleteNetns(netns.name);
    const call = cni('ADD', { containerId: `gone${randomBytes(4).toString('hex')}`, netns: netns.path });
    expect(call.status).not.toBe(0);
    expect(call.json).toMatchObject({ cniVersion: '1.1.0', code: 3, msg: expect.stringContaining(netns.path) });
    expect(call.stdout).not.toMatch(/\n\s+at /); // no stack trace
    expectHostClean();
  });

  it('ADD with no DHCP server answering: code 11 (try again later), a message naming the bridge and the wait, nothing left', () => {
    const netns = newNetns();
    stopServer(world.lab);
    try {
      const call = cni('ADD', { containerId: `nolease${randomBytes(4).toString('hex')}`, netns: netns.path, config: netconf({ leaseTimeoutMs: 1500 }) });
      expect(call.status).not.toBe(0);
      expect(call.json).toMatchObject({ cniVersion: '1.1.0', code: 11, msg: expect.stringMatching(new RegExp(`^no DHCP lease within 1500 ms: .*${world.lab.bridge}`)) });
      expect(call.stdout.trim().split('\n')).toHaveLength(1);
      expect(linkNames(netns.name)).toEqual(['lo']);
      expectHostClean();
    } finally {
      startServer(world.lab);
    }
  });

  it('DEL after the namespace is gone releases the lease and removes everything', () => {
    const netns = newNetns();
    const containerId = `nsgone${randomBytes(4).toString('hex')}`;
    const { result, ip } = add(containerId, netns);
    // Hold the namespace the way a runtime's last process would not: only our client keeps it now.
    deleteNetns(netns.name);
    const del = cni('DEL', { containerId, netns: netns.path });
    expect(del.status, del.stdout).toBe(0);
    expectReleased(ip, result.interfaces[1]!.mac!);
    expect(holdersOf(netns.inode)).toEqual([]);
    expectHostClean();
  });

  it('CHECK passes, fails once the DHCP client is killed, and passes again after the supervisor restarts it', async () => {
    const netns = newNetns();
    const containerId = `chk${randomBytes(4).toString('hex')}`;
    const { result } = add(containerId, netns);
    const prevResult = { ...result };
    const checkConfig = netconf({ prevResult });
    expect(cni('CHECK', { containerId, netns: netns.path, config: checkConfig }).status).toBe(0);
    const id = `${containerId}+eth0`;
    const client = recordOf(id)!.client!.pid;
    process.kill(client, 'SIGKILL');
    await expect.poll(() => isPidAlive(client)).toBe(false);
    const failed = cni('CHECK', { containerId, netns: netns.path, config: checkConfig });
    expect(failed.status).not.toBe(0);
    expect(failed.json).toMatchObject({ code: 100, msg: expect.stringContaining('no running DHCP client') });
    await expect.poll(() => cni('CHECK', { containerId, netns: netns.path, config: checkConfig }).status, { timeout: 15_000 }).toBe(0);
    expect(recordOf(id)!.client!.pid).not.toBe(client);
    // A prevResult that names another address is a failed CHECK.
    const wrong = { ...result, ips: [{ ...result.ips[0]!, address: '10.1.2.3/24' }] };
    const mismatch = cni('CHECK', { containerId, netns: netns.path, config: netconf({ prevResult: wrong }) });
    expect(mismatch.json).toMatchObject({ code: 100, msg: expect.stringContaining('10.1.2.3/24') });
    expect(cni('DEL', { containerId, netns: netns.path }).status).toBe(0);
    expectHostClean();
  });

  it('GC releases what the valid list omits and keeps what it names', () => {
    const keptNs = newNetns();
    const goneNs = newNetns();
    const kept = `keep${randomBytes(4).toString('hex')}`;
    const gone = `drop${randomBytes(4).toString('hex')}`;
    const keptAdd = add(kept, keptNs);
    const goneAdd = add(gone, goneNs);
    const call = cni('GC', { config: netconf({ 'cni.dev/valid-attachments': [{ containerID: kept, ifname: 'eth0' }] }) });
    expect(call.status, call.stdout).toBe(0);
    expectReleased(goneAdd.ip, goneAdd.result.interfaces[1]!.mac!);
    expect(filesIn(`${world.stateDir}/containers`)).toEqual([`${kept}+eth0.json`]);
    expect(addressesIn(keptNs.name)).toEqual([`${keptAdd.ip}/24`]);
    expect(serverLeases(world.lab).map((lease) => lease.ip)).toContain(keptAdd.ip);
    // Another network's GC with an empty list leaves this network's attachments alone.
    expect(cni('GC', { config: netconf({ name: 'othernet', 'cni.dev/valid-attachments': [] }) }).status).toBe(0);
    expect(filesIn(`${world.stateDir}/containers`)).toEqual([`${kept}+eth0.json`]);
    expect(cni('DEL', { containerId: kept, netns: keptNs.path }).status).toBe(0);
    expectHostClean();
  });

  it.each([
    ['an unknown key', { foo: 1 }, 2, /unsupported key "foo" \(value 1\)/],
    ['ipam', { ipam: { type: 'dhcp' } }, 2, /unsupported key "ipam".*remove "ipam"/],
    ['a host-only key', { stateDir: '/tmp/x' }, 2, /"stateDir".*host config/],
    ['an invalid value', { leaseTimeoutMs: 'soon' }, 7, /leaseTimeoutMs: /],
    ['a bad bridge name', { bridge: 'a/b' }, 7, /bridge: must be an interface name/],
    ['another type', { type: 'bridge' }, 7, /type: must be "ipper"/],
    ['an unsupported cniVersion', { cniVersion: '0.2.0' }, 1, /cniVersion "0.2.0" is not supported by ipper \(supported: 0.3.0, 0.3.1, 0.4.0, 1.0.0, 1.1.0\)/],
  ])('ADD with %s fails with its CNI code and a message naming it, and makes nothing', (_name, extra, code, message) => {
    const netns = newNetns();
    const call = cni('ADD', { containerId: `bad${randomBytes(4).toString('hex')}`, netns: netns.path, config: netconf(extra) });
    expect(call.status).not.toBe(0);
    expect(call.json).toMatchObject({ code, msg: expect.stringMatching(message) });
    expect(call.stdout.trim().split('\n')).toHaveLength(1);
    expectHostClean();
  });

  it('CHECK before 0.4.0, and STATUS and GC before 1.1.0, are refused with code 1', () => {
    expect(cni('CHECK', { containerId: 'x', netns: '/run/netns/x', config: netconf({}, '0.3.1') }).json).toMatchObject({ code: 1, msg: expect.stringContaining('CHECK needs cniVersion 0.4.0') });
    expect(cni('STATUS', { config: netconf({}, '1.0.0') }).json).toMatchObject({ code: 1, msg: expect.stringContaining('STATUS needs cniVersion 1.1.0') });
    expect(cni('GC', { config: netconf({ 'cni.dev/valid-attachments': [] }, '1.0.0') }).json).toMatchObject({ code: 1 });
  });

  it('STATUS is ready with the bridge up and the supervisor answering; a missing bridge is code 50', () => {
    expect(cni('STATUS').status).toBe(0);
    expect(supervisorPid()).toBeDefined();
    const missing = cni('STATUS', { config: netconf({ bridge: 'nobridge0' }) });
    expect(missing.json).toMatchObject({ code: 50, msg: 'bridge "nobridge0" does not exist' });
  });

  it('chained before tuning and portmap (Debian\'s plugins read its prevResult), then DEL in reverse order', () => {
    const netns = newNetns();
    const containerId = `chain${randomBytes(4).toString('hex')}`;
    const version = '1.0.0'; // what Debian's containernetworking-plugins speak
    const { result, ip } = add(containerId, netns, netconf({}, version));
    expect(result.ips[0]).not.toHaveProperty('version');
    const tuning = { cniVersion: version, name: NETWORK, type: 'tuning', promisc: true, prevResult: result };
    const tuned = cni('ADD', { containerId, netns: netns.path, config: tuning, plugin: '/usr/lib/cni/tuning' });
    expect(tuned.status, tuned.stdout + tuned.stderr).toBe(0);
    expect(inNs(netns.name, ['/usr/sbin/ip', 'link', 'show', 'eth0'])).toContain('PROMISC');
    const portmap = {
      cniVersion: version, name: NETWORK, type: 'portmap', capabilities: { portMappings: true }, snat: false,
      runtimeConfig: { portMappings: [{ hostPort: 18080, containerPort: 80, protocol: 'tcp' }] }, prevResult: tuned.json,
    };
    const mapped = cni('ADD', { containerId, netns: netns.path, config: portmap, plugin: '/usr/lib/cni/portmap' });
    expect(mapped.status, mapped.stdout + mapped.stderr).toBe(0);
    expect((mapped.json as unknown as AddResult).ips[0]!.address).toBe(`${ip}/24`);
    expect(inNs(world.lab.hostNs, ['/usr/sbin/iptables-save', '-t', 'nat'])).toContain(`--to-destination ${ip}:80`);
    expect(cni('DEL', { containerId, netns: netns.path, config: portmap, plugin: '/usr/lib/cni/portmap' }).status).toBe(0);
    expect(inNs(world.lab.hostNs, ['/usr/sbin/iptables-save', '-t', 'nat'])).not.toContain(`--to-destination ${ip}:80`);
    expect(cni('DEL', { containerId, netns: netns.path, config: tuning, plugin: '/usr/lib/cni/tuning' }).status).toBe(0);
    expect(cni('DEL', { containerId, netns: netns.path, config: netconf({}, version) }).status).toBe(0);
    expectReleased(ip, result.interfaces[1]!.mac!);
    expectHostClean();
  });

  it('defaultRoute false (a secondary network, as under Multus): the address without a default route, and none in the result', () => {
    const netns = newNetns();
    inNs(netns.name, ['/usr/sbin/ip', 'link', 'set', 'lo', 'up']);
    const containerId = `second${randomBytes(4).toString('hex')}`;
    const { result, ip } = add(containerId, netns, netconf({ defaultRoute: false }));
    expect(addressesIn(netns.name)).toEqual([`${ip}/24`]);
    expect(inNs(netns.name, ['/usr/sbin/ip', '-4', 'route', 'show', 'default']).trim()).toBe('');
    expect(result.routes).not.toContainEqual(expect.objectContaining({ dst: '0.0.0.0/0' }));
    // The same network without the key: the lease's router is the default route.
    const other = newNetns();
    const first = `first${randomBytes(4).toString('hex')}`;
    add(first, other);
    expect(inNs(other.name, ['/usr/sbin/ip', '-4', 'route', 'show', 'default'])).toContain(`default via ${world.lab.serverAddress} dev eth0`);
    expect(cni('DEL', { containerId, netns: netns.path }).status).toBe(0);
    expect(cni('DEL', { containerId: first, netns: other.path }).status).toBe(0);
    expectHostClean();
  });

  it('0.4.0 results carry "version" in each IP', () => {
    const netns = newNetns();
    const containerId = `old${randomBytes(4).toString('hex')}`;
    const { result } = add(containerId, netns, netconf({}, '0.4.0'));
    expect(result.cniVersion).toBe('0.4.0');
    expect(result.ips[0]).toMatchObject({ version: '4', interface: 1 });
    expect(cni('DEL', { containerId, netns: netns.path, config: netconf({}, '0.4.0') }).status).toBe(0);
    expectHostClean();
  });

  it('the supervisor killed between ADD and DEL: the client keeps the lease, DEL still releases it', async () => {
    const netns = newNetns();
    const containerId = `crash${randomBytes(4).toString('hex')}`;
    const { result, ip } = add(containerId, netns);
    const supervisor = supervisorPid()!;
    process.kill(supervisor, 'SIGKILL');
    await expect.poll(() => isPidAlive(supervisor)).toBe(false);
    expect(addressesIn(netns.name)).toEqual([`${ip}/24`]);
    const del = cni('DEL', { containerId, netns: netns.path });
    expect(del.status, del.stdout).toBe(0);
    expectReleased(ip, result.interfaces[1]!.mac!);
    expectHostClean();
  });

  it('garbage collection reaps an attachment whose namespace the runtime removed without DEL', async () => {
    const netns = newNetns();
    const containerId = `reap${randomBytes(4).toString('hex')}`;
    const { result, ip } = add(containerId, netns);
    deleteNetns(netns.name); // the runtime crashed: no DEL will come
    await expect.poll(() => filesIn(`${world.stateDir}/containers`), { timeout: 5 * GC_MS + 5000 }).toEqual([]);
    expectReleased(ip, result.interfaces[1]!.mac!);
    expect(holdersOf(netns.inode)).toEqual([]);
    expectHostClean();
  });
});
