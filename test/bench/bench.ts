// npm run bench: the hook's latency against baselines measured in the same run, on the lab.
//   node-floor  `node -e 0`: the least any Node.js hook can take
//   shell       pipework's way: ip link add + ip link set up + `udhcpc -q` with a script that
//               configures the address (a client that exits after the first lease: no renewal)
//   ipper <client>  `ipper hook createRuntime` until it exits with the lease applied (warm
//               supervisor), once per DHCP client (config dhcpClient), and its poststop
//   dhcpcd ...  a bare `dhcpcd -1` exchange (no ipper) with its compiled-in defaults and with
//               each option ipper adds: what makes dhcpcd slow, and what fixes it
//   cni ...     CNI ADD and DEL: ipper's plugin (udhcpc and dhcpcd, warm supervisor) against
//               Debian's `bridge` plugin with `dhcp` IPAM (its daemon running), on a fresh
//               namespace each round, until the plugin exits with its result
// Prints medians and ratios; timings belong here, never in tests.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { startFakeContainer } from '../lab/fake-container.js';
import { destroyLab, ensureLab, pause, type LabOptions } from '../lab/lab.js';

const ipper = resolve(dirname(process.argv[1] ?? '.'), 'ipper');
const rounds = Number(process.env['BENCH_ROUNDS'] ?? 20);
// IPPER_LAB_PREFIX: two checkouts benchmarking on one machine get labs of their own.
const prefix = process.env['IPPER_LAB_PREFIX'] ?? '';
const dir = `/run/ipper-lab/${prefix}bench`;
const labOptions: LabOptions = { name: `${prefix}ipbench`, subnet: '10.97.70', domain: 'bench.test', dir: `${dir}/lab` };

function now(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

function must(file: string, args: string[], input?: string, env: Record<string, string> = { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' }): void {
  const result = spawnSync(file, args, { input: input ?? '', env, encoding: 'utf8', timeout: 30_000 });
  if (result.status !== 0) throw new Error(`${file} ${args.join(' ')}: ${result.stderr}`);
}


function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? NaN;
}

function p90(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.9))] ?? NaN;
}

const SHELL_SCRIPT = `#!/bin/sh
[ "$1" = bound ] || exit 0
/usr/sbin/ip addr add "$ip/$mask" dev "$interface"
[ -n "$router" ] && /usr/sbin/ip route add default via "$router" dev "$interface"
exit 0
`;

const CLIENTS = ['udhcpc', 'dhclient', 'dhcpcd'] as const;
/** dhcpcd configurations for the bare exchange: its defaults, each option ipper sets on its own, and ipper's whole set. */
const DHCPCD_VARIANTS: Record<string, string[]> = {
  'dhcpcd defaults': [],
  'dhcpcd +nodelay': ['nodelay'],
  'dhcpcd +noarp': ['noarp'],
  'dhcpcd +ipv4only': ['ipv4only'],
  'dhcpcd ipper': ['nodelay', 'noarp', 'ipv4only', 'noipv4ll'],
};
const dhcpcdRounds = Number(process.env['BENCH_DHCPCD_ROUNDS'] ?? 5);
const cniRounds = Number(process.env['BENCH_CNI_ROUNDS'] ?? 10);
const CNI_PLUGINS = '/usr/lib/cni';

/** One CNI call as a runtime makes it, timed until the plugin exits; throws on an error result. */
function cniCall(hostNs: string, plugin: string, command: 'ADD' | 'DEL', containerId: string, netns: string, config: object, extraEnv: Record<string, string> = {}): number {
  const start = now();
  must('/usr/bin/nsenter', [`--net=/run/netns/${hostNs}`, '--', plugin], JSON.stringify(config), {
    PATH: '/usr/sbin:/usr/bin:/sbin:/bin', CNI_COMMAND: command, CNI_CONTAINERID: containerId, CNI_NETNS: netns, CNI_IFNAME: 'eth0', CNI_PATH: CNI_PLUGINS, ...extraEnv,
  });
  return now() - start;
}

/** ADD and DEL latency of ipper's plugin and of bridge + dhcp, in the same rounds. */
function benchCni(lab: { hostNs: string; bridge: string }, results: Record<string, number[]>, configs: Record<string, string>): void {
  const socket = `${dir}/cni-dhcp.sock`;
  rmSync(socket, { force: true });
  const daemon = spawn('/usr/bin/nsenter', [`--net=/run/netns/${lab.hostNs}`, '--', `${CNI_PLUGINS}/dhcp`, 'daemon', '-socketpath', socket], { stdio: 'ignore' });
  try {
    for (let i = 0; i < 500 && !existsSync(socket); i++) pause(10);
    const bridgeConf = { cniVersion: '1.0.0', name: 'benchnet', type: 'bridge', bridge: lab.bridge, isGateway: false, ipMasq: false, ipam: { type: 'dhcp', daemonSocketPath: socket } };
    const ipperConf = { cniVersion: '1.0.0', name: 'benchnet', type: 'ipper', bridge: lab.bridge };
    const runs: [string, string, object, Record<string, string>][] = [
      ['cni ipper udhcpc', ipper, ipperConf, { IPPER_CONFIG: configs['udhcpc']! }],
      ['cni ipper dhcpcd', ipper, ipperConf, { IPPER_CONFIG: configs['dhcpcd']! }],
      ['cni bridge+dhcp', `${CNI_PLUGINS}/bridge`, bridgeConf, {}],
    ];
    for (const [name] of runs) {
      results[`${name} ADD`] = [];
      results[`${name} DEL`] = [];
    }
    for (let round = -1; round < cniRounds; round++) {
      for (const [name, plugin, config, env] of runs) {
        const container = startFakeContainer(lab.hostNs);
        const id = `cnibench${round + 10}${name.replace(/\W/g, '')}${process.pid}`;
        const netns = `/proc/${container.pid}/ns/net`;
        try {
          const add = cniCall(lab.hostNs, plugin, 'ADD', id, netns, config, env);
          const del = cniCall(lab.hostNs, plugin, 'DEL', id, netns, config, env);
          if (round >= 0) {
            results[`${name} ADD`]!.push(add);
            results[`${name} DEL`]!.push(del);
          }
        } finally {
          container.stop();
        }
      }
    }
  } finally {
    daemon.kill('SIGTERM');
  }
}

/** A bare dhcpcd exchange in a fresh namespace, files of its own (as ipper runs it), until `dhcpcd -1` exits bound. */
function bareDhcpcd(hostNs: string, bridge: string, round: number, options: string[]): number {
  const container = startFakeContainer(hostNs);
  const inHost = ['/usr/bin/nsenter', `--net=/run/netns/${hostNs}`, '--'];
  const veth = `dcb${round + 10}`;
  const files = `${dir}/dhcpcd-bare`;
  rmSync(files, { recursive: true, force: true });
  for (const sub of ['run', 'db']) mkdirSync(`${files}/${sub}`, { recursive: true });
  writeFileSync(`${files}/dhcpcd.conf`, ['clientid', ...options, ''].join('\n'));
  try {
    must(inHost[0]!, [...inHost.slice(1), '/usr/sbin/ip', 'link', 'add', veth, 'master', bridge, 'up', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', String(container.pid)]);
    const inContainer = ['/usr/bin/nsenter', `--net=/proc/${container.pid}/ns/net`, '--'];
    must(inContainer[0]!, [...inContainer.slice(1), '/usr/sbin/ip', 'link', 'set', 'eth0', 'up']);
    const start = now();
    must(inContainer[0]!, [...inContainer.slice(1), `${dir}/lib-dhcpcd/ipper-helper`, '--bind', `${files}/run`, '/run/dhcpcd', '--bind', `${files}/db`, '/var/lib/dhcpcd', '--',
      '/usr/sbin/dhcpcd', '-1', '-B', '-f', `${files}/dhcpcd.conf`, '-c', '/bin/true', 'eth0']);
    return now() - start;
  } finally {
    must(inHost[0]!, [...inHost.slice(1), '/usr/sbin/ip', 'link', 'del', veth]);
    container.stop();
  }
}

function main(): void {
  destroyLab(labOptions); // first: it stops the last run's server through its pid file in dir
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const lab = ensureLab(labOptions);
  const inHost = ['/usr/bin/nsenter', `--net=/run/netns/${lab.hostNs}`, '--'];
  // One configuration (and so one supervisor) per client, measured in the same rounds.
  const configs = Object.fromEntries(CLIENTS.map((client) => {
    const config = `${dir}/config-${client}.json`;
    writeFileSync(config, JSON.stringify({ bridge: lab.bridge, dhcpClient: client, stateDir: `${dir}/state-${client}`, helperDir: `${dir}/lib-${client}`, logFile: `${dir}/ipper-${client}.log`, logLevel: process.env['BENCH_LOG_LEVEL'] ?? 'info' }));
    return [client, config];
  }));
  writeFileSync(`${dir}/shell-udhcpc.sh`, SHELL_SCRIPT, { mode: 0o755 });
  const results: Record<string, number[]> = { 'node-floor': [], shell: [] };
  for (const client of CLIENTS) {
    results[`ipper ${client}`] = [];
    results[`${client} poststop`] = [];
  }

  // Warm-up: start the supervisor and fill the page cache, untimed.
  for (let round = -2; round < rounds; round++) {
    let start = now();
    must(process.execPath, ['-e', '0']);
    if (round >= 0) results['node-floor']!.push(now() - start);

    const shellContainer = startFakeContainer(lab.hostNs);
    const veth = `shb${round + 10}`;
    start = now();
    must(inHost[0]!, [...inHost.slice(1), '/usr/sbin/ip', 'link', 'add', veth, 'master', lab.bridge, 'up', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', String(shellContainer.pid)]);
    const inContainer = ['/usr/bin/nsenter', `--net=/proc/${shellContainer.pid}/ns/net`, '--'];
    must(inContainer[0]!, [...inContainer.slice(1), '/usr/sbin/ip', 'link', 'set', 'eth0', 'up']);
    must(inContainer[0]!, [...inContainer.slice(1), '/usr/sbin/udhcpc', '-q', '-n', '-i', 'eth0', '-s', `${dir}/shell-udhcpc.sh`, '-t', '3', '-T', '2']);
    if (round >= 0) results['shell']!.push(now() - start);
    must(inHost[0]!, [...inHost.slice(1), '/usr/sbin/ip', 'link', 'del', veth]);
    shellContainer.stop();

    for (const client of CLIENTS) {
      const container = startFakeContainer(lab.hostNs);
      const id = `bench-${client}-${round + 10}-${process.pid}`;
      const state = (status: string, pid?: number): string => JSON.stringify({ ociVersion: '1.0.2', id, status, bundle: '/', ...(pid && { pid }) });
      start = now();
      must(inHost[0]!, [...inHost.slice(1), ipper, 'hook', 'createRuntime'], state('creating', container.pid), { IPPER_CONFIG: configs[client]! });
      if (round >= 0) results[`ipper ${client}`]!.push(now() - start);
      container.stop();
      start = now();
      must(inHost[0]!, [...inHost.slice(1), ipper, 'hook', 'poststop'], state('stopped'), { IPPER_CONFIG: configs[client]! });
      if (round >= 0) results[`${client} poststop`]!.push(now() - start);
    }
  }
  // Fewer rounds: dhcpcd's defaults take seconds each.
  for (const [name, options] of Object.entries(DHCPCD_VARIANTS)) {
    results[name] = [];
    for (let round = 0; round < dhcpcdRounds; round++) results[name]!.push(bareDhcpcd(lab.hostNs, lab.bridge, round, options));
  }

  if (cniRounds > 0) benchCni(lab, results, configs);

  const shell = median(results['shell']!);
  const floor = median(results['node-floor']!);
  console.log(`rounds: ${rounds} (medians and p90 in ms; ratio = median / baseline median)`);
  for (const [name, values] of Object.entries(results)) {
    const m = median(values);
    console.log(`${name.padEnd(22)} median ${m.toFixed(1).padStart(7)}  p90 ${p90(values).toFixed(1).padStart(7)}  x shell ${(m / shell).toFixed(2)}  x node-floor ${(m / floor).toFixed(2)}`);
  }
  for (const client of CLIENTS) {
    try {
      process.kill(Number(readFileSync(`${dir}/state-${client}/supervisor.pid`, 'utf8')), 'SIGTERM');
    } catch {
      // not running
    }
  }
  destroyLab(labOptions);
}

main();
