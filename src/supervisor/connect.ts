// The hook's side of the socket: send one request, starting the supervisor first if none answers.
import { createConnection } from 'node:net';
import { IpperError, isErrnoCode, isErrorCode } from '../errors.js';
import { formatZodIssue } from '../config/zod-format.js';
import { ensurePrivateDir } from '../sys/fs.js';
import { supervisorPaths } from './paths.js';
import { LOCK_STALE_MS } from './lock-timing.js';
import { PROTOCOL_VERSION, replySchema, type Reply, type RequestBody } from './protocol.js';

export interface ConnectOptions {
  stateDir: string;
  /** argv that starts `ipper supervisor` (this very binary). */
  supervisorCommand: () => readonly string[] | Promise<readonly string[]>;
  /** Environment for a supervisor started on demand (IPPER_CONFIG). */
  supervisorEnv: Record<string, string>;
  /** Total time for the request, supervisor start included. */
  timeoutMs: number;
  /** false: ask only a supervisor that runs (uninstall), never start one. */
  startIfMissing?: boolean;
}

/** How long a hook waits for an on-demand supervisor: a crashed one's lock goes stale first. */
export const SUPERVISOR_START_MS = LOCK_STALE_MS + 5000;

export async function requestSupervisor(request: RequestBody, options: ConnectOptions): Promise<Reply & { ok: true }> {
  const socketPath = supervisorPaths(options.stateDir).socket;
  const deadline = Date.now() + options.timeoutMs;
  let started: { failed: number | null | undefined } | undefined;
  let delayMs = 2;
  for (;;) {
    try {
      const reply = await exchange(socketPath, request, deadline - Date.now());
      if (reply.ok) return reply;
      // A code this hook does not know is a failure all the same, never a success by accident.
      if (!isErrorCode(reply.code)) throw new IpperError('PROTOCOL_MISMATCH', `the supervisor failed with an unknown code "${reply.code.slice(0, 40)}": ${reply.message}`);
      throw new IpperError(reply.code, reply.message);
    } catch (error) {
      if (!(isErrnoCode(error, 'ENOENT') || isErrnoCode(error, 'ECONNREFUSED'))) throw error;
      if (options.startIfMissing === false) throw new IpperError('SUPERVISOR_UNAVAILABLE', `no ipper supervisor runs on ${socketPath}`, { cause: error });
      if (started === undefined) {
        // Checked here, so that a state directory that cannot be made is this hook's clear error.
        ensurePrivateDir(options.stateDir);
        started = await startSupervisor(options);
      }
      if (started.failed !== undefined && started.failed !== 0) {
        throw new IpperError('SUPERVISOR_UNAVAILABLE', `the ipper supervisor failed to start (exit ${String(started.failed)}); see its log`);
      }
      if (Date.now() + delayMs > deadline) {
        throw new IpperError('SUPERVISOR_UNAVAILABLE', `the ipper supervisor did not answer on ${socketPath} (see its log)`);
      }
      await new Promise((resolve) => setTimeout(resolve, delayMs));
      delayMs = Math.min(50, delayMs * 2);
    }
  }
}

/** Starts a supervisor; `failed` becomes its exit code if it ends (0: another one holds the lock). */
async function startSupervisor(options: ConnectOptions): Promise<{ failed: number | null | undefined }> {
  // Loaded only when a supervisor must be started: node:child_process is not on the hook's usual path.
  const { spawnDetached } = await import('../sys/exec.js');
  const [file, ...args] = await options.supervisorCommand();
  if (file === undefined) throw new IpperError('INTERNAL', 'no supervisor command');
  const state: { failed: number | null | undefined } = { failed: undefined };
  void spawnDetached(file, [...args], { env: options.supervisorEnv, outputFd: 'ignore' }).exited.then((code) => {
    state.failed = code;
  });
  return state;
}

function exchange(socketPath: string, request: RequestBody, timeoutMs: number): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const socket = createConnection(socketPath);
    let data = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new IpperError('SUPERVISOR_UNAVAILABLE', `the ipper supervisor did not reply within ${Math.round(timeoutMs)} ms`));
    }, Math.max(1, timeoutMs));
    socket.setEncoding('utf8');
    socket.on('connect', () => socket.write(`${JSON.stringify({ v: PROTOCOL_VERSION, ...request })}\n`));
    socket.on('data', (chunk: string) => {
      data += chunk;
    });
    socket.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    socket.on('end', () => {
      clearTimeout(timer);
      socket.destroy();
      let json: unknown;
      try {
        json = JSON.parse(data);
      } catch {
        reject(new IpperError('SUPERVISOR_UNAVAILABLE', 'the supervisor closed the connection without a reply'));
        return;
      }
      const version = typeof json === 'object' && json !== null ? (json as { v?: unknown }).v : undefined;
      if (version !== PROTOCOL_VERSION) {
        reject(new IpperError('PROTOCOL_MISMATCH', `the ipper supervisor on ${socketPath} speaks protocol ${JSON.stringify(version ?? 1)}, this ipper ${PROTOCOL_VERSION} (an older supervisor left running after an upgrade?): stop it with SIGTERM (its containers keep their leases) and the next hook starts the new one`));
        return;
      }
      const parsed = replySchema.safeParse(json);
      if (parsed.success) resolve(parsed.data);
      else reject(new IpperError('SUPERVISOR_UNAVAILABLE', `unexpected reply from the supervisor: ${formatZodIssue(parsed.error)}`));
    });
  });
}
