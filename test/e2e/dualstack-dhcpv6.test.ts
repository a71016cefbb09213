// DHCPv6 and the same addresses after a restart, against the real lab: runc with the built binary
// as its hook, dnsmasq serving DHCPv4, DHCPv6 and router advertisements, dhcpcd (the client that
// does DHCPv6) in each container's namespace; udhcpc for the IPv4 client id.
import { randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inNs, serverLeases, type Lab } from '../lab/lab.js';
import type { TestWorld } from '../helpers/env.js';
import { IPPER, filesIn, namespaceView } from '../helpers/host.js';
import { RuncContainers, peerPings, runcWorld, type Container } from '../helpers/runc-containers.js';

/** The container's global IPv6 addresses on eth0 as the kernel has them (address/prefix). */
function globalIpv6(pid: number): string[] {
  const links = JSON.parse(execFileSync('/usr/bin/nsenter', [`--net=/proc/${pid}/ns/net`, '--', '/usr/sbin/ip', '-j', '-6', 'addr', 'show', 'dev', 'eth0', 'scope', 'global'], { encoding: 'utf8' })) as { addr_info: { local: string; prefixlen: number; tentative?: boolean }[] }[];
  return links.flatMap((link) => link.addr_info).filter((addr) => addr.local !== undefined && addr.tentative !== true).map((addr) => `${addr.local}/${addr.prefixlen}`);
}

function ipv4Of(pid: number): string | undefined {
  return namespaceView(pid).addresses.find((addr) => addr.ifname === 'eth0')?.local;
}

/** The lab's DNS answer for a name and type, from the peer. */
function resolve(lab: Lab, name: string, type: 'A' | 'AAAA'): string {
  return inNs(lab.peerNs, ['/bin/busybox', 'nslookup', `-type=${type}`, name, lab.serverAddress], { allowFail: true, timeoutMs: 5000 });
}

/** The server's DHCPv6 leases (dnsmasq writes them after its "duid" line: expiry, IAID, address, name, DUID). */
function serverLeases6(lab: Lab): { expires: number; ip: string; hostname: string }[] {
  return serverLeases(lab).filter((lease) => lease.ip.includes(':'));
}

function makeWorld(name: string, subnet: string, config: Record<string, unknown>, ra: 'slaac' | 'stateful' | 'ra-stateless' | undefined): { world: TestWorld; containers: RuncContainers; baseline: string[] } {
  return runcWorld(name, subnet, { dhcpClient: 'dhcpcd', ipv6WaitMs: 5000, ...config }, { ra });
}

describe('a LAN with SLAAC and stateful DHCPv6 (router advertisements with the A and M flags), dhcpcd', () => {
  let world: TestWorld;
  let containers: RuncContainers;
  let baseline: string[];

  beforeAll(() => {
    ({ world, containers, baseline } = makeWorld('dhcp6', '10.97.95', {}, 'slaac'));
  });

  afterAll(async () => {
    containers?.removeAll();
    await world?.destroy();
  });

  describe('dual stack (auto)', () => {
    let container: Container;
    let ip: string;
    let ip6: string;

    it('gets an IPv4 lease, a SLAAC address and a DHCPv6 address, all there when the process starts', async () => {
      container = containers.start({}, ['/bin/sh', '-c', 'ip -6 addr show dev eth0 scope global; exec httpd -f -p 80 -h /www']);
      ip = ipv4Of(container.pid)!;
      expect(ip.startsWith(`${world.lab.subnet}.`)).toBe(true);
      const globals = globalIpv6(container.pid);
      const leased = globals.filter((address) => address.endsWith('/128'));
      expect(leased).toHaveLength(1);
      ip6 = leased[0]!.replace('/128', '');
      expect(ip6.startsWith(world.lab.ipv6Prefix)).toBe(true);
      expect(globals.filter((address) => address.endsWith('/64'))).toHaveLength(1); // SLAAC beside it
      // What the process printed at its start (it may not have printed yet when runc start returns).
      await expect.poll(() => readFileSync(`${container.bundleDir}/runc-create.out`, 'utf8'), { timeout: 5000 }).toContain(`inet6 ${ip6}/128 scope global`);
      expect(serverLeases6(world.lab).map((lease) => lease.ip)).toContain(ip6);
    });

    it('inspect lists every global IPv6 address', () => {
      const addresses = containers.inspect(container.id).NetworkSettings['GlobalIPv6Addresses'] as string[];
      expect(addresses).toEqual(expect.arrayContaining([`${ip6}/128`]));
      expect(addresses).toHaveLength(2);
    });

    it('answers another lab host on its IPv4 and its DHCPv6 address', async () => {
      await expect.poll(() => peerPings(world.lab, ip), { timeout: 10_000 }).toBe(true);
      await expect.poll(() => peerPings(world.lab, ip6), { timeout: 10_000 }).toBe(true);
    });

    it('is registered in the lab\'s DNS by name: the A and the AAAA record of <hostname>.<domain> (options 81 and 39)', () => {
      const name = `${container.id.slice(0, 12)}.${world.lab.domain}`;
      expect(resolve(world.lab, name, 'A')).toContain(ip);
      expect(resolve(world.lab, name, 'AAAA')).toContain(ip6);
    });

    it('renews the DHCPv6 lease on the server\'s short lifetimes (2 minutes: T1 at one)', async () => {
      const expiry = (): number => serverLeases6(world.lab).find((lease) => lease.ip === ip6)?.expires ?? 0;
      const before = expiry();
      await expect.poll(expiry, { timeout: 100_000, interval: 1000 }).toBeGreaterThan(before);
      await expect.poll(() => containers.record(container.id).dhcpv6?.renewedAt, { timeout: 10_000 }).toBeDefined();
      expect(globalIpv6(container.pid)).toContain(`${ip6}/128`);
    }, 120_000);

    it('keeps the lease across a supervisor restart and releases both at runc delete (the server\'s log shows the DHCPv6 release)', async () => {
      await world.stopSupervisor();
      const other = containers.start({ 'ipper.ipv6': 'off' }); // its hook starts a supervisor, which adopts
      const record = containers.record(container.id);
      expect(record.dhcpv6?.addresses.map((entry) => entry.address)).toEqual([ip6]);
      containers.runc.remove(container.id);
      containers.runc.remove(other.id);
      // dnsmasq logs a DHCPv6 release by the client's DUID.
      expect(readFileSync(world.lab.serverLog, 'utf8')).toContain(`DHCPRELEASE(lan0) ${record.clientIdentity!.duid} `);
      expect(serverLeases6(world.lab).map((lease) => lease.ip)).not.toContain(ip6);
      expect(serverLeases(world.lab).map((lease) => lease.ip)).not.toContain(ip);
      containers.expectClean(baseline);
    });
  });

  it('the same id, deleted and run again, comes back at the same IPv4 and DHCPv6 addresses (a new random MAC)', () => {
    const id = `again-${randomBytes(4).toString('hex')}`;
    const first = containers.start({}, undefined, id);
    const before = { mac: namespaceView(first.pid).macs['eth0'], ip: ipv4Of(first.pid), ip6: globalIpv6(first.pid).filter((address) => address.endsWith('/128')) };
    containers.runc.remove(id);
    expect(serverLeases(world.lab).map((lease) => lease.ip)).not.toContain(before.ip); // released: the server remembers nothing
    const again = containers.start({}, undefined, id);
    expect(namespaceView(again.pid).macs['eth0']).not.toBe(before.mac);
    expect({ ip: ipv4Of(again.pid), ip6: globalIpv6(again.pid).filter((address) => address.endsWith('/128')) }).toEqual({ ip: before.ip, ip6: before.ip6 });
    expect(before.ip6).toHaveLength(1);
    containers.runc.remove(id);
    containers.expectClean(baseline);
  });

  it('DHCPv6 only (ipper.ipv4 off, ipper.ipv6 dhcpv6): one DHCPv6 address, no SLAAC, no IPv4; reachable from the peer; released at delete', async () => {
    const container = containers.start({ 'ipper.ipv4': 'off', 'ipper.ipv6': 'dhcpv6' });
    expect(ipv4Of(container.pid)).toBeUndefined();
    const globals = globalIpv6(container.pid);
    expect(globals).toHaveLength(1);
    expect(globals[0]).toMatch(/\/128$/);
    const ip6 = globals[0]!.replace('/128', '');
    expect(containers.inspect(container.id).NetworkSettings).toMatchObject({ IPAddress: '', GlobalIPv6Address: ip6, GlobalIPv6PrefixLen: '128' });
    // ipper status: its DHCPv6 lease, bound, under its own timers.
    const status = JSON.parse(execFileSync(IPPER, ['status', '--json'], { encoding: 'utf8', env: { IPPER_CONFIG: world.configPath } })) as { containers: { id: string; addresses: string[]; state: string; leaseSeconds: number }[] };
    expect(status.containers.find((row) => row.id === container.id)).toMatchObject({ addresses: [`${ip6}/128`], state: 'bound', leaseSeconds: 120 });
    // Its name server from DHCPv6, in its resolv.conf before its process started.
    expect(readFileSync(`${containers.rootfs}/etc/resolv.conf`, 'utf8')).toContain(`nameserver ${world.lab.serverAddress6}\n`);
    await expect.poll(() => peerPings(world.lab, ip6), { timeout: 10_000 }).toBe(true);
    containers.runc.remove(container.id);
    expect(serverLeases6(world.lab).map((lease) => lease.ip)).not.toContain(ip6);
    containers.expectClean(baseline);
  });

  it('a DHCPv6-only container whose process dies without a poststop: garbage collection releases the lease with its client', async () => {
    const container = containers.start({ 'ipper.ipv4': 'off', 'ipper.ipv6': 'dhcpv6' });
    const { duid } = containers.record(container.id).clientIdentity!;
    const ip6 = globalIpv6(container.pid)[0]!.replace('/128', '');
    process.kill(container.pid, 'SIGKILL'); // the container's init: runc runs no poststop for this
    await expect.poll(() => containers.runc.state(container.id)?.status, { timeout: 10_000 }).toBe('stopped');
    expect(execFileSync(IPPER, ['gc'], { encoding: 'utf8', env: { IPPER_CONFIG: world.configPath } })).toBeDefined();
    await expect.poll(() => filesIn(`${world.stateDir}/containers`), { timeout: 10_000 }).toEqual([]);
    expect(readFileSync(world.lab.serverLog, 'utf8')).toContain(`DHCPRELEASE(lan0) ${duid} `);
    expect(serverLeases6(world.lab).map((lease) => lease.ip)).not.toContain(ip6);
    containers.runc.remove(container.id);
    containers.expectClean(baseline);
  });

  it('ipper.clientId: two containers of different ids with the same value get the same address, one after the other', () => {
    const value = `web-${randomBytes(3).toString('hex')}`;
    const first = containers.start({ 'ipper.clientId': value, 'ipper.ipv6': 'off' });
    const ip = ipv4Of(first.pid);
    containers.runc.remove(first.id);
    const second = containers.start({ 'ipper.clientId': value, 'ipper.ipv6': 'off' });
    expect(ipv4Of(second.pid)).toBe(ip);
    containers.runc.remove(second.id);
    expect(containers.failToCreate({ 'ipper.clientId': 'two words' })).toMatch(/annotation ipper\.clientId: must be printable ASCII without spaces or quotes/);
    containers.expectClean(baseline);
  });

  describe.each(['udhcpc', 'dhclient'] as const)('with %s (no DHCPv6)', (client) => {
    beforeAll(() => world.writeConfig({ dhcpClient: client }));
    afterAll(() => world.writeConfig());

    it('the same id, deleted and run again, comes back at the same IPv4 address (client id, option 61)', () => {
      const id = `${client}-${randomBytes(4).toString('hex')}`;
      const first = containers.start({}, undefined, id);
      const ip = ipv4Of(first.pid);
      containers.runc.remove(id);
      expect(serverLeases(world.lab).map((lease) => lease.ip)).not.toContain(ip); // released: the server forgot it
      const again = containers.start({}, undefined, id);
      expect(ipv4Of(again.pid)).toBe(ip);
      containers.runc.remove(id);
      containers.expectClean(baseline);
    });

    it('ipv6 dhcpv6 fails the hook naming the client that does DHCPv6, and leaves nothing', () => {
      expect(containers.failToCreate({ 'ipper.ipv6': 'dhcpv6' })).toMatch(new RegExp(`ipv6 .*dhcpv6.* needs a DHCP client that does DHCPv6: set dhcpClient to .*dhcpcd.* \\(it is .*${client}.*\\) \\[NOT_SUPPORTED\\]`));
      containers.expectClean(baseline);
    });
  });
});

describe('a LAN with stateful DHCPv6 only (the M flag, no SLAAC prefix), dhcpcd', () => {
  let world: TestWorld;
  let containers: RuncContainers;
  let baseline: string[];

  beforeAll(() => {
    ({ world, containers, baseline } = makeWorld('dhcp6m', '10.97.96', {}, 'stateful'));
  });

  afterAll(async () => {
    containers?.removeAll();
    await world?.destroy();
  });

  it('auto follows the M flag: a DHCPv6 address and no SLAAC one', () => {
    const container = containers.start();
    const globals = globalIpv6(container.pid);
    expect(globals).toHaveLength(1);
    expect(globals[0]).toMatch(new RegExp(`^${world.lab.ipv6Prefix}1[0-9a-f]{2}/128$`));
    containers.runc.remove(container.id);
    containers.expectClean(baseline);
  });
});

describe('a LAN with SLAAC and stateless DHCPv6 (the A and O flags), dhcpcd', () => {
  let world: TestWorld;
  let containers: RuncContainers;
  let baseline: string[];

  beforeAll(() => {
    ({ world, containers, baseline } = makeWorld('dhcp6o', '10.97.98', {}, 'ra-stateless'));
  });

  afterAll(async () => {
    containers?.removeAll();
    await world?.destroy();
  });

  it('auto follows the O flag: a SLAAC address, no DHCPv6 address, and the DHCPv6 name server in the record and in resolv.conf', async () => {
    const container = containers.start();
    const globals = globalIpv6(container.pid);
    expect(globals).toHaveLength(1);
    expect(globals[0]).toMatch(/\/64$/);
    await expect.poll(() => containers.record(container.id).dhcpv6?.dns, { timeout: 10_000 }).toEqual([world.lab.serverAddress6]);
    expect(containers.record(container.id).dhcpv6?.addresses).toEqual([]);
    // Stateless DHCPv6's name server after the IPv4 lease's.
    await expect.poll(() => readFileSync(`${containers.rootfs}/etc/resolv.conf`, 'utf8'), { timeout: 10_000 }).toContain(`nameserver ${world.lab.serverAddress}\nnameserver ${world.lab.serverAddress6}\n`);
    containers.runc.remove(container.id);
    containers.expectClean(baseline);
  });
});

describe('a LAN without router advertisements or DHCPv6, dhcpcd', () => {
  let world: TestWorld;
  let containers: RuncContainers;
  let baseline: string[];

  beforeAll(() => {
    ({ world, containers, baseline } = makeWorld('dhcp6no', '10.97.97', { ipv6WaitMs: 1000 }, undefined));
  });

  afterAll(async () => {
    containers?.removeAll();
    await world?.destroy();
  });

  it('auto: the hook returns with the IPv4 lease and no global IPv6 address', () => {
    const container = containers.start();
    expect(ipv4Of(container.pid)?.startsWith(`${world.lab.subnet}.`)).toBe(true);
    expect(globalIpv6(container.pid)).toEqual([]);
    expect(containers.inspect(container.id).NetworkSettings).toMatchObject({ GlobalIPv6Address: '' });
    containers.runc.remove(container.id);
    containers.expectClean(baseline);
  });

  it('dhcpv6, asked for explicitly: the hook fails naming the reason, and nothing is left (the IPv4 lease released)', () => {
    expect(containers.failToCreate({ 'ipper.ipv6': 'dhcpv6' })).toMatch(/no DHCPv6 address within 1000 ms: no DHCPv6 server answered, and no router advertisement came .*\[LEASE_TIMEOUT\]/);
    expect(serverLeases(world.lab)).toEqual([]);
    containers.expectClean(baseline);
  });
});
