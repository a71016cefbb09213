import { IpperError } from '../errors.js';

export const MAX_STATE_BYTES = 1024 * 1024;

/** Reads all of stdin, refusing more than `limit` bytes (the OCI state is small). */
export async function readStdin(limit = MAX_STATE_BYTES): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of process.stdin) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > limit) throw new IpperError('INVALID_OCI_STATE', `OCI state on stdin is larger than ${limit} bytes`);
    chunks.push(buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}
