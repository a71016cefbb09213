// A container stand-in for the scripts: a process in a new network namespace, started in the lab host.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { pause } from './lab.js';

export function startFakeContainer(hostNs: string): { pid: number; stop: () => void } {
  const child = spawn('/usr/bin/nsenter', [`--net=/run/netns/${hostNs}`, '--', '/usr/bin/unshare', '--net', '/bin/sleep', '600'], { stdio: 'ignore' });
  const pid = child.pid!;
  // nsenter and unshare exec in place: ready once the pid runs sleep itself.
  for (let i = 0; i < 500; i++) {
    try {
      if (readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'sleep') break;
    } catch {
      // not yet
    }
    pause(2);
  }
  return { pid, stop: () => child.kill('SIGKILL') };
}
