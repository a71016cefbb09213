// Rootful Podman pointed at a test's own storage, containers.conf and hooks dir, run in the lab host.
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { sh, type Lab } from '../lab/lab.js';
import { busyboxImageTar } from '../lab/runc.js';
import { ROOT } from './host.js';

export class Podman {
  private readonly base: string[];
  private readonly env: Record<string, string>;

  constructor(lab: Lab, dir: string, ipper: string, ipperConfig: string) {
    mkdirSync(`${dir}/hooks`, { recursive: true });
    // Podman's default ulimits exceed this machine's hard limits; crun fails here: runc.
    writeFileSync(`${dir}/containers.conf`, '[containers]\ndefault_ulimits = ["nofile=20000:20000", "nproc=20000:20000"]\n[engine]\nruntime = "runc"\ncgroup_manager = "cgroupfs"\nevents_logger = "file"\n');
    // The shipped hooks.d file, with this build's path and this test's config.
    const entry = JSON.parse(readFileSync(`${ROOT}/hooks.d/ipper.json`, 'utf8'));
    entry.hook.path = ipper;
    entry.hook.env = [`IPPER_CONFIG=${ipperConfig}`];
    writeFileSync(`${dir}/hooks/ipper.json`, JSON.stringify(entry));
    this.base = ['/usr/bin/nsenter', `--net=/run/netns/${lab.hostNs}`, '--', '/usr/bin/podman', '--root', `${dir}/root`, '--runroot', `${dir}/runroot`, '--storage-driver', 'vfs', '--hooks-dir', `${dir}/hooks`];
    this.env = { CONTAINERS_CONF: `${dir}/containers.conf`, PATH: '/usr/sbin:/usr/bin:/sbin:/bin' };
  }

  run(args: readonly string[], allowFail = false): string {
    const [file, ...rest] = this.base;
    return sh(file!, [...rest, ...args], { allowFail, env: this.env, timeoutMs: 120_000 }).trim();
  }
}

/**
 * Rootful Podman exactly as an operator runs it after `ipper install`: no --hooks-dir and no
 * CONTAINERS_CONF, so Podman reads the machine's containers.conf files and its own default hooks
 * directories, and finds the hooks.d file wherever `ipper install` put it.
 *
 * What this machine needs besides (design.md) is given as flags, the least intrusive way: a
 * CONTAINERS_CONF file would replace every system containers.conf (Podman 4.3 then reads only
 * that file), and editing /etc/containers would change the machine for everyone. None of these
 * flags touches where hooks are read: `--runtime runc` (crun fails on this kernel's cgroups),
 * `--cgroup-manager cgroupfs` and `--events-backend file` (no systemd or journald here), the
 * `--ulimit`s of `run` (Podman's defaults exceed this machine's hard limits), and private image
 * storage (--root, --runroot, vfs) so that the test leaves the machine's images alone.
 */
export class OperatorPodman {
  private readonly base: string[];

  constructor(lab: Lab, dir: string) {
    this.base = [
      '/usr/bin/nsenter', `--net=/run/netns/${lab.hostNs}`, '--', '/usr/bin/podman',
      '--root', `${dir}/root`, '--runroot', `${dir}/runroot`, '--storage-driver', 'vfs',
      '--runtime', 'runc', '--cgroup-manager', 'cgroupfs', '--events-backend', 'file',
    ];
  }

  /** The lab's busybox image, as `withBusybox` imports it. */
  static readonly IMAGE = 'localhost/ipper-busybox:latest';

  /** Podman with its storage in `<worldDir>/podman` and the lab's busybox imported as IMAGE. */
  static withBusybox(lab: Lab, worldDir: string): OperatorPodman {
    const podman = new OperatorPodman(lab, `${worldDir}/podman`);
    podman.run(['import', busyboxImageTar(`${worldDir}/rootfs`, `${worldDir}/busybox.tar`), OperatorPodman.IMAGE]);
    return podman;
  }

  /** `podman run` flags this machine needs (see above); they say nothing about hooks. */
  static readonly RUN_LIMITS = ['--ulimit', 'nofile=20000:20000', '--ulimit', 'nproc=20000:20000'];

  run(args: readonly string[], allowFail = false): string {
    const [file, ...rest] = this.base;
    return sh(file!, [...rest, ...args], { allowFail, env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' }, timeoutMs: 120_000 }).trim();
  }
}
