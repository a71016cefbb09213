// Who is on the other end of a supervisor connection, as the kernel recorded it at connect().
// The socket's mode (0600 in a 0700 directory) keeps others out; this check holds even when a
// wrong chmod or a bind mount lets another user reach it.
import type { Socket } from 'node:net';
import { IpperError } from '../errors.js';
import { runOnSocket } from '../sys/exec.js';

export interface PeerCredentials {
  pid: number;
  uid: number;
  gid: number;
}

const PEER_TIMEOUT_MS = 2000;

/** Parses ipper-helper --peercred's "pid uid gid" line. */
export function parsePeerCredentials(output: string): PeerCredentials | undefined {
  const match = /^(\d{1,10}) (\d{1,10}) (\d{1,10})\n?$/.exec(output);
  if (match === null) return undefined;
  return { pid: Number(match[1]), uid: Number(match[2]), gid: Number(match[3]) };
}

export async function peerCredentials(helper: string, socket: Socket): Promise<PeerCredentials> {
  let output: string;
  try {
    output = await runOnSocket(helper, ['--peercred'], socket, PEER_TIMEOUT_MS);
  } catch (error) {
    const hint = /EACCES/.test((error as Error).message) ? ' (is helperDir on a noexec filesystem?)' : '';
    throw new IpperError('SUPERVISOR_UNAVAILABLE', `cannot identify the caller: ${(error as Error).message}${hint}`, { cause: error });
  }
  const credentials = parsePeerCredentials(output);
  if (credentials === undefined) throw new IpperError('SUPERVISOR_UNAVAILABLE', `cannot identify the caller: unexpected "${output.slice(0, 40)}"`);
  return credentials;
}
