// The seam between the supervisor and a DHCP client program: everything client-specific (what
// must be installed, its argv and files, how its events read, how it renews, releases and stops,
// what its log says) lives behind this interface, one driver per client. Pure.
import * as z from '../config/zod.js';
import type { ClientIdentity } from './client-id.js';
import type { LeaseFields } from './lease.js';

export const DHCP_CLIENTS = ['udhcpc', 'dhclient', 'dhcpcd'] as const;
export const dhcpClientSchema = z.enum(DHCP_CLIENTS);
export type DhcpClientName = (typeof DHCP_CLIENTS)[number];

/** What a client event means to the supervisor, whatever the client calls it. */
export type EventName = 'deconfig' | 'bound' | 'renew' | 'nak' | 'leasefail' | Dhcpv6EventName;

/**
 * DHCPv6 and router advertisements, from a client that does both families (dhcpcd): a lease
 * (IA_NA) bound or renewed, expired, stateless information (DNS only), an advertisement's flags.
 */
export type Dhcpv6EventName = 'bound6' | 'renew6' | 'expire6' | 'inform6' | 'ra';
export const DHCPV6_EVENTS: ReadonlySet<EventName> = new Set<Dhcpv6EventName>(['bound6', 'renew6', 'expire6', 'inform6', 'ra']);

/** A DHCPv6 event's values as the client gave them (unchecked: the supervisor validates them). */
export interface Dhcpv6Fields {
  /** IA_NA addresses with their preferred and valid lifetimes (seconds). */
  addresses: { address: string | undefined; preferred: string | undefined; valid: string | undefined }[];
  dns: string | undefined;
  search: string | undefined;
  /** The name the server registered (option 39's reply). */
  fqdn: string | undefined;
  /** A router advertisement's flags: "M", "O", "MO", "" (ra only). */
  raFlags: string | undefined;
}

export interface ClientEvent {
  event: EventName;
  containerId: string;
  token: string;
  fields: LeaseFields;
  v6?: Dhcpv6Fields | undefined;
}

/**
 * What a client does about DHCPv6: nothing; what the router advertisements' M and O flags say
 * (auto); or ask for an address whatever they say (dhcpv6).
 */
export type Dhcpv6Use = 'off' | 'ra' | 'always';

/** An event file as the helper spooled it: whose it is, and the client's environment, unread. */
export interface SpooledEvent {
  containerId: string;
  token: string;
  env: ReadonlyMap<string, string>;
}

/** Environment variables ipper gives every client (and, through it, its event script). */
export const ENV_SPOOL = 'IPPER_SPOOL';
export const ENV_CONTAINER = 'IPPER_CONTAINER';
export const ENV_TOKEN = 'IPPER_TOKEN';
/** The event name ipper-helper adds when the client passes it as an argument (udhcpc). */
export const ENV_EVENT = 'IPPER_EVENT';

export interface ClientSetup {
  /** The client's executable, absolute. */
  program: string;
  /** ipper-helper: every client's event script. */
  helper: string;
  interface: string;
  hostname: string;
  /** This container's own directory for the client's lease, pid and config files. */
  dir: string;
  /** IPPER_SPOOL, IPPER_CONTAINER, IPPER_TOKEN: for clients that hand their script only what they are told to. */
  env: Readonly<Record<string, string>>;
  /** The client id and DUID/IAID to send (none given: the client's own). */
  identity: ClientIdentity;
  /** Whether it runs DHCPv4 (ipv4 dhcp). */
  dhcpv4: boolean;
  /** An IPv4 address to ask for (option 50): the one this identity held last (checked: an IPv4 address). */
  requestIpv4?: string | undefined;
  /** When the client starts (for the dates in a seeded lease file). */
  now: Date;
  /** DHCPv6 in the same process ('off' unless the driver does DHCPv6). */
  dhcpv6: Dhcpv6Use;
}

export interface ClientCommand {
  /** Run inside the container's namespace; argv[0] is absolute. */
  argv: string[];
  /** Files (name → content) the client reads, written into its directory before it starts. */
  files: Record<string, string>;
  /** Files written only where none is yet: a first start's seed for what the client then keeps itself (its lease file). */
  seedFiles?: Record<string, string>;
  /** Subdirectories of its directory the client needs (created 0755: the client may drop privileges). */
  dirs: string[];
}

/**
 * How a bound client gives its lease back at teardown, from the bound address while the link exists:
 * - signal: it releases and exits on this signal;
 * - command: it exits on SIGTERM without a release; then this command, run in the same namespace
 *   with the same files, sends the release from the lease it kept.
 */
export type ReleaseMethod = { kind: 'signal'; signal: NodeJS.Signals } | { kind: 'command'; argv: (setup: ClientSetup) => string[] };

/**
 * How a bound client is made to renew now (say, its bridge came back):
 * - signal: it sends a DHCPREQUEST for its lease on this signal, and keeps running;
 * - restart: it has no such signal; it exits on this one without a release, and the supervisor
 *   starts it again at once with the same files: from its lease file it asks for the same address
 *   straight away (INIT-REBOOT), and its bound event counts as a renewal.
 */
export type RenewMethod = { kind: 'signal'; signal: NodeJS.Signals } | { kind: 'restart'; stopSignal: NodeJS.Signals };

/** What a client's log says about this attempt, for the lease timeout's reason. */
export interface ExchangeSeen {
  /** DHCPDISCOVERs sent. */
  discovers: number;
  /** DHCPREQUESTs sent (an offer came back, or the client asked again for the address it had). */
  requests: number;
  /** DHCPv6 REQUESTs for an address (an advertisement offered one), where the client does DHCPv6. */
  requests6?: number;
}

export interface DhcpDriver {
  readonly name: DhcpClientName;
  /** The executable's name, found in the system directories. */
  readonly program: string;
  /** The Debian package that installs it, named when it is missing. */
  readonly debianPackage: string;
  /** Whether it also does DHCPv6 (and reads router advertisements' flags) in the same process. */
  readonly dhcpv6: boolean;
  /** Foreground, renewing for ever, the hostname sent, the helper as its script, its files in setup.dir. */
  command(setup: ClientSetup): ClientCommand;
  /**
   * An event's meaning and lease fields, from the client's environment (values unchecked: the
   * supervisor validates them). null: an event with nothing to apply (PREINIT, STOP, ...);
   * undefined: not an event this client sends.
   */
  parseEvent(env: ReadonlyMap<string, string>): { event: EventName; fields: LeaseFields; v6?: Dhcpv6Fields } | null | undefined;
  /**
   * A directory of the client's own (in its files' directory) that it sees bind-mounted over a
   * fixed path: how its processes are recognised when their environment cannot be read (dhcpcd
   * rewrites it for its process title).
   */
  readonly privateDir?: { name: string; mountpoint: string };
  /** Makes a bound client renew now. */
  readonly renew: RenewMethod;
  readonly release: ReleaseMethod;
  /**
   * Whether the log (since the client started) shows a release sent for every lease it held
   * (held: which families had one; absent: IPv4 only).
   */
  releaseSent(log: string, held?: { ipv4: boolean; ipv6: boolean }): boolean;
  exchangeSeen(log: string): ExchangeSeen;
}

const MAX_VALUE = 4096;

/** Reads an event file (NUL-separated environment). Undefined when it is not one of ours. */
export function readSpooledEvent(environ: string): SpooledEvent | undefined {
  const env = new Map<string, string>();
  for (const entry of environ.split('\0')) {
    const eq = entry.indexOf('=');
    if (eq <= 0) continue;
    env.set(entry.slice(0, eq), entry.slice(eq + 1, eq + 1 + MAX_VALUE));
  }
  const containerId = env.get(ENV_CONTAINER);
  const token = env.get(ENV_TOKEN);
  if (containerId === undefined || token === undefined) return undefined;
  return { containerId, token, env };
}

/** A dotted netmask as a prefix length ("255.255.255.0" → "24"); anything else is passed on to be refused. */
export function maskToPrefix(mask: string | undefined): string | undefined {
  if (mask === undefined || !/^\d{1,3}(\.\d{1,3}){3}$/.test(mask)) return mask;
  const octets = mask.split('.').map(Number);
  if (octets.some((octet) => octet > 255)) return mask;
  const bits = octets.map((octet) => octet.toString(2).padStart(8, '0')).join('');
  return /^1*0*$/.test(bits) ? String(bits.indexOf('0') === -1 ? 32 : bits.indexOf('0')) : mask;
}

/** The lease fields under ISC's names (new_*), shared by dhclient and dhcpcd. */
export function iscLeaseFields(env: ReadonlyMap<string, string>, staticroutes: string | undefined): LeaseFields {
  return {
    ip: env.get('new_ip_address'),
    mask: env.get('new_subnet_cidr') ?? maskToPrefix(env.get('new_subnet_mask')),
    router: env.get('new_routers'),
    dns: env.get('new_domain_name_servers'),
    domain: env.get('new_domain_name'),
    serverid: env.get('new_dhcp_server_identifier'),
    lease: env.get('new_dhcp_lease_time'),
    mtu: env.get('new_interface_mtu'),
    // dhclient writes each name fully qualified ("a.lan. b.lan."): as udhcpc and dhcpcd do, without the root's dot.
    search: env.get('new_domain_search')?.replace(/\.(?= |$)/g, ''),
    staticroutes,
  };
}

export function countMatches(text: string, pattern: RegExp): number {
  return (text.match(pattern) ?? []).length;
}
