// containerd as a real host runs it: the service on its default config (/etc/containerd/config.toml,
// socket /run/containerd/containerd.sock). If one answers there it is used as it is; if none does,
// one is started the way the service unit starts it (`containerd`, no flags) and, at the end,
// stopped, with what it created removed (its state dirs if they were not there before; the
// cgroups ctr's namespace got). `ctr` runs in the lab's host namespace: ctr itself calls the CNI
// plugins, so the plugin makes its veth where the lab's br0 is.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, openSync, readdirSync, rmdirSync, rmSync } from 'node:fs';
import { vi } from 'vitest';
import { isErrnoCode } from '../../src/errors.js';
import { sh, type Lab } from '../lab/lab.js';
import { isPidAlive } from './host.js';

const CTR = '/usr/bin/ctr';
const STATE_DIR = '/run/containerd';
const ROOT_DIR = '/var/lib/containerd';
/** Shared with every containerd-shim on the machine (Docker's included): never cleaned here. */
const SHARED_STATE = new Set(['s', 'fifo', 'runc']);
/** ctr's containerd namespace: its containers' cgroups go under /<namespace>/<id>. */
const NAMESPACE = 'default';

function cgroupDirs(): string[] {
  return readdirSync('/sys/fs/cgroup').map((controller) => `/sys/fs/cgroup/${controller}/${NAMESPACE}`);
}

function rmdirIfEmpty(dir: string): void {
  try {
    rmdirSync(dir);
  } catch (error) {
    if (!isErrnoCode(error, 'ENOENT') && !isErrnoCode(error, 'ENOTEMPTY') && !isErrnoCode(error, 'EBUSY')) throw error;
  }
}

export class MachineContainerd {
  /** The containerd this test started (undefined: one already served the default socket). */
  private daemon: ChildProcess | undefined;
  private readonly rootDirExisted = existsSync(ROOT_DIR);
  private readonly stateDirExisted = existsSync(STATE_DIR);
  private readonly stateEntriesBefore = new Set(existsSync(STATE_DIR) ? readdirSync(STATE_DIR) : []);
  private readonly runcNamespaceExisted = existsSync(`${STATE_DIR}/runc/${NAMESPACE}`);
  private readonly cgroupsBefore = new Set(cgroupDirs().filter(existsSync));
  private readonly created = new Set<string>();

  constructor(private readonly lab: Lab, private readonly logFile: string) {}

  /** Whether a containerd answers on the default socket. */
  static answers(): boolean {
    return spawnSync(CTR, ['version'], { encoding: 'utf8', timeout: 10_000, env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' } }).status === 0;
  }

  get startedHere(): boolean {
    return this.daemon !== undefined;
  }

  async ensureRunning(): Promise<void> {
    if (MachineContainerd.answers()) return;
    const log = openSync(this.logFile, 'a');
    this.daemon = spawn('/usr/bin/containerd', [], { stdio: ['ignore', log, log], env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' } });
    closeSync(log);
    await vi.waitFor(() => {
      if (!MachineContainerd.answers()) throw new Error(`containerd does not answer on ${STATE_DIR}/containerd.sock; see ${this.logFile}`);
    }, { timeout: 30_000, interval: 200 });
  }

  /** ctr on the default socket, in the lab's host namespace, with an operator's plain environment. */
  ctr(args: readonly string[], allowFail = false): string {
    return sh('/usr/bin/nsenter', [`--net=/run/netns/${this.lab.hostNs}`, '--', CTR, ...args], { allowFail, env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' }, timeoutMs: 60_000 });
  }

  /** ctr's argv in the lab's host namespace, for a `ctr run --rm` the test waits on. */
  ctrArgv(args: readonly string[]): string[] {
    return ['/usr/bin/nsenter', `--net=/run/netns/${this.lab.hostNs}`, '--', CTR, ...args];
  }

  /** Notes a container id the test made, so that stop() removes it whatever happened. */
  track(id: string): void {
    this.created.add(id);
  }

  taskPid(id: string): number | undefined {
    const line = this.ctr(['task', 'ls']).split('\n').find((row) => row.split(/\s+/)[0] === id);
    const pid = Number(line?.split(/\s+/)[1]);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  }

  containers(): string[] {
    return this.ctr(['container', 'ls', '-q'], true).split('\n').filter(Boolean);
  }

  removeContainer(id: string): void {
    this.ctr(['task', 'kill', '-s', 'SIGKILL', id], true);
    this.ctr(['task', 'rm', '-f', id], true);
    this.ctr(['container', 'rm', id], true);
  }

  /** The test's containers gone; a containerd started here stopped and its traces removed. */
  async stop(): Promise<void> {
    if (this.daemon !== undefined || MachineContainerd.answers()) {
      for (const id of this.created) if (this.containers().includes(id)) this.removeContainer(id);
    }
    const daemon = this.daemon;
    if (daemon?.pid === undefined) return;
    if (isPidAlive(daemon.pid)) {
      daemon.kill('SIGTERM');
      await vi.waitFor(() => {
        if (isPidAlive(daemon.pid!)) throw new Error('containerd still runs');
      }, { timeout: 15_000, interval: 100 });
    }
    this.daemon = undefined;
    if (!this.rootDirExisted) rmSync(ROOT_DIR, { recursive: true, force: true });
    // Its socket left behind would make the next dockerd take it for the machine's containerd.
    for (const entry of existsSync(STATE_DIR) ? readdirSync(STATE_DIR) : []) {
      if (!this.stateEntriesBefore.has(entry) && !SHARED_STATE.has(entry)) rmSync(`${STATE_DIR}/${entry}`, { recursive: true, force: true });
    }
    if (!this.runcNamespaceExisted) rmdirIfEmpty(`${STATE_DIR}/runc/${NAMESPACE}`);
    for (const shared of SHARED_STATE) if (!this.stateEntriesBefore.has(shared)) rmdirIfEmpty(`${STATE_DIR}/${shared}`);
    if (!this.stateDirExisted) rmdirIfEmpty(STATE_DIR);
    for (const dir of cgroupDirs()) if (!this.cgroupsBefore.has(dir)) rmdirIfEmpty(dir);
  }
}
