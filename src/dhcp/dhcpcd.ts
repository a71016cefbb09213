// The dhcpcd 9 driver (Debian package dhcpcd-base). dhcpcd's run and lease directories are fixed
// when it is built (/run/dhcpcd, /var/lib/dhcpcd) and named after the interface, which is eth0 in
// every container: each container's dhcpcd therefore runs in a mount namespace of its own where
// ipper-helper has bind-mounted the container's own directories over them. It reads ipper's own
// config (-f), never /etc/dhcpcd.conf, and runs ipper-helper (-c), never dhcpcd-run-hooks.
import { countMatches, DHCPV6_EVENTS, iscLeaseFields, type ClientSetup, type DhcpDriver, type Dhcpv6Fields, type EventName } from './driver.js';
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
  // Its configuration read again (SIGHUP, `dhcpcd -n`): the RENEW or NAK that follows says what happened.
  RECONFIGURE: null,
  IPV4LL: null,
  // DHCPv6 (IA_NA or stateless) and router advertisements: only when ipper asked for DHCPv6.
  BOUND6: 'bound6',
  REBOOT6: 'bound6',
  RENEW6: 'renew6',
  REBIND6: 'renew6',
  EXPIRE6: 'expire6',
  INFORM6: 'inform6',
  ROUTERADVERT: 'ra',
  RELEASE6: null,
  STOP6: null,
  DELEGATED6: null,
};

/**
 * What makes dhcpcd as quick as the others (see the README's measurements): no random delay
 * before the first discover (nodelay), no ARP probe of the offered address (noarp), no
 * link-local fallback; and it configures nothing itself (noconfigure): ipper applies the
 * validated lease. IPv4 only unless DHCPv6 is asked for; then it reads the router advertisements
 * for their M and O flags (DHCPv6 stateful, stateless) or, for ipv6 "dhcpv6", asks for an address
 * (ia_na) whatever they say; the kernel keeps doing SLAAC (see ACCEPT_RA_FILE). The client id,
 * DUID and IAID are the container's (client-id.ts): the same addresses after a restart.
 */
export function dhcpcdConf(setup: Pick<ClientSetup, 'hostname' | 'interface' | 'identity' | 'dhcpv4' | 'dhcpv6' | 'requestIpv4'>): string {
  const { clientId, iaid } = setup.identity;
  return [
    '# ipper: one container\'s dhcpcd (the distribution\'s dhcpcd.conf is not read)',
    // Quoted: dhcpcd reads an unquoted string of hex digits (a short container id) as hex bytes.
    `hostname "${configHostname(setup.hostname)}"`,
    // Hex bytes (checked by the record's schema); none of ipper's: the MAC, as before client ids.
    clientId === undefined ? 'clientid' : `clientid ${clientId}`,
    ...(setup.requestIpv4 === undefined ? [] : [`request ${setup.requestIpv4}`]),
    // Options 81 and 39: the server registers <hostname>.<domain> (A and AAAA).
    'fqdn both',
    'nodelay',
    'noarp',
    ...(setup.dhcpv6 === 'off' ? ['ipv4only'] : setup.dhcpv4 ? [] : ['ipv6only']),
    'noipv4ll',
    'noconfigure',
    // Keep trying for ever (a single-interface dhcpcd exits after 30 s without a lease by default).
    'timeout 0',
    'option subnet_mask, routers, domain_name_servers, domain_name, domain_search, interface_mtu, classless_static_routes',
    ...(setup.dhcpv6 === 'off' ? [] : ['option dhcp6_name_servers, dhcp6_domain_search, dhcp6_fqdn']),
    // The IAID and ia_na belong in the interface's block (the name is checked: an interface name).
    ...(setup.dhcpv6 === 'off' ? [] : [`interface ${setup.interface}`, ...(iaid === undefined ? [] : [`iaid ${iaid}`]), ...(setup.dhcpv6 === 'always' ? ['ia_na'] : [])]),
    '',
  ].join('\n');
}

/**
 * dhcpcd turns the kernel's router advertisement handling off (accept_ra 0) on an interface whose
 * advertisements it reads, and with noconfigure makes no SLAAC address itself: the container would
 * lose SLAAC. In its own mount namespace this file of its own is bound over that sysctl, so its
 * write lands there and the kernel goes on (accept_ra stays as ipper set it).
 */
export const ACCEPT_RA_FILE = 'accept_ra';

/** The DUID file dhcpcd reads from its database directory. */
const DUID_FILE = 'db/duid';

export const DHCPCD_RUN_DIR = '/run/dhcpcd';
export const DHCPCD_DB_DIR = '/var/lib/dhcpcd';

/** Foreground (-B), the families asked for, ipper's config and script; ipper's variables reach the script through -e. */
export function dhcpcdArgs(setup: ClientSetup): string[] {
  const env = Object.entries(setup.env).flatMap(([key, value]) => ['-e', `${key}=${value}`]);
  const families = setup.dhcpv6 === 'off' ? ['-4'] : setup.dhcpv4 ? [] : ['-6'];
  return ['-B', ...families, '-f', `${setup.dir}/dhcpcd.conf`, '-c', setup.helper, ...env, setup.interface];
}

/** ipper-helper's bind mounts: the container's own run and lease directories, and with DHCPv6 the accept_ra decoy. */
function binds(setup: ClientSetup): string[] {
  return [
    '--bind', `${setup.dir}/run`, DHCPCD_RUN_DIR,
    '--bind', `${setup.dir}/db`, DHCPCD_DB_DIR,
    ...(setup.dhcpv6 === 'off' ? [] : ['--bind', `${setup.dir}/${ACCEPT_RA_FILE}`, `/proc/sys/net/ipv6/conf/${setup.interface}/accept_ra`]),
  ];
}

/** The IPv6 lease fields under dhcpcd's names (dhcp6_*, nd1_*). */
export function dhcpcdV6Fields(env: ReadonlyMap<string, string>): Dhcpv6Fields {
  const addresses: Dhcpv6Fields['addresses'] = [];
  for (let i = 1; i <= 8; i++) {
    const address = env.get(`new_dhcp6_ia_na1_ia_addr${i}`);
    if (address === undefined) break;
    addresses.push({ address, preferred: env.get(`new_dhcp6_ia_na1_ia_addr${i}_pltime`), valid: env.get(`new_dhcp6_ia_na1_ia_addr${i}_vltime`) });
  }
  return {
    addresses,
    dns: env.get('new_dhcp6_name_servers'),
    search: env.get('new_dhcp6_domain_search'),
    fqdn: env.get('new_dhcp6_fqdn'),
    raFlags: env.get('nd1_flags'),
  };
}

export const dhcpcd: DhcpDriver = {
  name: 'dhcpcd',
  program: 'dhcpcd',
  debianPackage: 'dhcpcd-base',
  dhcpv6: true,
  command: (setup) => ({
    argv: [setup.helper, ...binds(setup), '--', setup.program, ...dhcpcdArgs(setup)],
    files: {
      'dhcpcd.conf': dhcpcdConf(setup),
      ...(setup.identity.duid !== undefined && { [DUID_FILE]: `${setup.identity.duid}\n` }),
      ...(setup.dhcpv6 !== 'off' && { [ACCEPT_RA_FILE]: '1\n' }),
    },
    dirs: ['run', 'db'],
  }),
  parseEvent(env) {
    const reason = env.get('reason');
    if (reason === undefined || !Object.hasOwn(REASONS, reason)) return undefined;
    const event = REASONS[reason]!;
    if (event === null) return null;
    // dhcpcd prints classless routes as udhcpc does: "dest/width router" pairs.
    return { event, fields: iscLeaseFields(env, env.get('new_classless_static_routes')), ...(DHCPV6_EVENTS.has(event) && { v6: dhcpcdV6Fields(env) }) };
  },
  privateDir: { name: 'run', mountpoint: DHCPCD_RUN_DIR },
  // Restarted, not signalled: SIGUSR1 makes dhcpcd 9.4.1 send a unicast DHCPREQUEST from its
  // bound address, and with privilege separation it does not hear the server's NAK of it (an
  // address the server moved): it kept asking for the old one until the lease ran out. SIGTERM
  // ends it without a release, and started again from its lease file it asks for the same
  // address by broadcast (INIT-REBOOT), whose NAK it hears; SIGHUP (a broadcast rebind) sent no
  // DHCPv4 request within 20 s while DHCPv6 ran in the same process (measured on the lab).
  renew: { kind: 'restart', stopSignal: 'SIGTERM' },
  // dhcpcd 9: SIGALRM releases the lease and exits (SIGTERM exits without a release).
  release: { kind: 'signal', signal: 'SIGALRM' },
  // A bound DHCPv6 lease is released at once on SIGALRM, before dhcpcd exits, with no line of its own.
  releaseSent: (log, held = { ipv4: true, ipv6: false }) => (!held.ipv4 || /releasing lease of /.test(log)) && (!held.ipv6 || /received SIGALRM, releasing/.test(log)),
  // INIT-REBOOT ("rebinding lease of") is a request too; an advertisement with no address asks for none.
  exchangeSeen: (log) => ({
    discovers: countMatches(log, /soliciting a DHCP lease|sending DISCOVER/g),
    requests: countMatches(log, /offered \S+ from|sending REQUEST|rebinding lease of/g),
    requests6: countMatches(log, /ADV (?!\(no address\))\S+ from|rebinding prior DHCPv6 lease/g),
  }),
};
