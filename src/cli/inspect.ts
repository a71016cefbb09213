import type { Config } from '../config/schema.js';
import { IpperError } from '../errors.js';
import { findRecord, toContainerJson, toContainersJson } from '../inspect/format.js';
import { listRecords } from '../store/records.js';
import type { CliIo } from './io.js';

export const INSPECT_HELP = `Usage: ipper inspect <id> | --all

Prints a container's network as JSON (MAC, bridge, address, prefix, gateway, DNS, DHCP client pid,
hostname, interfaces); <id> is the full container id or its 12-character prefix. The first
interface's fields are at the top (NetworkSettings); Interfaces lists every interface, the first
included, in the same fields. --all prints an array of every container ipper attached.

Examples:
  ipper inspect 4b94d0da2047
  ipper inspect --all
`;

export function inspectCommand(args: readonly string[], config: Config, io: CliIo): number {
  const records = listRecords(config.stateDir).records.filter((record) => record.phase === 'active');
  if (args[0] === '--all') {
    io.stdout(`${JSON.stringify(toContainersJson(records), null, 2)}\n`);
    return 0;
  }
  const id = args[0];
  if (id === undefined || args.length > 1) throw new IpperError('USAGE', 'usage: ipper inspect <id> | --all');
  const record = findRecord(records, id);
  if (record === 'ambiguous') throw new IpperError('NOT_FOUND', `"${id}" matches more than one container; give the full id`);
  if (record === undefined) throw new IpperError('NOT_FOUND', `no container "${id}" attached by ipper`);
  io.stdout(`${JSON.stringify(toContainerJson(records.filter((other) => other.id === record.id)), null, 2)}\n`);
  return 0;
}
