// `ipper attach <bridge> <container> dhcp [mac]`: pipework's manual workflow for a container that
// already runs (a Docker or Podman id or name, or a pid). Prints the same JSON as `ipper inspect`.
import type { Config } from '../config/schema.js';
import { IpperError } from '../errors.js';
import { toNetworkJson } from '../inspect/format.js';
import { run } from '../sys/exec.js';
import { toolPath } from '../sys/tools.js';
import { requestAttach } from './attach-request.js';
import type { CliIo } from './io.js';

export const ATTACH_HELP = `Usage: ipper attach <bridge> <container id|name|pid> dhcp [mac]

Gives a container that already runs (a Docker or Podman id or name, or a pid) an interface on
<bridge> with a DHCP lease, as pipework does; the supervisor keeps and renews it, and garbage
collection releases it when the container's process ends. Prints the same JSON as ipper inspect.

Examples:
  ipper attach br0 web dhcp
  ipper attach br0 12345 dhcp 02:42:ac:11:00:02
`;

const USAGE = 'usage: ipper attach <bridge> <container id|name|pid> dhcp [mac]';
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

async function resolveContainer(name: string, io: CliIo): Promise<Resolved> {
  if (/^\d+$/.test(name)) return { id: `pid-${name}`, pid: Number(name) };
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/.test(name)) throw new IpperError('USAGE', `"${name.slice(0, 64)}" is not a container id, name or pid`);
  const env = Object.fromEntries(PASSED_ENV.flatMap((key) => (io.env[key] ? [[key, io.env[key]!]] : [])));
  const found = (await inspectWith('docker', name, env)) ?? (await inspectWith('podman', name, env));
  if (found === undefined) throw new IpperError('NOT_FOUND', `no running Docker or Podman container "${name}"`);
  return found;
}

export async function attachCommand(args: readonly string[], config: Config, configPath: string | undefined, io: CliIo): Promise<number> {
  const [bridge, container, mode, mac, ...rest] = args;
  if (bridge === undefined || container === undefined || rest.length > 0) throw new IpperError('USAGE', USAGE);
  if (mode !== 'dhcp') throw new IpperError('USAGE', `only "dhcp" is supported, not "${String(mode)}" (${USAGE})`);
  const target = await resolveContainer(container, io);
  const annotations: Record<string, string> = { 'ipper.bridge': bridge, ...(mac !== undefined && { 'ipper.mac': mac }) };
  const record = await requestAttach({ ...target, annotations, configHostname: undefined }, config, configPath);
  io.stdout(`${JSON.stringify(toNetworkJson(record), null, 2)}\n`);
  return 0;
}
