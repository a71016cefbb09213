// A dockerd of the test's own (data root, exec root, socket) in the lab host, with the ipper
// runtime registered the way `ipper install` registers it, and no iptables or bridge of its own.
// `'installed'` instead of an ipper: the dockerd reads the machine's /etc/docker/daemon.json, as
// after `ipper install` and a restart of dockerd (the README's path); see start().
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, openSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { sh, type Lab } from '../lab/lab.js';
import { isPidAlive } from './host.js';

const DOCKER = '/usr/bin/docker'; // Debian's client, of the daemon's version

export class Docker {
  readonly socket: string;
  private daemon: ChildProcess | undefined;

  constructor(
    private readonly lab: Lab,
    private readonly dir: string,
    private readonly ipper: string | 'installed',
    private readonly ipperConfig = '',
  ) {
    this.socket = `${dir}/docker.sock`;
  }

  async start(): Promise<void> {
    mkdirSync(this.dir, { recursive: true });
    const log = openSync(`${this.dir}/dockerd.log`, 'a');
    // Where this dockerd keeps its things, so it never meets the machine's own Docker.
    const own = ['--data-root', `${this.dir}/data`, '--exec-root', `${this.dir}/exec`, '--pidfile', `${this.dir}/docker.pid`, '--host', `unix://${this.socket}`];
    let config: string[];
    let env: Record<string, string> = { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' };
    if (this.ipper === 'installed') {
      // No --config-file: dockerd reads /etc/docker/daemon.json, where `ipper install` put the
      // runtime, and hooks get the installed default config. What this machine needs besides
      // (no iptables, no bridge, vfs) goes as flags: dockerd refuses a setting given both ways,
      // and these are not the operator's to have in daemon.json. Its trust key goes to
      // /etc/docker/key.json (settable only in daemon.json): the test sets that file aside.
      config = ['--iptables=false', '--ip6tables=false', '--bridge=none', '--ip-forward=false', '--ip-masq=false', '--storage-driver=vfs'];
    } else {
      mkdirSync(`${this.dir}/bin`, { recursive: true });
      if (!existsSync(`${this.dir}/bin/ipper-runtime`)) symlinkSync(this.ipper, `${this.dir}/bin/ipper-runtime`);
      writeFileSync(`${this.dir}/daemon.json`, JSON.stringify({
        runtimes: { ipper: { path: `${this.dir}/bin/ipper-runtime` } },
        iptables: false, ip6tables: false, bridge: 'none', 'ip-forward': false, 'ip-masq': false, 'storage-driver': 'vfs',
        // dockerd 20.10 writes its trust key to /etc/docker/key.json unless told otherwise.
        'deprecated-key-path': `${this.dir}/key.json`,
      }));
      config = ['--config-file', `${this.dir}/daemon.json`];
      env = { ...env, IPPER_CONFIG: this.ipperConfig };
    }
    this.daemon = spawn('/usr/bin/nsenter', [`--net=/run/netns/${this.lab.hostNs}`, '--', '/usr/sbin/dockerd', ...config, ...own], { stdio: ['ignore', log, log], env });
    for (let i = 0; i < 300; i++) {
      if (this.run(['version'], true) !== '') return;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`dockerd did not start; see ${this.dir}/dockerd.log`);
  }

  run(args: readonly string[], allowFail = false): string {
    return sh(DOCKER, ['-H', `unix://${this.socket}`, ...args], { allowFail, timeoutMs: 120_000 }).trim();
  }

  async stop(): Promise<void> {
    const pid = this.daemon?.pid;
    if (pid === undefined) return;
    this.run(['rm', '-f', ...this.run(['ps', '-aq'], true).split('\n').filter(Boolean)], true);
    this.daemon?.kill('SIGTERM');
    for (let i = 0; i < 300 && isPidAlive(pid); i++) await new Promise((resolve) => setTimeout(resolve, 50));
    // dockerd leaves its network namespace and runtime mounts behind: unmount them, deepest first.
    const mounts = readFileSync('/proc/self/mountinfo', 'utf8')
      .split('\n')
      .map((line) => line.split(' ')[4] ?? '')
      .filter((point) => point.startsWith(`${this.dir}/`))
      .sort((a, b) => b.length - a.length);
    for (const point of mounts) sh('/usr/bin/umount', ['-l', point], { allowFail: true });
  }
}
