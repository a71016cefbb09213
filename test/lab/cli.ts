// node dist/lab.cjs up|down|status|demo: the built-in lab, and the demo that runs on it.
import { randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { DEMO_LAB } from './defaults.js';
import { describeLab, destroyLab, ensureLab, inNs, isServerRunning, pause, serverLeases } from './lab.js';
import { Runc, ensureBusyboxRootfs, writeBundle } from './runc.js';

const DEMO_DIR = '/run/ipper-lab/demo';
const ipper = resolve(dirname(process.argv[1] ?? '.'), 'ipper');

function demo(): void {
  const lab = ensureLab(DEMO_LAB);
  mkdirSync(DEMO_DIR, { recursive: true, mode: 0o700 });
  const config = `${DEMO_DIR}/config.json`;
  writeFileSync(config, JSON.stringify({ bridge: lab.bridge, stateDir: `${DEMO_DIR}/state`, logFile: `${DEMO_DIR}/ipper.log` }, null, 2));
  const runc = new Runc(lab, `${DEMO_DIR}/runc`);
  const idFile = `${DEMO_DIR}/container-id`;
  if (existsSync(idFile)) runc.remove(readFileSync(idFile, 'utf8').trim()); // idempotent: replace the last demo container
  const rootfs = `${DEMO_DIR}/rootfs`;
  ensureBusyboxRootfs(rootfs);
  const id = randomBytes(32).toString('hex');
  const bundleDir = `${DEMO_DIR}/bundle`;
  writeBundle({ bundleDir, rootfs, args: ['/bin/busybox', 'httpd', '-f', '-p', '80', '-h', '/www'], ipperPath: ipper, ipperConfig: config });
  console.log(`# runc create + start ${id.slice(0, 12)} in the lab host (namespace ${lab.hostNs}, bridge ${lab.bridge})`);
  const started = Date.now();
  runc.create(id, bundleDir);
  console.log(`# createRuntime hook done in ${Date.now() - started} ms (runc create included)`);
  runc.start(id);
  writeFileSync(idFile, `${id}\n`);
  console.log(`# ipper inspect ${id.slice(0, 12)}`);
  console.log(execFileSync(ipper, ['inspect', id.slice(0, 12)], { encoding: 'utf8', env: { IPPER_CONFIG: config } }).trim());
  const name = `${id.slice(0, 12)}.${lab.domain}`;
  console.log(`# from lab host ${lab.peerNs} (${lab.peerAddress}): wget http://${name}/`);
  let page = '';
  for (let attempt = 0; attempt < 100 && page === ''; attempt++) {
    page = inNs(lab.peerNs, ['/bin/busybox', 'wget', '-q', '-O', '-', `http://${name}/`], { allowFail: true, timeoutMs: 3000 });
    if (page === '') pause(100);
  }
  if (page === '') throw new Error(`could not fetch http://${name}/ from ${lab.peerNs}`);
  process.stdout.write(page);
  console.log(`# the container keeps running with its lease; again: npm run demo; remove it and the lab: npm run demo -- down`);
}

function down(): void {
  const lab = describeLab(DEMO_LAB);
  const idFile = `${DEMO_DIR}/container-id`;
  if (existsSync(idFile) && existsSync(`/run/netns/${lab.hostNs}`)) new Runc(lab, `${DEMO_DIR}/runc`).remove(readFileSync(idFile, 'utf8').trim());
  const pidFile = `${DEMO_DIR}/state/supervisor.pid`;
  if (existsSync(pidFile)) {
    const pid = Number(readFileSync(pidFile, 'utf8').trim());
    try {
      if (readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('supervisor')) process.kill(pid, 'SIGTERM');
    } catch {
      // not running
    }
  }
  destroyLab(DEMO_LAB);
  rmSync(DEMO_DIR, { recursive: true, force: true });
}

const command = process.argv[2];
if (command === 'up') {
  const lab = ensureLab(DEMO_LAB);
  console.log(JSON.stringify({ hostNs: lab.hostNs, bridge: lab.bridge, hostAddress: lab.hostAddress, server: lab.serverAddress, server6: lab.serverAddress6, ipv6Prefix: `${lab.ipv6Prefix}/64`, ra: lab.ra, domain: lab.domain }));
} else if (command === 'demo') {
  demo();
} else if (command === 'down') {
  down();
} else if (command === 'status') {
  const lab = describeLab(DEMO_LAB);
  console.log(JSON.stringify({ server: isServerRunning(lab), leases: serverLeases(lab) }, null, 2));
} else {
  console.error('usage: lab up|demo|down|status');
  process.exitCode = 64;
}
