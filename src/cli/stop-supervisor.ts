// Before `ipper uninstall` takes the binary and the helper away: a running supervisor must hold no
// container (their poststop hooks and renewals need both), and is then stopped. Nothing is
// released here: containers that still run are the operator's to stop first.
import { readFileSync } from 'node:fs';
import { loadConfig, parseConfig } from '../config/load.js';
import { IpperError, isErrnoCode } from '../errors.js';
import { requestSupervisor } from '../supervisor/connect.js';
import { readStartTime } from '../sys/proc.js';
import { waitForExit } from '../supervisor/clients.js';
import { connectOptions } from './attach-request.js';

/** The config uninstall acts for: the host's, or the one under --root with its state dir there too. */
function configFor(root: string, env: NodeJS.ProcessEnv): ReturnType<typeof loadConfig> {
  if (root === '') return loadConfig(env);
  const path = `${root}/etc/ipper/config.json`;
  let text: string | undefined;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if (!isErrnoCode(error, 'ENOENT')) throw error;
  }
  const config = parseConfig(text, path);
  return { ...config, stateDir: `${root}${config.stateDir}` };
}

/** Stops an idle supervisor; refuses (IN_USE) while one holds containers. Returns what it stopped. */
export async function stopIdleSupervisor(root: string, env: NodeJS.ProcessEnv): Promise<number | undefined> {
  const config = configFor(root, env);
  let reply;
  try {
    reply = await requestSupervisor({ op: 'shutdown' }, { ...connectOptions(config, undefined, 10_000), startIfMissing: false });
  } catch (error) {
    if (error instanceof IpperError && error.code === 'SUPERVISOR_UNAVAILABLE' && (isErrnoCode(error.cause, 'ENOENT') || isErrnoCode(error.cause, 'ECONNREFUSED'))) return undefined;
    if (error instanceof IpperError && error.code === 'IN_USE') {
      throw new IpperError('IN_USE', `${error.message}: uninstall changed nothing. Stop those containers first (ipper inspect --all lists them), or release them on purpose with "ipper supervisor --release-all"`);
    }
    throw error;
  }
  const pid = reply.pid;
  const startTime = pid === undefined ? undefined : readStartTime(pid);
  if (pid !== undefined && startTime !== undefined) await waitForExit({ pid, startTime }, 20, 10_000);
  return pid;
}
