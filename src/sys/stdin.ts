import { readSync } from 'node:fs';
import { IpperError, isErrnoCode } from '../errors.js';

export const MAX_STATE_BYTES = 1024 * 1024;

/**
 * Reads all of stdin, refusing more than `limit` bytes (the OCI state is small). Read from fd 0
 * directly: `process.stdin` loads the stream machinery, about 3 ms of every hook's start. A
 * non-blocking stdin (EAGAIN) is read to its end through `process.stdin` instead.
 */
export async function readStdin(limit = MAX_STATE_BYTES): Promise<string> {
  const chunks: Buffer[] = [];
  let bytes = 0;
  const keep = (chunk: Buffer): void => {
    bytes += chunk.length;
    if (bytes > limit) throw new IpperError('INVALID_OCI_STATE', `OCI state on stdin is larger than ${limit} bytes`);
    chunks.push(chunk);
  };
  if (!readBlocking(keep)) {
    for await (const chunk of process.stdin) keep(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Reads fd 0 to its end; false when it would block (a non-blocking stdin), with what came so far kept. */
function readBlocking(keep: (chunk: Buffer) => void): boolean {
  const buffer = Buffer.allocUnsafe(64 * 1024);
  for (;;) {
    let count: number;
    try {
      count = readSync(0, buffer, 0, buffer.length, null);
    } catch (error) {
      if (isErrnoCode(error, 'EAGAIN')) return false;
      if (isErrnoCode(error, 'EOF')) return true;
      throw error;
    }
    if (count === 0) return true;
    keep(Buffer.from(buffer.subarray(0, count)));
  }
}
