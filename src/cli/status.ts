// `ipper status [--json]`: the supervisor, then every container from the state dir. Asks a running
// supervisor, never starts one; one socket exchange and file reads, no process per container.
import type { Config } from '../config/schema.js';
import { IpperError, toIpperError } from '../errors.js';
import { formatStatus, toStatusJson, type SupervisorFacts } from '../status/view.js';
import { listRecords } from '../store/records.js';
import { requestSupervisor } from '../supervisor/connect.js';
import { isAlive } from '../sys/proc.js';
import { connectOptions } from './attach-request.js';
import type { CliIo } from './io.js';

export const STATUS_HELP = `Usage: ipper status [--json]

Prints the supervisor (pid, version, uptime, containers, client restarts, missing bridges, what
garbage collection cannot explain), then one line per container interface: short id, interface,
name (-: no runtime gives one to a hook), address, MAC, bridge, DHCP client and pid, lease state
(bound, renewing from T1, rebinding from T2, expired, failed when the client is not running,
requesting, attaching), lease expiry and last renewal. Asks a running supervisor and never starts one. --json prints the
same as one JSON document with stable keys.

Examples:
  ipper status
  ipper status --json
`;

/** How long status (and doctor) wait for a supervisor that runs but is busy. */
export const STATUS_TIMEOUT_MS = 3000;

/** The supervisor's status reply, or why there is none; never starts one. */
export async function askSupervisor(config: Config): Promise<SupervisorFacts> {
  try {
    const reply = await requestSupervisor({ op: 'status' }, { ...connectOptions(config, undefined, STATUS_TIMEOUT_MS), startIfMissing: false });
    return {
      running: true,
      pid: reply.pid,
      version: reply.version,
      uptimeSeconds: reply.uptimeSeconds,
      containers: reply.containers,
      clientRestarts: reply.clientRestarts,
      missingBridges: reply.missingBridges ?? [],
      unexplained: reply.unexplained ?? [],
    };
  } catch (error) {
    const failure = toIpperError(error);
    return { running: false, reason: failure.message, code: failure.code };
  }
}

export async function statusCommand(args: readonly string[], config: Config, io: CliIo): Promise<number> {
  const json = args.length === 1 && args[0] === '--json';
  if (args.length > 0 && !json) throw new IpperError('USAGE', 'usage: ipper status [--json]');
  const supervisor = await askSupervisor(config);
  const listing = listRecords(config.stateDir);
  const now = new Date();
  const status = toStatusJson({
    supervisor,
    records: listing.records,
    unreadable: listing.unreadable,
    clientAlive: (record) => record.client !== null && isAlive(record.client),
    clientName: config.dhcpClient,
    now,
  });
  io.stdout(json ? `${JSON.stringify(status, null, 2)}\n` : formatStatus(status, now));
  return 0;
}
