// The CNI plugin on a LAN with router advertisements (the lab's dnsmasq in ra-only mode): the
// SLAAC address is awaited as for the hook and reported in the result beside the IPv4 lease.
import { randomBytes } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { inNs, sh } from '../lab/lab.js';
import { createWorld, type TestWorld } from '../helpers/env.js';
import { IPPER, clientsOf, filesIn, linkNames } from '../helpers/host.js';

let world: TestWorld;
let baselineLinks: string[];
const namespaces = new Set<string>();

function cni(command: 'ADD' | 'DEL', containerId: string, netns: string, extra: Record<string, unknown>): { status: number | null; json: Record<string, unknown> | undefined; stdout: string } {
  const result = spawnSync('/usr/bin/nsenter', [`--net=/run/netns/${world.lab.hostNs}`, '--', IPPER], {
    encoding: 'utf8',
    env: { CNI_COMMAND: command, CNI_CONTAINERID: containerId, CNI_NETNS: netns, CNI_IFNAME: 'eth0', CNI_PATH: '/usr/lib/cni', IPPER_CONFIG: world.configPath },
    input: JSON.stringify({ cniVersion: '1.1.0', name: 'lan6', type: 'ipper', bridge: world.lab.bridge, ...extra }),
  });
  return { status: result.status, stdout: result.stdout, json: result.stdout.trim() === '' ? undefined : JSON.parse(result.stdout) };
}

function newNetns(): { name: string; path: string } {
  const name = `${world.lab.name}-c${randomBytes(4).toString('hex')}`;
  sh('/usr/sbin/ip', ['netns', 'add', name]);
  namespaces.add(name);
  return { name, path: `/run/netns/${name}` };
}

/** The EUI-64 SLAAC address a MAC gets in a /64 prefix. */
function eui64Address(prefix: string, mac: string): string {
  const octets = mac.split(':').map((octet) => Number.parseInt(octet, 16));
  octets[0] = octets[0]! ^ 0x02;
  const bytes = [...octets.slice(0, 3), 0xff, 0xfe, ...octets.slice(3)];
  return `${prefix}${[0, 2, 4, 6].map((i) => ((bytes[i]! << 8) | bytes[i + 1]!).toString(16)).join(':')}`;
}

function globalAddresses6(ns: string): string[] {
  const links = JSON.parse(inNs(ns, ['/usr/sbin/ip', '-j', '-6', 'addr', 'show', 'dev', 'eth0', 'scope', 'global'])) as { addr_info: { local?: string; prefixlen?: number }[] }[];
  // (ip -j lists a lifetime-only entry beside each address on this iproute2)
  return links.flatMap((link) => link.addr_info.filter((addr) => addr.local !== undefined).map((addr) => `${addr.local}/${addr.prefixlen}`));
}

beforeAll(() => {
  world = createWorld('icn6', '10.97.98', {}, { ra: 'ra-only' });
  baselineLinks = linkNames(world.lab.hostNs);
});

afterEach(() => {
  for (const name of [...namespaces]) sh('/usr/sbin/ip', ['netns', 'del', name], { allowFail: true });
  namespaces.clear();
});

afterAll(async () => {
  await world?.stopSupervisor();
  for (const pid of world ? clientsOf(world.stateDir, { all: true }) : []) process.kill(pid, 'SIGKILL');
  await world?.destroy();
});

describe('CNI ADD on a LAN with router advertisements', () => {
  it('ipv6 slaac: the result carries the SLAAC address with the router as gateway and the IPv6 default route, beside the IPv4 lease', () => {
    const netns = newNetns();
    const containerId = `v6${randomBytes(4).toString('hex')}`;
    const add = cni('ADD', containerId, netns.path, { ipv6: 'slaac', ipv6WaitMs: 5000 });
    expect(add.status, add.stdout).toBe(0);
    const result = add.json as { interfaces: { mac?: string }[]; ips: { address: string; gateway?: string }[]; routes: { dst: string; gw?: string }[] };
    const ip6 = `${eui64Address(world.lab.ipv6Prefix, result.interfaces[1]!.mac!)}/64`;
    expect(globalAddresses6(netns.name)).toEqual([ip6]);
    expect(result.ips).toHaveLength(2);
    expect(result.ips[0]!.address.startsWith(`${world.lab.subnet}.`)).toBe(true);
    const router = result.ips[1]!.gateway!;
    expect(result.ips[1]).toEqual({ address: ip6, gateway: expect.stringMatching(/^fe80::/), interface: 1 });
    expect(result.routes).toContainEqual({ dst: '::/0', gw: router });
    expect(inNs(netns.name, ['/usr/sbin/ip', '-6', 'route', 'show', 'default'])).toContain(`default via ${router} dev eth0`);
    expect(cni('DEL', containerId, netns.path, { ipv6: 'slaac' }).status).toBe(0);
    expect(filesIn(`${world.stateDir}/containers`)).toEqual([]);
    expect(linkNames(world.lab.hostNs)).toEqual(baselineLinks);
    expect(clientsOf(world.stateDir, { all: true })).toEqual([]);
  });

  it('ipv6 off: IPv6 disabled on the interface and none in the result', () => {
    const netns = newNetns();
    const containerId = `v4${randomBytes(4).toString('hex')}`;
    const add = cni('ADD', containerId, netns.path, { ipv6: 'off' });
    expect(add.status, add.stdout).toBe(0);
    expect((add.json as { ips: unknown[] }).ips).toHaveLength(1);
    expect(inNs(netns.name, ['/bin/cat', '/proc/sys/net/ipv6/conf/eth0/disable_ipv6']).trim()).toBe('1');
    expect(cni('DEL', containerId, netns.path, { ipv6: 'off' }).status).toBe(0);
    expect(filesIn(`${world.stateDir}/containers`)).toEqual([]);
  });
});
