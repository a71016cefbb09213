// npm run soak: create/delete cycles through the real hook on a lab of its own, then checks that
// links, records, DHCP clients and server leases are back to baseline and that the supervisor's
// memory and file descriptors stayed flat. A script, not a CI test (it runs for minutes).
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { startFakeContainer } from '../lab/fake-container.js';
import { destroyLab, ensureLab, inNs, serverLeases, type LabOptions } from '../lab/lab.js';

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

function main(): void {
  destroyLab(labOptions); // first: it stops the last run's server through its pid file in dir
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const lab = ensureLab(labOptions);
  const config = `${dir}/config.json`;
  const stateDir = `${dir}/state`;
  writeFileSync(config, JSON.stringify({ bridge: lab.bridge, stateDir, helperDir: `${dir}/lib`, logFile: `${dir}/ipper.log` }));
  const started = Date.now();
  let warm: Snapshot | undefined;
  for (let cycle = 0; cycle < cycles; cycle++) {
    const container = startFakeContainer(lab.hostNs);
    const id = `soak-${cycle}`;
    hook(lab, config, 'createRuntime', { ociVersion: '1.0.2', id, status: 'creating', pid: container.pid, bundle: '/' });
    container.stop();
    hook(lab, config, 'poststop', { ociVersion: '1.0.2', id, status: 'stopped', bundle: '/' });
    if (cycle === 49) warm = snapshot(lab, stateDir, `${dir}/lib/ipper-helper`);
    if ((cycle + 1) % 100 === 0) console.log(`${cycle + 1} cycles, ${((Date.now() - started) / 1000).toFixed(0)} s`);
  }
  const end = snapshot(lab, stateDir, `${dir}/lib/ipper-helper`);
  const leases = serverLeases(lab).length;
  console.log(`after ${cycles} cycles in ${((Date.now() - started) / 1000).toFixed(0)} s:`);
  console.log(`  at cycle 50: ${JSON.stringify(warm)}`);
  console.log(`  at the end:  ${JSON.stringify({ ...end, serverLeases: leases })}`);
  const ok = end.records === 0 && end.clients === 0 && leases === 0 && end.links === 4 && warm !== undefined && end.supervisorFds <= warm.supervisorFds;
  console.log(ok ? 'soak: back to baseline' : 'soak: NOT back to baseline');
  try {
    process.kill(Number(readFileSync(`${stateDir}/supervisor.pid`, 'utf8')), 'SIGTERM');
  } catch {
    // gone
  }
  destroyLab(labOptions);
  process.exitCode = ok ? 0 : 1;
}

main();
