// Churn: workers create and delete containers for a while, some hooks are killed at random and some
// containers die without a poststop; afterwards the host exactly matches the live containers.
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { serverLeases } from '../lab/lab.js';
import { createWorld, type TestWorld } from '../helpers/env.js';
import { FakeContainer, ociState } from '../helpers/hook.js';
import { IPPER, clientsOf, filesIn, holdersOf, linkNames } from '../helpers/host.js';
import { inspect } from '../helpers/network.js';

const WORKERS = 3;
const DURATION_MS = Number(process.env['CHURN_MS'] ?? 120_000);
let world: TestWorld;
let baselineLinks: string[];

function hook(stage: string, state: string, killAfterMs?: number): Promise<number | null> {
  return new Promise((resolve) => {
    const child = spawn('/usr/bin/nsenter', [`--net=/run/netns/${world.lab.hostNs}`, '--', IPPER, 'hook', stage], { env: { IPPER_CONFIG: world.configPath }, stdio: ['pipe', 'ignore', 'ignore'] });
    child.stdin.end(state);
    if (killAfterMs !== undefined) setTimeout(() => child.kill('SIGKILL'), killAfterMs);
    child.on('exit', (code) => resolve(code));
  });
}

beforeAll(() => {
  world = createWorld('ipchurn', '10.97.69', { gcIntervalMs: 1000 });
  baselineLinks = linkNames(world.lab.hostNs);
});

afterAll(async () => {
  if (!process.env['CHURN_KEEP']) await world?.destroy();
});

it('links, records, clients and server leases match the live containers after churn', async () => {
  const live = new Map<string, FakeContainer>();
  // Every container's namespace: once all are gone, no process may hold one (a client's helper).
  const namespaces = new Set<number>();
  let serial = 0;
  const deadline = Date.now() + DURATION_MS;
  const worker = async (): Promise<void> => {
    while (Date.now() < deadline) {
      const roll = Math.random();
      if (live.size > 0 && roll < 0.4) {
        const [id, container] = [...live.entries()][Math.floor(Math.random() * live.size)]!;
        live.delete(id);
        container.stop();
        // Most get their poststop; some die without one (the runtime crashed): GC's job.
        if (Math.random() < 0.8) await hook('poststop', JSON.stringify({ ociVersion: '1.0.2', id, status: 'stopped' }));
        continue;
      }
      const id = `churn-${serial++}`;
      const container = new FakeContainer(world.lab);
      await container.ready();
      namespaces.add(container.netnsInode);
      const killed = Math.random() < 0.15;
      const code = await hook('createRuntime', ociState({ id, pid: container.pid }), killed ? Math.floor(Math.random() * 300) : undefined);
      if (code === 0) live.set(id, container);
      else {
        // A failed create: the runtime destroys the container and runs poststop.
        container.stop();
        await hook('poststop', JSON.stringify({ ociVersion: '1.0.2', id, status: 'stopped' }));
      }
    }
  };
  await Promise.all(Array.from({ length: WORKERS }, () => worker()));
  const expected = [...live.keys()].map((id) => `${id}.json`).sort();
  await expect.poll(() => filesIn(`${world.stateDir}/containers`), { timeout: 10_000 }).toEqual(expected);
  await expect.poll(() => linkNames(world.lab.hostNs).length, { timeout: 10_000 }).toBe(baselineLinks.length + live.size);
  expect(clientsOf(world.stateDir)).toHaveLength(live.size);
  const liveIps = [...live.keys()].map((id) => inspect(world, id).NetworkSettings['IPAddress']).sort();
  await expect.poll(() => serverLeases(world.lab).map((lease) => lease.ip).sort(), { timeout: 10_000 }).toEqual(liveIps);
  for (const [id, container] of live) {
    container.stop();
    await hook('poststop', JSON.stringify({ ociVersion: '1.0.2', id, status: 'stopped' }));
  }
  // poststop answers once the lease is released; the supervisor removes the rest just after.
  await expect.poll(() => filesIn(`${world.stateDir}/containers`), { timeout: 10_000 }).toEqual([]);
  expect(linkNames(world.lab.hostNs)).toEqual(baselineLinks);
  await expect.poll(() => holdersOf(namespaces), { timeout: 10_000 }).toEqual([]);
}, 300_000);
