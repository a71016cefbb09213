// The supervisor's unix socket: one JSON request line in, one JSON reply line out.
import { chmodSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { IpperError, toIpperError } from '../errors.js';
import { formatZodIssue } from '../config/zod-format.js';
import type { Logger } from '../log/logger.js';
import { removeFile } from '../sys/fs.js';
import { MAX_LINE_BYTES, requestSchema, type Reply, type Request } from './protocol.js';
import { peerCredentials, type PeerCredentials } from './peer.js';
import type { Supervisor } from './supervisor.js';

export interface ListenOptions {
  socketPath: string;
  /** ipper-helper, which reads the peer's credentials. */
  helper: string;
  /** Bridges that containers use and that do not exist now. */
  missingBridges: () => string[];
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
  // Asked at once, while the request is still on its way.
  const peer = peerCredentials(options.helper, socket).catch(toIpperError);
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
      if (!socket.destroyed) socket.end(`${JSON.stringify(reply)}\n`);
    });
  });
}

/** Only our own uid (root) may talk to the supervisor; anyone else is refused and logged. */
async function authorize(peer: Promise<PeerCredentials | IpperError>, log: Logger): Promise<Reply | undefined> {
  const credentials = await peer;
  if (credentials instanceof IpperError) {
    log.error({ err: credentials }, 'request refused: caller not identified');
    return { ok: false, code: credentials.code, message: credentials.message };
  }
  if (credentials.uid === process.getuid?.()) return undefined;
  log.warn({ peer: credentials }, 'request from another user refused');
  return { ok: false, code: 'PERMISSION_DENIED', message: `uid ${credentials.uid} may not use the ipper supervisor (root only)` };
}

async function answer(line: string, options: ListenOptions, supervisor: Supervisor, abort: AbortSignal, log: Logger): Promise<Reply> {
  let request: Request;
  try {
    const parsed = requestSchema.safeParse(JSON.parse(line));
    if (!parsed.success) return { ok: false, code: 'INVALID_REQUEST', message: `invalid request: ${formatZodIssue(parsed.error)}` };
    request = parsed.data;
  } catch {
    return { ok: false, code: 'INVALID_REQUEST', message: 'request is not one line of JSON' };
  }
  try {
    switch (request.op) {
      case 'attach':
        return { ok: true, record: await supervisor.attach(request, abort) };
      case 'detach':
        return { ok: true, released: await supervisor.detach(request.id) };
      case 'status':
        return { ok: true, pid: process.pid, containers: supervisor.size, missingBridges: options.missingBridges() };
      case 'gc':
        return { ok: true, actions: await supervisor.collectGarbage(request.dryRun) };
      case 'release-all':
        return { ok: true, containers: await supervisor.releaseAll() };
    }
  } catch (error) {
    const failure = toIpperError(error);
    if (failure.code === 'INTERNAL') log.error({ err: error }, 'request failed');
    return { ok: false, code: failure.code, message: failure.message };
  }
}
