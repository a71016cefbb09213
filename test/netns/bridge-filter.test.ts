// The bridge filter, with two containers on the lab bridge: one cannot lease addresses to the other,
// nor get a lease (or send anything) under a MAC other than its own. With the filter off the same
// attacks succeed, so the test can fail.
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { inNs, serverLeases, startServer, stopServer } from '../lab/lab.js';
import { createWorld, type TestWorld } from '../helpers/env.js';
import { FakeContainer, ociState, runHook } from '../helpers/hook.js';
import { namespaceView } from '../helpers/host.js';
import { instanceId } from '../../src/net/names.js';

let world: TestWorld;
const fakes: FakeContainer[] = [];

async function attached(id: string): Promise<FakeContainer> {
  const container = new FakeContainer(world.lab);
  fakes.push(container);
  await container.ready();
  expect(runHook(world.lab, world.configPath, 'createRuntime', ociState({ id, pid: container.pid }))).toMatchObject({ status: 0, stderr: '' });
  return container;
}

function inContainer(container: FakeContainer, argv: string[], timeoutMs = 15_000): { status: number | null; stdout: string } {
  const result = spawnSync('/usr/bin/nsenter', [`--net=/proc/${container.pid}/ns/net`, '--', ...argv], { encoding: 'utf8', timeout: timeoutMs });
  return { status: result.status, stdout: result.stdout };
}

function detach(id: string, container: FakeContainer): void {
  container.stop();
  runHook(world.lab, world.configPath, 'poststop', JSON.stringify({ ociVersion: '1.0.2', id, status: 'stopped' }));
}

beforeAll(() => {
  world = createWorld('ipfilt', '10.97.73', { leaseTimeoutMs: 3000 });
});

afterEach(async () => {
  for (const container of fakes.splice(0)) container.stop();
  await world.stopSupervisor();
});

afterAll(async () => {
  await world?.destroy();
});

describe('bridgeFilter on', () => {
  it('makes the table again when someone flushed it, and the next container still gets its lease', async () => {
    world.writeConfig({ leaseTimeoutMs: 3000 });
    const first = await attached('before-flush');
    const table = `ipper_${instanceId(world.stateDir)}`;
    inNs(world.lab.hostNs, ['/usr/sbin/nft', 'delete', 'table', 'bridge', table]);
    const second = await attached('after-flush');
    expect(namespaceView(second.pid).addresses).toHaveLength(1);
    const allowed = inNs(world.lab.hostNs, ['/usr/sbin/nft', 'list', 'set', 'bridge', table, 'macs']);
    expect(allowed).toContain(namespaceView(second.pid).macs['eth0']);
    expect(allowed).toContain(namespaceView(first.pid).macs['eth0']); // the earlier port too
    expect(inContainer(first, ['/bin/busybox', 'ping', '-c', '1', '-W', '2', world.lab.serverAddress]).status).toBe(0);
    detach('after-flush', second);
    detach('before-flush', first);
  });
});

describe.each([
  [true, 'on (the default)'],
  [false, 'off'],
])('bridgeFilter %s: %s', (filter) => {
  it(`a container running its own DHCP server ${filter ? 'cannot' : 'can'} lease an address to another container`, async () => {
    world.writeConfig({ leaseTimeoutMs: 3000, bridgeFilter: filter });
    const rogue = await attached('rogue');
    const conf = `${world.dir}/udhcpd.conf`;
    writeFileSync(conf, `interface eth0\nstart 192.0.2.10\nend 192.0.2.20\nlease_file ${world.dir}/udhcpd.leases\noption subnet 255.255.255.0\n`);
    writeFileSync(`${world.dir}/udhcpd.leases`, '');
    const server = spawnSync('/usr/bin/nsenter', [`--net=/proc/${rogue.pid}/ns/net`, '--', '/bin/busybox', 'udhcpd', '-S', conf], { encoding: 'utf8' });
    expect(server.status).toBe(0);
    stopServer(world.lab); // only the rogue is left to answer
    try {
      const victim = new FakeContainer(world.lab);
      fakes.push(victim);
      await victim.ready();
      const result = runHook(world.lab, world.configPath, 'createRuntime', ociState({ id: 'victim', pid: victim.pid }));
      if (filter) {
        expect(result.status).toBe(75); // no lease in time
        expect(Object.keys(namespaceView(victim.pid).macs)).toEqual(['lo']);
      } else {
        expect(result.status).toBe(0);
        expect(namespaceView(victim.pid).addresses.map((addr) => addr.local)).toEqual([expect.stringMatching(/^192\.0\.2\./)]);
        detach('victim', victim);
      }
    } finally {
      inContainer(rogue, ['/usr/bin/pkill', '-f', `udhcpd -S ${conf}`]);
      spawnSync('/usr/bin/pkill', ['-f', `udhcpd -S ${conf}`]);
      startServer(world.lab);
      detach('rogue', rogue);
    }
  });

  it(`a container ${filter ? 'cannot' : 'can'} take a lease under a MAC that is not its own`, async () => {
    world.writeConfig({ leaseTimeoutMs: 3000, bridgeFilter: filter });
    const spoofer = await attached('spoofer');
    const forged = '02:de:ad:be:ef:01';
    inContainer(spoofer, ['/usr/sbin/ip', 'link', 'set', 'eth0', 'address', forged]);
    // The container's own DHCP client, not ipper's: udhcpc whatever the test client is.
    const result = inContainer(spoofer, ['/usr/sbin/udhcpc', '-q', '-n', '-f', '-i', 'eth0', '-s', '/bin/true', '-t', '2', '-T', '1']);
    expect(result.status === 0).toBe(!filter);
    expect(serverLeases(world.lab).some((lease) => lease.mac === forged)).toBe(!filter);
    detach('spoofer', spoofer);
  });
});
