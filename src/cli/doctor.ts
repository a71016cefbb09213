// `ipper doctor [<id>] [--json] [--root DIR]`: one line per check, what is wrong and how to fix
// it. --root reads hooks.d, containers.conf and daemon.json under DIR (as install does). Exit 1
// when any check fails.
import type { Config } from '../config/schema.js';
import { fail as failed, formatFindings, hasFailure, type Finding } from '../doctor/check.js';
import { checkBridge } from '../doctor/bridge.js';
import { checkContainer } from '../doctor/container.js';
import { checkDocker } from '../doctor/docker.js';
import { findTool, gatherDocker, gatherHooks, gatherLinks, gatherNetfilter, gatherStateDir, readMountinfo } from './doctor-facts.js';
import { checkHelperDir } from '../doctor/helper-dir.js';
import { checkHooks } from '../doctor/hooks.js';
import type { HostLink } from '../doctor/links.js';
import { checkNetfilter } from '../doctor/netfilter.js';
import { checkStateDir } from '../doctor/state-dir.js';
import { checkSupervisor } from '../doctor/supervisor.js';
import { checkTools } from '../doctor/tools.js';
import { IpperError, toIpperError } from '../errors.js';
import { findRecord } from '../inspect/format.js';
import { listRecords } from '../store/records.js';
import { isContainerAlive } from '../store/container-ref.js';
import { isAlive } from '../sys/proc.js';
import { VERSION } from '../version.js';
import type { CliIo } from './io.js';
import { askSupervisor } from './status.js';

export const DOCTOR_HELP = `Usage: ipper doctor [<id>] [--json] [--root DIR]

Checks the host and says, one line each, what is wrong and how to fix it (ok, WARN, FAIL, skip):
each bridge exists, is up, has a port toward the LAN and an IPv4 address; br_netfilter with a
FORWARD policy or rule that drops bridged traffic; the DHCP client and the programs ipper runs;
the Podman hooks.d file where the installed Podman reads it, pointing at the binary; the Docker
runtime in daemon.json and known to dockerd; the state directory and helperDir; the supervisor.
With <id>, also that container: its veth on the bridge, its client alive, when it last heard a
server. Exit 1 when a check fails. --json prints the findings as JSON; --root DIR reads
containers.conf, hooks.d and daemon.json under DIR.

Examples:
  ipper doctor
  ipper doctor 4b94d0da2047
  ipper doctor --json
`;

const USAGE = 'usage: ipper doctor [<container id>] [--json] [--root /absolute/dir]';

interface DoctorArgs {
  id: string | undefined;
  json: boolean;
  root: string;
}

export function parseDoctorArgs(args: readonly string[]): DoctorArgs {
  const parsed: DoctorArgs = { id: undefined, json: false, root: '' };
  for (let index = 0; index < args.length; index++) {
    const arg = args[index]!;
    if (arg === '--json') parsed.json = true;
    else if (arg === '--root') {
      const dir = args[++index];
      if (dir === undefined || !dir.startsWith('/')) throw new IpperError('USAGE', USAGE);
      parsed.root = dir.replace(/\/+$/, '');
    } else if (!arg.startsWith('-') && parsed.id === undefined) parsed.id = arg;
    else throw new IpperError('USAGE', USAGE);
  }
  return parsed;
}

export async function doctorCommand(args: readonly string[], config: Config, io: CliIo): Promise<number> {
  const options = parseDoctorArgs(args);
  const listing = listRecords(config.stateDir);
  const record = options.id === undefined ? undefined : findRecord(listing.records, options.id);
  if (record === 'ambiguous') throw new IpperError('NOT_FOUND', `"${options.id}" matches more than one container; give the full id`);
  if (options.id !== undefined && record === undefined) throw new IpperError('NOT_FOUND', `no container "${options.id}" attached by ipper (ipper status lists them)`);
  const bridges = [...new Set([config.bridge, ...config.allowedBridges])];
  const findings: Finding[] = [];
  let links: HostLink[] | undefined;
  try {
    links = await gatherLinks();
  } catch (error) {
    findings.push(failed('bridge', `cannot list the host's links: ${toIpperError(error).message}`, 'apt-get install iproute2'));
  }
  if (links !== undefined) for (const bridge of bridges) findings.push(...checkBridge({ bridge, links, hostAddress: config.hostAddress }));
  findings.push(...checkNetfilter(await gatherNetfilter(bridges)));
  findings.push(...checkTools({ dhcpClient: config.dhcpClient, bridgeFilter: config.bridgeFilter, found: findTool }));
  findings.push(...checkHooks(gatherHooks(options.root)));
  findings.push(...checkDocker(await gatherDocker(options.root, io.env)));
  findings.push(...checkStateDir(gatherStateDir(config.stateDir, listing.unreadable)));
  findings.push(...checkHelperDir({ path: config.helperDir, mountinfo: readMountinfo() }));
  findings.push(...checkSupervisor({ supervisor: await askSupervisor(config), containers: listing.records.length, version: VERSION }));
  if (record !== undefined) {
    findings.push(
      ...checkContainer({
        record,
        links: links ?? [],
        containerAlive: isContainerAlive(record),
        clientAlive: record.client !== null && isAlive(record.client),
        now: new Date(),
      }),
    );
  }
  const wrong = hasFailure(findings);
  io.stdout(options.json ? `${JSON.stringify({ ok: !wrong, checks: findings }, null, 2)}\n` : formatFindings(findings));
  return wrong ? 1 : 0;
}
