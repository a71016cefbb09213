// `ipper hook [createRuntime|poststop]`: the OCI hook. Short-lived; the supervisor does the work.
import { resolveContainerSettings } from '../config/annotations.js';
import type { Config } from '../config/schema.js';
import { IpperError } from '../errors.js';
import type { HookLog } from '../log/deferred.js';
import { assertForeignNetns } from '../net/netns.js';
import { parseOciState, resolveStage, type OciState } from '../oci/state.js';
import { readRecord } from '../store/records.js';
import { readInterfaceNames, readStartTime } from '../sys/proc.js';
import { readStdin } from '../sys/stdin.js';
import { SUPERVISOR_START_MS, requestSupervisor, type ConnectOptions } from '../supervisor/connect.js';
import { teardownWithoutSupervisor } from '../supervisor/fallback.js';
import type { CliIo } from './io.js';
import { selfCommand } from './self.js';

export interface HookContext {
  config: Config;
  configPath: string | undefined;
  log: HookLog;
  io: CliIo;
}

export async function hookCommand(args: readonly string[], context: HookContext): Promise<number> {
  if (args.length > 1) throw new IpperError('USAGE', 'usage: ipper hook [createRuntime|poststop] < state.json');
  const state = parseOciState(await readStdin());
  const stage = resolveStage(args[0], state);
  if (stage === 'createRuntime') await createRuntime(state, context);
  else await poststop(state, context);
  return 0;
}

function connectOptions(context: HookContext, timeoutMs: number): ConnectOptions {
  return {
    stateDir: context.config.stateDir,
    supervisorCommand: selfCommand('supervisor'),
    supervisorEnv: context.configPath === undefined ? {} : { IPPER_CONFIG: context.configPath },
    timeoutMs,
  };
}

async function createRuntime(state: OciState, context: HookContext): Promise<void> {
  const { config } = context;
  if (state.pid === undefined) throw new IpperError('INVALID_OCI_STATE', 'invalid OCI state: pid is missing (required at createRuntime)');
  // The guard comes before anything else is read or made.
  const netnsInode = assertForeignNetns(state.pid);
  const pidStartTime = readStartTime(state.pid);
  if (pidStartTime === undefined) throw new IpperError('NETNS_NOT_FOUND', `container process ${state.pid} is gone`);
  const settings = resolveContainerSettings(config, state.id, state.annotations);
  if (readInterfaceNames(state.pid).includes(config.interface)) {
    throw new IpperError('INTERFACE_EXISTS', `container "${state.id}" already has an interface "${config.interface}": start it with --network none`);
  }
  // The supervisor logs the attach; the hook stays silent on success (no logger to load).
  await requestSupervisor(
    {
      op: 'attach',
      id: state.id,
      pid: state.pid,
      pidStartTime,
      netnsInode,
      bridge: settings.bridge,
      interface: config.interface,
      ...(settings.mac !== undefined && { mac: settings.mac }),
      hostname: settings.hostname,
      leaseTimeoutMs: config.leaseTimeoutMs,
      onLeaseTimeout: config.onLeaseTimeout,
    },
    connectOptions(context, config.leaseTimeoutMs + SUPERVISOR_START_MS + 5000),
  );
}

/** Never fails a container's removal: what it cannot do now, garbage collection does later. */
async function poststop(state: OciState, context: HookContext): Promise<void> {
  const { config, log } = context;
  if (readRecord(config.stateDir, state.id) === undefined) return; // never ours, or already gone
  try {
    const reply = await requestSupervisor({ op: 'detach', id: state.id }, connectOptions(context, SUPERVISOR_START_MS + 5000));
    log.info({ id: state.id, released: reply.released }, 'poststop done');
  } catch (error) {
    log.warn({ id: state.id, err: error }, 'supervisor unavailable at poststop; releasing directly');
    await teardownWithoutSupervisor(config.stateDir, state.id, log);
  }
}
