// Every bad input: a clear one-line error, a non-zero exit, and nothing left behind
// (links, processes, records, the supervisor not even started where the guard refuses first).
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { inNs } from '../lab/lab.js';
import { createWorld, type TestWorld } from '../helpers/env.js';
import { FakeContainer, ociState, runHook } from '../helpers/hook.js';
import { spawnSync } from 'node:child_process';
import { IPPER, clientsOf, filesIn, linkNames, namespaceView } from '../helpers/host.js';

let world: TestWorld;
let baselineLinks: string[];
const containers: FakeContainer[] = [];

async function fakeContainer(ownNetns = true): Promise<FakeContainer> {
  const container = new FakeContainer(world.lab, ownNetns);
  containers.push(container);
  await container.ready();
  return container;
}

function expectOneLineError(result: { status: number | null; stderr: string }, pattern: RegExp): void {
  expect(result.status).not.toBe(0);
  expect(result.status).not.toBeNull();
  const lines = result.stderr.trim().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(/^ipper: /);
  expect(lines[0]).toMatch(pattern);
}

function expectNothingLeft(): void {
  expect(linkNames(world.lab.hostNs)).toEqual(baselineLinks);
  expect(filesIn(`${world.stateDir}/containers`)).toEqual([]);
  expect(clientsOf(world.stateDir, { all: true })).toEqual([]);
}

beforeAll(() => {
  world = createWorld('iperr', '10.97.64', { leaseTimeoutMs: 1500 });
  baselineLinks = linkNames(world.lab.hostNs);
});

afterEach(() => {
  for (const container of containers.splice(0)) container.stop();
  world.writeConfig({ leaseTimeoutMs: 1500 });
});

afterAll(async () => {
  await world?.destroy();
});

describe('createRuntime refuses bad input before touching anything', () => {
  it.each([
    ['empty stdin', '', /OCI state on stdin is empty \[INVALID_OCI_STATE\]/],
    ['invalid JSON', '{"ociVersion":', /not valid JSON/],
    ['a JSON array', '[]', /invalid OCI state/],
    ['a state without pid', ociState({ id: 'nopid' }), /pid is missing/],
    ['a pid that does not exist', ociState({ id: 'nopid', pid: 4_000_000 }), /no network namespace for pid 4000000/],
    ['an id with a slash', ociState({ id: 'a/b', pid: 1 }), /id: may hold only/],
  ])('%s', (_name, stdin, pattern) => {
    const result = runHook(world.lab, world.configPath, 'createRuntime', stdin);
    expectOneLineError(result, pattern);
    expectNothingLeft();
    expect(filesIn(world.stateDir)).toEqual([]); // not even the supervisor was started
  });

  it('a pid in the host namespace itself (the throwaway lab host here)', async () => {
    const hostProcess = await fakeContainer(false);
    const result = runHook(world.lab, world.configPath, 'createRuntime', ociState({ id: 'hostns', pid: hostProcess.pid }));
    expectOneLineError(result, /host's own network namespace.*\[HOST_NAMESPACE\]/);
    expectNothingLeft();
    expect(filesIn(world.stateDir)).toEqual([]);
    // and the host's links are as they were: no veth, no address change
    expect(inNs(world.lab.hostNs, ['/usr/sbin/ip', '-4', '-o', 'addr', 'show', 'dev', world.lab.bridge])).toContain(`${world.lab.hostAddress}/24`);
  });
});

describe('createRuntime refuses a bad container setting and leaves nothing', () => {
  it('a bridge that does not exist', async () => {
    world.writeConfig({ leaseTimeoutMs: 1500, allowedBridges: ['nobr0'] });
    const container = await fakeContainer();
    const result = runHook(world.lab, world.configPath, 'createRuntime', ociState({ id: 'nobridge', pid: container.pid, annotations: { 'ipper.bridge': 'nobr0' } }));
    expectOneLineError(result, /bridge "nobr0" does not exist \[BRIDGE_NOT_FOUND\]/);
    expectNothingLeft();
    expect(Object.keys(namespaceView(container.pid).macs)).toEqual(['lo']);
  });

  it.each([
    ['ipper.mac', 'not-a-mac', /annotation ipper.mac: "not-a-mac" is not a MAC address/],
    ['ipper.mac', '01:00:5e:00:00:01', /annotation ipper.mac: .* is a multicast address/],
    ['ipper.bridge', 'br0;reboot', /annotation ipper.bridge: must be an interface name/],
    ['ipper.hostname', 'under_score', /annotation ipper.hostname: must be a DNS label/],
  ])('annotation %s=%s', async (key, value, pattern) => {
    const container = await fakeContainer();
    const result = runHook(world.lab, world.configPath, 'createRuntime', ociState({ id: 'badannotation', pid: container.pid, annotations: { [key]: value } }));
    expectOneLineError(result, pattern);
    expectNothingLeft();
    expect(Object.keys(namespaceView(container.pid).macs)).toEqual(['lo']);
  });

  it('a container that already has eth0 (not started with --network none)', async () => {
    const container = await fakeContainer();
    const nsenter = ['/usr/bin/nsenter', `--net=/proc/${container.pid}/ns/net`, '--'];
    inNs(world.lab.hostNs, [...nsenter, '/usr/sbin/ip', 'link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', 'other0']);
    const result = runHook(world.lab, world.configPath, 'createRuntime', ociState({ id: 'haseth0', pid: container.pid }));
    expectOneLineError(result, /already has an interface "eth0": start it with --network none \[INTERFACE_EXISTS\]/);
    expectNothingLeft();
  });

  it('an unknown stage', () => {
    const result = runHook(world.lab, world.configPath, 'poststart', ociState({ id: 'stage', pid: 1 }));
    expectOneLineError(result, /unknown hook stage "poststart": expected createRuntime, prestart or poststop \[USAGE\]/);
  });
});

describe('no lease in time with onLeaseTimeout "fail"', () => {
  it('says why, exits non-zero and undoes the veth, the client and the record', async () => {
    const container = await fakeContainer();
    const { stopServer, startServer } = await import('../lab/lab.js');
    stopServer(world.lab);
    try {
      const result = runHook(world.lab, world.configPath, 'createRuntime', ociState({ id: 'noserver', pid: container.pid }));
      expectOneLineError(result, /no DHCP lease within 1500 ms: \d+ DHCPDISCOVER sent on bridge "br0", no DHCPOFFER came back.*\[LEASE_TIMEOUT\]/);
      expectNothingLeft();
      expect(Object.keys(namespaceView(container.pid).macs)).toEqual(['lo']);
    } finally {
      startServer(world.lab);
    }
  });
});

describe('rootless', () => {
  it('a hook in a user namespace (rootless Podman) says that it needs root, before touching anything', async () => {
    const container = await fakeContainer();
    const result = spawnSync('/usr/bin/unshare', ['--user', '--map-root-user', '--', IPPER, 'hook', 'createRuntime'], {
      input: ociState({ id: 'rootless', pid: container.pid }),
      encoding: 'utf8',
      env: { IPPER_CONFIG: world.configPath },
    });
    expectOneLineError({ status: result.status, stderr: result.stderr }, /rootless Podman cannot use it .*\[ROOTLESS\]/);
    expectNothingLeft();
    expect(Object.keys(namespaceView(container.pid).macs)).toEqual(['lo']);
  });
});

describe('poststop', () => {
  it('for a container ipper never saw exits 0 and changes nothing', () => {
    const before = filesIn(world.stateDir);
    const result = runHook(world.lab, world.configPath, 'poststop', JSON.stringify({ ociVersion: '1.0.2', id: 'never-seen', status: 'stopped' }));
    expect(result).toMatchObject({ status: 0, stderr: '' });
    expect(filesIn(world.stateDir)).toEqual(before);
    expectNothingLeft();
  });
});
