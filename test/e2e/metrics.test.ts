// The supervisor's Prometheus metrics (config `metrics`), scraped while real containers come and go.
import { request } from 'node:http';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { askToRenew, createWorld, type TestWorld } from '../helpers/env.js';
import { FakeContainer, ociState, runHook } from '../helpers/hook.js';
import { inspect } from '../helpers/network.js';

let world: TestWorld;
let socket: string;

function scrape(): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath: socket, path: '/metrics' }, (response) => {
      let body = '';
      response.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
      response.on('end', () => (response.statusCode === 200 ? resolve(body) : reject(new Error(`status ${response.statusCode}`))));
    });
    req.on('error', reject);
    req.end();
  });
}

/** One sample's value, or 0 when the series is not there yet. */
async function sample(series: string): Promise<number> {
  const line = (await scrape()).split('\n').find((candidate) => candidate.startsWith(`${series} `));
  return line === undefined ? 0 : Number(line.slice(series.length + 1));
}

beforeAll(() => {
  world = createWorld('ipmetric', '10.97.93', { gcIntervalMs: 1000, ipv6: 'off' });
  socket = `${world.dir}/metrics.sock`;
  world.writeConfig({ gcIntervalMs: 1000, ipv6: 'off', metrics: socket });
});

afterAll(async () => {
  await world?.destroy();
});

describe('metrics', () => {
  it('count leases by state, lease events, attach latency and failures, client restarts and supervisor starts', async () => {
    const container = new FakeContainer(world.lab);
    await container.ready();
    expect(runHook(world.lab, world.configPath, 'createRuntime', ociState({ id: 'metered', pid: container.pid })).status).toBe(0);
    expect(await sample('ipper_leases{state="bound"}')).toBe(1);
    expect(await sample('ipper_lease_events_total{event="bound"}')).toBe(1);
    expect(await sample('ipper_attach_duration_seconds_count')).toBe(1);
    expect(await sample('ipper_supervisor_starts')).toBe(1);
    // A renewal, a client restart, a failed attach (a bridge that does not exist).
    const clientPid = Number(inspect(world, 'metered').NetworkSettings['DHCP_PID']);
    // This very client's renewal: a restart (dhclient's way) would count as a client restart below.
    const wait = askToRenew(clientPid, undefined, { sameProcess: true });
    await expect.poll(() => sample('ipper_lease_events_total{event="renewed"}'), { timeout: wait }).toBeGreaterThanOrEqual(1);
    process.kill(Number(JSON.parse(readFileSync(`${world.stateDir}/containers/metered.json`, 'utf8')).client.pid), 'SIGKILL');
    await expect.poll(() => sample('ipper_client_restarts_total'), { timeout: 10_000 }).toBe(1);
    // The new client binds the same address again: a renewal, as far as the container is concerned.
    await expect.poll(() => sample('ipper_lease_events_total{event="renewed"}'), { timeout: 10_000 }).toBeGreaterThanOrEqual(2);
    const other = new FakeContainer(world.lab);
    await other.ready();
    // The supervisor refuses a MAC another container holds: a failure it counts by its code.
    const taken = inspect(world, 'metered').NetworkSettings['HWAddr']!;
    expect(runHook(world.lab, world.configPath, 'createRuntime', ociState({ id: 'sametaken', pid: other.pid, annotations: { 'ipper.mac': taken } })).status).not.toBe(0);
    other.stop();
    expect(await sample('ipper_attach_failures_total{reason="MAC_IN_USE"}')).toBe(1);
    expect(await sample('ipper_attach_duration_seconds_count')).toBe(2);
    // The release at poststop.
    container.stop();
    expect(runHook(world.lab, world.configPath, 'poststop', JSON.stringify({ ociVersion: '1.0.2', id: 'metered', status: 'stopped' })).status).toBe(0);
    expect(await sample('ipper_lease_events_total{event="released"}')).toBe(1);
    expect(await sample('ipper_leases{state="bound"}')).toBe(0);
    // A new supervisor for the same state directory counts as a restart.
    await world.stopSupervisor();
    expect(runHook(world.lab, world.configPath, 'poststop', JSON.stringify({ ociVersion: '1.0.2', id: 'none', status: 'stopped' })).status).toBe(0);
    const again = new FakeContainer(world.lab);
    await again.ready();
    expect(runHook(world.lab, world.configPath, 'createRuntime', ociState({ id: 'again', pid: again.pid })).status).toBe(0);
    expect(await sample('ipper_supervisor_starts')).toBe(2);
    again.stop();
    expect(runHook(world.lab, world.configPath, 'poststop', JSON.stringify({ ociVersion: '1.0.2', id: 'again', status: 'stopped' })).status).toBe(0);
  });
});
