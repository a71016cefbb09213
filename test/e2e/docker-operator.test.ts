// The README's Docker path, exactly: `ipper install` on the machine's real root (the "ipper"
// runtime merged into /etc/docker/daemon.json), a dockerd started after it that reads that file,
// then `docker run --runtime ipper --network none <image>` with the installed default config.
// The dockerd is the test's own (data root, exec root, pid file, socket: see helpers/docker.ts)
// so that it never meets a Docker the machine runs; only its daemon.json is the machine's.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sh } from '../lab/lab.js';
import { busyboxImageTar } from '../lab/runc.js';
import { Docker } from '../helpers/docker.js';
import { createWorld, type TestWorld } from '../helpers/env.js';
import { IPPER, filesIn, linkNames } from '../helpers/host.js';
import { INSTALLED, installedSupervisorPid, InstalledMachine, expectInstalledLease, expectInstalledRelease } from '../helpers/installed.js';

let world: TestWorld;
let docker: Docker | undefined;
let machine: InstalledMachine | undefined;
let baselineLinks: string[];
const SUBNET = '10.97.77';

async function leaveMachine(): Promise<void> {
  await docker?.stop();
  docker = undefined;
  await machine?.leave();
}

beforeAll(() => {
  world = createWorld('ipdop', SUBNET);
  baselineLinks = linkNames(world.lab.hostNs);
  // dockerd 20.10 writes its trust key beside the default daemon.json, whatever its other roots.
  machine = new InstalledMachine(['/etc/docker/key.json']);
});

afterAll(async () => {
  await leaveMachine();
  await world?.destroy();
});

describe('the README path: ipper install, (re)start dockerd, docker run --runtime ipper --network none', () => {
  let id: string;
  let ip: string;

  it('ipper install registers the runtime in /etc/docker/daemon.json; a dockerd started afterwards has it', async () => {
    sh(IPPER, ['install'], { env: {} });
    expect(JSON.parse(readFileSync('/etc/docker/daemon.json', 'utf8'))).toEqual({ runtimes: { ipper: { path: '/usr/local/bin/ipper-runtime' } } });
    docker = new Docker(world.lab, `${world.dir}/docker`, 'installed');
    await docker.start();
    expect(docker.run(['info', '--format', '{{json .Runtimes}}'])).toContain('"ipper"');
    docker.run(['import', busyboxImageTar(`${world.dir}/rootfs`, `${world.dir}/busybox.tar`), 'ipper-busybox:latest']);
  });

  it('the container gets a lease on the LAN', async () => {
    id = docker!.run(['run', '-d', '--runtime', 'ipper', '--network', 'none', 'ipper-busybox', '/bin/busybox', 'sleep', '600']);
    const pid = Number(docker!.run(['inspect', '--format', '{{.State.Pid}}', id]));
    ip = await expectInstalledLease(world.lab, id, pid);
  });

  it('docker rm -f releases the lease on the server and leaves no veth, client or record', async () => {
    docker!.run(['rm', '-f', id]);
    await expectInstalledRelease(world.lab, ip, baselineLinks);
  });

  it('dockerd and the supervisor the hook started stop, ipper uninstalls, and the machine is as it was', async () => {
    expect(installedSupervisorPid()).toBeDefined();
    await leaveMachine();
    expect(installedSupervisorPid()).toBeUndefined();
    expect(filesIn(INSTALLED.stateDir)).toEqual(machine?.stateDirBefore);
  });
});
