// Each doctor check judged from facts alone: what it says when the thing is broken, and ok when not.
import { describe, expect, it } from 'vitest';
import { checkBridge } from '../../../src/doctor/bridge.js';
import { formatFindings, hasFailure, type Finding } from '../../../src/doctor/check.js';
import { checkContainer } from '../../../src/doctor/container.js';
import { checkDocker, parseDockerRuntimes, type DockerFacts } from '../../../src/doctor/docker.js';
import { checkHelperDir, mountOf } from '../../../src/doctor/helper-dir.js';
import { checkHooks, type HooksFacts } from '../../../src/doctor/hooks.js';
import { parseHostLinks, type HostLink } from '../../../src/doctor/links.js';
import { checkNetfilter, nftForwardPolicyDrop, readForwardRules, type NetfilterFacts } from '../../../src/doctor/netfilter.js';
import { checkStateDir } from '../../../src/doctor/state-dir.js';
import { checkSupervisor } from '../../../src/doctor/supervisor.js';
import { checkTools } from '../../../src/doctor/tools.js';
import type { ContainerRecord } from '../../../src/store/records.js';

const verdicts = (findings: Finding[]): string[] => findings.map((finding) => `${finding.check}:${finding.verdict}`);

const link = (name: string, extra: Partial<HostLink> = {}): HostLink => ({ name, kind: 'veth', master: undefined, up: true, ipv4: [], ...extra });
const BRIDGE = link('br0', { kind: 'bridge', ipv4: ['10.0.2.2'] });
const UPLINK = link('eth0', { kind: undefined, master: 'br0' });
const PORT = link('ipr0123456789ab', { master: 'br0' });

describe('checkBridge', () => {
  it('passes a bridge that is up, with an uplink and an address', () => {
    expect(verdicts(checkBridge({ bridge: 'br0', links: [BRIDGE, UPLINK, PORT], hostAddress: undefined }))).toEqual(['bridge:ok', 'bridge-up:ok', 'bridge-uplink:ok', 'bridge-ipv4:ok']);
  });

  it.each([
    ['missing', [UPLINK], ['bridge:fail']],
    ['not a bridge', [link('br0', { kind: 'dummy' })], ['bridge:fail']],
    ['down', [{ ...BRIDGE, up: false }, UPLINK], ['bridge:ok', 'bridge-up:fail', 'bridge-uplink:ok', 'bridge-ipv4:ok']],
    ['only container ports', [BRIDGE, PORT], ['bridge:ok', 'bridge-up:ok', 'bridge-uplink:fail', 'bridge-ipv4:ok']],
    ['uplink down', [BRIDGE, { ...UPLINK, up: false }], ['bridge:ok', 'bridge-up:ok', 'bridge-uplink:fail', 'bridge-ipv4:ok']],
    ['no IPv4', [{ ...BRIDGE, ipv4: [] }, UPLINK], ['bridge:ok', 'bridge-up:ok', 'bridge-uplink:ok', 'bridge-ipv4:fail']],
  ])('%s', (_name, links, expected) => {
    expect(verdicts(checkBridge({ bridge: 'br0', links, hostAddress: undefined }))).toEqual(expected);
  });

  it('needs no address on the bridge when hostAddress is set', () => {
    expect(checkBridge({ bridge: 'br0', links: [{ ...BRIDGE, ipv4: [] }, UPLINK], hostAddress: '10.0.2.9' }).at(-1)).toMatchObject({ check: 'bridge-ipv4', verdict: 'ok' });
  });

  it('names the bridge and the fix', () => {
    const [finding] = checkBridge({ bridge: 'lan7', links: [], hostAddress: undefined });
    expect(finding!.message).toContain('"lan7" does not exist');
    expect(checkBridge({ bridge: 'br0', links: [{ ...BRIDGE, up: false }], hostAddress: undefined })[1]!.fix).toBe('ip link set br0 up');
  });
});

describe('parseHostLinks', () => {
  it('reads ip -j -d addr show', () => {
    const json = JSON.stringify([
      { ifname: 'br0', flags: ['BROADCAST', 'UP'], linkinfo: { info_kind: 'bridge' }, addr_info: [{ family: 'inet', local: '10.0.2.2' }, { family: 'inet6', local: 'fe80::1' }] },
      { ifname: 'eth0', master: 'br0', flags: ['BROADCAST'], addr_info: [] },
      {},
    ]);
    expect(parseHostLinks(json)).toEqual([link('br0', { kind: 'bridge', ipv4: ['10.0.2.2'] }), link('eth0', { kind: undefined, master: 'br0', up: false })]);
  });
});

const DOCKER_FORWARD = '-P FORWARD DROP\n-A FORWARD -j DOCKER-USER\n-A FORWARD -j DOCKER-ISOLATION-STAGE-1\n-A FORWARD -o docker0 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT\n';

describe('checkNetfilter', () => {
  const facts = (extra: Partial<NetfilterFacts>): NetfilterFacts => ({ bridges: ['br0'], bridgeNfCallIptables: '1\n', iptablesForward: '-P FORWARD ACCEPT\n', nftRuleset: undefined, ...extra });

  it.each([
    ['br_netfilter not loaded', facts({ bridgeNfCallIptables: undefined, iptablesForward: DOCKER_FORWARD }), 'ok'],
    ['bridge-nf-call-iptables=0', facts({ bridgeNfCallIptables: '0\n', iptablesForward: DOCKER_FORWARD }), 'ok'],
    ['policy ACCEPT', facts({}), 'ok'],
    ["Docker's policy DROP", facts({ iptablesForward: DOCKER_FORWARD }), 'fail'],
    ['policy DROP, bridged traffic accepted', facts({ iptablesForward: `${DOCKER_FORWARD}-A FORWARD -m physdev --physdev-is-bridged -j ACCEPT\n` }), 'ok'],
    ['policy DROP, the bridge accepted', facts({ iptablesForward: `${DOCKER_FORWARD}-A FORWARD -i br0 -o br0 -j ACCEPT\n` }), 'ok'],
    ['a DROP rule', facts({ iptablesForward: '-P FORWARD ACCEPT\n-A FORWARD -p udp -j DROP\n' }), 'warn'],
    ['nft forward policy drop', facts({ iptablesForward: undefined, nftRuleset: 'table ip filter {\n\tchain FORWARD {\n\t\ttype filter hook forward priority filter; policy drop;\n\t}\n}\n' }), 'fail'],
    ['nft forward policy accept', facts({ iptablesForward: undefined, nftRuleset: 'table ip filter {\n\tchain FORWARD {\n\t\ttype filter hook forward priority filter; policy accept;\n\t}\n}\n' }), 'ok'],
    ['nothing readable', facts({ iptablesForward: undefined }), 'warn'],
  ])('%s: %s', (_name, input, verdict) => {
    const [finding] = checkNetfilter(input);
    expect(finding!.check).toBe('br-netfilter');
    expect(finding!.verdict).toBe(verdict);
  });

  it('says why DHCP never answers, and how to let it through', () => {
    const [finding] = checkNetfilter(facts({ iptablesForward: DOCKER_FORWARD }));
    expect(finding!.message).toContain('policy is DROP');
    expect(finding!.fix).toContain('iptables -I FORWARD -m physdev --physdev-is-bridged -j ACCEPT');
    expect(finding!.fix).toContain('net.bridge.bridge-nf-call-iptables=0');
  });

  it('reads rules and policies', () => {
    expect(readForwardRules(DOCKER_FORWARD, ['br0'])).toEqual({ policyDrop: true, dropRules: [], allowsBridged: false });
    expect(nftForwardPolicyDrop('chain f { type filter hook forward priority 0; policy accept; }')).toBe(false);
  });
});

describe('checkTools', () => {
  it('names the missing DHCP client and its Debian package', () => {
    const findings = checkTools({ dhcpClient: 'udhcpc', bridgeFilter: true, found: (name) => (name === 'udhcpc' ? undefined : `/usr/sbin/${name}`) });
    expect(verdicts(findings)).toEqual(['dhcp-client:fail', 'tools:ok']);
    expect(findings[0]!.fix).toBe('apt-get install udhcpc');
  });

  it('names other missing programs; nft only with the bridge filter', () => {
    const found = (name: string): string | undefined => (name === 'nft' || name === 'nsenter' ? undefined : `/usr/bin/${name}`);
    expect(checkTools({ dhcpClient: 'udhcpc', bridgeFilter: true, found }).map((finding) => finding.fix)).toEqual([null, 'apt-get install util-linux', 'apt-get install nftables']);
    expect(verdicts(checkTools({ dhcpClient: 'udhcpc', bridgeFilter: false, found }))).toEqual(['dhcp-client:ok', 'tools:fail']);
  });
});

const ENTRY = JSON.stringify({ version: '1.0.0', hook: { path: '/usr/local/bin/ipper' }, stages: ['createRuntime', 'poststop'] });
const USR = '/usr/share/containers/oci/hooks.d';
const ETC = '/etc/containers/oci/hooks.d';

describe('checkHooks', () => {
  const facts = (files: Record<string, string>, extra: Partial<HooksFacts> = {}): HooksFacts => ({
    readDirs: [USR],
    configured: false,
    files: new Map([USR, ETC].map((dir) => [dir, files[dir]])),
    isExecutable: (path) => path === '/usr/local/bin/ipper',
    podmanInstalled: true,
    root: '',
    ...extra,
  });

  it.each([
    ['installed', facts({ [USR]: ENTRY }), 'ok'],
    ['missing', facts({}), 'fail'],
    ['only where this Podman does not read', facts({ [ETC]: ENTRY }), 'fail'],
    ['binary missing', facts({ [USR]: ENTRY }, { isExecutable: () => false }), 'fail'],
    ['not JSON', facts({ [USR]: '{' }), 'fail'],
    ['no poststop', facts({ [USR]: JSON.stringify({ hook: { path: '/usr/local/bin/ipper' }, stages: ['createRuntime'] }) }), 'fail'],
    ['prestart counts as createRuntime', facts({ [USR]: JSON.stringify({ hook: { path: '/usr/local/bin/ipper' }, stages: ['prestart', 'poststop'] }) }), 'ok'],
    ['hooks_dir = []', facts({ [USR]: ENTRY }, { readDirs: [], configured: true }), 'fail'],
    ['containers.conf unreadable', facts({}, { readDirs: { error: 'x.conf:3: cannot read it as TOML' } }), 'fail'],
    ['no Podman, no file', facts({}, { podmanInstalled: false }), 'skip'],
  ])('%s: %s', (_name, input, verdict) => {
    const [finding] = checkHooks(input);
    expect(finding!.check).toBe('hooks.d');
    expect(finding!.verdict).toBe(verdict);
  });

  it('says where the file is that Podman does not read', () => {
    expect(checkHooks(facts({ [ETC]: ENTRY }))[0]!.message).toContain(`there is one in ${ETC}, which this Podman does not read`);
  });

  it('takes the last directory that holds the file, as Podman does', () => {
    const [finding] = checkHooks(facts({ [USR]: ENTRY, [ETC]: '{' }, { readDirs: [USR, ETC], configured: true }));
    expect(finding).toMatchObject({ verdict: 'fail', message: `${ETC}/ipper.json is not a JSON object: Podman refuses it` });
  });

  it('points the fix at --root when the doctor looked there', () => {
    expect(checkHooks(facts({}, { root: '/tmp/r' }))[0]!.fix).toContain('ipper install --root /tmp/r');
  });
});

describe('checkDocker', () => {
  const facts = (extra: Partial<DockerFacts>): DockerFacts => ({
    daemonJson: { runtimes: { ipper: { path: '/usr/local/bin/ipper-runtime' } } },
    daemonJsonPath: '/etc/docker/daemon.json',
    dockerInstalled: true,
    dockerdRuntimes: ['ipper', 'runc'],
    isExecutable: () => true,
    root: '',
    ...extra,
  });

  it.each([
    ['registered and known', facts({}), ['docker:ok', 'dockerd:ok']],
    ['dockerd has not reloaded', facts({ dockerdRuntimes: ['runc'] }), ['docker:ok', 'dockerd:fail']],
    ['dockerd does not answer', facts({ dockerdRuntimes: { error: 'Cannot connect' } }), ['docker:ok', 'dockerd:warn']],
    ['no daemon.json', facts({ daemonJson: undefined }), ['docker:fail']],
    ['daemon.json without ipper', facts({ daemonJson: { runtimes: { nvidia: {} } } }), ['docker:fail']],
    ['daemon.json broken', facts({ daemonJson: { error: 'not valid JSON' } }), ['docker:fail']],
    ['runtime path missing', facts({ isExecutable: () => false }), ['docker:fail']],
    ['no Docker at all', facts({ dockerInstalled: false, daemonJson: undefined }), ['docker:skip']],
  ])('%s', (_name, input, expected) => {
    expect(verdicts(checkDocker(input))).toEqual(expected);
  });

  it('parses docker info runtimes', () => {
    expect(parseDockerRuntimes('{"runc":{"path":"runc"},"ipper":{"path":"/usr/local/bin/ipper-runtime"}}')).toEqual(['ipper', 'runc']);
    expect(parseDockerRuntimes('no')).toBeUndefined();
  });
});

describe('checkStateDir', () => {
  const dir = { isDirectory: true, isSymlink: false, uid: 0, mode: 0o40700 };
  it.each([
    ['private', dir, 'ok'],
    ['missing', undefined, 'ok'],
    ['a symlink', { ...dir, isDirectory: false, isSymlink: true }, 'fail'],
    ['a file', { ...dir, isDirectory: false }, 'fail'],
    ['foreign owner', { ...dir, uid: 1000 }, 'fail'],
    ['group-writable', { ...dir, mode: 0o40770 }, 'fail'],
    ['world-writable', { ...dir, mode: 0o41777 }, 'fail'],
  ])('%s: %s', (_name, stat, verdict) => {
    expect(checkStateDir({ path: '/run/ipper', stat, ourUid: 0, unreadableRecords: [] })[0]!.verdict).toBe(verdict);
  });

  it('warns about unreadable records', () => {
    expect(verdicts(checkStateDir({ path: '/run/ipper', stat: dir, ourUid: 0, unreadableRecords: ['/run/ipper/containers/x.json'] }))).toEqual(['state-dir:ok', 'state-records:warn']);
  });
});

describe('checkSupervisor', () => {
  const running = { running: true as const, pid: 7, version: '1.0.0', uptimeSeconds: 5, containers: 1, clientRestarts: 0, missingBridges: [], unexplained: [] };
  it.each([
    ['answers', { supervisor: running, containers: 1 }, ['supervisor:ok']],
    ['absent, nothing to do', { supervisor: { running: false as const, reason: 'no ipper supervisor runs' }, containers: 0 }, ['supervisor:ok']],
    ['absent with containers', { supervisor: { running: false as const, reason: 'no ipper supervisor runs' }, containers: 2 }, ['supervisor:fail']],
    ['another protocol', { supervisor: { running: false as const, reason: 'the ipper supervisor on /run/ipper/supervisor.sock speaks protocol 1', code: 'PROTOCOL_MISMATCH' }, containers: 0 }, ['supervisor:fail']],
    ['refused', { supervisor: { running: false as const, reason: 'uid 1000 may not use the ipper supervisor', code: 'PERMISSION_DENIED' }, containers: 0 }, ['supervisor:warn']],
    ['another version', { supervisor: { ...running, version: '0.9.0' }, containers: 1 }, ['supervisor:warn']],
    ['missing bridge', { supervisor: { ...running, missingBridges: ['br1'] }, containers: 1 }, ['supervisor:ok', 'supervisor-bridges:fail']],
    ['unexplained', { supervisor: { ...running, unexplained: [{}] }, containers: 1 }, ['supervisor:ok', 'supervisor-gc:warn']],
  ])('%s', (_name, input, expected) => {
    expect(verdicts(checkSupervisor({ ...input, version: '1.0.0' }))).toEqual(expected);
  });
});

describe('checkContainer', () => {
  const NOW = new Date('2026-01-01T01:00:00.000Z');
  const record: ContainerRecord = {
    version: 1, id: 'c'.repeat(64), hostname: 'c', bridge: 'br0', interface: 'eth0', hostVeth: 'ipr0123456789ab', mac: '02:00:00:00:00:01',
    container: { pid: 10, startTime: 1 }, netnsInode: 5, phase: 'active', client: { pid: 11, startTime: 2, token: 't' },
    lease: { ip: '10.0.2.100', prefixLen: 24, dns: [], leaseSeconds: 3600, boundAt: '2026-01-01T00:50:00.000Z' }, createdAt: '2026-01-01T00:50:00.000Z',
  };
  const facts = { record, links: [PORT], containerAlive: true, clientAlive: true, now: NOW };

  it.each([
    ['healthy', facts, ['container:ok', 'container-port:ok', 'container-client:ok', 'container-lease:ok']],
    ['container gone', { ...facts, containerAlive: false }, ['container:fail']],
    ['veth off the bridge', { ...facts, links: [{ ...PORT, master: undefined }] }, ['container:ok', 'container-port:fail', 'container-client:ok', 'container-lease:ok']],
    ['veth down', { ...facts, links: [{ ...PORT, up: false }] }, ['container:ok', 'container-port:fail', 'container-client:ok', 'container-lease:ok']],
    ['veth gone', { ...facts, links: [] }, ['container:ok', 'container-port:fail', 'container-client:ok', 'container-lease:ok']],
    ['client dead', { ...facts, clientAlive: false }, ['container:ok', 'container-port:ok', 'container-client:fail', 'container-lease:ok']],
    ['no lease', { ...facts, record: { ...record, lease: null } }, ['container:ok', 'container-port:ok', 'container-client:ok', 'container-lease:fail']],
    ['rebinding', { ...facts, now: new Date('2026-01-01T01:45:00.000Z') }, ['container:ok', 'container-port:ok', 'container-client:ok', 'container-lease:warn']],
    ['expired', { ...facts, now: new Date('2026-01-01T02:00:00.000Z') }, ['container:ok', 'container-port:ok', 'container-client:ok', 'container-lease:fail']],
  ])('%s', (_name, input, expected) => {
    expect(verdicts(checkContainer(input))).toEqual(expected);
  });

  it('says when it last heard a server', () => {
    expect(checkContainer(facts).at(-1)!.message).toBe('container "cccccccccccc" has 10.0.2.100/24 (bound); last heard a server 10m00s ago (2026-01-01T00:50:00.000Z); expires in 50m00s');
  });
});

describe('formatFindings', () => {
  it('one line per finding, with its fix', () => {
    const findings: Finding[] = [{ check: 'bridge', verdict: 'fail', message: 'x', fix: 'y' }, { check: 'br-netfilter', verdict: 'ok', message: 'z', fix: null }];
    expect(formatFindings(findings)).toBe('FAIL  bridge        x; fix: y\nok    br-netfilter  z\n');
    expect(hasFailure(findings)).toBe(true);
    expect(hasFailure(findings.slice(1))).toBe(false);
  });
});

const MOUNTINFO = [
  '22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw',
  '25 22 0:21 / /run rw,nosuid,nodev,noexec,relatime shared:5 - tmpfs tmpfs rw,mode=755',
  '26 25 0:22 / /run/lock rw,nosuid,nodev,relatime shared:6 - tmpfs tmpfs rw',
  '27 22 0:23 / /srv/my\\040dir rw,noexec shared:7 - tmpfs tmpfs rw',
].join('\n');

describe('checkHelperDir', () => {
  it.each([
    ['/var/lib/ipper', 'ok', '/'],
    ['/run/ipper', 'fail', '/run'],
    ['/run/lock/ipper', 'ok', '/run/lock'],
    ['/runner', 'ok', '/'],
    ['/srv/my dir/x', 'fail', '/srv/my dir'],
  ])('%s: %s (on %s)', (path, verdict, point) => {
    expect(mountOf(path, MOUNTINFO)?.point).toBe(point);
    expect(checkHelperDir({ path, mountinfo: MOUNTINFO })[0]!.verdict).toBe(verdict);
  });

  it('takes the last mount over a point', () => {
    expect(mountOf('/run/x', `${MOUNTINFO}\n30 25 0:30 / /run rw,relatime - tmpfs tmpfs rw`)?.options).toEqual(['rw', 'relatime']);
  });
});
