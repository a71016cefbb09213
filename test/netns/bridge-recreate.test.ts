// The operator's network tooling deletes and re-creates the bridge (ifdown/ifup, netplan apply, a
// NetworkManager reconnect), takes it down and up, or takes its uplink off it and back: a running
// container keeps its record and lease meanwhile, is put back on the bridge, and renews at once.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { inNs, restoreBridge, serverLeases } from '../lab/lab.js';
import { DHCP_CLIENTS } from '../../src/dhcp/driver.js';
import { PROTOCOL_VERSION } from '../../src/supervisor/protocol.js';
import { createWorld, type TestWorld } from '../helpers/env.js';
import { FakeContainer, ociState, runHook } from '../helpers/hook.js';
import { IPPER, isPidAlive, namespaceView, processesMatching } from '../helpers/host.js';

const IP = '/usr/sbin/ip';
/** Well inside a client's own first renewal (half of the lab's 2-minute lease): only a renewal ipper asked for lands in it. */
const RENEW_WAIT_MS = 20_000;

let world: TestWorld;
const fakes: FakeContainer[] = [];

interface Record {
  hostVeth: string;
  mac: string;
  lease: { ip: string } | null;
}

function record(id: string): Record | undefined {
  try {
    return JSON.parse(readFileSync(`${world.stateDir}/containers/${id}.json`, 'utf8')) as Record;
  } catch {
    return undefined;
  }
}

async function attached(id: string): Promise<{ container: FakeContainer; hostVeth: string; mac: string; ip: string }> {
  const container = new FakeContainer(world.lab);
  fakes.push(container);
  await container.ready();
  expect(runHook(world.lab, world.configPath, 'createRuntime', ociState({ id, pid: container.pid }))).toMatchObject({ status: 0, stderr: '' });
  const written = record(id);
  expect(written?.lease).not.toBeNull();
  return { container, hostVeth: written!.hostVeth, mac: written!.mac, ip: written!.lease!.ip };
}

function detach(id: string, container: FakeContainer): void {
  container.stop();
  runHook(world.lab, world.configPath, 'poststop', JSON.stringify({ ociVersion: '1.0.2', id, status: 'stopped' }));
}

function masterOf(link: string): string | undefined {
  const [info] = JSON.parse(inNs(world.lab.hostNs, [IP, '-j', 'link', 'show', 'dev', link])) as { master?: string }[];
  return info?.master;
}

function peerReaches(ip: string): boolean {
  return inNs(world.lab.peerNs, ['/bin/busybox', 'ping', '-c', '1', '-W', '1', ip], { allowFail: true }).includes('1 packets received');
}

/** DHCPACKs the server sent for this address (each renewal is one). */
function acks(ip: string): number {
  return (readFileSync(world.lab.serverLog, 'utf8').match(new RegExp(`DHCPACK\\(lan0\\) ${ip.replace(/\./g, '\\.')} `, 'g')) ?? []).length;
}

function releases(ip: string): number {
  return (readFileSync(world.lab.serverLog, 'utf8').match(new RegExp(`DHCPRELEASE\\(lan0\\) ${ip.replace(/\./g, '\\.')} `, 'g')) ?? []).length;
}

/** The supervisor's `status` reply, asked over its socket as the hook asks. */
function status(): Promise<{ ok: boolean; missingBridges?: string[]; clientRestarts?: number }> {
  return new Promise((resolve, reject) => {
    const socket = createConnection(`${world.stateDir}/supervisor.sock`);
    let data = '';
    socket.setEncoding('utf8');
    socket.on('connect', () => socket.write(`${JSON.stringify({ v: PROTOCOL_VERSION, op: 'status' })}\n`));
    socket.on('data', (chunk: string) => (data += chunk));
    socket.on('error', reject);
    socket.on('end', () => resolve(JSON.parse(data)));
  });
}

function bridgeExists(): boolean {
  return inNs(world.lab.hostNs, [IP, 'link', 'show', 'dev', world.lab.bridge], { allowFail: true }) !== '';
}

/** The supervisor's `ip monitor` child, if it runs one. */
function linkMonitorPid(): number | undefined {
  const supervisor = Number(readFileSync(`${world.stateDir}/supervisor.pid`, 'utf8').trim());
  const parentOf = (pid: number): string | undefined => {
    try {
      return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ')[1];
    } catch {
      return undefined; // gone since it was listed (another supervisor's monitor, say)
    }
  };
  return processesMatching('ip -o monitor link').find(({ pid }) => parentOf(pid) === String(supervisor))?.pid;
}

async function expectRenewed(ip: string, acksBefore: number): Promise<void> {
  await expect.poll(() => acks(ip), { timeout: RENEW_WAIT_MS, interval: 200 }).toBeGreaterThan(acksBefore);
}

beforeAll(() => {
  world = createWorld('bwrec', '10.97.81', { leaseTimeoutMs: 5000 });
});

afterEach(async () => {
  for (const container of fakes.splice(0)) container.stop();
  world.writeConfig(); // the test default client again
  if (!bridgeExists()) restoreBridge(world.lab); // a failed test must not leave the next one without a LAN
  const monitor = existsSync(`${world.stateDir}/supervisor.pid`) ? linkMonitorPid() : undefined;
  await world.stopSupervisor();
  // The supervisor takes its link monitor with it.
  if (monitor !== undefined) await expect.poll(() => isPidAlive(monitor), { timeout: 5000, interval: 50 }).toBe(false);
});

afterAll(async () => {
  await world?.destroy();
});

describe('the bridge goes away and comes back', () => {
  // Every client, whatever the test default: each driver is asked to renew its own way (a signal, or a restart).
  it.each(DHCP_CLIENTS)('deleted and re-created: record and lease kept, status reports it missing; then the port is back on it and %s renews', async (client) => {
    world.writeConfig({ dhcpClient: client });
    const { container, hostVeth, mac, ip } = await attached('recreated');
    inNs(world.lab.hostNs, [IP, 'link', 'del', world.lab.bridge]);

    await expect.poll(async () => (await status()).missingBridges, { timeout: 10_000, interval: 100 }).toEqual([world.lab.bridge]);
    expect(record('recreated')?.lease?.ip).toBe(ip);
    expect(serverLeases(world.lab).find((lease) => lease.mac === mac)?.ip).toBe(ip);
    expect(namespaceView(container.pid).addresses.map((addr) => addr.local)).toEqual([ip]);

    const acksBefore = acks(ip);
    restoreBridge(world.lab);
    await expect.poll(() => masterOf(hostVeth), { timeout: 10_000, interval: 100 }).toBe(world.lab.bridge);
    await expect.poll(() => peerReaches(ip), { timeout: 10_000, interval: 200 }).toBe(true);
    await expectRenewed(ip, acksBefore);
    // A client renewed by a restart (dhclient) is no failure: none counted, the address kept throughout.
    expect(await status()).toMatchObject({ missingBridges: [], clientRestarts: 0 });
    expect(record('recreated')?.lease?.ip).toBe(ip);
    expect(namespaceView(container.pid).addresses.map((addr) => addr.local)).toEqual([ip]);
    const releasesBefore = releases(ip);
    detach('recreated', container);
    // The renewed client still holds the lease: it is released.
    await expect.poll(() => releases(ip), { timeout: 5000 }).toBe(releasesBefore + 1);
  });

  it('down and up: the client renews once the bridge is up again', async () => {
    const { container, hostVeth, ip } = await attached('bounced');
    const acksBefore = acks(ip);
    inNs(world.lab.hostNs, [IP, 'link', 'set', world.lab.bridge, 'down']);
    inNs(world.lab.hostNs, [IP, 'link', 'set', world.lab.bridge, 'up']);
    await expectRenewed(ip, acksBefore);
    expect(masterOf(hostVeth)).toBe(world.lab.bridge);
    expect(peerReaches(ip)).toBe(true);
    expect(record('bounced')?.lease?.ip).toBe(ip);
    detach('bounced', container);
  });

  it('the uplink leaves the bridge and rejoins it: the container keeps its address and renews', async () => {
    const { container, ip } = await attached('uplink');
    const acksBefore = acks(ip);
    inNs(world.lab.hostNs, [IP, 'link', 'set', 'lab-dhcp', 'nomaster']);
    expect(namespaceView(container.pid).addresses.map((addr) => addr.local)).toEqual([ip]);
    inNs(world.lab.hostNs, [IP, 'link', 'set', 'lab-dhcp', 'master', world.lab.bridge]);
    await expectRenewed(ip, acksBefore);
    expect(namespaceView(container.pid).addresses.map((addr) => addr.local)).toEqual([ip]);
    expect(record('uplink')?.lease?.ip).toBe(ip);
    detach('uplink', container);
  });

  it('a port that lost its bridge while no supervisor ran is put back when one starts', async () => {
    const { container, hostVeth, ip } = await attached('unwatched');
    await world.stopSupervisor();
    inNs(world.lab.hostNs, [IP, 'link', 'set', hostVeth, 'nomaster']);
    expect(masterOf(hostVeth)).toBeUndefined();
    const acksBefore = acks(ip);
    // Any request starts a supervisor (in the lab host's namespace, as the hook would).
    const gc = spawnSync('/usr/bin/nsenter', [`--net=/run/netns/${world.lab.hostNs}`, '--', IPPER, 'gc', '--dry-run'], { encoding: 'utf8', env: { IPPER_CONFIG: world.configPath } });
    expect(gc.status).toBe(0);
    await expect.poll(() => masterOf(hostVeth), { timeout: 10_000, interval: 100 }).toBe(world.lab.bridge);
    await expectRenewed(ip, acksBefore);
    expect(peerReaches(ip)).toBe(true);
    detach('unwatched', container);
  });

  it('the link monitor is restarted when it dies, and a port taken off meanwhile is put back', async () => {
    const { container, hostVeth } = await attached('monitor');
    const monitor = linkMonitorPid();
    expect(monitor).toBeDefined();
    process.kill(monitor!, 'SIGKILL');
    inNs(world.lab.hostNs, [IP, 'link', 'set', hostVeth, 'nomaster']);
    await expect.poll(() => linkMonitorPid(), { timeout: 10_000, interval: 100 }).toSatisfy((pid) => pid !== undefined && pid !== monitor);
    await expect.poll(() => masterOf(hostVeth), { timeout: 10_000, interval: 100 }).toBe(world.lab.bridge);
    detach('monitor', container);
  });
});
