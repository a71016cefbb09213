// `ipper attach <bridge> <container> [-i <interface>] dhcp [mac]`: pipework's manual workflow for a
// container that already runs (a Docker or Podman id or name, or a pid). Prints the same JSON as
// `ipper inspect`.
import type { Config } from '../config/schema.js';
import { IpperError } from '../errors.js';
import { toContainerJson } from '../inspect/format.js';
import { isValidInterfaceName } from '../net/names.js';
import { listRecords } from '../store/records.js';
import { readStartTime } from '../sys/proc.js';
import { run } from '../sys/exec.js';
import { toolPath } from '../sys/tools.js';
import { requestAttach } from './attach-request.js';
import type { CliIo } from './io.js';

export const ATTACH_HELP = `Usage: ipper attach <bridge> <container id|name|pid> [-i <interface>] dhcp [mac]

Gives a container that already runs (a Docker or Podman id or name, or a pid) an interface on
<bridge> with a DHCP lease, as pipework does; the supervisor keeps and renews it, and garbage
collection releases it when the container's process ends. Prints the same JSON as ipper inspect.

-i <interface> names the container's interface (default: the configured one, eth0). Any other name
adds an interface beside the ones the container has (say eth1 on a second bridge): its own MAC,
lease, DNS name (<hostname>-<interface>) and client, IPv4 only, and never the default route.
poststop removes it with the others. A pid of a container ipper already attached is taken as
that container.

Examples:
  ipper attach br0 web dhcp
  ipper attach br0 12345 dhcp 02:42:ac:11:00:02
  ipper attach br1 web -i eth1 dhcp
`;

const USAGE = 'usage: ipper attach <bridge> <container id|name|pid> [-i <interface>] dhcp [mac]';
/** What the Docker and Podman clients need to find their daemon or storage. */
const PASSED_ENV = ['DOCKER_HOST', 'CONTAINERS_CONF', 'CONTAINERS_STORAGE_CONF', 'XDG_RUNTIME_DIR'];

interface Resolved {
  id: string;
  pid: number;
}

async function inspectWith(tool: string, name: string, env: Record<string, string>): Promise<Resolved | undefined> {
  let path: string;
  try {
    path = toolPath(tool);
  } catch {
    return undefined;
  }
  try {
    const { stdout } = await run(path, ['inspect', '--type', 'container', '--format', '{{.Id}} {{.State.Pid}}', name], { env, timeoutMs: 15_000 });
    const [id, pid] = stdout.trim().split(' ');
    if (id === undefined || !/^[0-9a-f]{64}$/.test(id) || !Number.isSafeInteger(Number(pid)) || Number(pid) <= 0) return undefined;
    return { id, pid: Number(pid) };
  } catch {
    return undefined;
  }
}

/** A pid: the container ipper attached with that process (pid and start time), or a container of its own ("pid-<pid>"). */
function resolvePid(pid: number, config: Config): Resolved {
  const startTime = readStartTime(pid);
  const known = startTime === undefined ? undefined : listRecords(config.stateDir).records.find(({ container }) => 'pid' in container && container.pid === pid && container.startTime === startTime);
  return { id: known?.id ?? `pid-${pid}`, pid };
}

async function resolveContainer(name: string, config: Config, io: CliIo): Promise<Resolved> {
  if (/^\d+$/.test(name)) return resolvePid(Number(name), config);
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/.test(name)) throw new IpperError('USAGE', `"${name.slice(0, 64)}" is not a container id, name or pid`);
  const env = Object.fromEntries(PASSED_ENV.flatMap((key) => (io.env[key] ? [[key, io.env[key]!]] : [])));
  const found = (await inspectWith('docker', name, env)) ?? (await inspectWith('podman', name, env));
  if (found === undefined) throw new IpperError('NOT_FOUND', `no running Docker or Podman container "${name}"`);
  return found;
}

export interface AttachArgs {
  bridge: string;
  container: string;
  /** -i: the container's interface; undefined: the configured one. */
  interface: string | undefined;
  mac: string | undefined;
}

/** `<bridge> <container> [-i <interface>] dhcp [mac]`; -i (or --interface) may stand anywhere after the bridge. Pure. */
export function parseAttachArgs(args: readonly string[]): AttachArgs {
  const positional: string[] = [];
  let iface: string | undefined;
  for (let index = 0; index < args.length; index++) {
    const arg = args[index]!;
    if (arg === '-i' || arg === '--interface') {
      const value = args[++index];
      if (value === undefined) throw new IpperError('USAGE', `${arg} needs an interface name (${USAGE})`);
      if (iface !== undefined) throw new IpperError('USAGE', `one interface per attach (${USAGE})`);
      if (!isValidInterfaceName(value)) throw new IpperError('USAGE', `"${value.slice(0, 20)}" is not an interface name (1-15 of A-Z a-z 0-9 _ . -)`);
      iface = value;
    } else {
      positional.push(arg);
    }
  }
  const [bridge, container, mode, mac, ...rest] = positional;
  if (bridge === undefined || container === undefined || rest.length > 0) throw new IpperError('USAGE', USAGE);
  if (mode !== 'dhcp') throw new IpperError('USAGE', `only "dhcp" is supported, not "${String(mode)}" (${USAGE})`);
  if (bridge.includes(',')) throw new IpperError('USAGE', `one bridge per attach; add another interface with another attach and -i (${USAGE})`);
  return { bridge, container, interface: iface, mac };
}

export async function attachCommand(args: readonly string[], config: Config, configPath: string | undefined, io: CliIo): Promise<number> {
  const parsed = parseAttachArgs(args);
  const target = await resolveContainer(parsed.container, config, io);
  const annotations: Record<string, string> = { 'ipper.bridge': parsed.bridge, ...(parsed.mac !== undefined && { 'ipper.mac': parsed.mac }) };
  await requestAttach({ ...target, annotations, configHostname: undefined, interface: parsed.interface }, config, configPath);
  // The container as inspect shows it: every interface it has now, the new one among them.
  const records = listRecords(config.stateDir).records.filter((record) => record.id === target.id && record.phase === 'active');
  io.stdout(`${JSON.stringify(toContainerJson(records), null, 2)}\n`);
  return 0;
}
