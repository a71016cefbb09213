// What other machines and `ipper inspect` see of a container.
import { execFileSync } from 'node:child_process';
import { inNs } from '../lab/lab.js';
import type { TestWorld } from './env.js';
import { IPPER } from './host.js';

export function inspect(world: TestWorld, id: string): { Container: string; NetworkSettings: Record<string, string> } {
  return JSON.parse(execFileSync(IPPER, ['inspect', id], { encoding: 'utf8', env: { IPPER_CONFIG: world.configPath } }));
}

/** A page fetched by another lab machine, or the error (for polling while a server starts). */
export function fetchFrom(ns: string, url: string): string {
  try {
    // (no -T: Debian's busybox wget crashes with it)
    return inNs(ns, ['/bin/busybox', 'wget', '-q', '-O', '-', url], { timeoutMs: 3000 });
  } catch (error) {
    return (error as Error).message;
  }
}
