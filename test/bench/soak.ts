// npm run soak: create/delete cycles through the real hook on a lab of its own, then checks that
// links, records, DHCP clients and server leases are back to baseline and that the supervisor's
// memory and file descriptors stayed flat. Two configurations (two state directories) share the
// bridge, each with a container that lives through the whole run and must stay reachable
// throughout, and the bridge is deleted and made again midway. A script, not a CI test.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { startFakeContainer } from '../lab/fake-container.js';
import { destroyLab, ensureLab, inNs, pause, recreateBridge, serverLeases, type Lab, type LabOptions } from '../lab/lab.js';

const ipper = resolve(dirname(process.argv[1] ?? '.'), 'ipper');
const cycles = Number(process.env['SOAK_CYCLES'] ?? 1000);
const dir = '/run/ipper-lab/soak';
const labOptions: LabOptions = { name: 'ipsoak', subnet: '10.97.71', domain: 'soak.test', dir: `${dir}/lab` };

function hook(lab: { hostNs: string }, config: string, stage: string, state: object): void {
  const result = spawnSync('/usr/bin/nsenter', [`--net=/run/netns/${lab.hostNs}`, '--', ipper, 'hook', stage], { input: JSON.stringify(state), env: { IPPER_CONFIG: config }, encoding: 'utf8', timeout: 60_000 });
  if (result.status !== 0) throw new Error(`hook ${stage} failed: ${result.stderr}`);
}


interface Snapshot {
  links: number;
  records: number;
  clients: number;
  supervisorFds: number;
  supervisorRssKiB: number;
}

function snapshot(lab: { hostNs: string }, stateDir: string, helper: string): Snapshot {
  const supervisor = Number(readFileSync(`${stateDir}/supervisor.pid`, 'utf8'));
  const rss = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${supervisor}/status`, 'utf8'))?.[1] ?? NaN);
  const clients = readdirSync('/proc').filter((name) => /^\d+$/.test(name)).filter((name) => {
    try {
      return readFileSync(`/proc/${name}/cmdline`, 'utf8').includes(helper);
    } catch {
      return false;
    }
  }).length;
  return {
    links: (JSON.parse(inNs(lab.hostNs, ['/usr/sbin/ip', '-j', 'link', 'show'])) as unknown[]).length,
    records: readdirSync(`${stateDir}/containers`).length,
    clients,
    supervisorFds: readdirSync(`/proc/${supervisor}/fd`).length,
    supervisorRssKiB: rss,
  };
}

/** The peer machine pings the address: what "reachable" means for an operator. */
function reachable(lab: Lab, ip: string): boolean {
  return inNs(lab.peerNs, ['/bin/busybox', 'ping', '-c', '1', '-W', '1', ip], { allowFail: true }).includes('1 packets received');
}

function recordIp(stateDir: string, id: string): string {
  return (JSON.parse(readFileSync(`${stateDir}/containers/${id}.json`, 'utf8')) as { lease: { ip: string } }).lease.ip;
}

/** Polls (bounded) until every long-lived container answers; returns how long that took. */
function waitReachable(lab: Lab, ips: readonly string[], timeoutMs: number): number {
  const began = Date.now();
  while (!ips.every((ip) => reachable(lab, ip))) {
    if (Date.now() - began > timeoutMs) throw new Error(`long-lived containers ${ips.join(', ')} not reachable within ${timeoutMs} ms`);
    pause(100);
  }
  return Date.now() - began;
}

/** A run that failed half-way leaves its supervisors running (they would write their helper again). */
function stopLeftoverSupervisors(): void {
  for (const name of ['a', 'b']) {
    try {
      const pid = Number(readFileSync(`${dir}/state-${name}/supervisor.pid`, 'utf8'));
      process.kill(pid, 'SIGTERM');
      for (let i = 0; i < 250 && existsSync(`/proc/${pid}`); i++) pause(20);
    } catch {
      // none
    }
  }
}

function main(): void {
  stopLeftoverSupervisors();
  destroyLab(labOptions); // first: it stops the last run's server through its pid file in dir
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const lab = ensureLab(labOptions);
  // Two configurations side by side on one bridge: A does most cycles, B every fifth.
  const configs = ['a', 'b'].map((name) => {
    const config = { path: `${dir}/config-${name}.json`, stateDir: `${dir}/state-${name}`, helper: `${dir}/lib-${name}/ipper-helper` };
    writeFileSync(config.path, JSON.stringify({ bridge: lab.bridge, stateDir: config.stateDir, helperDir: `${dir}/lib-${name}`, logFile: `${dir}/ipper-${name}.log`, gcIntervalMs: 5000 }));
    return config;
  });
  const [a, b] = configs as [(typeof configs)[0], (typeof configs)[0]];
  const residents = configs.map((config, index) => {
    const container = startFakeContainer(lab.hostNs);
    const id = `resident-${index}`;
    hook(lab, config.path, 'createRuntime', { ociVersion: '1.0.2', id, status: 'creating', pid: container.pid, bundle: '/' });
    return { id, container, config, ip: recordIp(config.stateDir, id) };
  });
  const residentIps = residents.map((resident) => resident.ip);
  const started = Date.now();
  let warm: Snapshot | undefined;
  let unreachable = 0;
  let recoveryMs: number | undefined;
  for (let cycle = 0; cycle < cycles; cycle++) {
    const config = cycle % 5 === 4 ? b : a;
    const container = startFakeContainer(lab.hostNs);
    const id = `soak-${cycle}`;
    hook(lab, config.path, 'createRuntime', { ociVersion: '1.0.2', id, status: 'creating', pid: container.pid, bundle: '/' });
    container.stop();
    hook(lab, config.path, 'poststop', { ociVersion: '1.0.2', id, status: 'stopped', bundle: '/' });
    if (cycle === 49) warm = snapshot(lab, a.stateDir, a.helper);
    if (cycle === Math.floor(cycles / 2)) {
      recreateBridge(lab);
      recoveryMs = waitReachable(lab, residentIps, 30_000);
      console.log(`bridge deleted and made again at cycle ${cycle}: residents reachable again after ${recoveryMs} ms`);
    }
    if (cycle % 50 === 0) unreachable += residentIps.filter((ip) => !reachable(lab, ip)).length;
    if ((cycle + 1) % 100 === 0) console.log(`${cycle + 1} cycles, ${((Date.now() - started) / 1000).toFixed(0)} s`);
  }
  const stillThere = residents.every((resident) => recordIp(resident.config.stateDir, resident.id) === resident.ip) && residentIps.every((ip) => reachable(lab, ip));
  for (const resident of residents) {
    resident.container.stop();
    hook(lab, resident.config.path, 'poststop', { ociVersion: '1.0.2', id: resident.id, status: 'stopped', bundle: '/' });
  }
  // poststop answers once the release has left; the supervisors remove the rest just after, the record last.
  const recordsLeft = (): number => configs.reduce((sum, config) => sum + (existsSync(`${config.stateDir}/containers`) ? readdirSync(`${config.stateDir}/containers`).length : 0), 0);
  for (let i = 0; i < 200 && recordsLeft() > 0; i++) pause(50);
  const end = snapshot(lab, a.stateDir, a.helper);
  const endB = snapshot(lab, b.stateDir, b.helper);
  const leases = serverLeases(lab).length;
  console.log(`after ${cycles} cycles in ${((Date.now() - started) / 1000).toFixed(0)} s:`);
  console.log(`  at cycle 50: ${JSON.stringify(warm)}`);
  console.log(`  at the end:  ${JSON.stringify({ ...end, serverLeases: leases })}; second state dir: ${JSON.stringify({ records: endB.records, clients: endB.clients })}`);
  console.log(`  residents: same address and reachable at the end: ${stillThere}; unreachable in periodic checks: ${unreachable}`);
  const ok =
    end.records === 0 && end.clients === 0 && endB.records === 0 && endB.clients === 0 && leases === 0 && end.links === 4 &&
    warm !== undefined && end.supervisorFds <= warm.supervisorFds && stillThere && unreachable === 0 && recoveryMs !== undefined;
  console.log(ok ? 'soak: back to baseline' : 'soak: NOT back to baseline');
  for (const config of configs) {
    try {
      process.kill(Number(readFileSync(`${config.stateDir}/supervisor.pid`, 'utf8')), 'SIGTERM');
    } catch {
      // gone
    }
  }
  destroyLab(labOptions);
  process.exitCode = ok ? 0 : 1;
}

main();
