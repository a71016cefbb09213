// The supervisor's unix socket: one JSON request line in, one JSON reply line out.
import { chmodSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { IpperError, toIpperError } from '../errors.js';
import { formatZodIssue } from '../config/zod-format.js';
import type { Logger } from '../log/logger.js';
import { removeFile } from '../sys/fs.js';
import { MAX_LINE_BYTES, PROTOCOL_VERSION, requestSchemas, type Reply, type Request } from './protocol.js';
import { peerCredentials, type PeerCredentials } from './peer.js';
import type { Supervisor } from './supervisor.js';
import type { HelperFile } from '../sys/helper.js';
import type { Observer } from './metrics.js';

export interface ListenOptions {
  socketPath: string;
  /** ipper-helper, which reads the peer's credentials. */
  helper: HelperFile;
  /** `shutdown`: the supervisor stops (asked only when it holds no container). */
  onShutdown: () => void;
  version: string;
  /** Bridges that containers use and that do not exist now. */
  missingBridges: () => string[];
  /** Attach latency and failures, for the metrics. */
  observer?: Observer;
}

export function listen(options: ListenOptions, supervisor: Supervisor, log: Logger): Promise<Server> {
  const { socketPath } = options;
  removeFile(socketPath); // a socket file left by a dead supervisor; we hold the lock
  const server = createServer((socket) => serve(socket, options, supervisor, log));
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(socketPath, () => {
      chmodSync(socketPath, 0o600);
      server.off('error', reject);
      resolve(server);
    });
  });
}

function serve(socket: Socket, options: ListenOptions, supervisor: Supervisor, log: Logger): void {
  const abort = new AbortController();
  // Asked at once, while the request is still on its way; the helper is checked before each use.
  const peer = Promise.resolve()
    .then(() => peerCredentials(options.helper.ensure(), socket))
    .catch(toIpperError);
  let buffered = '';
  let handled = false;
  socket.setEncoding('utf8');
  socket.on('error', () => undefined);
  socket.on('close', () => abort.abort());
  socket.on('data', (chunk: string) => {
    if (handled) return;
    buffered += chunk;
    const newline = buffered.indexOf('\n');
    if (newline < 0 && buffered.length <= MAX_LINE_BYTES) return;
    handled = true;
    void authorize(peer, log).then((refusal) => refusal ?? answer(buffered.slice(0, newline < 0 ? MAX_LINE_BYTES : newline), options, supervisor, abort.signal, log)).then((reply) => {
      if (!socket.destroyed) socket.end(`${JSON.stringify({ v: PROTOCOL_VERSION, ...reply })}\n`);
    });
  });
}

/** Only our own uid (root) may talk to the supervisor; anyone else is refused and logged. */
async function authorize(peer: Promise<PeerCredentials | IpperError>, log: Logger): Promise<ReplyBody | undefined> {
  const credentials = await peer;
  if (credentials instanceof IpperError) {
    log.error({ err: credentials }, 'request refused: caller not identified');
    return { ok: false, code: credentials.code, message: credentials.message };
  }
  if (credentials.uid === process.getuid?.()) return undefined;
  log.warn({ peer: credentials }, 'request from another user refused');
  return { ok: false, code: 'PERMISSION_DENIED', message: `uid ${credentials.uid} may not use the ipper supervisor (root only)` };
}

type ReplyBody = Reply extends infer R ? (R extends unknown ? Omit<R, 'v'> : never) : never;

async function answer(line: string, options: ListenOptions, supervisor: Supervisor, abort: AbortSignal, log: Logger): Promise<ReplyBody> {
  let request: Request;
  try {
    const json: unknown = JSON.parse(line);
    const version = typeof json === 'object' && json !== null ? (json as { v?: unknown }).v : undefined;
    if (version !== PROTOCOL_VERSION) {
      return { ok: false, code: 'PROTOCOL_MISMATCH', message: `this ipper supervisor speaks protocol ${PROTOCOL_VERSION}, the caller ${JSON.stringify(version ?? 1)}: run the same ipper version for hooks and supervisor` };
    }
    const parsed = requestSchemas().request.safeParse(json);
    if (!parsed.success) return { ok: false, code: 'INVALID_REQUEST', message: `invalid request: ${formatZodIssue(parsed.error)}` };
    request = parsed.data;
  } catch {
    return { ok: false, code: 'INVALID_REQUEST', message: 'request is not one line of JSON' };
  }
  try {
    switch (request.op) {
      case 'attach': {
        const began = performance.now();
        try {
          const record = await supervisor.attach(request, abort);
          options.observer?.attach((performance.now() - began) / 1000, 'ok');
          return { ok: true, record };
        } catch (error) {
          options.observer?.attach((performance.now() - began) / 1000, toIpperError(error).code);
          throw error;
        }
      }
      case 'detach': {
        const outcome = await supervisor.detach(request.id, request.force === true);
        return { ok: true, released: outcome.released, removed: outcome.removed };
      }
      case 'status':
        return { ok: true, pid: process.pid, version: options.version, containers: supervisor.size, unexplained: supervisor.unexplained(), missingBridges: options.missingBridges(), uptimeSeconds: Math.round(process.uptime()), clientRestarts: supervisor.clientRestarts };
      case 'gc':
        return { ok: true, actions: await supervisor.collectGarbage(request.dryRun) };
      case 'release-all':
        return { ok: true, containers: await supervisor.releaseAll() };
      case 'shutdown':
        await supervisor.teardownsSettled(); // a container just stopped is no reason to refuse
        if (supervisor.size > 0) return { ok: false, code: 'IN_USE', message: `${supervisor.size} container(s) still have ipper networks` };
        setImmediate(options.onShutdown);
        return { ok: true, pid: process.pid };
    }
  } catch (error) {
    const failure = toIpperError(error);
    if (failure.code === 'INTERNAL') log.error({ err: error }, 'request failed');
    return { ok: false, code: failure.code, message: failure.message };
  }
}
