// Real runc containers in a lab's host namespace, with ipper's hooks in their config.json.
import { spawnSync } from 'node:child_process';
import { closeSync, copyFileSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { sh, type Lab } from './lab.js';

const RUNC = '/usr/sbin/runc';

/** A rootfs holding busybox (and the libraries it links), a web root and nothing else. */
export function ensureBusyboxRootfs(rootfs: string): void {
  if (existsSync(`${rootfs}/bin/busybox`)) return;
  const busybox = '/bin/busybox';
  mkdirSync(`${rootfs}/bin`, { recursive: true });
  copyFileSync(busybox, `${rootfs}/bin/busybox`);
  sh('/usr/bin/chmod', ['0755', `${rootfs}/bin/busybox`]);
  for (const line of sh('/usr/bin/ldd', [busybox], { allowFail: true }).split('\n')) {
    const library = /(\/\S+) \(0x/.exec(line)?.[1];
    if (library === undefined) continue;
    mkdirSync(dirname(`${rootfs}${library}`), { recursive: true });
    copyFileSync(library, `${rootfs}${library}`);
  }
  for (const dir of ['proc', 'sys', 'dev', 'tmp', 'etc', 'www']) mkdirSync(`${rootfs}/${dir}`, { recursive: true });
  for (const applet of ['sh', 'sleep', 'httpd', 'ip', 'cat', 'wget', 'nslookup']) {
    sh('/usr/bin/ln', ['-sf', 'busybox', `${rootfs}/bin/${applet}`]);
  }
  writeFileSync(`${rootfs}/www/index.html`, 'hello from an ipper container\n');
}

export interface BundleOptions {
  bundleDir: string;
  rootfs: string;
  args: string[];
  ipperPath: string;
  ipperConfig: string;
  annotations?: Record<string, string>;
  /** Extra hook entries' environment (tests use it to strace or to empty the environment). */
  hookEnv?: string[];
  /** The create-time hook's stage (default createRuntime; prestart as older configs register it). */
  createStage?: 'createRuntime' | 'prestart';
}

/** config.json from `runc spec`, with our process, a new network namespace and ipper's hooks. */
export function writeBundle(options: BundleOptions): void {
  mkdirSync(options.bundleDir, { recursive: true });
  rmSync(`${options.bundleDir}/config.json`, { force: true });
  sh(RUNC, ['spec', '--bundle', options.bundleDir]);
  const spec = JSON.parse(readFileSync(`${options.bundleDir}/config.json`, 'utf8'));
  spec.root = { path: options.rootfs, readonly: true };
  spec.process.terminal = false;
  spec.process.args = options.args;
  spec.hostname = 'ctr';
  spec.annotations = options.annotations ?? {};
  const env = [`IPPER_CONFIG=${options.ipperConfig}`, ...(options.hookEnv ?? [])];
  const hook = (stage: string) => ({ path: options.ipperPath, args: ['ipper', 'hook', stage], env, timeout: 60 });
  const createStage = options.createStage ?? 'createRuntime';
  spec.hooks = { [createStage]: [hook(createStage)], poststop: [hook('poststop')] };
  writeFileSync(`${options.bundleDir}/config.json`, JSON.stringify(spec, null, 2));
}

export class Runc {
  constructor(
    private readonly lab: Lab,
    private readonly root: string,
    /** Called after each delete: a test waits there until ipper has removed what poststop began removing. */
    private readonly afterRemove: (id: string) => void = () => undefined,
  ) {}

  // nsenter, not `ip netns exec`: the latter mounts a new /sys, which hides the cgroup mount.
  private run(args: readonly string[], allowFail = false): string {
    return sh('/usr/bin/nsenter', [`--net=/run/netns/${this.lab.hostNs}`, '--', RUNC, '--root', this.root, ...args], { allowFail });
  }

  /**
   * `runc create` runs createRuntime; throws with runc's message when a hook fails. The container
   * inherits runc's stdio, so runc gets a file, not our pipe (a pipe would stay open for its life).
   */
  create(id: string, bundleDir: string): void {
    const output = `${bundleDir}/runc-create.out`;
    const fd = openSync(output, 'w');
    try {
      const result = spawnSync('/usr/bin/nsenter', [`--net=/run/netns/${this.lab.hostNs}`, '--', RUNC, '--root', this.root, 'create', '--bundle', bundleDir, id], {
        stdio: ['ignore', fd, fd],
      });
      if (result.status !== 0) throw new Error(`runc create ${id} failed: ${readFileSync(output, 'utf8').trim()}`);
    } finally {
      closeSync(fd);
    }
  }

  /** Runs a command inside the running container (runc exec); its output. */
  exec(id: string, args: readonly string[], allowFail = false): string {
    return this.run(['exec', id, ...args], allowFail);
  }

  start(id: string): void {
    this.run(['start', id]);
  }

  state(id: string): { status: string; pid: number } | undefined {
    const out = this.run(['state', id], true);
    return out === '' ? undefined : (JSON.parse(out) as { status: string; pid: number });
  }

  /** Kill and delete: runc runs poststop. */
  remove(id: string): void {
    this.run(['delete', '--force', id], true);
    this.afterRemove(id);
  }

  list(): string[] {
    const out = this.run(['list', '--quiet'], true);
    return out.split('\n').filter(Boolean);
  }
}

/** The busybox rootfs as a tar, for `docker import` and `podman import` (no registry is reachable). */
export function busyboxImageTar(rootfs: string, tarPath: string): string {
  ensureBusyboxRootfs(rootfs);
  sh('/usr/bin/tar', ['-C', rootfs, '-cf', tarPath, '.']);
  return tarPath;
}
