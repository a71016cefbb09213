// npm run bench -- --scale N, or npm run scale [-- --count N] [--client dhcpcd|udhcpc|dhclient] [--json FILE] [--keep]: N real
// runc containers (default 1000) on a lab of its own with a /16 (dnsmasq's lease limit raised),
// created 10 at a time through ipper's hooks and left running. Reports: every container leased
// with a distinct MAC and address; createRuntime (the hook alone, on a probe container, one at a
// time) at 10, 100, 500 and N live, and `runc create` of the batches; the supervisor's resident
// memory and the DHCP clients' memory per container at N live; then removes them all, 10 at a
// time, and checks that nothing is left: no link, record, client, filter element or server lease.
// A script, not a test: `npm test` never runs it.
//
// --backlog N raises net.core.netdev_max_backlog (host-wide; put back at the end) for the run: a
// broadcast on a bridge with ~1000 veth ports is queued once per port on one CPU's backlog, and
// past 1000 (the kernel's default) the copies beyond are dropped, the DHCP server's among them.
import { spawn } from 'node:child_process';
import { closeSync, copyFileSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, resolve } from 'node:path';
import { startFakeContainer } from '../lab/fake-container.js';
import { destroyLab, ensureLab, inNs, pause, serverLeases, sh, type Lab, type LabOptions } from '../lab/lab.js';
import { ensureBusyboxRootfs, writeBundle } from '../lab/runc.js';

// SCALE_IPPER: another build of ipper to run (a before/after comparison).
const ipper = process.env['SCALE_IPPER'] ?? resolve(dirname(process.argv[1] ?? '.'), 'ipper');
const argv = process.argv.slice(2);
const option = (name: string): string | undefined => {
  const at = argv.indexOf(name);
  return at < 0 ? undefined : argv[at + 1];
};
const count = Number(option('--scale') ?? option('--count') ?? 1000);
const client = option('--client') ?? 'dhcpcd';
const PARALLEL = 10;
const PROBES = Number(process.env['SCALE_PROBES'] ?? 7);
const prefix = process.env['IPPER_LAB_PREFIX'] ?? '';
const dir = `/run/ipper-lab/${prefix}scale`;
// A /16: room for the containers beside the lab's own .1-.3; leases of an hour, so that the run
// measures creates and not a thousand renewals.
const labOptions: LabOptions = {
  name: `${prefix}ipscale`, subnet: '10.98.0', domain: 'scale.test', dir: `${dir}/lab`,
  wide: { prefixLength: 16, netmask: '255.255.0.0', range: ['10.98.1.1', '10.98.250.254'], leaseTime: '1h' },
};
const RUNC = '/usr/sbin/runc';
const stateDir = `${dir}/state`;
const runcRoot = `${dir}/runc`;
const clientExe = `/usr/sbin/${client === 'udhcpc' ? 'udhcpc' : client}`;

function now(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

function quantile(values: readonly number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * q))] ?? NaN;
}

const median = (values: readonly number[]): number => quantile(values, 0.5);

/** runc in the lab's host namespace; its output goes to a file (a pipe would stay open for the container's life). */
function runc(args: readonly string[], output: string): Promise<{ ok: boolean; ms: number }> {
  const fd = openSync(output, 'w');
  const start = now();
  const child = spawn('/usr/bin/nsenter', [`--net=/run/netns/${labOptions.name}-host`, '--', RUNC, '--root', runcRoot, ...args], { stdio: ['ignore', fd, fd] });
  closeSync(fd);
  return new Promise((resolvePromise) => {
    child.once('exit', (code) => resolvePromise({ ok: code === 0, ms: now() - start }));
    child.once('error', () => resolvePromise({ ok: false, ms: now() - start }));
  });
}

/** A failed create is reported and counted, not fatal: the run goes on, and says so at the end. */
const failures: string[] = [];

const idOf = (index: number): string => `scale-${String(index).padStart(5, '0')}`;

async function createContainer(index: number): Promise<number | undefined> {
  const id = idOf(index);
  const bundle = `${dir}/bundles/${id}`;
  mkdirSync(bundle, { recursive: true });
  copyFileSync(`${dir}/template/config.json`, `${bundle}/config.json`);
  const created = await runc(['create', '--bundle', bundle, id], `${bundle}/runc.out`);
  if (!created.ok) {
    failures.push(`runc create ${id}: ${readFileSync(`${bundle}/runc.out`, 'utf8').trim()}`);
    console.error(failures.at(-1));
    return undefined;
  }
  const started = await runc(['start', id], `${bundle}/runc-start.out`);
  if (!started.ok) failures.push(`runc start ${id}: ${readFileSync(`${bundle}/runc-start.out`, 'utf8').trim()}`);
  return created.ms;
}

async function removeContainer(index: number): Promise<void> {
  const id = idOf(index);
  const removed = await runc(['delete', '--force', id], `${dir}/bundles/${id}/runc-delete.out`);
  if (!removed.ok) console.error(`runc delete ${id}: ${readFileSync(`${dir}/bundles/${id}/runc-delete.out`, 'utf8').trim()}`);
}

/** The hook alone, one create and one poststop at a time on a fake container: createRuntime at this many live. */
function probe(lab: Lab, config: string, live: number): number[] {
  const creates: number[] = [];
  for (let round = 0; round < PROBES; round++) {
    const container = startFakeContainer(lab.hostNs);
    const id = `probe-${live}-${round}`;
    const state = (status: string, pid?: number): string => JSON.stringify({ ociVersion: '1.0.2', id, status, bundle: '/', ...(pid && { pid }) });
    const hook = (stage: string, input: string): void => {
      sh('/usr/bin/nsenter', [`--net=/run/netns/${lab.hostNs}`, '--', ipper, 'hook', stage], { input, env: { IPPER_CONFIG: config }, timeoutMs: 60_000 });
    };
    const start = now();
    try {
      hook('createRuntime', state('creating', container.pid));
      creates.push(now() - start);
    } catch (error) {
      failures.push(`probe ${id}: ${(error as Error).message}`);
      console.error(failures.at(-1));
    }
    container.stop();
    hook('poststop', state('stopped'));
    // poststop answers once the release has left; the record goes just after: not counted among the live.
    for (let i = 0; i < 200 && existsSync(`${stateDir}/containers/${id}.json`); i++) pause(10);
  }
  return creates;
}

interface Records {
  count: number;
  leased: number;
  macs: number;
  ips: number;
  netnsInodes: Set<number>;
}

function readRecords(): Records {
  const files = existsSync(`${stateDir}/containers`) ? readdirSync(`${stateDir}/containers`).filter((name) => name.endsWith('.json')) : [];
  // A record may go between the listing and the read: the supervisor removes them after poststop answered.
  const records = files.flatMap((name) => {
    try {
      return [JSON.parse(readFileSync(`${stateDir}/containers/${name}`, 'utf8')) as { mac: string; lease: { ip: string } | null; netnsInode: number }];
    } catch {
      return [];
    }
  });
  const leased = records.filter((record) => record.lease !== null);
  return {
    count: records.length,
    leased: leased.length,
    macs: new Set(records.map((record) => record.mac)).size,
    ips: new Set(leased.map((record) => record.lease!.ip)).size,
    netnsInodes: new Set(records.map((record) => record.netnsInode)),
  };
}

function readStatus(pid: number | string, field: string): number {
  try {
    return Number(new RegExp(`${field}:\\s+(\\d+)`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
  } catch {
    return 0;
  }
}

function pssKiB(pid: string): number {
  try {
    return Number(/Pss:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'))?.[1] ?? 0);
  } catch {
    return 0;
  }
}

/** The DHCP client processes of this run: the client's executable, in one of the given network namespaces (or any of ours). */
function clientProcesses(netnsInodes: Set<number> | undefined): string[] {
  return readdirSync('/proc').filter((name) => /^\d+$/.test(name)).filter((pid) => {
    try {
      if (readlinkSync(`/proc/${pid}/exe`) !== clientExe) return false;
      const inode = Number(/\[(\d+)\]/.exec(readlinkSync(`/proc/${pid}/ns/net`))?.[1]);
      return netnsInodes === undefined ? readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(stateDir) || readFileSync(`/proc/${pid}/environ`, 'utf8').includes(stateDir) : netnsInodes.has(inode);
    } catch {
      return false;
    }
  });
}

/** Links in the lab host besides the lab's own. */
function leftoverLinks(lab: Lab): string[] {
  const links = JSON.parse(inNs(lab.hostNs, ['/usr/sbin/ip', '-j', 'link', 'show'])) as { ifname: string }[];
  return links.map((link) => link.ifname).filter((name) => !['lo', lab.bridge, 'lab-dhcp', 'lab-peer'].includes(name));
}

/** Elements left in the bridge filter's sets (every ipper table in the lab host). */
function leftoverFilterElements(lab: Lab): number {
  const tables = inNs(lab.hostNs, ['/usr/sbin/nft', '-j', 'list', 'tables', 'bridge']);
  const names = (JSON.parse(tables) as { nftables: { table?: { name: string } }[] }).nftables.flatMap((item) => (item.table === undefined ? [] : [item.table.name]));
  let elements = 0;
  for (const table of names) {
    const listed = JSON.parse(inNs(lab.hostNs, ['/usr/sbin/nft', '-j', 'list', 'table', 'bridge', table])) as { nftables: { set?: { elem?: unknown[] } }[] };
    for (const item of listed.nftables) elements += item.set?.elem?.length ?? 0;
  }
  return elements;
}

function supervisorPid(): number | undefined {
  try {
    return Number(readFileSync(`${stateDir}/supervisor.pid`, 'utf8'));
  } catch {
    return undefined;
  }
}

function stopSupervisor(): void {
  const pid = supervisorPid();
  if (pid === undefined) return;
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return;
  }
  for (let i = 0; i < 250 && existsSync(`/proc/${pid}`); i++) pause(20);
}

/** What a previous run (interrupted, or --keep) left: its containers, supervisor and lab. */
async function cleanPrevious(): Promise<void> {
  if (existsSync(runcRoot)) {
    const ids = sh('/usr/bin/nsenter', [`--net=/run/netns/${labOptions.name}-host`, '--', RUNC, '--root', runcRoot, 'list', '--quiet'], { allowFail: true }).split('\n').filter(Boolean);
    mkdirSync(`${dir}/bundles`, { recursive: true });
    for (let index = 0; index < ids.length; index += PARALLEL) {
      await Promise.all(ids.slice(index, index + PARALLEL).map((id) => runc(['delete', '--force', id], `${dir}/bundles/cleanup.out`)));
    }
  }
  stopSupervisor();
  destroyLab(labOptions);
  rmSync(dir, { recursive: true, force: true });
}

const BACKLOG = '/proc/sys/net/core/netdev_max_backlog';

async function main(): Promise<void> {
  const backlog = option('--backlog');
  const backlogBefore = readFileSync(BACKLOG, 'utf8').trim();
  if (backlog !== undefined) writeFileSync(BACKLOG, backlog);
  try {
    await run();
  } finally {
    if (backlog !== undefined) writeFileSync(BACKLOG, backlogBefore);
  }
}

async function run(): Promise<void> {
  await cleanPrevious();
  console.log(`net.core.netdev_max_backlog ${readFileSync(BACKLOG, 'utf8').trim()}`);
  mkdirSync(dir, { recursive: true });
  const lab = ensureLab(labOptions);
  const config = `${dir}/config.json`;
  writeFileSync(config, JSON.stringify({ bridge: lab.bridge, dhcpClient: client, bridgeFilter: true, stateDir, helperDir: `${dir}/lib`, logFile: `${dir}/ipper.log`, logLevel: 'info' }));
  // SCALE_NODE_OPTIONS: V8 flags for the supervisor, started here before the first hook (as a unit would), to compare its memory.
  if (process.env['SCALE_NODE_OPTIONS'] !== undefined) {
    spawn('/usr/bin/nsenter', [`--net=/run/netns/${lab.hostNs}`, '--', ipper, 'supervisor'], { detached: true, stdio: 'ignore', env: { IPPER_CONFIG: config, NODE_OPTIONS: process.env['SCALE_NODE_OPTIONS'] } }).unref();
    for (let i = 0; i < 500 && !existsSync(`${stateDir}/supervisor.sock`); i++) pause(10);
  }
  ensureBusyboxRootfs(`${dir}/rootfs`);
  writeBundle({ bundleDir: `${dir}/template`, rootfs: `${dir}/rootfs`, args: ['/bin/busybox', 'sleep', '1000000'], ipperPath: ipper, ipperConfig: config });
  const checkpoints = [...new Set([10, 100, 500, 1000, count].filter((live) => live <= count))].sort((a, b) => a - b);
  const report: Record<string, unknown> = { count, client, parallel: PARALLEL, cores: cpus().length, loadBefore: loadavg() };
  const probes: Record<number, { n: number; median: number; p95: number; min: number; max: number }> = {};
  const batches: { live: number; creates: number[] }[] = [];
  const began = now();
  console.log(`scale: ${count} runc containers, ${PARALLEL} at a time, dhcpClient ${client}, lab ${lab.hostNs} (${labOptions.subnet}.0/16)`);
  let live = 0;
  let next = 0;
  while (live < count && failures.length < 20) {
    const size = Math.min(PARALLEL, count - live);
    const first = next;
    next += size;
    const creates = (await Promise.all(Array.from({ length: size }, (_, offset) => createContainer(first + offset)))).filter((ms) => ms !== undefined);
    batches.push({ live, creates });
    live += creates.length;
    const checkpoint = checkpoints.find((at) => at > live - creates.length && at <= live);
    if (checkpoint !== undefined) {
      const creates = probe(lab, config, live);
      const atLive = { n: creates.length, median: median(creates), p95: quantile(creates, 0.95), min: Math.min(...creates), max: Math.max(...creates) };
      probes[checkpoint] = atLive;
      console.log(`${String(live).padStart(5)} live: createRuntime median ${atLive.median.toFixed(1)} ms (probe, ${PROBES} one at a time), runc create of the last ${PARALLEL * 5} ${median(batches.slice(-5).flatMap((batch) => batch.creates)).toFixed(1)} ms; ${((now() - began) / 1000).toFixed(0)} s`);
    }
  }
  const createSeconds = (now() - began) / 1000;
  const records = readRecords();
  const leases = serverLeases(lab);
  const supervisor = supervisorPid();
  const clients = clientProcesses(records.netnsInodes);
  const clientRssKiB = clients.reduce((sum, pid) => sum + readStatus(pid, 'VmRSS'), 0);
  const clientPssKiB = clients.reduce((sum, pid) => sum + pssKiB(pid), 0);
  const allCreates = batches.flatMap((batch) => batch.creates);
  const first = batches.filter((batch) => batch.live < 50).flatMap((batch) => batch.creates);
  const last = batches.filter((batch) => batch.live >= count - 50).flatMap((batch) => batch.creates);
  const atFull = {
    records: records.count,
    leased: records.leased,
    distinctMacs: records.macs,
    distinctIps: records.ips,
    serverLeases: leases.length,
    supervisorRssMiB: supervisor === undefined ? NaN : readStatus(supervisor, 'VmRSS') / 1024,
    clientProcesses: clients.length,
    clientRssKiBPerContainer: clientRssKiB / Math.max(1, records.count),
    clientPssKiBPerContainer: clientPssKiB / Math.max(1, records.count),
    createSeconds,
  };
  const p10 = probes[checkpoints[0]!];
  const pFull = probes[count];
  console.log(`at ${count} live: ${records.count} records, ${records.leased} leased, ${records.macs} distinct MACs, ${records.ips} distinct addresses, ${leases.length} server leases`);
  console.log(`supervisor RSS ${atFull.supervisorRssMiB.toFixed(1)} MiB; ${clients.length} ${client} processes, per container RSS ${(atFull.clientRssKiBPerContainer / 1024).toFixed(2)} MiB, PSS ${(atFull.clientPssKiBPerContainer / 1024).toFixed(2)} MiB`);
  console.log(`runc create (hook included), ${PARALLEL} at a time: median ${median(allCreates).toFixed(1)} ms, p95 ${quantile(allCreates, 0.95).toFixed(1)} ms; first 50 ${median(first).toFixed(1)} ms, last 50 ${median(last).toFixed(1)} ms; all created in ${createSeconds.toFixed(0)} s`);
  if (p10 !== undefined && pFull !== undefined) {
    console.log(`createRuntime at ${count} live / at ${checkpoints[0]} live: ${(pFull.median / p10.median).toFixed(2)} (goal at most 1.2); p95/median at ${count} live over the batches: ${(quantile(allCreates, 0.95) / median(allCreates)).toFixed(2)} (goal at most 3)`);
  }

  const removeBegan = now();
  for (let index = 0; index < next; index += PARALLEL) {
    await Promise.all(Array.from({ length: Math.min(PARALLEL, next - index) }, (_, offset) => removeContainer(index + offset)));
  }
  const removeSeconds = (now() - removeBegan) / 1000;
  // Poststop returns once the release has left; the supervisor removes the link, filter element and
  // record just after (the record last), and the server's lease file is written when dnsmasq gets the release.
  for (let i = 0; i < 600 && readRecords().count > 0; i++) pause(50);
  for (let i = 0; i < 100 && serverLeases(lab).length > 0; i++) pause(50);
  const after = readRecords();
  const leftovers = {
    links: leftoverLinks(lab),
    records: after.count,
    clients: clientProcesses(undefined).length,
    filterElements: leftoverFilterElements(lab),
    serverLeases: serverLeases(lab).length,
    runcContainers: sh('/usr/bin/nsenter', [`--net=/run/netns/${lab.hostNs}`, '--', RUNC, '--root', runcRoot, 'list', '--quiet'], { allowFail: true }).split('\n').filter(Boolean).length,
  };
  console.log(`removed all ${count} in ${removeSeconds.toFixed(0)} s; left: ${leftovers.links.length} links, ${leftovers.records} records, ${leftovers.clients} clients, ${leftovers.filterElements} filter elements, ${leftovers.serverLeases} server leases, ${leftovers.runcContainers} runc containers`);
  if (failures.length > 0) console.log(`${failures.length} failed creates:\n${failures.join('\n')}`);
  Object.assign(report, { failures, checkpoints, probes, batches: batches.map((batch) => ({ live: batch.live, median: median(batch.creates) })), runcCreate: { median: median(allCreates), p95: quantile(allCreates, 0.95), first50: median(first), last50: median(last) }, atFull, removeSeconds, leftovers: { ...leftovers, links: leftovers.links.length }, loadAfter: loadavg() });
  const json = option('--json');
  if (json !== undefined) writeFileSync(json, `${JSON.stringify(report, null, 2)}\n`);
  const clean = leftovers.links.length === 0 && leftovers.records === 0 && leftovers.clients === 0 && leftovers.filterElements === 0 && leftovers.serverLeases === 0 && leftovers.runcContainers === 0;
  const allLeased = failures.length === 0 && records.leased === count && records.macs === count && records.ips === count;
  if (!argv.includes('--keep')) {
    stopSupervisor();
    destroyLab(labOptions);
    rmSync(dir, { recursive: true, force: true });
  }
  if (!clean || !allLeased) {
    console.error(`scale: ${allLeased ? '' : 'not every container created and leased with a distinct MAC and address; '}${clean ? '' : 'leftovers after removing all'}`);
    process.exitCode = 1;
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
