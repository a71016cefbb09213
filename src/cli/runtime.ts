// `ipper runtime …` (or the `ipper-runtime` link): Docker's OCI runtime. On `create` it adds
// ipper's hooks to the bundle's config.json, then runs runc with the same arguments, stdio and
// file descriptors, forwarding signals and returning runc's exit status.
import { spawn } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { IpperError } from '../errors.js';
import { injectHooks, parseRuntimeCall } from '../runtime/wrap.js';
import { writeFileAtomic } from '../sys/fs.js';
import { toolPath } from '../sys/tools.js';
import type { CliIo } from './io.js';

export const RUNTIME_HELP = `Usage: ipper runtime <runc arguments>   (or the ipper-runtime link)

Docker's OCI runtime: on create it adds ipper's hooks to the bundle's config.json, then runs runc
with the same arguments; every other call goes to runc unchanged. ipper install (or the package)
registers it in /etc/docker/daemon.json as "ipper"; restart dockerd to load it. Settings go as
environment variables: IPPER_BRIDGE, IPPER_MAC, IPPER_HOSTNAME.

Examples:
  docker run -d --runtime ipper --network none busybox sleep 600
  docker run -d --runtime ipper --network none -e IPPER_BRIDGE=br1 busybox sleep 600
`;

const FORWARDED: NodeJS.Signals[] = ['SIGTERM', 'SIGINT', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2', 'SIGWINCH'];

export async function runtimeCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const call = parseRuntimeCall(argv, process.cwd());
  if (call.bundle !== undefined) addHooks(call.bundle, io);
  return runRunc(argv, call.preserveFds);
}

function addHooks(bundle: string, io: CliIo): void {
  const path = `${bundle}/config.json`;
  let spec: unknown;
  try {
    spec = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new IpperError('INVALID_OCI_STATE', `cannot read ${path}: ${(error as Error).message}`);
  }
  if (typeof spec !== 'object' || spec === null || Array.isArray(spec)) throw new IpperError('INVALID_OCI_STATE', `${path} is not an OCI spec object`);
  const hookEnv = io.env['IPPER_CONFIG'] ? [`IPPER_CONFIG=${io.env['IPPER_CONFIG']}`] : [];
  const result = injectHooks(spec as Record<string, unknown>, process.execPath, hookEnv);
  if (!result.changed) return; // left to runc as it is; see the README
  writeFileAtomic(path, JSON.stringify(result.spec), statSync(path).mode & 0o777);
}

function runRunc(argv: readonly string[], preserveFds: number): Promise<number> {
  const extraFds = Array.from({ length: preserveFds }, (_, i) => 3 + i);
  const child = spawn(toolPath('runc'), [...argv], { stdio: ['inherit', 'inherit', 'inherit', ...extraFds] });
  const forward = (signal: NodeJS.Signals) => () => child.kill(signal);
  const handlers = FORWARDED.map((signal) => [signal, forward(signal)] as const);
  for (const [signal, handler] of handlers) process.on(signal, handler);
  return new Promise((resolve) => {
    child.on('error', (error) => {
      process.stderr.write(`ipper: cannot run runc: ${error.message} [TOOL_MISSING]\n`);
      resolve(69);
    });
    child.on('exit', (code, signal) => {
      for (const [name, handler] of handlers) process.off(name, handler);
      // Die of the same signal, as runc did, so the caller sees what it would have seen.
      if (signal !== null) {
        process.kill(process.pid, signal);
        resolve(128);
      } else resolve(code ?? 1);
    });
  });
}
