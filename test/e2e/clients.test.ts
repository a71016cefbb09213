// Every DHCP client ipper drives, each held to the same behaviour against the lab's dnsmasq:
// udhcpc, ISC dhclient and dhcpcd, chosen by the config's dhcpClient.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DHCP_CLIENTS, type DhcpClientName } from '../../src/dhcp/driver.js';
import { driverFor } from '../../src/dhcp/drivers.js';
import { toolPath } from '../../src/sys/tools.js';
import { inNs, serverLeases, startServer, stopServer } from '../lab/lab.js';
import { askToRenew, createWorld, type TestWorld } from '../helpers/env.js';
import { FakeContainer, ociState, runHook } from '../helpers/hook.js';
import { IPPER, clientsOf, filesIn, holdersOf, isPidAlive, linkNames, namespaceView } from '../helpers/host.js';
import { inspect } from '../helpers/network.js';

const GC_MS = 1000;
const MARKER = '/tmp/ipper-clients-marker';
/** Renewal times the server hands out (T1, T2), so that a client renewing on its own does so within seconds. */
const SHORT_RENEWAL = ['--dhcp-option=option:T1,8', '--dhcp-option=option:T2,14'];

describe.each(DHCP_CLIENTS)('%s', (client: DhcpClientName) => {
  let world: TestWorld;
  let baselineLinks: string[];
  const fakes: FakeContainer[] = [];

  async function fake(): Promise<FakeContainer> {
    const container = new FakeContainer(world.lab);
    fakes.push(container);
    await container.ready();
    return container;
  }

  const create = (id: string, pid: number) => runHook(world.lab, world.configPath, 'createRuntime', ociState({ id, pid }));
  const poststop = (id: string) => runHook(world.lab, world.configPath, 'poststop', JSON.stringify({ ociVersion: '1.0.2', id, status: 'stopped' }));
  const ipper = (args: string[]) => spawnSync('/usr/bin/nsenter', [`--net=/run/netns/${world.lab.hostNs}`, '--', IPPER, ...args], { encoding: 'utf8', env: { IPPER_CONFIG: world.configPath } });
  const recordOf = (id: string) => JSON.parse(readFileSync(`${world.stateDir}/containers/${id}.json`, 'utf8')) as { dhcpClient: string; client: { pid: number }; lease: { ip: string; renewedAt?: string } | null };
  const serverLog = () => readFileSync(world.lab.serverLog, 'utf8');
  const eth0 = (pid: number) => namespaceView(pid).addresses.filter((address) => address.ifname === 'eth0').map((address) => address.local);

  /** Everything of a container gone: links, records, client files, client processes, namespace holders. */
  async function expectGone(netnsInode: number): Promise<void> {
    await expect.poll(() => filesIn(`${world.stateDir}/containers`), { timeout: 5 * GC_MS + 5000 }).toEqual([]);
    expect(linkNames(world.lab.hostNs)).toEqual(baselineLinks);
    expect(filesIn(`${world.stateDir}/clients`)).toEqual([]);
    expect(clientsOf(world.stateDir, { all: true })).toEqual([]);
    await expect.poll(() => holdersOf(netnsInode), { timeout: 5000 }).toEqual([]);
  }

  beforeAll(() => {
    world = createWorld(`ipcl${client.slice(0, 4)}`, '10.97.86', { dhcpClient: client, gcIntervalMs: GC_MS, leaseTimeoutMs: 8000 });
    stopServer(world.lab);
    startServer(world.lab, SHORT_RENEWAL);
    baselineLinks = linkNames(world.lab.hostNs);
  });

  afterEach(() => {
    for (const container of fakes.splice(0)) container.stop();
  });

  afterAll(async () => {
    await world?.destroy();
  });

  it('is bound before the hook returns, registers its hostname in DNS, renews, and releases at poststop', async () => {
    const container = await fake();
    const netnsInode = statSync(`/proc/${container.pid}/ns/net`).ino;
    expect(create('life', container.pid)).toMatchObject({ status: 0, stderr: '' });
    // No waiting: the address is there when the hook returns.
    const { lease, dhcpClient } = recordOf('life');
    expect(dhcpClient).toBe(client);
    expect(eth0(container.pid)).toEqual([lease!.ip]);
    expect(statSync(`/proc/${recordOf('life').client.pid}/exe`).ino).toBe(statSync(toolPath(driverFor(client).program)).ino);
    expect(inNs(world.lab.peerNs, ['/bin/busybox', 'nslookup', `life.${world.lab.domain}`, world.lab.serverAddress])).toContain(`Address: ${lease!.ip}`);
    // The server says renew after 8 s: every client renews on its own (udhcpc only at half the lease).
    const expires = serverLeases(world.lab).find((entry) => entry.ip === lease!.ip)!.expires;
    await expect.poll(() => recordOf('life').lease?.renewedAt, { timeout: 90_000, interval: 500 }).toBeDefined();
    expect(serverLeases(world.lab).find((entry) => entry.ip === lease!.ip)!.expires).toBeGreaterThan(expires);
    container.stop();
    expect(poststop('life')).toMatchObject({ status: 0, stderr: '' });
    expect(serverLog()).toContain(`DHCPRELEASE(lan0) ${lease!.ip} `);
    expect(serverLeases(world.lab).map((entry) => entry.ip)).not.toContain(lease!.ip);
    await expectGone(netnsInode);
  });

  it('killed by hand: restarted, same address; the supervisor SIGKILLed: the next one adopts it and releases it', async () => {
    const container = await fake();
    const netnsInode = statSync(`/proc/${container.pid}/ns/net`).ino;
    expect(create('kept', container.pid).status).toBe(0);
    const before = inspect(world, 'kept').NetworkSettings;
    process.kill(Number(before['DHCP_PID']), 'SIGKILL');
    await expect.poll(() => recordOf('kept').client?.pid, { timeout: 10_000 }).not.toBe(Number(before['DHCP_PID']));
    await expect.poll(() => recordOf('kept').lease?.ip, { timeout: 10_000 }).toBe(before['IPAddress']);
    expect(eth0(container.pid)).toEqual([before['IPAddress']]);
    expect(clientsOf(world.stateDir)).toEqual([recordOf('kept').client.pid]);

    const clientPid = recordOf('kept').client.pid;
    process.kill(Number(readFileSync(`${world.stateDir}/supervisor.pid`, 'utf8')), 'SIGKILL');
    expect(ipper(['gc']).status).toBe(0); // a new supervisor adopts what the record names
    expect(ipper(['gc', '--dry-run']).stdout).toBe(''); // nothing unexplained, no duplicate client
    expect(recordOf('kept').client.pid).toBe(clientPid);
    expect(clientsOf(world.stateDir)).toEqual([clientPid]);
    // A renewal reaches the new supervisor.
    const renewedAt = recordOf('kept').lease?.renewedAt;
    await expect.poll(() => recordOf('kept').lease?.renewedAt, { timeout: askToRenew(clientPid, client, { sameProcess: true }) }).not.toBe(renewedAt);
    container.stop();
    expect(poststop('kept')).toMatchObject({ status: 0, stderr: '' });
    expect(serverLog()).toContain(`DHCPRELEASE(lan0) ${before['IPAddress']} `);
    await expectGone(netnsInode);
  });

  it('its container gone without a poststop: garbage collection releases the lease and removes everything', async () => {
    const container = await fake();
    const netnsInode = statSync(`/proc/${container.pid}/ns/net`).ino;
    expect(create('orphan', container.pid).status).toBe(0);
    const ip = recordOf('orphan').lease!.ip;
    container.stop();
    await expectGone(netnsInode);
    expect(serverLog()).toContain(`DHCPRELEASE(lan0) ${ip} `);
  });

  it('a rogue server\'s hostile names, name servers and router are refused, and nothing it sends runs', async () => {
    stopServer(world.lab);
    startServer(world.lab, [
      `--dhcp-option-force=15,x;$(touch ${MARKER})\`touch ${MARKER}\``,
      `--dhcp-option-force=119,evil;$(touch ${MARKER}),a.lan`,
      '--dhcp-option=6,0.0.0.0,255.255.255.255,10.97.86.1,10.97.86.1,192.0.2.53,192.0.2.54,192.0.2.55',
      '--dhcp-option=3,192.0.2.1',
    ]);
    try {
      const container = await fake();
      const netnsInode = statSync(`/proc/${container.pid}/ns/net`).ino;
      expect(create('rogue', container.pid)).toMatchObject({ status: 0, stderr: '' });
      const { lease } = JSON.parse(readFileSync(`${world.stateDir}/containers/rogue.json`, 'utf8')) as { lease: { dns: string[]; router?: string; domain?: string; search?: string[] } };
      expect(lease.dns).toEqual(['10.97.86.1', '192.0.2.53', '192.0.2.54']);
      expect(lease.router).toBeUndefined();
      expect(lease.domain ?? '').toMatch(/^[A-Za-z0-9.-]*$/);
      for (const name of lease.search ?? []) expect(name).toMatch(/^[A-Za-z0-9.-]+$/);
      expect(namespaceView(container.pid).defaultVia).toBeUndefined();
      expect(existsSync(MARKER)).toBe(false);
      container.stop();
      expect(poststop('rogue').status).toBe(0);
      await expectGone(netnsInode);
    } finally {
      stopServer(world.lab);
      startServer(world.lab, SHORT_RENEWAL);
    }
  });

  it('no supervisor answering at poststop: the hook releases and removes everything itself, from the record', async () => {
    const container = await fake();
    const netnsInode = statSync(`/proc/${container.pid}/ns/net`).ino;
    expect(create('direct', container.pid).status).toBe(0);
    const ip = recordOf('direct').lease!.ip;
    const supervisor = Number(readFileSync(`${world.stateDir}/supervisor.pid`, 'utf8'));
    process.kill(supervisor, 'SIGSTOP'); // its socket takes the request and never answers
    try {
      container.stop();
      expect(poststop('direct')).toMatchObject({ status: 0, stderr: '' });
      expect(serverLog()).toContain(`DHCPRELEASE(lan0) ${ip} `);
      await expectGone(netnsInode);
    } finally {
      process.kill(supervisor, 'SIGCONT');
      await world.stopSupervisor();
    }
  });

  it('not installed: the hook fails with one line naming the Debian package, and nothing is made', async () => {
    await world.stopSupervisor();
    // A host without the client: its program replaced, in a mount namespace of the hook's (and so
    // of the supervisor it starts), by a file that cannot run.
    const notProgram = `${world.dir}/not-installed`;
    writeFileSync(notProgram, '', { mode: 0o644 });
    const container = await fake();
    const driver = driverFor(client);
    const result = spawnSync(
      `${world.dir}/lib/ipper-helper`,
      ['--bind', notProgram, toolPath(driver.program), '--', '/usr/bin/nsenter', `--net=/run/netns/${world.lab.hostNs}`, '--', IPPER, 'hook', 'createRuntime'],
      { input: ociState({ id: 'missing', pid: container.pid }), encoding: 'utf8', env: { IPPER_CONFIG: world.configPath } },
    );
    await world.stopSupervisor(); // the one that saw no client
    expect(result.status).toBe(69);
    expect(result.stderr).toBe(`ipper: DHCP client "${client}" (config dhcpClient) is not installed: install the Debian package ${driver.debianPackage} [TOOL_MISSING]\n`);
    expect(Object.keys(namespaceView(container.pid).macs)).toEqual(['lo']);
    expect(linkNames(world.lab.hostNs)).toEqual(baselineLinks);
    expect(filesIn(`${world.stateDir}/containers`)).toEqual([]);
    expect(filesIn(`${world.stateDir}/clients`)).toEqual([]);
    expect(isPidAlive(container.pid)).toBe(true);
  });
});

describe('a config whose client changes while containers run', () => {
  let world: TestWorld;
  const fakes: FakeContainer[] = [];

  beforeAll(() => {
    world = createWorld('ipclmix', '10.97.87', { dhcpClient: 'dhclient', gcIntervalMs: GC_MS });
  });

  afterAll(async () => {
    for (const container of fakes.splice(0)) container.stop();
    await world?.destroy();
  });

  it('adopts each container with the client it was started with, and releases each the way that client must', async () => {
    const start = async (id: string): Promise<FakeContainer> => {
      const container = new FakeContainer(world.lab);
      fakes.push(container);
      await container.ready();
      expect(runHook(world.lab, world.configPath, 'createRuntime', ociState({ id, pid: container.pid }))).toMatchObject({ status: 0, stderr: '' });
      return container;
    };
    const record = (id: string) => JSON.parse(readFileSync(`${world.stateDir}/containers/${id}.json`, 'utf8')) as { dhcpClient: string; lease: { ip: string } };
    const first = await start('before');
    await world.stopSupervisor();
    world.writeConfig({ dhcpClient: 'dhcpcd', gcIntervalMs: GC_MS });
    const second = await start('after'); // a new supervisor, under the new config, adopts "before"
    expect([record('before').dhcpClient, record('after').dhcpClient]).toEqual(['dhclient', 'dhcpcd']);
    const ips = [record('before').lease.ip, record('after').lease.ip];
    for (const [id, container] of [['before', first], ['after', second]] as const) {
      container.stop();
      // dhclient's release is `dhclient -r`: a SIGTERM (the config's dhcpcd would use SIGALRM) would release nothing.
      expect(runHook(world.lab, world.configPath, 'poststop', JSON.stringify({ ociVersion: '1.0.2', id, status: 'stopped' }))).toMatchObject({ status: 0, stderr: '' });
    }
    for (const ip of ips) expect(readFileSync(world.lab.serverLog, 'utf8')).toContain(`DHCPRELEASE(lan0) ${ip} `);
    expect(clientsOf(world.stateDir, { all: true })).toEqual([]);
    expect(filesIn(`${world.stateDir}/containers`)).toEqual([]);
  });
});
