// npm run bench [-- --json FILE] [--podman] [--dhcpcd-variants] [--keep]: the hook's latency against
// baselines measured in the same run, on a lab of its own, one table (timings belong here, never
// in tests). Rounds interleave every scenario, so that the machine's load falls on all alike.
//   node-floor      `node -e 0`: the least any Node.js hook can take
//   ipper-start     `ipper --version`: the packaged binary's bare start
//   shell-udhcpc    pipework's way: ip link add + ip link set up + `udhcpc -q` with a script that
//                   configures the address (a client that exits after the first lease: no renewal)
//   shell-dhcpcd    the same with `dhcpcd -1` and the options ipper's driver gives it (the default client)
//   ipper-<client>  `ipper hook createRuntime` until it exits with the lease applied (warm
//                   supervisor, bridge filter on), once per DHCP client; and its poststop
//   cni ... add/del the CNI `bridge` plugin with `dhcp` IPAM (/usr/lib/cni, its daemon started here),
//                   and ipper's own CNI plugin per client (warm supervisor), ADD then DEL on a fresh namespace
//   podman-*        (--podman) `podman run --rm true`: --network none, with ipper's hook, and
//                   Podman's default bridge network (netavark where installed; Debian 12's Podman
//                   4.3 without it: its CNI backend), on the lab with a private storage and config
//   dhcpcd ...      (--dhcpcd-variants) a bare `dhcpcd -1` exchange with its defaults and with each
//                   option ipper adds: what makes dhcpcd slow, and what fixes it
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { cpus, loadavg, release } from 'node:os';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { startFakeContainer } from '../lab/fake-container.js';
import { destroyLab, ensureLab, pause, type Lab, type LabOptions } from '../lab/lab.js';
import { busyboxImageTar } from '../lab/runc.js';

const here = dirname(process.argv[1] ?? '.');
const ipper = resolve(here, 'ipper');
const argv = process.argv.slice(2);
const flag = (name: string): boolean => argv.includes(name);
const option = (name: string): string | undefined => {
  const at = argv.indexOf(name);
  return at < 0 ? undefined : argv[at + 1];
};
const rounds = Number(process.env['BENCH_ROUNDS'] ?? 20);
const cniRounds = Number(process.env['BENCH_CNI_ROUNDS'] ?? 5);
const podmanRounds = Number(process.env['BENCH_PODMAN_ROUNDS'] ?? 10);
const dhcpcdRounds = Number(process.env['BENCH_DHCPCD_ROUNDS'] ?? 5);
const clients = (process.env['BENCH_CLIENTS'] ?? 'dhcpcd,udhcpc,dhclient').split(',').filter(Boolean);
// BENCH_COMPARE=<another ipper binary>: measured in the same rounds as `before-<client>`, for before/after ratios of a change.
const builds: { label: string; binary: string }[] = [{ label: 'ipper', binary: ipper }, ...(process.env['BENCH_COMPARE'] ? [{ label: 'before', binary: process.env['BENCH_COMPARE'] }] : [])];
// IPPER_LAB_PREFIX: two checkouts benchmarking on one machine get labs of their own.
const prefix = process.env['IPPER_LAB_PREFIX'] ?? '';
const dir = `/run/ipper-lab/${prefix}bench`;
const labOptions: LabOptions = { name: `${prefix}ipbench`, subnet: '10.97.70', domain: 'bench.test', dir: `${dir}/lab` };
const PATH_ENV = { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' };
const CNI_DIR = '/usr/lib/cni';

function now(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

function must(file: string, args: readonly string[], input?: string, env: Record<string, string> = PATH_ENV, timeout = 30_000): string {
  const result = spawnSync(file, args, { input: input ?? '', env, encoding: 'utf8', timeout });
  if (result.status !== 0) throw new Error(`${file} ${args.join(' ')}: exit ${String(result.status)} ${result.stderr}${result.stdout}`);
  return result.stdout;
}

/** Times one synchronous step. */
function timed(step: () => unknown): number {
  const start = now();
  step();
  return now() - start;
}

// ---- statistics and the table ---------------------------------------------------------------

interface Stats {
  n: number;
  median: number;
  p90: number;
  min: number;
  max: number;
}

function quantile(sorted: readonly number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * q))] ?? NaN;
}

function stats(values: readonly number[]): Stats {
  const sorted = [...values].sort((a, b) => a - b);
  return { n: sorted.length, median: quantile(sorted, 0.5), p90: quantile(sorted, 0.9), min: sorted[0] ?? NaN, max: sorted[sorted.length - 1] ?? NaN };
}

const samples = new Map<string, number[]>();

function record(name: string, ms: number): void {
  if (!samples.has(name)) samples.set(name, []);
  samples.get(name)!.push(ms);
}

// ---- scenarios ------------------------------------------------------------------------------

const SHELL_UDHCPC_SCRIPT = `#!/bin/sh
[ "$1" = bound ] || exit 0
/usr/sbin/ip addr add "$ip/$mask" dev "$interface"
[ -n "$router" ] && /usr/sbin/ip route add default via "$router" dev "$interface"
exit 0
`;

/** The options ipper's dhcpcd driver sets (src/dhcp/dhcpcd.ts), minus noconfigure: here dhcpcd configures the address itself. */
const DHCPCD_IPPER_OPTIONS = ['nodelay', 'noarp', 'ipv4only', 'noipv4ll'];

/** dhcpcd configurations for the bare exchange: its defaults, each option ipper sets on its own, and ipper's whole set. */
const DHCPCD_VARIANTS: Record<string, string[]> = {
  'dhcpcd defaults': [],
  'dhcpcd +nodelay': ['nodelay'],
  'dhcpcd +noarp': ['noarp'],
  'dhcpcd +ipv4only': ['ipv4only'],
  'dhcpcd ipper': DHCPCD_IPPER_OPTIONS,
};

function inHost(lab: Lab): string[] {
  return ['/usr/bin/nsenter', `--net=/run/netns/${lab.hostNs}`, '--'];
}

function inPid(pid: number): string[] {
  return ['/usr/bin/nsenter', `--net=/proc/${pid}/ns/net`, '--'];
}

function run(prefixArgv: readonly string[], args: readonly string[], input?: string, env?: Record<string, string>): string {
  return must(prefixArgv[0]!, [...prefixArgv.slice(1), ...args], input, env);
}

/**
 * The shell sequence: veth made with the container end in the container's namespace, raised, and
 * the client run until it exits bound. Timed from the first `ip` to the client's exit.
 */
function shellSequence(lab: Lab, veth: string, client: (pid: number) => void): number {
  const container = startFakeContainer(lab.hostNs);
  try {
    return timed(() => {
      run(inHost(lab), ['/usr/sbin/ip', 'link', 'add', veth, 'master', lab.bridge, 'up', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', String(container.pid)]);
      run(inPid(container.pid), ['/usr/sbin/ip', 'link', 'set', 'eth0', 'up']);
      client(container.pid);
    });
  } finally {
    run(inHost(lab), ['/usr/sbin/ip', 'link', 'del', veth]);
    container.stop();
  }
}

function shellUdhcpc(lab: Lab, round: number): number {
  return shellSequence(lab, `shb${round}`, (pid) => run(inPid(pid), ['/usr/sbin/udhcpc', '-q', '-n', '-i', 'eth0', '-s', `${dir}/shell-udhcpc.sh`, '-t', '3', '-T', '2']));
}

/** dhcpcd as ipper's driver runs it: its run and lease directories bind-mounted by ipper-helper (dhcpcd fixes them at build time). */
function dhcpcdOnce(pid: number, options: readonly string[]): void {
  const files = `${dir}/dhcpcd-shell`;
  rmSync(files, { recursive: true, force: true });
  for (const sub of ['run', 'db']) mkdirSync(`${files}/${sub}`, { recursive: true });
  writeFileSync(`${files}/dhcpcd.conf`, ['clientid', ...options, ''].join('\n'));
  run(inPid(pid), [`${dir}/lib-dhcpcd/ipper-helper`, '--bind', `${files}/run`, '/run/dhcpcd', '--bind', `${files}/db`, '/var/lib/dhcpcd', '--',
    '/usr/sbin/dhcpcd', '-1', '-B', '-4', '-f', `${files}/dhcpcd.conf`, '-c', '/bin/true', 'eth0']);
}

function shellDhcpcd(lab: Lab, round: number): number {
  return shellSequence(lab, `shd${round}`, (pid) => dhcpcdOnce(pid, DHCPCD_IPPER_OPTIONS));
}

/** A bare dhcpcd exchange (no ip commands timed): what each option costs. */
function bareDhcpcd(lab: Lab, round: number, options: readonly string[]): number {
  const container = startFakeContainer(lab.hostNs);
  const veth = `dcb${round}`;
  try {
    run(inHost(lab), ['/usr/sbin/ip', 'link', 'add', veth, 'master', lab.bridge, 'up', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', String(container.pid)]);
    run(inPid(container.pid), ['/usr/sbin/ip', 'link', 'set', 'eth0', 'up']);
    return timed(() => dhcpcdOnce(container.pid, options));
  } finally {
    run(inHost(lab), ['/usr/sbin/ip', 'link', 'del', veth]);
    container.stop();
  }
}

function ipperConfig(lab: Lab, client: string, label = 'ipper'): string {
  const name = label === 'ipper' ? client : `${label}-${client}`;
  const config = `${dir}/config-${name}.json`;
  writeFileSync(config, JSON.stringify({ bridge: lab.bridge, dhcpClient: client, bridgeFilter: true, stateDir: `${dir}/state-${name}`, helperDir: `${dir}/lib-${name}`, logFile: `${dir}/ipper-${name}.log`, logLevel: process.env['BENCH_LOG_LEVEL'] ?? 'info' }));
  return config;
}

/** createRuntime, then poststop, through the real hook in the lab's host namespace. */
function ipperHook(lab: Lab, client: string, config: string, round: number, binary = ipper): { create: number; poststop: number } {
  const container = startFakeContainer(lab.hostNs);
  const id = `bench-${client}-${round}-${process.pid}-${binary === ipper ? 'a' : 'b'}`;
  const state = (status: string, pid?: number): string => JSON.stringify({ ociVersion: '1.0.2', id, status, bundle: '/', ...(pid && { pid }) });
  const env = { IPPER_CONFIG: config };
  const create = timed(() => run(inHost(lab), [binary, 'hook', 'createRuntime'], state('creating', container.pid), env));
  container.stop();
  const poststop = timed(() => run(inHost(lab), [binary, 'hook', 'poststop'], state('stopped'), env));
  return { create, poststop };
}

// ---- CNI ------------------------------------------------------------------------------------

/**
 * A CNI plugin pair to measure: ADD until it exits with the result, DEL until it exits. ipper's
 * own CNI plugin goes in this list once it exists (its netconf, the same lab bridge).
 */
interface CniSubject {
  name: string;
  /** The plugin's executable. */
  plugin: string;
  netconf: (lab: Lab) => object;
  /** The plugin's own environment (ipper's: its config, hence its warm supervisor). */
  env?: Record<string, string>;
}

function cniSubjects(configs: Record<string, string>): CniSubject[] {
  const subjects: CniSubject[] = [{
    name: 'cni bridge+dhcp',
    plugin: `${CNI_DIR}/bridge`,
    netconf: (lab) => ({ cniVersion: '1.0.0', name: 'benchnet', type: 'bridge', bridge: lab.bridge, isGateway: false, ipMasq: false, ipam: { type: 'dhcp', daemonSocketPath: `${dir}/cni-dhcp.sock` } }),
  }];
  // ipper as a CNI plugin (the same binary, CNI_COMMAND in its environment), with each client's config.
  for (const client of clients) {
    const config = configs[`ipper-${client}`];
    if (config !== undefined) subjects.push({ name: `cni ipper-${client}`, plugin: ipper, netconf: (lab) => ({ cniVersion: '1.0.0', name: 'benchnet', type: 'ipper', bridge: lab.bridge }), env: { IPPER_CONFIG: config } });
  }
  return subjects;
}

/** The CNI dhcp daemon, in the lab's host namespace (it enters the containers' namespaces itself). */
function startCniDhcpDaemon(lab: Lab): ChildProcess {
  rmSync(`${dir}/cni-dhcp.sock`, { force: true });
  const daemon = spawn(inHost(lab)[0]!, [...inHost(lab).slice(1), `${CNI_DIR}/dhcp`, 'daemon', '-socketpath', `${dir}/cni-dhcp.sock`, '-timeout', '10s'], { stdio: 'ignore', env: PATH_ENV });
  for (let i = 0; i < 500 && !existsSync(`${dir}/cni-dhcp.sock`); i++) pause(10);
  if (!existsSync(`${dir}/cni-dhcp.sock`)) throw new Error('the CNI dhcp daemon did not start');
  return daemon;
}

function cniPair(lab: Lab, subject: CniSubject, round: number): { add: number; del: number } {
  const container = startFakeContainer(lab.hostNs);
  const env = { ...PATH_ENV, CNI_NETNS: `/proc/${container.pid}/ns/net`, CNI_IFNAME: 'eth0', CNI_CONTAINERID: `benchcni${round}${subject.name.replace(/\W/g, '')}${process.pid}`, CNI_PATH: CNI_DIR, ...subject.env };
  const config = JSON.stringify(subject.netconf(lab));
  try {
    const add = timed(() => run(inHost(lab), [subject.plugin], config, { ...env, CNI_COMMAND: 'ADD' }));
    const del = timed(() => run(inHost(lab), [subject.plugin], config, { ...env, CNI_COMMAND: 'DEL' }));
    return { add, del };
  } finally {
    container.stop();
  }
}

// ---- Podman ---------------------------------------------------------------------------------

const PODMAN_IMAGE = 'localhost/ipper-bench:latest';

/** Rootful Podman in the lab's host namespace with a private storage, config and hooks dir (as test/helpers/podman.ts). */
function podmanSetup(lab: Lab, config: string): (args: readonly string[]) => void {
  const podmanDir = `${dir}/podman`;
  mkdirSync(`${podmanDir}/hooks`, { recursive: true });
  writeFileSync(`${podmanDir}/containers.conf`, '[containers]\ndefault_ulimits = ["nofile=20000:20000", "nproc=20000:20000"]\n[engine]\nruntime = "runc"\ncgroup_manager = "cgroupfs"\nevents_logger = "file"\n');
  const entry = JSON.parse(readFileSync(resolve(here, '../hooks.d/ipper.json'), 'utf8')) as { hook: { path: string; env?: string[] } };
  entry.hook.path = ipper;
  entry.hook.env = [`IPPER_CONFIG=${config}`];
  writeFileSync(`${podmanDir}/hooks/ipper.json`, JSON.stringify(entry));
  const base = [...inHost(lab), '/usr/bin/podman', '--root', `${podmanDir}/root`, '--runroot', `${podmanDir}/runroot`, '--storage-driver', 'vfs', '--hooks-dir', `${podmanDir}/hooks`];
  const env = { ...PATH_ENV, CONTAINERS_CONF: `${podmanDir}/containers.conf` };
  const podman = (args: readonly string[]): void => {
    must(base[0]!, [...base.slice(1), ...args], undefined, env, 120_000);
  };
  podman(['import', busyboxImageTar(`${dir}/rootfs`, `${dir}/busybox.tar`), PODMAN_IMAGE]);
  return podman;
}

// ---- the run --------------------------------------------------------------------------------

function stopSupervisors(): void {
  if (!existsSync(dir)) return;
  for (const name of readdirSync(dir).filter((entry) => entry.startsWith('state-'))) {
    try {
      const pid = Number(readFileSync(`${dir}/${name}/supervisor.pid`, 'utf8'));
      process.kill(pid, 'SIGTERM');
      for (let i = 0; i < 250 && existsSync(`/proc/${pid}`); i++) pause(20);
    } catch {
      // not running
    }
  }
}

function main(): void {
  destroyLab(labOptions); // first: it stops the last run's server through its pid file in dir
  stopSupervisors(); // a --keep run's
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const lab = ensureLab(labOptions);
  const loadBefore = loadavg();
  const configs = Object.fromEntries(builds.flatMap(({ label }) => clients.map((client) => [`${label}-${client}`, ipperConfig(lab, client, label)])));
  writeFileSync(`${dir}/shell-udhcpc.sh`, SHELL_UDHCPC_SCRIPT, { mode: 0o755 });
  // The dhcpcd shell sequence runs dhcpcd through ipper-helper, as ipper does: take it from the dhcpcd supervisor's helper dir.
  const helperClient = configs['ipper-dhcpcd'] ?? ipperConfig(lab, 'dhcpcd');
  const daemon = startCniDhcpDaemon(lab);
  try {
    // Two untimed warm-up rounds: the supervisors start, the page cache fills.
    for (let round = -2; round < rounds; round++) {
      const keep = (name: string, ms: number): void => {
        if (round >= 0) record(name, ms);
      };
      keep('node-floor', timed(() => must(process.execPath, ['-e', '0'])));
      for (const { label, binary } of builds) keep(`${label}-start`, timed(() => must(binary, ['--version'], undefined, {})));
      keep('shell-udhcpc', shellUdhcpc(lab, round + 10));
      for (const client of clients) {
        for (const { label, binary } of builds) {
          const { create, poststop } = ipperHook(lab, client, configs[`${label}-${client}`]!, round + 10, binary);
          keep(`${label}-${client} create`, create);
          keep(`${label}-${client} poststop`, poststop);
        }
      }
      if (round === -2 && !clients.includes('dhcpcd')) ipperHook(lab, 'dhcpcd', helperClient, 0); // unpacks ipper-helper for the dhcpcd sequence
      keep('shell-dhcpcd', shellDhcpcd(lab, round + 10));
      if (round < cniRounds) {
        for (const subject of cniSubjects(configs)) {
          const { add, del } = cniPair(lab, subject, round + 10);
          keep(`${subject.name} add`, add);
          keep(`${subject.name} del`, del);
        }
      }
    }
    if (flag('--podman')) {
      const podman = podmanSetup(lab, configs[`ipper-${clients[0]!}`]!);
      const scenarios: [string, string[]][] = [
        ['podman none', ['--network', 'none']],
        ['podman ipper', ['--network', 'none', '--annotation', `ipper.bridge=${lab.bridge}`]],
        ['podman bridge', []],
      ];
      for (let round = -1; round < podmanRounds; round++) {
        for (const [name, args] of scenarios) {
          const ms = timed(() => podman(['run', '--rm', ...args, PODMAN_IMAGE, '/bin/busybox', 'true']));
          if (round >= 0) record(name, ms);
        }
      }
    }
    if (flag('--dhcpcd-variants')) {
      for (const [name, options] of Object.entries(DHCPCD_VARIANTS)) {
        for (let round = 0; round < dhcpcdRounds; round++) record(name, bareDhcpcd(lab, round + 10, options));
      }
    }
  } finally {
    daemon.kill('SIGTERM');
    if (!flag('--keep')) stopSupervisors();
  }
  report(loadBefore);
  // --keep: the lab and the supervisors stay up, to profile one hook by hand (the next run removes them).
  if (!flag('--keep')) destroyLab(labOptions);
  if (flag('--podman')) rmSync(`${dir}/podman`, { recursive: true, force: true });
}

function report(loadBefore: number[]): void {
  const table = Object.fromEntries([...samples].map(([name, values]) => [name, stats(values)]));
  const baseline = (name: string): number | undefined => table[name]?.median;
  const shell = baseline('shell-udhcpc');
  const shellSame = baseline('shell-dhcpcd');
  const cni = baseline('cni bridge+dhcp add');
  const ratio = (value: number, base: number | undefined): string => (base === undefined ? '   -  ' : (value / base).toFixed(2).padStart(6));
  const header = `cores ${cpus().length}, load ${loadBefore.map((l) => l.toFixed(2)).join(' ')} (before) ${loadavg().map((l) => l.toFixed(2)).join(' ')} (after), kernel ${release()}, node ${process.version}, rounds ${rounds} (cni ${cniRounds}${flag('--podman') ? `, podman ${podmanRounds}` : ''})`;
  const lines = [header, `${'ms'.padEnd(26)}${['n', 'median', 'p90', 'min', 'max', 'x shell', 'x sh-dhcpcd', 'x cni-add'].map((h, i) => (i === 0 ? h.padStart(4) : h.padStart(i >= 5 ? 12 : 8))).join('')}`];
  for (const [name, s] of Object.entries(table)) {
    lines.push(`${name.padEnd(26)}${String(s.n).padStart(4)}${[s.median, s.p90, s.min, s.max].map((v) => v.toFixed(1).padStart(8)).join('')}${ratio(s.median, shell).padStart(12)}${ratio(s.median, shellSame).padStart(12)}${ratio(s.median, cni).padStart(12)}`);
  }
  const goals: Record<string, { value: number; goal: number; met: boolean }> = {};
  const goal = (name: string, value: number | undefined, limit: number): void => {
    if (value !== undefined && Number.isFinite(value)) goals[name] = { value: Number(value.toFixed(3)), goal: limit, met: value <= limit };
  };
  const defaultClient = clients[0]!;
  const create = baseline(`ipper-${defaultClient} create`);
  const poststop = baseline(`ipper-${defaultClient} poststop`);
  if (shell !== undefined) {
    goal(`createRuntime (${defaultClient}) / shell-udhcpc`, create === undefined ? undefined : create / shell, 0.8);
    goal(`poststop (${defaultClient}) / shell-udhcpc`, poststop === undefined ? undefined : poststop / shell, 0.6);
  }
  if (cni !== undefined && create !== undefined) goal(`createRuntime (${defaultClient}) / cni bridge+dhcp add`, create / cni, 0.1);
  const cniIpper = baseline(`cni ipper-${defaultClient} add`);
  if (cni !== undefined && cniIpper !== undefined) goal(`cni ipper-${defaultClient} add / cni bridge+dhcp add`, cniIpper / cni, 0.1);
  const none = baseline('podman none');
  const withIpper = baseline('podman ipper');
  const bridge = baseline('podman bridge');
  if (none !== undefined && withIpper !== undefined && bridge !== undefined) {
    lines.push(`podman overhead over --network none: ipper ${(withIpper - none).toFixed(1)} ms, Podman's default bridge ${(bridge - none).toFixed(1)} ms`);
    goal('podman: ipper overhead / default bridge overhead', (withIpper - none) / (bridge - none), 0.5);
  }
  // BENCH_COMPARE: each round's after/before ratio (rounds interleave, so the machine's load changes cancel), then their median.
  for (const [name, before] of samples) {
    const after = name.startsWith('before-') ? samples.get(name.replace(/^before-/, 'ipper-')) : undefined;
    if (after === undefined) continue;
    const ratios = after.map((value, round) => value / (before[round] ?? NaN)).filter(Number.isFinite);
    lines.push(`${name.replace(/^before-/, 'ipper-')}: after/before, median of per-round ratios ${stats(ratios).median.toFixed(2)} (medians ${stats(after).median.toFixed(1)} / ${stats(before).median.toFixed(1)} ms)`);
  }
  for (const [name, g] of Object.entries(goals)) lines.push(`goal ${name}: ${g.value.toFixed(2)} (at most ${g.goal}) ${g.met ? 'met' : 'NOT met'}`);
  console.log(lines.join('\n'));
  const jsonFile = option('--json');
  if (jsonFile !== undefined) {
    writeFileSync(jsonFile, `${JSON.stringify({ date: new Date().toISOString(), cores: cpus().length, loadBefore, loadAfter: loadavg(), kernel: release(), node: process.version, rounds, cniRounds, podmanRounds: flag('--podman') ? podmanRounds : 0, results: table, samples: Object.fromEntries(samples), goals }, null, 2)}\n`);
    console.log(`JSON: ${jsonFile}`);
  }
}

main();
