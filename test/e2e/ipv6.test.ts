// Dual stack against the real lab: runc, the built binary as its hook, dnsmasq sending router
// advertisements (SLAAC) in one world and none in the other; resolv.conf; macFrom identity.
import { randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inNs, serverLeases, startServer, stopServer } from '../lab/lab.js';
import { TEST_DHCP_CLIENT, askToRenew, type TestWorld } from '../helpers/env.js';
import { driverFor } from '../../src/dhcp/drivers.js';
import { clientsOf, filesIn, namespaceView } from '../helpers/host.js';
import { RuncContainers, peerPings, runcWorld, type Container } from '../helpers/runc-containers.js';

interface Ipv6View {
  addresses: { local: string; prefixlen: number; scope: string; tentative?: boolean; dadfailed?: boolean }[];
  defaultVia: string | undefined;
  disabled: string;
}

/** The container's IPv6 on eth0 as the kernel has it. */
function ipv6View(pid: number): Ipv6View {
  const nsenter = ['--net=/proc/' + pid + '/ns/net', '--'];
  const links = JSON.parse(execFileSync('/usr/bin/nsenter', [...nsenter, '/usr/sbin/ip', '-j', '-6', 'addr', 'show', 'dev', 'eth0'], { encoding: 'utf8' })) as { addr_info: Ipv6View['addresses'] }[];
  const routes = JSON.parse(execFileSync('/usr/bin/nsenter', [...nsenter, '/usr/sbin/ip', '-j', '-6', 'route', 'show', 'default'], { encoding: 'utf8' })) as { gateway?: string }[];
  const disabled = execFileSync('/usr/bin/nsenter', [...nsenter, '/usr/bin/cat', '/proc/sys/net/ipv6/conf/eth0/disable_ipv6'], { encoding: 'utf8' }).trim();
  return { addresses: links.flatMap((link) => link.addr_info), defaultVia: routes[0]?.gateway, disabled };
}

/** The EUI-64 interface identifier of a MAC, as the kernel forms a SLAAC address from it. */
function eui64Address(prefix: string, mac: string): string {
  const octets = mac.split(':').map((octet) => Number.parseInt(octet, 16));
  octets[0] = octets[0]! ^ 0x02;
  const bytes = [...octets.slice(0, 3), 0xff, 0xfe, ...octets.slice(3)];
  const groups = [0, 2, 4, 6].map((i) => ((bytes[i]! << 8) | bytes[i + 1]!).toString(16));
  return `${prefix}${groups.join(':')}`;
}

function serverLinkLocal(world: TestWorld): string {
  const links = JSON.parse(inNs(world.lab.dhcpNs, ['/usr/sbin/ip', '-j', '-6', 'addr', 'show', 'dev', 'lan0'])) as { addr_info: { local: string; scope: string }[] }[];
  return links.flatMap((link) => link.addr_info).find((addr) => addr.scope === 'link')!.local;
}

describe('a LAN with router advertisements (dnsmasq ra-only: SLAAC)', () => {
  let world: TestWorld;
  let containers: RuncContainers;
  let baseline: string[];

  beforeAll(() => {
    ({ world, containers, baseline } = runcWorld('ipv6ra', '10.97.91', {}, { ra: 'ra-only' }));
  });

  afterAll(async () => {
    containers?.removeAll();
    await world?.destroy();
  });

  describe('dual stack (the default, auto)', () => {
    let container: Container;
    let ip: string;
    let ip6: string;

    it('gives an IPv4 lease and a SLAAC address; the process sees the address usable (not tentative) and the IPv6 router at its start', () => {
      container = containers.start({}, ['/bin/sh', '-c', 'ip -6 addr show dev eth0 scope global; ip -6 route show default; exec httpd -f -p 80 -h /www']);
      const v4 = namespaceView(container.pid);
      ip = v4.addresses.find((addr) => addr.ifname === 'eth0')!.local;
      expect(ip.startsWith(`${world.lab.subnet}.`)).toBe(true);
      ip6 = eui64Address(world.lab.ipv6Prefix, v4.macs['eth0']!);
      const seenAtStart = readFileSync(`${container.bundleDir}/runc-create.out`, 'utf8');
      expect(seenAtStart).toContain(`inet6 ${ip6}/64 scope global`);
      expect(seenAtStart).not.toContain('tentative');
      expect(seenAtStart).toContain(`default via ${serverLinkLocal(world)} dev eth0`);
      const view = ipv6View(container.pid);
      expect(view.addresses.filter((addr) => addr.scope === 'global').map((addr) => addr.local)).toEqual([ip6]);
      expect(view.addresses.some((addr) => addr.tentative === true || addr.dadfailed === true)).toBe(false);
    });

    it('the lab\'s host namespace (where runc and ipper run) and this machine\'s own took none of the advertisements', () => {
      expect(inNs(world.lab.hostNs, ['/usr/sbin/ip', '-6', 'route', 'show', 'default']).trim()).toBe('');
      expect(inNs(world.lab.hostNs, ['/usr/sbin/ip', '-6', 'addr', 'show', 'scope', 'global']).trim()).toBe('');
      expect(execFileSync('/usr/sbin/ip', ['-6', 'route', 'show'], { encoding: 'utf8' })).not.toContain(world.lab.ipv6Prefix);
    });

    it('inspect shows Docker\'s IPv6 names beside the IPv4 fields', () => {
      expect(containers.inspect(container.id).NetworkSettings).toMatchObject({
        IPAddress: ip,
        IPPrefixLen: '24',
        Gateway: world.lab.serverAddress,
        GlobalIPv6Address: ip6,
        GlobalIPv6PrefixLen: '64',
        IPv6Gateway: serverLinkLocal(world),
      });
      expect(containers.inspect(container.id).NetworkSettings['GlobalIPv6Addresses']).toBeUndefined();
    });

    it('answers another lab host on both addresses', async () => {
      await expect.poll(() => peerPings(world.lab, ip), { timeout: 10_000 }).toBe(true);
      await expect.poll(() => peerPings(world.lab, ip6), { timeout: 10_000 }).toBe(true);
      const page = (): string => inNs(world.lab.peerNs, ['/bin/busybox', 'wget', '-q', '-O', '-', `http://[${ip6}]/`], { allowFail: true, timeoutMs: 3000 });
      await expect.poll(page, { timeout: 10_000 }).toBe('hello from an ipper container\n');
    });

    it('has the lease\'s name server and domain in its rootfs resolv.conf (inspect says so), and resolves a neighbour by name from inside', () => {
      const resolv = readFileSync(`${containers.rootfs}/etc/resolv.conf`, 'utf8');
      expect(resolv.split('\n')).toEqual(expect.arrayContaining([`nameserver ${world.lab.serverAddress}`, `search ${world.lab.domain}`]));
      expect(containers.inspect(container.id).NetworkSettings).toMatchObject({ ResolvConfNameservers: world.lab.serverAddress, ResolvConfSearch: world.lab.domain });
      const neighbour = containers.start({}, ['/bin/busybox', 'sleep', '600']);
      // The short name: found through the search list and the name server resolv.conf names.
      const answer = containers.runc.exec(neighbour.id, ['/bin/busybox', 'nslookup', container.id.slice(0, 12)], true);
      expect(answer).toContain(ip);
      containers.runc.remove(neighbour.id);
    });

    it('writes resolv.conf again when a renewal brings another search list', async () => {
      stopServer(world.lab);
      startServer(world.lab, [`--dhcp-option=option:domain-search,renewed.test,${world.lab.domain}`]);
      const wait = askToRenew(Number(containers.inspect(container.id).NetworkSettings['DHCP_PID']));
      await expect.poll(() => readFileSync(`${containers.rootfs}/etc/resolv.conf`, 'utf8'), { timeout: wait + 5000 }).toContain(`search renewed.test ${world.lab.domain}\n`);
      expect(containers.inspect(container.id).NetworkSettings).toMatchObject({ ResolvConfNameservers: world.lab.serverAddress, ResolvConfSearch: `renewed.test ${world.lab.domain}` });
    });

    it('leaves nothing behind at runc delete', () => {
      containers.runc.remove(container.id);
      expect(serverLeases(world.lab).some((entry) => entry.ip === ip)).toBe(false);
      containers.expectClean(baseline);
    });
  });

  it('v4-only (ipper.ipv6 off): IPv6 disabled on eth0, no address of any scope, the IPv4 lease as before', () => {
    const container = containers.start({ 'ipper.ipv6': 'off' });
    const view = ipv6View(container.pid);
    expect(view).toMatchObject({ addresses: [], defaultVia: undefined, disabled: '1' });
    expect(namespaceView(container.pid).addresses.some((addr) => addr.ifname === 'eth0')).toBe(true);
    expect(containers.inspect(container.id).NetworkSettings).toMatchObject({ GlobalIPv6Address: '', IPv6Gateway: '' });
    containers.runc.remove(container.id);
    containers.expectClean(baseline);
  });

  it('v6-only (ipper.ipv4 off, ipper.ipv6 slaac): a SLAAC address, no IPv4 and no DHCP client at all; reachable from the peer; nothing left at delete', async () => {
    const leasesBefore = serverLeases(world.lab).length;
    const container = containers.start({ 'ipper.ipv4': 'off', 'ipper.ipv6': 'slaac' });
    const mac = namespaceView(container.pid).macs['eth0']!;
    const ip6 = eui64Address(world.lab.ipv6Prefix, mac);
    expect(namespaceView(container.pid).addresses.filter((addr) => addr.ifname === 'eth0')).toEqual([]);
    expect(ipv6View(container.pid).addresses.filter((addr) => addr.scope === 'global').map((addr) => addr.local)).toEqual([ip6]);
    expect(clientsOf(world.stateDir, { all: true })).toEqual([]);
    expect(serverLeases(world.lab)).toHaveLength(leasesBefore);
    expect(readFileSync(world.lab.serverLog, 'utf8')).not.toMatch(new RegExp(`DHCP[A-Z]+\\(lan0\\).* ${mac}`));
    expect(containers.inspect(container.id).NetworkSettings).toMatchObject({ IPAddress: '', DHCP_PID: '', GlobalIPv6Address: ip6, IPv6Gateway: serverLinkLocal(world) });
    await expect.poll(() => peerPings(world.lab, ip6), { timeout: 10_000 }).toBe(true);
    containers.runc.remove(container.id);
    containers.expectClean(baseline);
  });

  it('a v6-only container is adopted by a new supervisor without a DHCP client being started for it', () => {
    const v6only = containers.start({ 'ipper.ipv4': 'off', 'ipper.ipv6': 'slaac' });
    return (async () => {
      await world.stopSupervisor();
      const v4 = containers.start({ 'ipper.ipv6': 'off' }); // the next hook starts a supervisor, which adopts
      const clients = clientsOf(world.stateDir);
      expect(clients).toHaveLength(1);
      expect(Number(containers.inspect(v4.id).NetworkSettings['DHCP_PID'])).toBe(clients[0]);
      expect(containers.inspect(v6only.id).NetworkSettings).toMatchObject({ DHCP_PID: '', IPAddress: '', GlobalIPv6Address: expect.stringMatching(/^fd97:/) });
      containers.runc.remove(v6only.id);
      containers.runc.remove(v4.id);
      containers.expectClean(baseline);
    })();
  });

  it('dhcpv6 with a client that does no DHCPv6 (udhcpc) fails the hook naming the one that does; nothing made', () => {
    world.writeConfig({ dhcpClient: 'udhcpc' });
    try {
      expect(containers.failToCreate({ 'ipper.ipv6': 'dhcpv6' })).toMatch(/ipv6 .*dhcpv6.* needs a DHCP client that does DHCPv6: set dhcpClient to .*dhcpcd.* \[NOT_SUPPORTED\]/);
      expect(containers.failToCreate({ 'ipper.ipv6': 'stateful' })).toMatch(/annotation ipper\.ipv6: .*stateful.* is not one of off, slaac, dhcpv6, auto/);
    } finally {
      world.writeConfig();
    }
    containers.expectClean(baseline);
  });

  describe('macFrom identity', () => {
    beforeAll(() => world.writeConfig({ macFrom: 'identity' }));
    afterAll(() => world.writeConfig());

    it('gives the same MAC (and so the same SLAAC address) to the same id run again, and a scheme MAC', () => {
      const id = `ident-${randomBytes(4).toString('hex')}`;
      const first = containers.start({}, undefined, id);
      const mac = namespaceView(first.pid).macs['eth0']!;
      const ip6 = containers.inspect(id).NetworkSettings['GlobalIPv6Address'];
      containers.runc.remove(id);
      const again = containers.start({}, undefined, id);
      expect(namespaceView(again.pid).macs['eth0']).toBe(mac);
      expect(containers.inspect(id).NetworkSettings['GlobalIPv6Address']).toBe(ip6);
      expect(mac.split(':').slice(1, 4).map((octet) => Number.parseInt(octet, 16))).toEqual(world.lab.hostAddress.split('.').slice(1).map(Number));
      expect(Number.parseInt(mac.slice(0, 2), 16) & 0b11).toBe(0b10);
      const other = containers.start({});
      expect(namespaceView(other.pid).macs['eth0']).not.toBe(mac);
      containers.runc.remove(other.id);
      containers.runc.remove(id);
      containers.expectClean(baseline);
    });

    it('announces a bound container\'s addresses: a peer that cached another MAC for them learns its own at once', async () => {
      const id = `announce-${randomBytes(4).toString('hex')}`;
      const first = containers.start({}, undefined, id);
      const mac = namespaceView(first.pid).macs['eth0']!;
      const ip6 = String(containers.inspect(id).NetworkSettings['GlobalIPv6Address']);
      containers.runc.remove(id);
      // The peer believes every address the container could get belongs to a machine that left.
      const stale = '02:00:00:00:00:01';
      const [low, high] = world.lab.range;
      const lines = [ip6, ...Array.from({ length: high - low + 1 }, (_, i) => `${world.lab.subnet}.${low + i}`)].map((address) => `neigh replace ${address} lladdr ${stale} dev lan0 nud stale`);
      inNs(world.lab.peerNs, ['/usr/sbin/ip', '-batch', '-'], { input: `${lines.join('\n')}\n` });
      // Only an announcement (its target is its own address) may teach the peer: any other ARP
      // or neighbour solicitation (the container asking for its router, say) would update the
      // peer's entries too, and prove nothing.
      inNs(world.lab.peerNs, ['/usr/sbin/nft', '-f', '-'], {
        input: [
          'table arp announce_only {', '  chain input {', '    type filter hook input priority 0;', `    arp daddr ip != ${world.lab.subnet}.${low}-${world.lab.subnet}.${high} drop`, '  }', '}',
          'table ip6 announce_only {', '  chain input {', '    type filter hook input priority 0;', '    icmpv6 type nd-neighbor-solicit drop', '  }', '}', '',
        ].join('\n'),
      });
      const again = containers.start({}, undefined, id);
      expect(namespaceView(again.pid).macs['eth0']).toBe(mac);
      const ip4 = String(containers.inspect(id).NetworkSettings['IPAddress']);
      // Read only: the peer sends nothing to the container that would make it ask.
      const peerMacOf = (address: string): string | undefined =>
        (JSON.parse(inNs(world.lab.peerNs, ['/usr/sbin/ip', '-j', 'neigh', 'show', address, 'dev', 'lan0'])) as { lladdr?: string }[])[0]?.lladdr;
      await expect.poll(() => peerMacOf(ip4), { timeout: 5000 }).toBe(mac);
      await expect.poll(() => peerMacOf(ip6), { timeout: 5000 }).toBe(mac);
      inNs(world.lab.peerNs, ['/usr/sbin/nft', 'delete table arp announce_only; delete table ip6 announce_only']);
      containers.runc.remove(id);
      containers.expectClean(baseline);
    });

    it('still refuses a derived MAC that a live container holds (two containers named alike)', () => {
      const twin = containers.start({ 'ipper.hostname': 'twin' });
      expect(containers.failToCreate({ 'ipper.hostname': 'twin' })).toMatch(/MAC [0-9a-f:]{17} \(derived from .*twin.*\) is already used .*\[MAC_IN_USE\]/);
      containers.runc.remove(twin.id);
      containers.expectClean(baseline);
    });
  });
});

// The other flag combinations dnsmasq sends: what a SLAAC container makes of each.
describe.each([
  ['slaac', 'A and M flags', true],
  ['ra-stateless', 'A and O flags', true],
  ['stateful', 'the M flag alone (no SLAAC prefix)', false],
] as const)('router advertisements in dnsmasq mode %s (%s)', (mode, _flags, slaacAddress) => {
  let world: TestWorld;
  let containers: RuncContainers;
  let baseline: string[];

  beforeAll(() => {
    ({ world, containers, baseline } = runcWorld(`ipv6${mode.slice(0, 4)}`, '10.97.94', { ipv6WaitMs: 3000 }, { ra: mode }));
  });

  afterAll(async () => {
    containers?.removeAll();
    await world?.destroy();
  });

  it(slaacAddress ? 'auto: a SLAAC address and the router' : 'auto: the router, no global address, and the container starts', () => {
    const container = containers.start();
    const mac = namespaceView(container.pid).macs['eth0']!;
    // SLAAC's /64s (a client that does DHCPv6, dhcpcd, adds a /128 where the M flag is set: dualstack-dhcpv6.test.ts).
    const globals = ipv6View(container.pid).addresses.filter((addr) => addr.scope === 'global' && addr.prefixlen === 64).map((addr) => addr.local);
    expect(globals).toEqual(slaacAddress ? [eui64Address(world.lab.ipv6Prefix, mac)] : []);
    expect(containers.inspect(container.id).NetworkSettings).toMatchObject({ IPv6Gateway: serverLinkLocal(world), GlobalIPv6Address: driverFor(TEST_DHCP_CLIENT).dhcpv6 && mode !== 'ra-stateless' ? expect.any(String) : globals[0] ?? '' });
    containers.runc.remove(container.id);
    containers.expectClean(baseline);
  });

  it(slaacAddress ? 'slaac: starts with the address' : 'slaac: fails, saying the router offers no SLAAC prefix', () => {
    if (slaacAddress) {
      const container = containers.start({ 'ipper.ipv6': 'slaac' });
      expect(ipv6View(container.pid).addresses.some((addr) => addr.scope === 'global')).toBe(true);
      containers.runc.remove(container.id);
    } else {
      expect(containers.failToCreate({ 'ipper.ipv6': 'slaac' })).toMatch(/no SLAAC address within 3000 ms: a router advertises itself but no prefix for SLAAC .*\[LEASE_TIMEOUT\]/);
    }
    containers.expectClean(baseline);
  });
});

describe('a LAN without router advertisements', () => {
  let world: TestWorld;
  let containers: RuncContainers;
  let baseline: string[];

  beforeAll(() => {
    ({ world, containers, baseline } = runcWorld('ipv6none', '10.97.92', { ipv6WaitMs: 1000 }));
  });

  afterAll(async () => {
    containers?.removeAll();
    await world?.destroy();
  });

  it('auto: the container starts with its IPv4 lease and no global IPv6, the hook held up by ipv6WaitMs at most', () => {
    world.writeConfig({ ipv6WaitMs: 1000, leaseTimeoutMs: 60_000 });
    const began = performance.now();
    const container = containers.start();
    // Bounded far below the lease timeout: the create never waits for an IPv6 that does not come.
    expect(performance.now() - began).toBeLessThan(20_000);
    expect(namespaceView(container.pid).addresses.some((addr) => addr.ifname === 'eth0')).toBe(true);
    expect(ipv6View(container.pid).addresses.filter((addr) => addr.scope === 'global')).toEqual([]);
    expect(containers.inspect(container.id).NetworkSettings).toMatchObject({ GlobalIPv6Address: '', IPv6Gateway: '' });
    containers.runc.remove(container.id);
    containers.expectClean(baseline);
  });

  it('slaac, asked for explicitly: the hook fails naming the reason, and nothing is left (the IPv4 lease released)', () => {
    world.writeConfig({ ipv6WaitMs: 1000 });
    const message = containers.failToCreate({ 'ipper.ipv6': 'slaac' });
    expect(message).toMatch(/no SLAAC address within 1000 ms: no router advertisement came .*\[LEASE_TIMEOUT\]/);
    expect(serverLeases(world.lab)).toEqual([]);
    containers.expectClean(baseline);
  });

  it('slaac with onLeaseTimeout continue: the container starts without one', () => {
    world.writeConfig({ ipv6WaitMs: 500, onLeaseTimeout: 'continue' });
    const container = containers.start({ 'ipper.ipv6': 'slaac' });
    expect(namespaceView(container.pid).addresses.some((addr) => addr.ifname === 'eth0')).toBe(true);
    containers.runc.remove(container.id);
    containers.expectClean(baseline);
    world.writeConfig({ ipv6WaitMs: 1000 });
  });
});

describe('resolv.conf in a hostile image', () => {
  let world: TestWorld;
  let containers: RuncContainers;
  const hostFiles = ['/etc/hostname', '/etc/shadow', '/etc/resolv.conf'];
  let before: Buffer[];

  beforeAll(() => {
    ({ world, containers } = runcWorld('ipv6res', '10.97.93', { ipv6: 'off' }));
    before = hostFiles.map((path) => readFileSync(path));
  });

  afterAll(async () => {
    containers?.removeAll();
    await world?.destroy();
  });

  /** A copy of the busybox rootfs whose /etc is made by `plant`. */
  function hostileRootfs(name: string, plant: (rootfs: string) => void): string {
    const rootfs = `${world.dir}/${name}`;
    mkdirSync(rootfs, { recursive: true });
    cpSync(containers.rootfs, rootfs, { recursive: true, verbatimSymlinks: true });
    rmSync(`${rootfs}/etc`, { recursive: true, force: true });
    plant(rootfs);
    return rootfs;
  }

  // The image's links aim at canaries outside its root (host files of this test's own), never at
  // this machine's /etc: a regression overwrites a canary and fails, and breaks nothing. The
  // netns tier aims at /etc/shadow itself, with decoys mounted over it (resolv-write.test.ts).
  it.each([
    ['/etc/resolv.conf -> a host file by its absolute path', (rootfs: string, outside: string) => { mkdirSync(`${rootfs}/etc`); symlinkSync(`${outside}/canary`, `${rootfs}/etc/resolv.conf`); }, undefined],
    ['/etc/resolv.conf -> ../../canary (beside the root on the host; ".." stops at the root)', (rootfs: string) => { mkdirSync(`${rootfs}/etc`); symlinkSync('../../canary', `${rootfs}/etc/resolv.conf`); }, 'canary'],
    ['/etc -> a host directory by its absolute path', (rootfs: string, outside: string) => symlinkSync(outside, `${rootfs}/etc`), undefined],
    ['/etc -> ../outside (a host directory beside the root)', (rootfs: string) => symlinkSync('../outside', `${rootfs}/etc`), undefined],
  ])('%s: the container starts, ipper writes inside its root or nowhere, the host files are untouched', (_name, plant, writtenInside) => {
    const name = `case-${randomBytes(3).toString('hex')}`;
    const outside = `${world.dir}/${name}/outside`;
    mkdirSync(outside, { recursive: true });
    writeFileSync(`${outside}/canary`, 'host canary\n');
    writeFileSync(`${outside}/resolv.conf`, 'host canary\n');
    writeFileSync(`${world.dir}/${name}/canary`, 'host canary\n');
    const rootfs = hostileRootfs(`${name}/rootfs`, (root) => plant(root, outside));
    const container = containers.start({}, ['/bin/busybox', 'sleep', '600'], undefined, rootfs);
    const settings = containers.inspect(container.id).NetworkSettings;
    if (writtenInside !== undefined) {
      expect(readFileSync(`${rootfs}/${writtenInside}`, 'utf8')).toContain(`nameserver ${world.lab.serverAddress}`);
      expect(settings['ResolvConfNameservers']).toBe(world.lab.serverAddress);
    } else {
      expect(settings).toMatchObject({ ResolvConfNameservers: '', ResolvConfError: expect.stringMatching(/resolv\.conf not written/) });
    }
    for (const canary of [`${outside}/canary`, `${outside}/resolv.conf`, `${world.dir}/${name}/canary`]) expect(readFileSync(canary, 'utf8')).toBe('host canary\n');
    expect(hostFiles.map((path) => readFileSync(path))).toEqual(before);
    containers.runc.remove(container.id);
    expect(existsSync(`${world.stateDir}/containers`) ? filesIn(`${world.stateDir}/containers`) : []).toEqual([]);
  });

  it('resolvConf keep leaves the file alone', () => {
    world.writeConfig({ ipv6: 'off', resolvConf: 'keep' });
    const rootfs = hostileRootfs('rootfs-keep', (root) => { mkdirSync(`${root}/etc`); copyFileSync('/dev/null', `${root}/etc/resolv.conf`); writeFileSync(`${root}/etc/resolv.conf`, 'nameserver 192.0.2.53\n'); });
    const container = containers.start({}, ['/bin/busybox', 'sleep', '600'], undefined, rootfs);
    expect(readFileSync(`${rootfs}/etc/resolv.conf`, 'utf8')).toBe('nameserver 192.0.2.53\n');
    expect(containers.inspect(container.id).NetworkSettings['ResolvConfNameservers']).toBe('');
    containers.runc.remove(container.id);
    world.writeConfig({ ipv6: 'off' });
  });
});
