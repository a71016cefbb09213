// `ipper gc [--dry-run]`: one garbage collection, done by the supervisor (so that it can never race
// a create in flight); --dry-run prints what it would do and changes nothing.
import type { Config } from '../config/schema.js';
import { IpperError } from '../errors.js';
import { SUPERVISOR_START_MS, requestSupervisor } from '../supervisor/connect.js';
import { connectOptions } from './attach-request.js';
import type { CliIo } from './io.js';

export const GC_HELP = `Usage: ipper gc [--dry-run]

One garbage collection now, done by the supervisor: it tears down what containers that died
without a poststop left (DHCP clients, veths, records). The supervisor also runs one every
gcIntervalMs. --dry-run prints the actions as JSON lines and changes nothing.

Examples:
  ipper gc --dry-run
  ipper gc
`;

export async function gcCommand(args: readonly string[], config: Config, configPath: string | undefined, io: CliIo): Promise<number> {
  if (args.length > 1 || (args.length === 1 && args[0] !== '--dry-run')) throw new IpperError('USAGE', 'usage: ipper gc [--dry-run]');
  const dryRun = args[0] === '--dry-run';
  const reply = await requestSupervisor({ op: 'gc', dryRun }, connectOptions(config, configPath, SUPERVISOR_START_MS + 60_000));
  for (const action of reply.actions ?? []) io.stdout(`${JSON.stringify({ ...(dryRun && { dryRun }), ...action })}\n`);
  return 0;
}

/** `ipper supervisor --release-all`: release every lease and remove every container's network. */
export async function releaseAllCommand(config: Config, configPath: string | undefined, io: CliIo): Promise<number> {
  const reply = await requestSupervisor({ op: 'release-all' }, connectOptions(config, configPath, SUPERVISOR_START_MS + 120_000));
  io.stdout(`released ${reply.containers ?? 0} container(s)\n`);
  return 0;
}
