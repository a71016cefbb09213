// The built-in lab: the production LAN of the seed article on one machine, with no uplink.
//
//   netns <name>-host   "the host": bridge br0 with the host's address (ipper and runc run here)
//   netns <name>-dhcp   dnsmasq: DHCP + DNS for <domain>, router and name server of the subnet
//   netns <name>-peer   another machine on the LAN (fetches the containers' pages by name)
//
// IPv6: the server and the peer hold static addresses in the lab's ULA prefix (fd97:<x>::/64);
// with `ra` set, dnsmasq also sends router advertisements with that mode's flags. No namespace of
// the lab's host side ever takes them (accept_ra=0 on the bridge and for every new link there).
//
// Everything lives in namespaces this file creates, so no packet reaches a real interface and
// a bug in ipper cannot reach the machine's own addresses. Idempotent: ensureLab() on a lab that
// is up changes nothing.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';

export interface LabOptions {
  name: string;
  /** First three octets of the lab's /24. */
  subnet: string;
  domain: string;
  /** Directory for the server's lease file, log and pid file. */
  dir: string;
  bridge?: string;
  /** dnsmasq's range, as last octets. */
  range?: [number, number];
  /**
   * A subnet larger than the /24 (the scale run's thousand containers): its prefix length, and
   * dnsmasq's range as whole addresses. The lab's own addresses stay `<subnet>.1-3`.
   */
  wide?: { prefixLength: number; netmask: string; range: [string, string]; leaseTime: string };
  /**
   * Router advertisements from dnsmasq, by its --dhcp-range mode: `ra-only` (A flag: SLAAC),
   * `slaac` (A and M: SLAAC and DHCPv6), `ra-stateless` (A and O), `stateful` (M only: no SLAAC).
   * Undefined: none (an IPv4-only LAN).
   */
  ra?: RaMode | undefined;
}

export type RaMode = 'ra-only' | 'slaac' | 'ra-stateless' | 'stateful';

export interface Lab {
  name: string;
  hostNs: string;
  dhcpNs: string;
  peerNs: string;
  bridge: string;
  hostAddress: string;
  serverAddress: string;
  peerAddress: string;
  subnet: string;
  domain: string;
  dir: string;
  range: [number, number];
  leaseFile: string;
  serverLog: string;
  serverPidFile: string;
  ra: RaMode | undefined;
  prefixLength: number;
  wide: LabOptions['wide'];
  /** The lab's IPv6 /64 prefix (e.g. fd97:62::), and the server's and peer's static addresses in it. */
  ipv6Prefix: string;
  serverAddress6: string;
  peerAddress6: string;
}

const IP = '/usr/sbin/ip';

export interface ShOptions {
  input?: string;
  allowFail?: boolean;
  timeoutMs?: number;
  env?: Record<string, string>;
}

export function sh(file: string, args: readonly string[], options: ShOptions = {}): string {
  try {
    return execFileSync(file, args, { encoding: 'utf8', input: options.input ?? '', stdio: ['pipe', 'pipe', 'pipe'], timeout: options.timeoutMs ?? 30_000, ...(options.env && { env: options.env }) });
  } catch (error) {
    if (options.allowFail) return '';
    const failure = error as { stderr?: string; message: string };
    throw new Error(`${file} ${args.join(' ')}: ${failure.stderr?.trim() || failure.message}`);
  }
}

/** Blocks this thread for a short poll interval (synchronous lab code has no event loop to yield to). */
export function pause(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

export function inNs(ns: string, argv: readonly string[], options: ShOptions = {}): string {
  return sh(IP, ['netns', 'exec', ns, ...argv], options);
}

export function describeLab(options: LabOptions): Lab {
  const range = options.range ?? [100, 199];
  return {
    name: options.name,
    hostNs: `${options.name}-host`,
    dhcpNs: `${options.name}-dhcp`,
    peerNs: `${options.name}-peer`,
    bridge: options.bridge ?? 'br0',
    hostAddress: `${options.subnet}.2`,
    serverAddress: `${options.subnet}.1`,
    peerAddress: `${options.subnet}.3`,
    subnet: options.subnet,
    domain: options.domain,
    dir: options.dir,
    range,
    leaseFile: `${options.dir}/dnsmasq.leases`,
    serverLog: `${options.dir}/dnsmasq.log`,
    serverPidFile: `${options.dir}/dnsmasq.pid`,
    ra: options.ra,
    prefixLength: options.wide?.prefixLength ?? 24,
    wide: options.wide,
    ipv6Prefix: `fd97:${Number(options.subnet.split('.')[2] ?? 0).toString(16)}::`,
    serverAddress6: `fd97:${Number(options.subnet.split('.')[2] ?? 0).toString(16)}::1`,
    peerAddress6: `fd97:${Number(options.subnet.split('.')[2] ?? 0).toString(16)}::3`,
  };
}

function namespaces(): string[] {
  return sh(IP, ['netns', 'list']).split('\n').map((line) => line.split(' ')[0] ?? '').filter(Boolean);
}

function ensureNs(ns: string): void {
  if (!namespaces().includes(ns)) sh(IP, ['netns', 'add', ns]);
  inNs(ns, [IP, 'link', 'set', 'lo', 'up']);
}

function linkExists(ns: string, name: string): boolean {
  return inNs(ns, [IP, 'link', 'show', 'dev', name], { allowFail: true }) !== '';
}

/** A lab machine on the bridge: a veth from the host's bridge into its own namespace. */
function ensureMachine(lab: Lab, ns: string, hostEnd: string, address: string, address6: string, acceptRa: boolean): void {
  ensureNs(ns);
  if (!linkExists(lab.hostNs, hostEnd)) {
    inNs(lab.hostNs, [IP, 'link', 'add', hostEnd, 'master', lab.bridge, 'up', 'type', 'veth', 'peer', 'name', 'lan0', 'netns', ns]);
  }
  // Static IPv6, usable at once (no DAD). The server (the router) takes no advertisements; the
  // peer takes them like any host on a LAN (the L2 guard tests look for a rogue one's effect there).
  inNs(ns, ['/usr/sbin/sysctl', '-qw', `net.ipv6.conf.lan0.accept_ra=${acceptRa ? 1 : 0}`, 'net.ipv6.conf.lan0.accept_dad=0']);
  inNs(ns, [IP, 'addr', 'replace', `${address}/${lab.prefixLength}`, 'dev', 'lan0']);
  inNs(ns, [IP, '-6', 'addr', 'replace', `${address6}/64`, 'dev', 'lan0', 'nodad']);
  inNs(ns, [IP, 'link', 'set', 'lan0', 'up']);
}

function ensureBridge(lab: Lab): void {
  if (!linkExists(lab.hostNs, lab.bridge)) inNs(lab.hostNs, [IP, 'link', 'add', lab.bridge, 'type', 'bridge', 'forward_delay', '0']);
  // A lab bridge must never take router advertisements (it would route the host through the lab),
  // nor any link made later in the lab's host namespace (container ports).
  inNs(lab.hostNs, ['/usr/sbin/sysctl', '-qw', 'net.ipv6.conf.default.accept_ra=0', 'net.ipv6.conf.all.accept_ra=0', `net.ipv6.conf.${lab.bridge}.accept_ra=0`]);
  inNs(lab.hostNs, [IP, 'addr', 'replace', `${lab.hostAddress}/${lab.prefixLength}`, 'dev', lab.bridge]);
  inNs(lab.hostNs, [IP, 'link', 'set', lab.bridge, 'up']);
}

/** The bridge made again as the lab makes it (address, no router advertisements, up) with its uplinks on it. */
export function restoreBridge(lab: Lab): void {
  ensureBridge(lab);
  for (const uplink of ['lab-dhcp', 'lab-peer']) inNs(lab.hostNs, [IP, 'link', 'set', uplink, 'master', lab.bridge, 'up']);
}

/** What ifdown/ifup or `netplan apply` do to a host's bridge: deleted, then made again with its address and uplinks. */
export function recreateBridge(lab: Lab): void {
  inNs(lab.hostNs, [IP, 'link', 'del', lab.bridge]);
  restoreBridge(lab);
}

export function ensureLab(options: LabOptions): Lab {
  const lab = describeLab(options);
  mkdirSync(lab.dir, { recursive: true });
  ensureNs(lab.hostNs);
  ensureBridge(lab);
  ensureMachine(lab, lab.dhcpNs, 'lab-dhcp', lab.serverAddress, lab.serverAddress6, false);
  ensureMachine(lab, lab.peerNs, 'lab-peer', lab.peerAddress, lab.peerAddress6, true);
  mkdirSync(`/etc/netns/${lab.peerNs}`, { recursive: true });
  writeFileSync(`/etc/netns/${lab.peerNs}/resolv.conf`, `nameserver ${lab.serverAddress}\nsearch ${lab.domain}\n`);
  if (!isServerRunning(lab)) startServer(lab);
  return lab;
}

export function serverPid(lab: Lab): number | undefined {
  let text: string;
  try {
    text = readFileSync(lab.serverPidFile, 'utf8');
  } catch {
    return undefined; // never written, or removed by a dnsmasq that is exiting
  }
  const pid = Number(text.trim());
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

export function isServerRunning(lab: Lab): boolean {
  const pid = serverPid(lab);
  if (pid === undefined) return false;
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'dnsmasq';
  } catch {
    return false;
  }
}

/** dnsmasq as the LAN's DHCP and DNS server; --no-ping so timings measure ipper, not the ping check. */
export function startServer(lab: Lab, extraArgs: readonly string[] = [], range: [number, number] = lab.range): void {
  inNs(lab.dhcpNs, [
    '/usr/sbin/dnsmasq',
    '--conf-file=/dev/null',
    '--interface=lan0',
    '--bind-interfaces',
    '--except-interface=lo',
    lab.wide === undefined ? `--dhcp-range=${lab.subnet}.${range[0]},${lab.subnet}.${range[1]},255.255.255.0,2m` : `--dhcp-range=${lab.wide.range[0]},${lab.wide.range[1]},${lab.wide.netmask},${lab.wide.leaseTime}`,
    // dnsmasq's default lease limit is 1000.
    ...(lab.wide === undefined ? [] : ['--dhcp-lease-max=65000']),
    `--dhcp-option=option:router,${lab.serverAddress}`,
    `--dhcp-option=option:dns-server,${lab.serverAddress}`,
    `--domain=${lab.domain}`,
    `--local=/${lab.domain}/`,
    '--no-ping',
    '--no-resolv',
    '--no-hosts',
    '--dhcp-authoritative',
    `--dhcp-leasefile=${lab.leaseFile}`,
    `--pid-file=${lab.serverPidFile}`,
    '--log-dhcp',
    `--log-facility=${lab.serverLog}`,
    '--user=root',
    '--group=root',
    ...raArgs(lab),
    ...extraArgs,
  ]);
}

/** dnsmasq's router advertisements in the lab's mode, with a router lifetime (its namespace has no default route). */
export function raArgs(lab: Lab, mode: RaMode | undefined = lab.ra): string[] {
  if (mode === undefined) return [];
  const pool = `${lab.ipv6Prefix}100,${lab.ipv6Prefix}1ff`;
  const range = {
    'ra-only': `${lab.ipv6Prefix},ra-only,64`,
    'ra-stateless': `${lab.ipv6Prefix},ra-stateless,64`,
    slaac: `${pool},slaac,64,2m`,
    stateful: `${pool},64,2m`,
  }[mode];
  return ['--enable-ra', `--dhcp-range=${range}`, '--ra-param=lan0,10,600'];
}

export function stopServer(lab: Lab): void {
  const pid = serverPid(lab);
  if (pid !== undefined && isServerRunning(lab)) {
    process.kill(pid, 'SIGTERM');
    const deadline = Date.now() + 5000;
    while (isServerRunning(lab) && Date.now() < deadline) pause(20);
  }
  rmSync(lab.serverPidFile, { force: true });
}

export interface ServerLease {
  expires: number;
  mac: string;
  ip: string;
  hostname: string;
}

/** The server's lease table (dnsmasq's lease file). */
export function serverLeases(lab: Lab): ServerLease[] {
  if (!existsSync(lab.leaseFile)) return [];
  return readFileSync(lab.leaseFile, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [expires, mac, ip, hostname] = line.split(' ');
      return { expires: Number(expires), mac: mac ?? '', ip: ip ?? '', hostname: hostname ?? '' };
    });
}

export function destroyLab(options: LabOptions): void {
  const lab = describeLab(options);
  stopServer(lab);
  const present = namespaces();
  for (const ns of [lab.peerNs, lab.dhcpNs, lab.hostNs]) if (present.includes(ns)) sh(IP, ['netns', 'del', ns]);
  rmSync(`/etc/netns/${lab.peerNs}`, { recursive: true, force: true });
  rmSync(lab.dir, { recursive: true, force: true });
}

/**
 * A second LAN beside a lab's first, for containers with two interfaces: its own bridge in the
 * lab's host namespace and its own dnsmasq (DHCP and DNS for its own domain) in a namespace of its
 * own. No peer. Removed with the lab's host namespace, plus destroySecondLan for its server.
 */
export function describeSecondLan(lab: Lab, bridge: string, subnet: string): Lab {
  const first = describeLab({ name: lab.name, subnet, domain: `${bridge}.${lab.domain}`, dir: `${lab.dir}-${bridge}`, bridge });
  return { ...first, hostNs: lab.hostNs, dhcpNs: `${lab.name}-${bridge}`, peerNs: '' };
}

export function ensureSecondLan(lab: Lab, bridge: string, subnet: string): Lab {
  const lan = describeSecondLan(lab, bridge, subnet);
  // A namespace a crashed run left would hold a lan0 already.
  if (!isServerRunning(lan) && namespaces().includes(lan.dhcpNs)) sh(IP, ['netns', 'del', lan.dhcpNs]);
  mkdirSync(lan.dir, { recursive: true });
  ensureBridge(lan);
  ensureMachine(lan, lan.dhcpNs, `labd-${bridge}`.slice(0, 15), lan.serverAddress, lan.serverAddress6, false);
  if (!isServerRunning(lan)) startServer(lan);
  return lan;
}

export function destroySecondLan(lan: Lab): void {
  stopServer(lan);
  if (namespaces().includes(lan.dhcpNs)) sh(IP, ['netns', 'del', lan.dhcpNs]);
  rmSync(lan.dir, { recursive: true, force: true });
}
