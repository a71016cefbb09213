// The dhcpcd 9 driver (Debian package dhcpcd-base). dhcpcd's run and lease directories are fixed
// when it is built (/run/dhcpcd, /var/lib/dhcpcd) and named after the interface, which is eth0 in
// every container: each container's dhcpcd therefore runs in a mount namespace of its own where
// ipper-helper has bind-mounted the container's own directories over them. It reads ipper's own
// config (-f), never /etc/dhcpcd.conf, and runs ipper-helper (-c), never dhcpcd-run-hooks.
import { countMatches, iscLeaseFields, type ClientSetup, type DhcpDriver, type EventName } from './driver.js';
import { configHostname } from './dhclient.js';

/** dhcpcd's reasons (dhcpcd-run-hooks(8)) as ipper's events; null: nothing to apply. */
const REASONS: Readonly<Record<string, EventName | null>> = {
  BOUND: 'bound',
  REBOOT: 'bound',
  RENEW: 'renew',
  REBIND: 'renew',
  EXPIRE: 'deconfig',
  // dhcpcd drops the lease on a NAK and starts again with a discover.
  NAK: 'deconfig',
  FAIL: 'leasefail',
  TIMEOUT: 'leasefail',
  PREINIT: null,
  CARRIER: null,
  NOCARRIER: null,
  DEPARTED: null,
  STOP: null,
  STOPPED: null,
  RELEASE: null,
  TEST: null,
  INFORM: null,
  STATIC: null,
  // Its configuration read again (on SIGHUP, ipper's renew): the RENEW or NAK that follows says what happened.
  RECONFIGURE: null,
  IPV4LL: null,
};

/**
 * What makes dhcpcd as quick as the others (see the README's measurements): no random delay
 * before the first discover (nodelay), no ARP probe of the offered address (noarp), IPv4 only
 * (no router solicitation or DHCPv6), no link-local fallback; and it configures nothing itself
 * (noconfigure): ipper applies the validated lease. The client id is the MAC (clientid), as with
 * the other clients: a DUID would be one per host, and every container would get the same address.
 */
export function dhcpcdConf(hostname: string): string {
  return [
    '# ipper: one container\'s dhcpcd (the distribution\'s dhcpcd.conf is not read)',
    // Quoted: dhcpcd reads an unquoted string of hex digits (a short container id) as hex bytes.
    `hostname "${configHostname(hostname)}"`,
    'clientid',
    'nodelay',
    'noarp',
    'ipv4only',
    'noipv4ll',
    'noconfigure',
    // Keep trying for ever (a single-interface dhcpcd exits after 30 s without a lease by default).
    'timeout 0',
    'option subnet_mask, routers, domain_name_servers, domain_name, domain_search, interface_mtu, classless_static_routes',
    '',
  ].join('\n');
}

export const DHCPCD_RUN_DIR = '/run/dhcpcd';
export const DHCPCD_DB_DIR = '/var/lib/dhcpcd';

/** Foreground (-B), IPv4, ipper's config and script; ipper's variables reach the script through -e. */
export function dhcpcdArgs(setup: ClientSetup): string[] {
  const env = Object.entries(setup.env).flatMap(([key, value]) => ['-e', `${key}=${value}`]);
  return ['-B', '-4', '-f', `${setup.dir}/dhcpcd.conf`, '-c', setup.helper, ...env, setup.interface];
}

export const dhcpcd: DhcpDriver = {
  name: 'dhcpcd',
  program: 'dhcpcd',
  debianPackage: 'dhcpcd-base',
  command: (setup) => ({
    argv: [setup.helper, '--bind', `${setup.dir}/run`, DHCPCD_RUN_DIR, '--bind', `${setup.dir}/db`, DHCPCD_DB_DIR, '--', setup.program, ...dhcpcdArgs(setup)],
    files: { 'dhcpcd.conf': dhcpcdConf(setup.hostname) },
    dirs: ['run', 'db'],
  }),
  parseEvent(env) {
    const reason = env.get('reason');
    if (reason === undefined || !Object.hasOwn(REASONS, reason)) return undefined;
    const event = REASONS[reason]!;
    if (event === null) return null;
    // dhcpcd prints classless routes as udhcpc does: "dest/width router" pairs.
    return { event, fields: iscLeaseFields(env, env.get('new_classless_static_routes')) };
  },
  privateDir: { name: 'run', mountpoint: DHCPCD_RUN_DIR },
  // SIGHUP rebinds at once: a broadcast DHCPREQUEST for its lease (events RECONFIGURE, then RENEW;
  // or NAK, then a new BOUND). Not SIGUSR1 (renew): its request is unicast, and dhcpcd 9.4.1 with
  // privilege separation does not hear the server's broadcast NAK (say, the address moved): on the
  // lab it kept asking for the old address. (`dhcpcd -n` sends this SIGHUP, but needs the pid file
  // in the client's own mount namespace.)
  renew: { kind: 'signal', signal: 'SIGHUP' },
  // dhcpcd 9: SIGALRM releases the lease and exits (SIGTERM exits without a release).
  release: { kind: 'signal', signal: 'SIGALRM' },
  releaseSent: (log) => /releasing lease of /.test(log),
  exchangeSeen: (log) => ({ discovers: countMatches(log, /soliciting a DHCP lease|sending DISCOVER/g), requests: countMatches(log, /offered \S+ from|sending REQUEST/g) }),
};
