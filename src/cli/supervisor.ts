// `ipper supervisor [--release-all]`: the per-host supervisor, or a request to release everything.
import type { Config } from '../config/schema.js';
import { IpperError } from '../errors.js';
import type { CliIo } from './io.js';

export const SUPERVISOR_HELP = `Usage: ipper supervisor [--release-all]

Runs the per-host supervisor: it owns every container's DHCP client, renews, restarts and adopts
them, and collects garbage. One per state directory (a lock file); a hook starts it on demand,
outside the runtime's cgroup (a transient systemd unit where systemd runs, otherwise a cgroup
"ipper" of its own), so that restarting dockerd or Podman leaves it and every lease alive; or
enable ipper-supervisor.service. SIGTERM stops it and leaves the DHCP clients running; the next
supervisor adopts them; SIGHUP reopens the log file.
--release-all asks the running supervisor to release every lease and remove every container's
network, on purpose.

Examples:
  systemctl enable --now ipper-supervisor
  ipper supervisor --release-all
`;

export async function supervisorCommand(args: readonly string[], config: Config, configPath: string | undefined, io: CliIo): Promise<number> {
  if (args.length === 1 && args[0] === '--release-all') return await (await import('./gc.js')).releaseAllCommand(config, configPath, io);
  if (args.length > 0) throw new IpperError('USAGE', 'usage: ipper supervisor [--release-all]');
  // Only the supervisor needs proper-lockfile and the rest; hooks do not pay for loading them.
  await (await import('../supervisor/daemon.js')).runSupervisor(config);
  return 0;
}
