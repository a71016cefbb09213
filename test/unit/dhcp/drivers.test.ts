import { describe, expect, it } from 'vitest';
import { dhclient, dhclientConf, rfc3442ToPairs } from '../../../src/dhcp/dhclient.js';
import { dhcpcd, dhcpcdConf } from '../../../src/dhcp/dhcpcd.js';
import { maskToPrefix, readSpooledEvent, type ClientSetup } from '../../../src/dhcp/driver.js';
import { DRIVERS } from '../../../src/dhcp/drivers.js';
import { parseLeaseFields } from '../../../src/dhcp/lease.js';
import { udhcpc } from '../../../src/dhcp/udhcpc.js';

const env = (...entries: string[]): string => `${entries.join('\0')}\0`;
const NO_FIELDS = { ip: undefined, mask: undefined, router: undefined, dns: undefined, domain: undefined, serverid: undefined, lease: undefined, mtu: undefined, search: undefined, staticroutes: undefined };
const OURS = ['IPPER_CONTAINER=abc', 'IPPER_TOKEN=t'];

/** An event file as the helper writes it, read as the supervisor reads it: spool, then the container's driver. */
function parse(driver: typeof udhcpc, ...entries: string[]) {
  const spooled = readSpooledEvent(env(...entries));
  return spooled === undefined ? undefined : driver.parseEvent(spooled.env);
}

const SETUP: ClientSetup = {
  program: '/usr/sbin/x',
  helper: '/var/lib/ipper/ipper-helper',
  interface: 'eth0',
  hostname: 'web-1',
  dir: '/run/ipper/clients/abc',
  env: { IPPER_SPOOL: '/run/ipper/events', IPPER_CONTAINER: 'abc', IPPER_TOKEN: 't' },
  identity: {},
  dhcpv4: true,
  dhcpv6: 'off',
  now: new Date(0),
};
const IDENTITY = { clientId: 'ff:01:02:03:04:00:04:aa:bb', duid: '00:04:aa:bb', iaid: 16909060 };

describe('readSpooledEvent', () => {
  it('reads whose event it is and keeps the rest for the driver', () => {
    const spooled = readSpooledEvent(env('PATH=/bin', 'IPPER_CONTAINER=c1', 'IPPER_TOKEN=tok', 'reason=BOUND', '=junk', 'noequals'));
    expect(spooled?.containerId).toBe('c1');
    expect(spooled?.token).toBe('tok');
    expect(spooled?.env.get('reason')).toBe('BOUND');
    expect(spooled?.env.has('')).toBe(false);
  });

  it.each([
    ['no token', env('IPPER_EVENT=bound', 'IPPER_CONTAINER=abc')],
    ['no container', env('IPPER_EVENT=bound', 'IPPER_TOKEN=t')],
    ['newline-separated', 'IPPER_EVENT=bound\nIPPER_CONTAINER=abc\nIPPER_TOKEN=t\n'],
    ['empty', ''],
  ])('%s → undefined', (_name, text) => {
    expect(readSpooledEvent(text)).toBeUndefined();
  });

  it('keeps a value with newlines and "=" as one value, and cuts it at 4096 characters', () => {
    const spooled = readSpooledEvent(env(...OURS, 'domain=lan\nIPPER_TOKEN=evil\nip=6.6.6.6', `search=${'d'.repeat(10_000)}`, 'ip=10.0.0.5'));
    expect(spooled?.token).toBe('t');
    expect(spooled?.env.get('domain')).toBe('lan\nIPPER_TOKEN=evil\nip=6.6.6.6');
    expect(spooled?.env.get('search')).toBe('d'.repeat(4096));
    expect(spooled?.env.get('ip')).toBe('10.0.0.5');
  });
});

describe('every driver', () => {
  it.each(Object.values(DRIVERS))('$name: names its program and Debian package, and runs ipper-helper as its script', (driver) => {
    expect({ name: driver.name, program: driver.program, debianPackage: driver.debianPackage }).toStrictEqual(
      { udhcpc: { name: 'udhcpc', program: 'udhcpc', debianPackage: 'udhcpc' }, dhclient: { name: 'dhclient', program: 'dhclient', debianPackage: 'isc-dhcp-client' }, dhcpcd: { name: 'dhcpcd', program: 'dhcpcd', debianPackage: 'dhcpcd-base' } }[driver.name],
    );
    const { argv } = driver.command(SETUP);
    expect(argv[0]).toMatch(/^\//);
    expect(argv).toContain(SETUP.helper);
    expect(argv).toContain(SETUP.program);
    expect(argv.at(-1)).toBe('eth0'); // garbage collection reads the interface from there
    // Foreground and for ever: no one-shot, quit or give-up flags.
    for (const flag of ['-q', '-n', '-1', '--oneshot', '-b']) expect(argv).not.toContain(flag);
    // Its files are in the container's own directory, never the distribution's.
    expect(argv.filter((arg) => arg.startsWith('/') && !arg.startsWith(SETUP.dir) && arg !== SETUP.helper && arg !== SETUP.program && !/^\/(run\/dhcpcd|var\/lib\/dhcpcd)$/.test(arg) && arg !== SETUP.env['IPPER_SPOOL'])).toEqual([]);
  });

  it.each(Object.values(DRIVERS))('$name: ignores an event file whose event it does not know', (driver) => {
    expect(parse(driver, ...OURS)).toBeUndefined();
    expect(parse(driver, ...OURS, 'IPPER_EVENT=reboot\n', 'reason=BOUND\n')).toBeUndefined();
  });
});

describe('udhcpc', () => {
  it('runs in the foreground, releases on exit, uses the helper and sends the hostname', () => {
    expect(udhcpc.command(SETUP)).toStrictEqual({
      argv: ['/usr/sbin/x', '-f', '-R', '-s', SETUP.helper, '-x', 'hostname:web-1', '-C', '-O', 'mtu', '-O', 'search', '-O', 'staticroutes', '-t', '3', '-T', '2', '-A', '5', '-i', 'eth0'],
      files: {},
      dirs: [],
    });
    expect(udhcpc.renew).toStrictEqual({ kind: 'signal', signal: 'SIGUSR1' });
    expect(udhcpc.release).toStrictEqual({ kind: 'signal', signal: 'SIGTERM' });
  });

  it('reads every lease field from its variables', () => {
    expect(parse(udhcpc, 'PATH=/bin', ...OURS, 'interface=eth0', 'ip=10.0.0.5', 'mask=24', 'router=10.0.0.1', 'dns=1.1.1.1 8.8.8.8', 'domain=lan', 'serverid=10.0.0.1', 'lease=3600', 'mtu=1500', 'search=a.lan b.lan', 'staticroutes=10.1.0.0/16 10.0.0.1', 'IPPER_EVENT=renew')).toStrictEqual({
      event: 'renew',
      fields: { ip: '10.0.0.5', mask: '24', router: '10.0.0.1', dns: '1.1.1.1 8.8.8.8', domain: 'lan', serverid: '10.0.0.1', lease: '3600', mtu: '1500', search: 'a.lan b.lan', staticroutes: '10.1.0.0/16 10.0.0.1' },
    });
  });

  it.each(['deconfig', 'bound', 'renew', 'nak', 'leasefail'])('knows event %s', (event) => {
    expect(parse(udhcpc, ...OURS, `IPPER_EVENT=${event}`)).toStrictEqual({ event, fields: NO_FIELDS });
  });

  it('takes the last IPPER_EVENT, the one the helper appends after every inherited variable', () => {
    expect(parse(udhcpc, ...OURS, 'IPPER_EVENT=deconfig', 'IPPER_EVENT=bound')?.event).toBe('bound');
  });

  it('log: counts discovers and selects, and sees the release', () => {
    const log = 'udhcpc: broadcasting discover\nudhcpc: broadcasting select for 10.0.0.5, server 10.0.0.1\nudhcpc: lease of 10.0.0.5 obtained\nudhcpc: unicasting a release of 10.0.0.5 to 10.0.0.1\n';
    expect(udhcpc.exchangeSeen(log)).toStrictEqual({ discovers: 1, requests: 1 });
    expect(udhcpc.releaseSent(log)).toBe(true);
    expect(udhcpc.releaseSent('udhcpc: received SIGTERM\n')).toBe(false);
  });
});

const DHCLIENT_BOUND = [
  'reason=BOUND', 'interface=eth0', 'new_ip_address=10.99.1.120', 'new_subnet_mask=255.255.255.0', 'new_routers=10.99.1.1', 'new_domain_name_servers=10.99.1.1',
  'new_domain_name=drx.test', 'new_dhcp_server_identifier=10.99.1.1', 'new_dhcp_lease_time=120', 'new_broadcast_address=10.99.1.255', 'requested_routers=1', 'pid=30949',
];

describe('dhclient', () => {
  it('reads only its own config, lease, DUID and pid files, runs the helper, and passes ipper\'s variables to it with -e', () => {
    const dir = SETUP.dir;
    expect(dhclient.command(SETUP)).toStrictEqual({
      argv: ['/usr/sbin/x', '-d', '-v', '-4', '-cf', `${dir}/dhclient.conf`, '-lf', `${dir}/dhclient.leases`, '-df', `${dir}/dhclient.duid`, '-sf', SETUP.helper,
        '-e', 'IPPER_SPOOL=/run/ipper/events', '-e', 'IPPER_CONTAINER=abc', '-e', 'IPPER_TOKEN=t', '-pf', `${dir}/dhclient.pid`, 'eth0'],
      files: { 'dhclient.conf': dhclientConf('web-1') },
      dirs: [],
    });
  });

  it('sends the hostname, asks for the options ipper applies, and retries as udhcpc does', () => {
    const conf = dhclientConf('web-1');
    expect(conf).toContain('send host-name "web-1";');
    expect(conf).toMatch(/request subnet-mask, .*routers, .*domain-name-servers, .*domain-search, interface-mtu, rfc3442-classless-static-routes;/);
    expect(conf).toContain('retry 5;');
  });

  it.each(['a"; }\nsend x "y', 'x y', '', '-lead', 'a'.repeat(64)])('refuses hostname %j in its config file', (hostname) => {
    expect(() => dhclient.command({ ...SETUP, hostname })).toThrow(/is not a DNS label/);
  });

  it('releases with -r on the same files, never by its pid file (that would wait a second for the old client)', () => {
    if (dhclient.release.kind !== 'command') throw new Error('dhclient releases by command');
    const argv = dhclient.release.argv(SETUP);
    expect(argv.slice(0, 4)).toStrictEqual(['/usr/sbin/x', '-r', '-v', '--no-pid']);
    expect(argv).toContain(`${SETUP.dir}/dhclient.leases`);
    expect(argv).toContain(SETUP.helper);
    expect(argv.at(-1)).toBe('eth0');
    // No signal renews it: restarted with the same lease file, it asks for the same address at once.
    expect(dhclient.renew).toStrictEqual({ kind: 'restart', stopSignal: 'SIGTERM' });
  });

  it('asks for the address the identity held last from a seeded lease file (INIT-REBOOT), never with option 50 in every request', () => {
    const setup = { ...SETUP, identity: IDENTITY, requestIpv4: '10.0.0.7', now: new Date('2026-11-30T01:02:03Z') };
    const command = dhclient.command(setup);
    expect(command.files['dhclient.conf']).not.toContain('dhcp-requested-address');
    expect(command.files['dhclient.conf']).toContain('send dhcp-client-identifier ff:01:02:03:04:00:04:aa:bb;');
    // Written only where no lease file is yet; due for renewal at once, held for five minutes. 2026-11-30 is a Monday (1).
    expect(command.seedFiles).toStrictEqual({
      'dhclient.leases': 'lease {\n  interface "eth0";\n  fixed-address 10.0.0.7;\n  renew 1 2026/11/30 01:02:03;\n  rebind 1 2026/11/30 01:02:03;\n  expire 1 2026/11/30 01:07:03;\n}\n',
    });
    expect(dhclient.command({ ...setup, requestIpv4: undefined }).seedFiles).toBeUndefined();
  });

  it('reads a BOUND event as dhclient writes it', () => {
    expect(parse(dhclient, ...OURS, ...DHCLIENT_BOUND)).toStrictEqual({
      event: 'bound',
      fields: { ...NO_FIELDS, ip: '10.99.1.120', mask: '24', router: '10.99.1.1', dns: '10.99.1.1', domain: 'drx.test', serverid: '10.99.1.1', lease: '120' },
    });
  });

  it.each([
    ['BOUND', 'bound'], ['REBOOT', 'bound'], ['RENEW', 'renew'], ['REBIND', 'renew'], ['EXPIRE', 'deconfig'], ['FAIL', 'leasefail'], ['TIMEOUT', 'leasefail'],
    ['PREINIT', null], ['RELEASE', null], ['STOP', null], ['MEDIUM', null], ['NBI', null],
    ['BOUND6', undefined], ['bound', undefined], ['constructor', undefined], ['__proto__', undefined],
  ])('reason %s → %s', (reason, event) => {
    const parsed = parse(dhclient, ...OURS, `reason=${reason}`);
    expect(parsed === null || parsed === undefined ? parsed : parsed.event).toBe(event);
  });

  it('hostile values reach the lease parser verbatim and are refused there', () => {
    const parsed = parse(dhclient, ...OURS, 'reason=BOUND', 'new_ip_address=10.0.0.5', 'new_subnet_mask=0.0.0.0', 'new_domain_name=x;$(touch /tmp/p)', 'new_routers=192.0.2.1');
    expect(parsed).not.toBeNull();
    expect(parseLeaseFields(parsed!.fields).dropped).toStrictEqual(['mask "0" is not a prefix length 1-32']);
    const lease = parseLeaseFields(parse(dhclient, ...OURS, 'reason=BOUND', 'new_ip_address=10.0.0.5', 'new_subnet_mask=255.0.255.0', 'new_domain_name=x;$(touch /tmp/p)')!.fields);
    expect(lease.lease).toBeUndefined();
    const routed = parseLeaseFields(parse(dhclient, ...OURS, 'reason=BOUND', 'new_ip_address=10.0.0.5', 'new_subnet_mask=255.255.255.0', 'new_domain_name=x;$(touch /tmp/p)', 'new_routers=192.0.2.1')!.fields);
    expect(routed.lease?.domain).toBeUndefined();
    expect(routed.lease?.router).toBeUndefined();
    expect(routed.dropped).toStrictEqual(['router "192.0.2.1" is not a usable address in 10.0.0.5/24', 'domain is not a valid DNS name']);
  });

  it('turns RFC 3442 bytes into destination/width router pairs', () => {
    expect(rfc3442ToPairs('24 10 1 2 10 0 0 1 0 10 0 0 1 16 172 16 10 0 0 254 32 192 0 2 9 0 0 0 0')).toBe('10.1.2.0/24 10.0.0.1 0.0.0.0/0 10.0.0.1 172.16.0.0/16 10.0.0.254 192.0.2.9/32 0.0.0.0');
    expect(rfc3442ToPairs(undefined)).toBeUndefined();
    // Cut short, a width over 32, a byte over 255, words that are not bytes: refused by the lease parser.
    for (const bad of ['24 10 1', '33 1 2 3 4 5 10 0 0 1', '8 300 10 0 0 1', '8 x 10 0 0 1']) expect(rfc3442ToPairs(bad)).toMatch(/invalid invalid$/);
    const lease = parseLeaseFields({ ip: '10.0.0.5', mask: '24', staticroutes: rfc3442ToPairs('16 10 9 10 0 0 1 8 300 10 0 0 1') });
    expect(lease.lease?.routes).toStrictEqual([{ to: '10.9.0.0/16', via: '10.0.0.1' }]);
    expect(lease.dropped).toStrictEqual(['route "invalid invalid" has no valid destination']);
  });

  it('log: counts discovers and requests, and sees the release its -r sent', () => {
    const log = 'DHCPDISCOVER on eth0 to 255.255.255.255 port 67 interval 1\nDHCPOFFER of 10.99.1.120 from 10.99.1.1\nDHCPREQUEST for 10.99.1.120 on eth0 to 255.255.255.255 port 67\nDHCPACK of 10.99.1.120 from 10.99.1.1\n';
    expect(dhclient.exchangeSeen(log)).toStrictEqual({ discovers: 1, requests: 1 });
    expect(dhclient.releaseSent(log)).toBe(false);
    expect(dhclient.releaseSent(`${log}DHCPRELEASE of 10.99.1.120 on eth0 to 10.99.1.1 port 67\n`)).toBe(true);
  });
});

describe('dhcpcd', () => {
  it('runs in a mount namespace where the container\'s own directories stand in for /run/dhcpcd and /var/lib/dhcpcd', () => {
    const dir = SETUP.dir;
    expect(dhcpcd.command(SETUP)).toStrictEqual({
      argv: [SETUP.helper, '--bind', `${dir}/run`, '/run/dhcpcd', '--bind', `${dir}/db`, '/var/lib/dhcpcd', '--', '/usr/sbin/x', '-B', '-4', '-f', `${dir}/dhcpcd.conf`, '-c', SETUP.helper,
        '-e', 'IPPER_SPOOL=/run/ipper/events', '-e', 'IPPER_CONTAINER=abc', '-e', 'IPPER_TOKEN=t', 'eth0'],
      files: { 'dhcpcd.conf': dhcpcdConf(SETUP) },
      dirs: ['run', 'db'],
    });
    expect(dhcpcd.release).toStrictEqual({ kind: 'signal', signal: 'SIGALRM' });
    expect(dhcpcd.renew).toStrictEqual({ kind: 'restart', stopSignal: 'SIGTERM' });
  });

  it('sends the hostname and its MAC as client id, configures nothing itself, and skips what makes it slow', () => {
    const lines = dhcpcdConf(SETUP).split('\n');
    for (const line of ['hostname "web-1"', 'clientid', 'noconfigure', 'nodelay', 'noarp', 'ipv4only', 'noipv4ll', 'timeout 0']) expect(lines).toContain(line);
    expect(() => dhcpcdConf({ ...SETUP, hostname: 'x\nscript /bin/sh' })).toThrow(/is not a DNS label/);
  });

  it('reads a BOUND event as dhcpcd writes it (prefix length from new_subnet_cidr, routes as pairs)', () => {
    expect(parse(dhcpcd, ...OURS, 'reason=BOUND', 'new_ip_address=10.99.1.120', 'new_subnet_cidr=24', 'new_subnet_mask=255.255.255.0', 'new_routers=10.99.1.1', 'new_domain_name_servers=10.99.1.1 10.99.1.2',
      'new_domain_search=a.lan b.lan', 'new_interface_mtu=1400', 'new_classless_static_routes=10.1.0.0/16 10.99.1.1', 'new_dhcp_lease_time=120', 'if_configured=false')).toStrictEqual({
      event: 'bound',
      fields: { ...NO_FIELDS, ip: '10.99.1.120', mask: '24', router: '10.99.1.1', dns: '10.99.1.1 10.99.1.2', search: 'a.lan b.lan', mtu: '1400', staticroutes: '10.1.0.0/16 10.99.1.1', lease: '120' },
    });
  });

  it.each([
    ['BOUND', 'bound'], ['REBOOT', 'bound'], ['RENEW', 'renew'], ['REBIND', 'renew'], ['EXPIRE', 'deconfig'], ['NAK', 'deconfig'], ['FAIL', 'leasefail'], ['TIMEOUT', 'leasefail'],
    ['PREINIT', null], ['CARRIER', null], ['NOCARRIER', null], ['STOP', null], ['STOPPED', null], ['RELEASE', null], ['DEPARTED', null], ['RECONFIGURE', null],
    ['BOUND6', 'bound6'], ['REBOOT6', 'bound6'], ['RENEW6', 'renew6'], ['REBIND6', 'renew6'], ['EXPIRE6', 'expire6'], ['INFORM6', 'inform6'], ['ROUTERADVERT', 'ra'],
    ['RELEASE6', null], ['STOP6', null], ['hasOwnProperty', undefined],
  ])('reason %s → %s', (reason, event) => {
    const parsed = parse(dhcpcd, ...OURS, `reason=${reason}`);
    expect(parsed === null || parsed === undefined ? parsed : parsed.event).toBe(event);
  });

  it('log: counts discovers and offers, and sees the release', () => {
    const log = 'eth0: soliciting a DHCP lease\neth0: offered 10.99.1.120 from 10.99.1.1\neth0: leased 10.99.1.120 for 120 seconds\n';
    expect(dhcpcd.exchangeSeen(log)).toStrictEqual({ discovers: 1, requests: 1, requests6: 0 });
    // Asking again for the address it had (INIT-REBOOT), and DHCPv6: an advertisement with an address is followed by a request.
    expect(dhcpcd.exchangeSeen('eth0: rebinding lease of 10.99.1.120\n')).toStrictEqual({ discovers: 0, requests: 1, requests6: 0 });
    expect(dhcpcd.exchangeSeen('eth0: soliciting a DHCPv6 lease\neth0: ADV (no address) from fe80::1\n')).toStrictEqual({ discovers: 0, requests: 0, requests6: 0 });
    expect(dhcpcd.exchangeSeen('eth0: ADV fd97::1:2 from fe80::1\neth0: rebinding prior DHCPv6 lease\n')).toStrictEqual({ discovers: 0, requests: 0, requests6: 2 });
    expect(dhcpcd.releaseSent(log)).toBe(false);
    expect(dhcpcd.releaseSent(`${log}received SIGALRM, releasing\neth0: releasing lease of 10.99.1.120\n`)).toBe(true);
 
    // DHCPv6: released at once on SIGALRM when bound, with no line of its own.
    const v6 = 'eth0: REPLY6 received from fe80::1\n';
    expect(dhcpcd.releaseSent(v6, { ipv4: false, ipv6: true })).toBe(false);
    expect(dhcpcd.releaseSent(`${v6}received SIGALRM, releasing\n`, { ipv4: false, ipv6: true })).toBe(true);
    expect(dhcpcd.releaseSent(`${log}${v6}received SIGALRM, releasing\n`, { ipv4: true, ipv6: true })).toBe(false); // the IPv4 release is not in it
  });
});

describe('the client id and DUID (client-id.ts)', () => {
  it('udhcpc sends the client id as option 61 in hex, or none at all (-C)', () => {
    const argv = udhcpc.command({ ...SETUP, identity: IDENTITY }).argv;
    expect(argv.slice(argv.indexOf('-x', 6), argv.indexOf('-x', 6) + 2)).toEqual(['-x', '0x3d:ff010203040004aabb']);
    expect(argv).not.toContain('-C');
    expect(udhcpc.command(SETUP).argv).toContain('-C');
  });

  it('dhclient sends it from its config file', () => {
    expect(dhclient.command({ ...SETUP, identity: IDENTITY }).files['dhclient.conf']).toContain('\nsend dhcp-client-identifier ff:01:02:03:04:00:04:aa:bb;\n');
    expect(dhclientConf('web-1')).not.toContain('dhcp-client-identifier');
  });

  it('dhcpcd sends it, reads the DUID from its database directory and takes the IAID in the interface block', () => {
    const command = dhcpcd.command({ ...SETUP, identity: IDENTITY, dhcpv6: 'ra' });
    expect(command.files['db/duid']).toBe('00:04:aa:bb\n');
    const lines = command.files['dhcpcd.conf']!.split('\n');
    expect(lines).toContain('clientid ff:01:02:03:04:00:04:aa:bb');
    expect(lines.slice(lines.indexOf('interface eth0'))).toEqual(['interface eth0', 'iaid 16909060', '']);
    expect(dhcpcdConf(SETUP).split('\n')).toContain('clientid'); // none of ipper's: the MAC
  });
});

describe('dhcpcd with DHCPv6', () => {
  it('auto (ra): both families, it reads the advertisements, and its write to accept_ra lands in a file of its own', () => {
    const command = dhcpcd.command({ ...SETUP, dhcpv6: 'ra' });
    expect(command.argv).not.toContain('-4');
    expect(command.argv.slice(0, command.argv.indexOf('--'))).toEqual([SETUP.helper, '--bind', `${SETUP.dir}/run`, '/run/dhcpcd', '--bind', `${SETUP.dir}/db`, '/var/lib/dhcpcd', '--bind', `${SETUP.dir}/accept_ra`, '/proc/sys/net/ipv6/conf/eth0/accept_ra']);
    expect(command.files['accept_ra']).toBe('1\n');
    const lines = command.files['dhcpcd.conf']!.split('\n');
    expect(lines).not.toContain('ipv4only');
    expect(lines).not.toContain('ia_na');
    expect(lines).toContain('fqdn both');
  });

  it('dhcpv6 (always) asks for an address whatever the advertisements say; v6-only runs -6', () => {
    const command = dhcpcd.command({ ...SETUP, dhcpv4: false, dhcpv6: 'always' });
    expect(command.argv).toContain('-6');
    const lines = command.files['dhcpcd.conf']!.split('\n');
    expect(lines).toContain('ipv6only');
    expect(lines.slice(lines.indexOf('interface eth0'))).toEqual(['interface eth0', 'ia_na', '']);
  });

  it('reads a BOUND6 and a ROUTERADVERT as dhcpcd writes them', () => {
    expect(parse(dhcpcd, ...OURS, 'reason=BOUND6', 'protocol=dhcp6', 'new_dhcp6_ia_na1_ia_addr1=fd97:77::140', 'new_dhcp6_ia_na1_ia_addr1_pltime=120', 'new_dhcp6_ia_na1_ia_addr1_vltime=130',
      'new_dhcp6_name_servers=fd97:77::1', 'new_dhcp6_fqdn=ctr1.x.test', 'new_dhcp6_domain_search=x.test')).toStrictEqual({
      event: 'bound6',
      fields: NO_FIELDS,
      v6: { addresses: [{ address: 'fd97:77::140', preferred: '120', valid: '130' }], dns: 'fd97:77::1', search: 'x.test', fqdn: 'ctr1.x.test', raFlags: undefined },
    });
    expect(parse(dhcpcd, ...OURS, 'reason=ROUTERADVERT', 'protocol=ra', 'nd1_flags=MO')?.v6?.raFlags).toBe('MO');
  });
});

describe('maskToPrefix', () => {
  it.each([
    ['255.255.255.0', '24'], ['255.255.255.255', '32'], ['128.0.0.0', '1'], ['0.0.0.0', '0'],
    ['255.0.255.0', '255.0.255.0'], ['256.0.0.0', '256.0.0.0'], ['24', '24'], ['x', 'x'], [undefined, undefined],
  ])('%j → %j', (mask, prefix) => {
    expect(maskToPrefix(mask)).toBe(prefix);
  });
});
