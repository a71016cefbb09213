// The whole life of a container, hook, supervisor, DHCP client and its event handler, traced with
// strace, for each of the three DHCP clients: every program ipper starts is run by absolute path
// with its own environment, and none of them is a shell (nor the distribution's client script).
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, openSync, readFileSync, readSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DHCP_CLIENTS } from '../../src/dhcp/driver.js';
import { createWorld, type TestWorld } from '../helpers/env.js';
import { FakeContainer, ociState } from '../helpers/hook.js';
import { IPPER, isPidAlive, namespaceView } from '../helpers/host.js';

let world: TestWorld;
const SHELLS = new Set(['sh', 'bash', 'dash', 'ash', 'zsh', 'ksh', 'mksh', 'csh', 'tcsh', 'fish']);
/** In the runtime's environment; a child that got it inherited the environment instead of being given one. */
const MARKER = 'IPPER_INHERITED_MARKER=from-the-runtime';

const ELF_MAGIC = '7f454c46';

function programMagic(file: string): string {
  const fd = openSync(file, 'r');
  try {
    const head = Buffer.alloc(4);
    readSync(fd, head, 0, 4, 0);
    return head.toString('hex');
  } finally {
    closeSync(fd);
  }
}

interface Exec {
  pid: number;
  file: string;
  argv: string[];
  env: string[];
}

/** strace -v lines: `123 execve("/usr/sbin/ip", ["ip", "-batch", "-"], ["PATH=..."]) = 0`. */
function parseExecs(trace: string): Exec[] {
  const execs: Exec[] = [];
  for (const line of trace.split('\n')) {
    const match = /^(\d+) +execve\("((?:[^"\\]|\\.)*)", \[(.*?)\], \[(.*?)\]\) = 0$/.exec(line);
    if (match === null) continue;
    const strings = (list: string): string[] => [...list.matchAll(/"((?:[^"\\]|\\.)*)"/g)].map((m) => m[1]!);
    execs.push({ pid: Number(match[1]), file: match[2]!, argv: strings(match[3]!), env: strings(match[4]!) });
  }
  return execs;
}

function traced(traceFile: string, stage: string): string[] {
  return [
    '/usr/bin/strace', '-f', '-qq', '-v', '-s', '4096', '-e', 'trace=execve', '-e', 'signal=none', '-o', traceFile, '--',
    '/usr/bin/nsenter', `--net=/run/netns/${world.lab.hostNs}`, '--', IPPER, 'hook', stage,
  ];
}

async function until(condition: () => boolean, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe.each(DHCP_CLIENTS)('with %s', (client) => {
beforeAll(() => {
  world = createWorld('ipnosh', '10.97.74', { leaseTimeoutMs: 8000, dhcpClient: client });
});

afterAll(async () => {
  await world?.destroy();
});

it('a create and a poststop start no shell, and every program gets an absolute path and its own environment', async () => {
  const container = new FakeContainer(world.lab);
  await container.ready();
  const createTrace = `${world.dir}/create.trace`;
  const poststopTrace = `${world.dir}/poststop.trace`;
  const env = { IPPER_CONFIG: world.configPath, [MARKER.split('=')[0]!]: MARKER.split('=')[1]! };
  // This strace follows the hook and what it starts: the supervisor, and through it ip, nsenter,
  // nft, udhcpc and udhcpc's event handler. It ends once the supervisor does.
  const [file, ...args] = traced(createTrace, 'createRuntime');
  const createRun = spawn(file!, args, { env, cwd: '/', stdio: ['pipe', 'ignore', 'pipe'] });
  const straceDone = new Promise<number | null>((resolve) => createRun.on('exit', resolve));
  createRun.stdin.end(ociState({ id: 'traced', pid: container.pid }));
  await until(() => namespaceView(container.pid).addresses.some((address) => address.ifname === 'eth0'), 'the lease');

  container.stop();
  const [stopFile, ...stopArgs] = traced(poststopTrace, 'poststop');
  const poststop = spawnSync(stopFile!, stopArgs, { env, cwd: '/', input: JSON.stringify({ ociVersion: '1.0.2', id: 'traced', status: 'stopped' }), encoding: 'utf8', timeout: 60_000 });
  expect(poststop.status).toBe(0);
  const supervisorPid = Number(readFileSync(`${world.stateDir}/supervisor.pid`, 'utf8'));
  await world.stopSupervisor();
  expect(isPidAlive(supervisorPid)).toBe(false);
  expect(await straceDone).toBe(0);

  const execs = [...parseExecs(readFileSync(createTrace, 'utf8')), ...parseExecs(readFileSync(poststopTrace, 'utf8'))];
  const names = new Set(execs.map((exec) => exec.file.slice(exec.file.lastIndexOf('/') + 1)));
  // The trace saw the supervisor's side too, or it proves nothing.
  for (const expected of ['ipper', 'ip', 'nsenter', client, 'ipper-helper', 'nft']) expect(names).toContain(expected);
  // The client ran ipper-helper as its event script, never its distribution's (dhclient-script, dhcpcd-run-hooks).
  expect(execs.filter((exec) => exec.file.endsWith('/ipper-helper') && exec.argv.length <= 2).length).toBeGreaterThan(0);
  expect([...names].filter((name) => /script|run-hooks/.test(name))).toEqual([]);
  for (const exec of execs) {
    expect(exec.file, JSON.stringify(exec)).toMatch(/^\//);
    const program = exec.file.slice(exec.file.lastIndexOf('/') + 1);
    const argv0 = (exec.argv[0] ?? '').slice((exec.argv[0] ?? '').lastIndexOf('/') + 1);
    expect(SHELLS.has(program) || SHELLS.has(argv0) || (program === 'busybox' && SHELLS.has(exec.argv[1] ?? '')), JSON.stringify(exec)).toBe(false);
    // A "#!" script shows in strace as itself, not as its interpreter: every program must be ELF.
    expect(programMagic(exec.file), exec.file).toBe(ELF_MAGIC);
  }
  // The runtime's two commands (nsenter, then ipper in the same process) carry its environment;
  // nothing ipper starts does.
  const runtimePids = new Set([execs[0]!.pid, ...parseExecs(readFileSync(poststopTrace, 'utf8')).slice(0, 1).map((exec) => exec.pid)]);
  const started = execs.filter((exec) => !runtimePids.has(exec.pid));
  expect(started.length).toBeGreaterThan(5);
  for (const exec of started) expect(exec.env, JSON.stringify(exec)).not.toContain(MARKER);
});
});
