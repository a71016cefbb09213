// The one module that runs external programs: absolute paths, argument arrays, an explicit
// environment, a timeout on every call, never a shell.
import { spawn } from 'node:child_process';
import type { Socket } from 'node:net';
import { IpperError } from '../errors.js';

/** What every child gets: a fixed PATH (Podman may hand hooks an empty environment) and nothing else. */
export const CHILD_ENV: Readonly<Record<string, string>> = {
  PATH: '/usr/sbin:/usr/bin:/sbin:/bin',
  LC_ALL: 'C',
};

export interface RunOptions {
  input?: string;
  timeoutMs?: number;
  env?: Record<string, string>;
}

export interface RunResult {
  stdout: string;
  stderr: string;
}

export async function run(file: string, args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
  // Loaded on first use: the hook's own path runs no command, and execa costs ~25 ms to load.
  const { execa } = await import('execa');
  const result = await execa(file, args, {
    env: { ...CHILD_ENV, ...options.env },
    extendEnv: false,
    shell: false,
    cwd: '/',
    timeout: options.timeoutMs ?? 10_000,
    reject: false,
    stripFinalNewline: true,
    ...(options.input === undefined ? { stdin: 'ignore' as const } : { input: options.input }),
  });
  if (result.failed) {
    const output = String(result.stderr ?? '') || String(result.stdout ?? '') || result.shortMessage || '';
    // The line that says what went wrong: nft, for one, follows it with the command and a caret.
    const lines = output.trim().split('\n');
    const detail = lines.find((line) => /error/i.test(line)) ?? lines.slice(-1)[0] ?? '';
    throw new IpperError('COMMAND_FAILED', `${basename(file)} ${args.join(' ')}: ${detail}`, { cause: result });
  }
  return { stdout: String(result.stdout ?? ''), stderr: String(result.stderr ?? '') };
}

export interface SpawnOptions {
  env: Record<string, string>;
  /** File descriptor that receives the child's stdout and stderr (never the caller's own). */
  outputFd: number | 'ignore';
}

export interface DetachedChild {
  pid: number | undefined;
  /** Resolves with the exit code (null: killed by a signal, or it never started) when the child exits. */
  exited: Promise<number | null>;
}

/**
 * Starts a long-lived child in its own session, holding none of our pipes: it must outlive us
 * (a supervisor restart keeps every lease) and must never keep a runtime's hook pipes open.
 * node's spawn, not execa: the child must get a plain file descriptor and no pipes at all.
 */
export function spawnDetached(file: string, args: readonly string[], options: SpawnOptions): DetachedChild {
  const child = spawn(file, args, {
    env: { ...CHILD_ENV, ...options.env },
    shell: false,
    cwd: '/',
    detached: true,
    stdio: ['ignore', options.outputFd, options.outputFd],
  });
  const exited = new Promise<number | null>((resolve) => {
    child.once('exit', (code) => resolve(code));
    child.once('error', () => resolve(null));
  });
  child.unref();
  return { pid: child.pid, exited };
}

/**
 * Runs a short command whose stdin is one of our sockets (shared, not piped: the child sees the
 * same connection) and returns its stdout. node's spawn, as execa would pipe the stream through.
 */
export function runOnSocket(file: string, args: readonly string[], socket: Socket, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { env: { ...CHILD_ENV }, shell: false, cwd: '/', stdio: [socket, 'pipe', 'pipe'], timeout: timeoutMs });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.once('error', (error) => reject(new IpperError('COMMAND_FAILED', `cannot run ${file}: ${error.message}`, { cause: error })));
    child.once('close', (code, signal) => {
      // node stops reading a stream it hands to a child as stdio; it is ours again.
      socket.resume();
      if (code === 0) resolve(stdout);
      else reject(new IpperError('COMMAND_FAILED', `${basename(file)} ${args.join(' ')}: ${stderr.trim() || `exit ${String(code ?? signal)}`}`));
    });
  });
}

function basename(file: string): string {
  return file.slice(file.lastIndexOf('/') + 1);
}

const MAX_PARTIAL_LINE = 64 * 1024;

export interface LineReader {
  pid: number | undefined;
  /** Resolves with the exit code (null: killed by a signal, or it never started) when the child exits. */
  exited: Promise<number | null>;
  stop: () => void;
}

/**
 * Runs a long-lived child of ours (a watcher such as `ip monitor`) and hands each line of its
 * stdout to `onLine`. Its stdin and stderr are /dev/null: it holds none of our other descriptors.
 */
export function spawnLineReader(file: string, args: readonly string[], onLine: (line: string) => void): LineReader {
  const child = spawn(file, args, { env: { ...CHILD_ENV }, shell: false, cwd: '/', stdio: ['ignore', 'pipe', 'ignore'] });
  let partial = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    const lines = (partial + chunk).split('\n');
    partial = (lines.pop() ?? '').slice(-MAX_PARTIAL_LINE); // a line without end cannot grow for ever
    for (const line of lines) onLine(line);
  });
  const exited = new Promise<number | null>((resolve) => {
    child.once('exit', (code) => resolve(code));
    child.once('error', () => resolve(null));
  });
  return { pid: child.pid, exited, stop: () => void child.kill('SIGTERM') };
}
