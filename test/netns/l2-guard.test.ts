// The L2 guard, against a hostile container: from inside its namespace it sends, as raw frames,
// each thing a container must not say on the shared bridge. The lab's peer counts what reaches it
// (an nftables counter on its port) and the server and the peer show the effect (a lease, a
// neighbour entry, a route). With bridgeFilter off every frame arrives, so each test can fail.
// A harmless marker frame sent after the forbidden one tells when to look.
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { inNs, serverLeases, startServer, stopServer } from '../lab/lab.js';
import { arpRequest, dhcpRequest, dhcpv6Advertise, ETHERTYPE, linkLocal, marker, redirect, routerAdvertisement, vlanTagged } from '../lab/frames.js';
import { askToRenew, createWorld, type TestWorld } from '../helpers/env.js';
import { FakeContainer, ociState, runHook } from '../helpers/hook.js';
import { namespaceView, ROOT } from '../helpers/host.js';
import { instanceId } from '../../src/net/names.js';

const NFT = '/usr/sbin/nft';
const IP = '/usr/sbin/ip';
const MARK = 0x4d41524b;

let world: TestWorld;
const fakes: FakeContainer[] = [];

interface Port {
  id: string;
  container: FakeContainer;
  mac: string;
  ip: string;
}

async function attached(id: string, configPath = world.configPath): Promise<Port> {
  const container = new FakeContainer(world.lab);
  fakes.push(container);
  await container.ready();
  expect(runHook(world.lab, configPath, 'createRuntime', ociState({ id, pid: container.pid }))).toMatchObject({ status: 0, stderr: '' });
  const view = namespaceView(container.pid);
  return { id, container, mac: view.macs['eth0']!, ip: view.addresses[0]!.local };
}

function detach(port: Port, configPath = world.configPath): void {
  port.container.stop();
  runHook(world.lab, configPath, 'poststop', JSON.stringify({ ociVersion: '1.0.2', id: port.id, status: 'stopped' }));
}

function inContainer(port: Port, argv: string[]): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync('/usr/bin/nsenter', [`--net=/proc/${port.container.pid}/ns/net`, '--', ...argv], { encoding: 'utf8', timeout: 15_000 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** Sends raw frames out of the container's eth0, in order. */
function send(port: Port, frames: string[]): void {
  expect(inContainer(port, ['/usr/bin/python3', `${ROOT}/test/lab/send-frames.py`, 'eth0', ...frames])).toMatchObject({ status: 0, stderr: '' });
}

/** Counts, on the peer's port, the frames `match` selects ("seen") and the markers. */
function watchPeer(match: string): void {
  const table = `table netdev l2watch {
  counter marker {}
  counter seen {}
  chain ingress {
    type filter hook ingress device "lan0" priority 0; policy accept;
    udp dport 7777 @ih,0,32 ${MARK} counter name "marker"
    ${match} counter name "seen"
  }
}
`;
  inNs(world.lab.peerNs, [NFT, '-f', '-'], { input: `add table netdev l2watch\ndelete table netdev l2watch\n${table}` });
}

function peerCounts(): { marker: number; seen: number } {
  const listed = JSON.parse(inNs(world.lab.peerNs, [NFT, '-j', 'list', 'counters', 'table', 'netdev', 'l2watch'])) as { nftables: { counter?: { name: string; packets: number } }[] };
  const packets = (name: string) => listed.nftables.find((item) => item.counter?.name === name)?.counter?.packets ?? -1;
  return { marker: packets('marker'), seen: packets('seen') };
}

function peerNeighbour(ip: string): string | undefined {
  const entries = JSON.parse(inNs(world.lab.peerNs, [IP, '-j', 'neigh', 'show', ip, 'dev', 'lan0'])) as { lladdr?: string }[];
  return entries[0]?.lladdr;
}

function peerDefaultRoute6(): string | undefined {
  const routes = JSON.parse(inNs(world.lab.peerNs, [IP, '-j', '-6', 'route', 'show', 'default'])) as { gateway?: string }[];
  return routes[0]?.gateway;
}

function tableName(stateDir: string): string {
  return `ipper_${instanceId(stateDir)}`;
}

function hostTables(): string[] {
  return inNs(world.lab.hostNs, [NFT, 'list', 'tables']).split('\n').filter(Boolean);
}

beforeAll(() => {
  world = createWorld('l2guard', '10.97.74', { leaseTimeoutMs: 5000 });
});

beforeEach(() => {
  // The peer forgets what earlier tests taught it.
  inNs(world.lab.peerNs, [IP, 'neigh', 'flush', 'dev', 'lan0']);
  inNs(world.lab.peerNs, [IP, '-6', 'route', 'flush', 'default'], { allowFail: true });
});

afterEach(async () => {
  for (const container of fakes.splice(0)) container.stop();
  await world.stopSupervisor();
});

afterAll(async () => {
  await world?.destroy();
});

/** An address of the lab's range that no lease holds now: a forged request for it is one the server would grant. */
function freeAddress(): string {
  const leased = new Set(serverLeases(world.lab).map((lease) => lease.ip));
  for (let host = world.lab.range[1]; host >= world.lab.range[0]; host--) {
    const candidate = `${world.lab.subnet}.${host}`;
    if (!leased.has(candidate)) return candidate;
  }
  throw new Error('the lab range is full');
}

const FORGED = { chaddr: '02:de:ad:be:ef:01', arpMac: '02:de:ad:be:ef:02', ethMac: '02:de:ad:be:ef:03' };

interface Attack {
  what: string;
  /** The forbidden frames, sent out of eth0. */
  frames: (port: Port) => string[];
  /** nft match, on the peer's port, for those frames. */
  seen: (port: Port) => string;
  /** What the frames did on the LAN, if they got there. */
  effect?: (port: Port) => boolean;
}

const ATTACKS: Attack[] = [
  {
    what: 'a DHCP request for an invented hardware address (pool exhaustion)',
    frames: (port) => [dhcpRequest(port.mac, FORGED.chaddr, freeAddress())],
    seen: () => `udp dport 67 @ih,224,48 0x${FORGED.chaddr.replaceAll(':', '')}`,
    effect: () => serverLeases(world.lab).some((lease) => lease.mac === FORGED.chaddr),
  },
  {
    what: 'ARP naming another MAC as the sender',
    frames: (port) => [arpRequest(port.mac, FORGED.arpMac, port.ip, world.lab.peerAddress)],
    seen: () => `arp saddr ether ${FORGED.arpMac}`,
    effect: (port) => peerNeighbour(port.ip) === FORGED.arpMac,
  },
  {
    what: 'ARP claiming an address other than the bound one',
    frames: (port) => [arpRequest(port.mac, port.mac, `${world.lab.subnet}.250`, world.lab.peerAddress)],
    seen: () => `arp saddr ip ${world.lab.subnet}.250`,
    effect: (port) => peerNeighbour(`${world.lab.subnet}.250`) === port.mac,
  },
  {
    what: 'an IPv6 router advertisement',
    frames: (port) => [routerAdvertisement(port.mac)],
    seen: () => 'icmpv6 type nd-router-advert',
    effect: (port) => peerDefaultRoute6() === linkLocal(port.mac),
  },
  {
    what: 'an ICMPv6 redirect',
    frames: (port) => [redirect(port.mac, 'ff02::1')],
    seen: () => 'icmpv6 type nd-redirect',
  },
  {
    what: 'a DHCPv6 server message',
    frames: (port) => [dhcpv6Advertise(port.mac)],
    seen: () => 'udp sport 547 udp dport 546',
  },
  // Tagged in the frame itself: a VLAN device (eth0.5) would put the same tag on the wire, but this
  // kernel has no 8021q; and the receiving side moves either into the same metadata (skb_vlan_untag)
  // before the bridge sees the frame.
  {
    what: 'an 802.1Q-tagged frame',
    frames: (port) => [vlanTagged(port.mac, ETHERTYPE.vlan, 5)],
    seen: () => 'vlan id 5',
  },
  {
    what: 'an 802.1ad-tagged frame',
    frames: (port) => [vlanTagged(port.mac, ETHERTYPE.qinq, 6)],
    seen: () => 'ether type 8021ad',
  },
  {
    what: 'a frame from another source MAC',
    frames: () => [marker(FORGED.ethMac, 0xfeed)],
    seen: () => `ether saddr ${FORGED.ethMac}`,
  },
];

describe.each([
  [true, 'on (the default): dropped'],
  [false, 'off: delivered, so the test can fail'],
])('bridgeFilter %s', (filter) => {
  it.each(ATTACKS)(`from a container: $what`, async (attack) => {
    world.writeConfig({ bridgeFilter: filter });
    const port = await attached('hostile');
    try {
      watchPeer(attack.seen(port));
      send(port, [...attack.frames(port), marker(port.mac, MARK)]);
      await expect.poll(() => peerCounts().marker, { timeout: 5000 }).toBeGreaterThan(0);
      if (filter) {
        expect(peerCounts().seen).toBe(0);
        if (attack.effect) expect(attack.effect(port)).toBe(false);
      } else {
        await expect.poll(() => peerCounts().seen, { timeout: 5000 }).toBeGreaterThan(0);
        if (attack.effect) await expect.poll(() => attack.effect!(port), { timeout: 5000 }).toBe(true);
      }
    } finally {
      detach(port);
    }
  });
});

describe('bridgeFilter on: what a container may say still passes', () => {
  it('its ARP probes (sender 0.0.0.0), a ping to the peer, and its lease renewal', async () => {
    world.writeConfig({ bridgeFilter: true });
    const port = await attached('legit');
    try {
      const table = tableName(world.stateDir);
      // Once the lease is bound, the table holds the port's address.
      await expect.poll(() => inNs(world.lab.hostNs, [NFT, 'list', 'set', 'bridge', table, 'addrs']), { timeout: 5000 }).toContain(port.ip);
      watchPeer(`arp saddr ip 0.0.0.0 arp saddr ether ${port.mac}`);
      send(port, [arpRequest(port.mac, port.mac, '0.0.0.0', world.lab.peerAddress), marker(port.mac, MARK)]);
      await expect.poll(() => peerCounts().marker, { timeout: 5000 }).toBeGreaterThan(0);
      expect(peerCounts().seen).toBe(1);
      expect(inContainer(port, ['/bin/busybox', 'ping', '-c', '1', '-W', '5', world.lab.peerAddress]).status).toBe(0);
      const record = (): { client: { pid: number }; lease: { ip: string; renewedAt?: string } } => JSON.parse(readFileSync(`${world.stateDir}/containers/legit.json`, 'utf8'));
      await expect.poll(() => record().lease.renewedAt, { timeout: askToRenew(record().client.pid) }).toBeDefined();
      expect(record().lease.ip).toBe(port.ip);
    } finally {
      detach(port);
    }
  });
});

describe('bridgeFilter on: an address change at renewal', () => {
  it('replaces the bound address in the table: ARP from the new one passes, from the old one is dropped', async () => {
    world.writeConfig({ bridgeFilter: true });
    const port = await attached('moving');
    const addrs = () => inNs(world.lab.hostNs, [NFT, '-j', 'list', 'set', 'bridge', tableName(world.stateDir), 'addrs']);
    const record = (): { client: { pid: number }; lease: { ip: string } | null } => JSON.parse(readFileSync(`${world.stateDir}/containers/moving.json`, 'utf8'));
    await expect.poll(addrs, { timeout: 5000 }).toContain(`"${port.ip}"`);
    // The server now gives this MAC another address: the renewal is refused and the client starts over.
    const moved = `${world.lab.subnet}.${port.ip.endsWith('.150') ? 151 : 150}`;
    stopServer(world.lab);
    startServer(world.lab, [`--dhcp-host=${port.mac},${moved}`]);
    try {
      const wait = askToRenew(record().client.pid);
      await expect.poll(() => record().lease?.ip, { timeout: wait + 10_000 }).toBe(moved);
      await expect.poll(addrs, { timeout: 5000 }).toContain(`"${moved}"`);
      expect(addrs()).not.toContain(`"${port.ip}"`);
      watchPeer(`arp saddr ip ${port.ip}`);
      send(port, [arpRequest(port.mac, port.mac, port.ip, world.lab.peerAddress), arpRequest(port.mac, port.mac, moved, world.lab.peerAddress), marker(port.mac, MARK)]);
      await expect.poll(() => peerCounts().marker, { timeout: 5000 }).toBe(1);
      expect(peerCounts().seen).toBe(0);
      expect(peerNeighbour(moved)).toBe(port.mac);
    } finally {
      stopServer(world.lab);
      startServer(world.lab);
      detach(port);
    }
  });
});

describe('two configs (two state dirs) on one bridge', () => {
  it('each keeps its own table; bridgeFilter off in one removes only its own and breaks no other container', async () => {
    world.writeConfig({ bridgeFilter: true });
    const otherState = `${world.dir}/state-b`;
    const otherConfig = `${world.dir}/config-b.json`;
    const writeOther = (bridgeFilter: boolean): void => {
      const config = { bridge: world.lab.bridge, stateDir: otherState, helperDir: `${world.dir}/lib-b`, logFile: `${world.dir}/ipper-b.log`, logLevel: 'debug', leaseTimeoutMs: 5000, bridgeFilter };
      writeFileSync(otherConfig, JSON.stringify(config));
    };
    const ours = tableName(world.stateDir);
    const theirs = tableName(otherState);
    expect(ours).not.toBe(theirs);
    writeOther(true);
    const a = await attached('ours-a');
    let b: Port | undefined;
    let c: Port | undefined;
    try {
      b = await attached('theirs-b', otherConfig);
      expect(hostTables()).toEqual(expect.arrayContaining([`table bridge ${ours}`, `table bridge ${theirs}`]));
      // Each table lists only its own port.
      const portsOf = (table: string) => inNs(world.lab.hostNs, [NFT, '-j', 'list', 'set', 'bridge', table, 'ports']);
      const veth = (id: string, stateDir: string) => (JSON.parse(readFileSync(`${stateDir}/containers/${id}.json`, 'utf8')) as { hostVeth: string }).hostVeth;
      expect(portsOf(ours)).toContain(veth('ours-a', world.stateDir));
      expect(portsOf(ours)).not.toContain(veth('theirs-b', otherState));
      expect(portsOf(theirs)).toContain(veth('theirs-b', otherState));
      expect(portsOf(theirs)).not.toContain(veth('ours-a', world.stateDir));

      // The other config turns its filter off: its supervisor, started again, removes its own table only.
      detach(b, otherConfig);
      b = undefined;
      await world.stopSupervisor(otherState);
      writeOther(false);
      c = await attached('theirs-c', otherConfig);
      expect(hostTables()).toContain(`table bridge ${ours}`);
      expect(hostTables()).not.toContain(`table bridge ${theirs}`);
      // Our container still talks, and is still guarded; theirs is not touched by our table.
      expect(inContainer(a, ['/bin/busybox', 'ping', '-c', '1', '-W', '5', world.lab.peerAddress]).status).toBe(0);
      expect(inContainer(c, ['/bin/busybox', 'ping', '-c', '1', '-W', '5', world.lab.peerAddress]).status).toBe(0);
      watchPeer(`arp saddr ether ${FORGED.arpMac}`);
      send(a, [arpRequest(a.mac, FORGED.arpMac, a.ip, world.lab.peerAddress), marker(a.mac, MARK)]);
      await expect.poll(() => peerCounts().marker, { timeout: 5000 }).toBe(1);
      expect(peerCounts().seen).toBe(0);
      send(c, [arpRequest(c.mac, FORGED.arpMac, c.ip, world.lab.peerAddress), marker(c.mac, MARK)]);
      await expect.poll(() => peerCounts().marker, { timeout: 5000 }).toBe(2);
      expect(peerCounts().seen).toBe(1);
    } finally {
      if (b !== undefined) detach(b, otherConfig);
      if (c !== undefined) detach(c, otherConfig);
      detach(a);
      await world.stopSupervisor(otherState);
    }
  });
});

describe('an upgrade from the host-wide table', () => {
  it("the former `bridge ipper` table, which would drop every port it does not know, is removed when the supervisor starts", async () => {
    world.writeConfig({ bridgeFilter: true });
    inNs(world.lab.hostNs, [NFT, '-f', '-'], {
      input: 'table bridge ipper {\n  chain prerouting {\n    type filter hook prerouting priority -200; policy accept;\n    iifname "ipr*" drop\n  }\n}\n',
    });
    const port = await attached('after-upgrade');
    try {
      expect(hostTables()).not.toContain('table bridge ipper');
      expect(inContainer(port, ['/bin/busybox', 'ping', '-c', '1', '-W', '5', world.lab.peerAddress]).status).toBe(0);
    } finally {
      detach(port);
    }
  });
});
