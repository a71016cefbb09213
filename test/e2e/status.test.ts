// `ipper status` against the real lab: its rows are the containers as they are in their
// namespaces, the supervisor's numbers are the supervisor's, and a client that dies shows as failed.
import { spawnSync } from 'node:child_process';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { TEST_DHCP_CLIENT, createWorld, type TestWorld } from '../helpers/env.js';
import { FakeContainer, runHook, startFake } from '../helpers/hook.js';
import { IPPER, clientsOf, filesIn, holdersOf, isPidAlive, supervisorPidOf, linkNames, namespaceView } from '../helpers/host.js';

let world: TestWorld;
let baselineLinks: string[];
const fakes: FakeContainer[] = [];

interface StatusDoc {
  supervisor: { running: boolean; reason: string | null; pid: number | null; version: string | null; uptimeSeconds: number | null; containers: number | null; clientRestarts: number | null; missingBridges: string[]; unexplained: unknown[] };
  containers: { id: string; shortId: string; name: string | null; addresses: string[]; mac: string; bridge: string; hostVeth: string; client: { name: string; pid: number | null; alive: boolean }; state: string; leaseSeconds: number | null; boundAt: string | null; lastRenewal: string | null; expiresAt: string | null }[];
  unreadableRecords: string[];
}

function ipper(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync('/usr/bin/nsenter', [`--net=/run/netns/${world.lab.hostNs}`, '--', IPPER, ...args], { encoding: 'utf8', env: { IPPER_CONFIG: world.configPath } });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

function status(): StatusDoc {
  const result = ipper(['status', '--json']);
  expect(result.stderr).toBe('');
  expect(result.status).toBe(0);
  return JSON.parse(result.stdout) as StatusDoc;
}

function supervisorPid(): number | undefined {
  return supervisorPidOf(world.stateDir);
}

function start(id: string): Promise<FakeContainer> {
  return startFake(world.lab, world.configPath, fakes, id);
}

function poststop(id: string): void {
  expect(runHook(world.lab, world.configPath, 'poststop', JSON.stringify({ ociVersion: '1.0.2', id, status: 'stopped' })).status).toBe(0);
}

beforeAll(() => {
  world = createWorld('ipstat', '10.97.91', { leaseTimeoutMs: 5000 });
  baselineLinks = linkNames(world.lab.hostNs);
});

afterEach(() => {
  for (const container of fakes.splice(0)) container.stop();
});

afterAll(async () => {
  await world?.destroy();
});

describe('ipper status', () => {
  it('has one row per container matching its namespace, then shows a killed client as failed', async () => {
    // Before any container: no supervisor, and status does not start one.
    const empty = status();
    expect(empty.supervisor).toMatchObject({ running: false, pid: null });
    expect(empty.containers).toEqual([]);
    expect(supervisorPid()).toBeUndefined();

    const ids = ['status-a', 'status-b', 'status-c'];
    const containers = new Map<string, FakeContainer>();
    for (const id of ids) containers.set(id, await start(id));

    const doc = status();
    expect(doc.supervisor).toMatchObject({ running: true, pid: supervisorPid(), containers: 3, clientRestarts: 0, missingBridges: [], unexplained: [] });
    expect(doc.supervisor.uptimeSeconds).toBeGreaterThanOrEqual(0);
    expect(doc.containers.map((row) => row.id)).toEqual(ids);
    for (const row of doc.containers) {
      const view = namespaceView(containers.get(row.id)!.pid);
      const eth0 = view.addresses.filter((addr) => addr.ifname === 'eth0').map((addr) => `${addr.local}/${addr.prefixlen}`);
      expect(row.addresses).toEqual(eth0);
      expect(row.mac).toBe(view.macs['eth0']);
      expect(row).toMatchObject({ shortId: row.id.slice(0, 12), name: null, bridge: world.lab.bridge, state: 'bound', client: { name: TEST_DHCP_CLIENT, alive: true } });
      // The pid is a DHCP client of this state dir (found by its environment or its own run directory: dhcpcd rewrites its command line).
      expect(clientsOf(world.stateDir)).toContain(row.client.pid);
      expect(Date.parse(row.expiresAt!) - Date.parse(row.boundAt!)).toBe(row.leaseSeconds! * 1000);
    }

    // The table: the supervisor line, a header, one aligned line per container.
    const text = ipper(['status']);
    expect(text.status).toBe(0);
    const lines = text.stdout.trimEnd().split('\n');
    expect(lines[0]).toContain(`pid ${supervisorPid()}`);
    const header = lines[1]!;
    const rows = lines.slice(2, 2 + ids.length);
    expect(rows.map((row) => row.split(/\s+/)[0])).toEqual(ids.map((id) => id.slice(0, 12)));
    for (const [index, row] of rows.entries()) {
      expect(row.slice(header.indexOf('ADDRESS')).split(/\s+/)[0]).toBe(doc.containers[index]!.addresses[0]);
      expect(row.slice(header.indexOf('STATE')).split(/\s+/)[0]).toBe('bound');
    }

    // A client killed while the supervisor runs: it restarts it, and counts the restart.
    const first = doc.containers[0]!;
    process.kill(first.client.pid!, 'SIGKILL');
    await expect.poll(() => status().supervisor.clientRestarts, { timeout: 15_000 }).toBe(1);
    await expect.poll(() => status().containers[0], { timeout: 15_000 }).toMatchObject({ state: 'bound', client: { alive: true } });
    expect(status().containers[0]!.client.pid).not.toBe(first.client.pid);

    // Without a supervisor (SIGTERM leaves the clients running) nobody restarts a killed client.
    await world.stopSupervisor();
    const victim = status().containers[1]!;
    process.kill(victim.client.pid!, 'SIGKILL');
    await expect.poll(() => isPidAlive(victim.client.pid!)).toBe(false);
    const after = status();
    expect(after.supervisor).toMatchObject({ running: false, pid: null });
    expect(after.supervisor.reason).toContain('no ipper supervisor runs');
    expect(after.containers.map((row) => row.state)).toEqual(['bound', 'failed', 'bound']);
    expect(after.containers[1]!.client).toEqual({ name: TEST_DHCP_CLIENT, pid: victim.client.pid, alive: false });
    const table = ipper(['status']).stdout;
    expect(table.split('\n')[0]).toMatch(/^supervisor: not running/);
    expect(table.split('\n').find((line) => line.startsWith(victim.shortId))).toMatch(/\bfailed\b/);
    // status never starts a supervisor.
    expect(supervisorPid()).toBeUndefined();

    // The runtime's order: the container's process ends, then poststop.
    const namespaces = [...containers.values()].map((container) => container.netnsInode);
    for (const container of containers.values()) container.stop();
    await expect.poll(() => [...containers.values()].filter((container) => isPidAlive(container.pid))).toEqual([]);
    for (const id of ids) poststop(id);
    expect(status().containers).toEqual([]);
    expect(filesIn(`${world.stateDir}/containers`).filter((name) => name.endsWith('.json'))).toEqual([]);
    await expect.poll(() => linkNames(world.lab.hostNs)).toEqual(baselineLinks);
    expect(clientsOf(world.stateDir, { all: true })).toEqual([]);
    // Nothing left in a container's namespace: dhcpcd's helpers outlive its killed main process.
    await expect.poll(() => namespaces.flatMap(holdersOf)).toEqual([]);
  });

  it('refuses an unknown argument with one line and exit 64', () => {
    const result = ipper(['status', '--yaml']);
    expect(result.status).toBe(64);
    expect(result.stderr).toBe('ipper: usage: ipper status [--json] [USAGE]\n');
    expect(result.stdout).toBe('');
  });
});
