// The ISC dhclient driver (Debian package isc-dhcp-client). Its script is ipper-helper (-sf),
// never the distribution's dhclient-script, and it reads ipper's own config file (-cf), never
// /etc/dhcp/dhclient.conf; its lease, pid and DUID files are in the container's own directory.
import { IpperError } from '../errors.js';
import { DNS_LABEL } from '../net/names.js';
import type { ClientIdentity } from './client-id.js';
import { countMatches, iscLeaseFields, type ClientSetup, type DhcpDriver, type EventName } from './driver.js';

/** dhclient's reasons (dhclient-script(8)) as ipper's events; null: nothing to apply. */
const REASONS: Readonly<Record<string, EventName | null>> = {
  BOUND: 'bound',
  REBOOT: 'bound',
  RENEW: 'renew',
  REBIND: 'renew',
  EXPIRE: 'deconfig',
  FAIL: 'leasefail',
  // No server answered; dhclient offers an old lease from its file: ipper applies only what a server acknowledged.
  TIMEOUT: 'leasefail',
  PREINIT: null,
  MEDIUM: null,
  RELEASE: null,
  STOP: null,
  NBI: null,
};

/** A hostname goes into a config file: only a DNS label, never anything that file would read as syntax. */
export function configHostname(hostname: string): string {
  if (!DNS_LABEL.test(hostname)) throw new IpperError('INVALID_REQUEST', `hostname "${hostname.slice(0, 70)}" is not a DNS label`);
  return hostname;
}

export function dhclientConf(hostname: string, identity: ClientIdentity = {}): string {
  return [
    '# ipper: one container\'s dhclient (the distribution\'s dhclient.conf is not read)',
    'option rfc3442-classless-static-routes code 121 = array of unsigned integer 8;',
    `send host-name "${configHostname(hostname)}";`,
    // Hex bytes (checked by the record's schema): the same address back after a restart.
    ...(identity.clientId === undefined ? [] : [`send dhcp-client-identifier ${identity.clientId};`]),
    'request subnet-mask, broadcast-address, routers, domain-name, domain-name-servers, domain-search, interface-mtu, rfc3442-classless-static-routes;',
    // As udhcpc -t 3 -T 2 -A 5: discovers a second or two apart, and a new round 5 s after a failed one (default 300 s).
    'initial-interval 1;',
    'backoff-cutoff 2;',
    'timeout 10;',
    'retry 5;',
    '',
  ].join('\n');
}

const LEASE_FILE = 'dhclient.leases';

/** dhclient's date in a lease file: weekday (0 is Sunday) and UTC time. */
function leaseDate(date: Date): string {
  const pad = (n: number): string => String(n).padStart(2, '0');
  return `${date.getUTCDay()} ${date.getUTCFullYear()}/${pad(date.getUTCMonth() + 1)}/${pad(date.getUTCDate())} ${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())}`;
}

/** How long a seeded lease counts as held: long enough for the first exchange, and no longer. */
const SEED_LEASE_MS = 5 * 60_000;

/**
 * A first start's lease file holding the address this identity held last: dhclient starts by
 * asking for it (INIT-REBOOT), takes it if the server says yes, and on a DHCPNAK starts over with
 * a discover and takes what is offered. Not `send dhcp-requested-address`: that puts the old
 * address in every DHCPREQUEST, the one that answers an offer of another too, which the server
 * refuses again and again (an address moved, or taken meanwhile). Due for renewal at once, should
 * dhclient fall back to it with no server answering.
 */
export function dhclientSeedLease(interfaceName: string, ip: string, now: Date): string {
  const at = leaseDate(now);
  return [
    'lease {',
    `  interface "${interfaceName}";`,
    `  fixed-address ${ip};`,
    `  renew ${at};`,
    `  rebind ${at};`,
    `  expire ${leaseDate(new Date(now.getTime() + SEED_LEASE_MS))};`,
    '}',
    '',
  ].join('\n');
}

/** The files both the client and its release command name: the same lease file is what makes the release possible. */
function fileArgs(setup: ClientSetup): string[] {
  const env = Object.entries(setup.env).flatMap(([key, value]) => ['-e', `${key}=${value}`]);
  return ['-4', '-cf', `${setup.dir}/dhclient.conf`, '-lf', `${setup.dir}/${LEASE_FILE}`, '-df', `${setup.dir}/dhclient.duid`, '-sf', setup.helper, ...env];
}

/**
 * Foreground (-d), verbose (-v: the log is the release's evidence and the timeout's diagnosis),
 * renewing for ever (no -1). dhclient hands its script only its own variables, so ipper's go in
 * with -e.
 */
export function dhclientArgs(setup: ClientSetup): string[] {
  return ['-d', '-v', ...fileArgs(setup), '-pf', `${setup.dir}/dhclient.pid`, setup.interface];
}

/** "Release the current lease" from the lease file; --no-pid: the running client was stopped already (with -pf it would wait a second for it). */
export function dhclientReleaseArgs(setup: ClientSetup): string[] {
  return ['-r', '-v', '--no-pid', ...fileArgs(setup), setup.interface];
}

/** RFC 3442 as dhclient prints it (decimal bytes: width, significant octets, router) → udhcpc's "dest/width router" pairs. */
export function rfc3442ToPairs(value: string | undefined): string | undefined {
  if (value === undefined || value === '') return value;
  const bytes = value.split(/[\s,]+/).filter(Boolean).map((word) => (/^\d{1,3}$/.test(word) ? Number(word) : NaN));
  const pairs: string[] = [];
  for (let i = 0; i < bytes.length; ) {
    const width = bytes[i]!;
    const significant = Math.ceil(width / 8);
    const end = i + 1 + significant + 4;
    if (!(width >= 0 && width <= 32) || end > bytes.length || bytes.slice(i, end).some((byte) => !(byte >= 0 && byte <= 255))) {
      pairs.push('invalid invalid'); // refused with a reason by the lease parser
      break;
    }
    const destination = [...bytes.slice(i + 1, i + 1 + significant), 0, 0, 0, 0].slice(0, 4).join('.');
    pairs.push(`${destination}/${width} ${bytes.slice(end - 4, end).join('.')}`);
    i = end;
  }
  return pairs.join(' ');
}

export const dhclient: DhcpDriver = {
  name: 'dhclient',
  program: 'dhclient',
  debianPackage: 'isc-dhcp-client',
  dhcpv6: false,
  command: (setup) => ({
    argv: [setup.program, ...dhclientArgs(setup)],
    files: { 'dhclient.conf': dhclientConf(setup.hostname, setup.identity) },
    // Only where it has none yet: a restarted dhclient reads the lease it keeps there itself.
    ...(setup.requestIpv4 !== undefined && { seedFiles: { [LEASE_FILE]: dhclientSeedLease(setup.interface, setup.requestIpv4, setup.now) } }),
    dirs: [],
  }),
  parseEvent(env) {
    const reason = env.get('reason');
    if (reason === undefined || !Object.hasOwn(REASONS, reason)) return undefined;
    const event = REASONS[reason]!;
    if (event === null) return null;
    return { event, fields: iscLeaseFields(env, rfc3442ToPairs(env.get('new_rfc3442_classless_static_routes'))) };
  },
  // No signal renews a running dhclient (it renews only at T1). SIGTERM ends it without a release
  // (measured: Debian's 4.4.3), and started again with its lease file it sends a DHCPREQUEST for
  // the same address at once (INIT-REBOOT, reason REBOOT): about 50 ms on the lab.
  renew: { kind: 'restart', stopSignal: 'SIGTERM' },
  // SIGTERM stops it without a release; `dhclient -r` with the same files sends it.
  release: { kind: 'command', argv: (setup) => [setup.program, ...dhclientReleaseArgs(setup)] },
  releaseSent: (log) => /DHCPRELEASE of /.test(log),
  exchangeSeen: (log) => ({ discovers: countMatches(log, /DHCPDISCOVER on /g), requests: countMatches(log, /DHCPREQUEST (for|of|on) /g) }),
};
