// The README's runc path, exactly: `ipper install` on the machine's real root, then a bundle whose
// config.json carries the hook entries the README's runc section shows (read from README.md, so
// the README cannot drift from what works), with the installed default config and no environment.
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sh } from '../lab/lab.js';
import { Runc, ensureBusyboxRootfs, writeBundle } from '../lab/runc.js';
import { createWorld, type TestWorld } from '../helpers/env.js';
import { IPPER, ROOT, filesIn, linkNames } from '../helpers/host.js';
import { INSTALLED, installedSupervisorPid, InstalledMachine, expectInstalledLease, expectInstalledRelease } from '../helpers/installed.js';

let world: TestWorld;
let runc: Runc;
let machine: InstalledMachine | undefined;
let baselineLinks: string[];
const SUBNET = '10.97.76';

/** The `"hooks": {...}` block of the README's runc section. */
function readmeRuncHooks(): unknown {
  const readme = readFileSync(`${ROOT}/README.md`, 'utf8');
  const section = readme.slice(readme.indexOf('\n### runc\n'));
  const block = /```json\n("hooks": \{[\s\S]*?\n\})\n```/.exec(section)?.[1];
  if (block === undefined) throw new Error('README.md: no ```json "hooks" block in the runc section');
  return (JSON.parse(`{${block}}`) as { hooks: unknown }).hooks;
}

async function leaveMachine(): Promise<void> {
  for (const id of runc?.list() ?? []) runc.remove(id);
  await machine?.leave();
}

beforeAll(() => {
  world = createWorld('iprop', SUBNET);
  baselineLinks = linkNames(world.lab.hostNs);
  machine = new InstalledMachine();
  runc = new Runc(world.lab, `${world.dir}/runc`);
});

afterAll(async () => {
  await leaveMachine();
  await world?.destroy();
});

describe("the README path: ipper install, then runc with the README's hook entries", () => {
  const id = randomBytes(32).toString('hex');
  let ip: string;

  it('runc create + start give the container a lease on the LAN', async () => {
    sh(IPPER, ['install'], { env: {} });
    const rootfs = `${world.dir}/rootfs`;
    ensureBusyboxRootfs(rootfs);
    const bundleDir = `${world.dir}/bundle`;
    // runc's own spec with our process; then the hooks exactly as the README shows them.
    writeBundle({ bundleDir, rootfs, args: ['/bin/busybox', 'sleep', '600'], ipperPath: INSTALLED.binary, ipperConfig: INSTALLED.config });
    const spec = JSON.parse(readFileSync(`${bundleDir}/config.json`, 'utf8'));
    spec.hooks = readmeRuncHooks();
    writeFileSync(`${bundleDir}/config.json`, JSON.stringify(spec, null, 2));
    runc.create(id, bundleDir);
    runc.start(id);
    const pid = runc.state(id)!.pid;
    ip = await expectInstalledLease(world.lab, id, pid);
  });

  it('runc delete releases the lease on the server and leaves no veth, client or record', async () => {
    runc.remove(id);
    await expectInstalledRelease(world.lab, ip, baselineLinks);
  });

  it('the supervisor the hook started stops, ipper uninstalls, and the machine is as it was', async () => {
    expect(installedSupervisorPid()).toBeDefined();
    await leaveMachine();
    expect(installedSupervisorPid()).toBeUndefined();
    expect(filesIn(INSTALLED.stateDir)).toEqual(machine?.stateDirBefore);
  });
});
