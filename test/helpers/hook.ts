// Runs the built binary as a runtime would: in the lab host's namespace, state on stdin.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { expect } from 'vitest';
import type { Lab } from '../lab/lab.js';
import { IPPER, isPidAlive, waitForRemoval } from './host.js';

export interface HookResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

export function runHook(lab: Lab, configPath: string, stage: string | undefined, stdin: string, extraEnv: Record<string, string> = {}): HookResult {
  const result = spawnSync('/usr/bin/nsenter', [`--net=/run/netns/${lab.hostNs}`, '--', IPPER, 'hook', ...(stage ? [stage] : [])], {
    input: stdin,
    encoding: 'utf8',
    env: { IPPER_CONFIG: configPath, ...extraEnv },
    cwd: '/',
    timeout: 60_000,
  });
  if (result.status === 0 && isPoststop(stage, stdin)) waitForPoststopRemoval(configPath, stdin);
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

function isPoststop(stage: string | undefined, stdin: string): boolean {
  if (stage !== undefined) return stage === 'poststop';
  try {
    return (JSON.parse(stdin) as { status?: unknown }).status === 'stopped';
  } catch {
    return false;
  }
}

/** poststop is answered once the lease is released; the supervisor removes the rest just after (waitForRemoval). */
function waitForPoststopRemoval(configPath: string, stdin: string): void {
  try {
    const { stateDir } = JSON.parse(readFileSync(configPath, 'utf8')) as { stateDir?: unknown };
    const { id } = JSON.parse(stdin) as { id?: unknown };
    if (typeof stateDir === 'string' && typeof id === 'string') waitForRemoval(stateDir, id);
  } catch {
    // not a JSON config or state: nothing to wait for
  }
}

export function ociState(fields: Record<string, unknown>): string {
  return JSON.stringify({ ociVersion: '1.0.2', status: 'creating', bundle: '/nonexistent', ...fields });
}

/** A stand-in container: a process in a new network namespace, started from the lab host. */
export class FakeContainer {
  readonly child: ChildProcess;

  constructor(lab: Lab, ownNetns = true) {
    const argv = ownNetns ? ['/usr/bin/unshare', '--net', '/bin/sleep', '600'] : ['/bin/sleep', '600'];
    this.child = spawn('/usr/bin/nsenter', [`--net=/run/netns/${lab.hostNs}`, '--', ...argv], { stdio: 'ignore' });
  }

  /** The sleep's pid (unshare and nsenter exec it, so it is the child's pid). */
  get pid(): number {
    return this.child.pid!;
  }

  /** Its network namespace's inode (read while it runs): what holdersOf checks once it is gone. */
  get netnsInode(): number {
    return statSync(`/proc/${this.pid}/ns/net`).ino;
  }

  async ready(): Promise<void> {
    // nsenter and unshare exec in place: wait until the pid runs sleep itself.
    for (let i = 0; i < 200; i++) {
      try {
        if (readFileSync(`/proc/${this.pid}/comm`, 'utf8').trim() === 'sleep') return;
      } catch {
        // not yet
      }
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    throw new Error('fake container did not start');
  }

  stop(): void {
    if (isPidAlive(this.pid)) this.child.kill('SIGKILL');
  }
}

/**
 * A fake container given a network by the createRuntime hook, which must succeed silently; kept in
 * `fakes` for the suite to stop.
 */
export async function startFake(lab: Lab, configPath: string, fakes: FakeContainer[], id: string): Promise<FakeContainer> {
  const container = new FakeContainer(lab);
  fakes.push(container);
  await container.ready();
  const result = runHook(lab, configPath, 'createRuntime', ociState({ id, pid: container.pid }));
  expect(result.stderr).toBe('');
  expect(result.status).toBe(0);
  return container;
}

