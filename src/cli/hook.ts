// `ipper hook [createRuntime|prestart|poststop]`: the OCI hook. Short-lived; the supervisor does the work.
import { readFileSync } from 'node:fs';
import type { Config } from '../config/schema.js';
import { IpperError } from '../errors.js';
import type { HookLog } from '../log/deferred.js';
import { resolvTargetFromBundle, type ResolvTarget } from '../net/resolv.js';
import { parseOciState, resolveStage, type OciState } from '../oci/state.js';
import { containerHasRecords } from '../store/records.js';
import { readStdin } from '../sys/stdin.js';
import { SUPERVISOR_START_MS, requestSupervisor } from '../supervisor/connect.js';
import { connectOptions, requestAttach } from './attach-request.js';
import type { CliIo } from './io.js';

export const HOOK_HELP = `Usage: ipper hook [createRuntime|prestart|poststop] < state.json

The OCI hook. The runtime passes the container's OCI state on stdin; the stage comes from the
argument or, without one, from the state's status (creating: createRuntime, stopped: poststop).
createRuntime puts a veth on the bridge into the container's network namespace as eth0 and waits
until the supervisor's DHCP client has a lease (leaseTimeoutMs); poststop releases the lease and
removes the veth. Podman reads it from hooks.d, Docker gets it from the ipper runtime, runc from
the bundle's config.json. prestart is accepted as createRuntime: the OCI runtime spec deprecates
it for network hooks, but runc and crun still run it at the same point, so configs that register
ipper as a prestart hook keep working.

Examples:
  podman run -d --network none --annotation ipper.bridge=br0 busybox sleep 600
  docker run -d --runtime ipper --network none busybox sleep 600
  "createRuntime": [{"path": "/usr/bin/ipper", "args": ["ipper", "hook", "createRuntime"]}]
`;

export interface HookContext {
  config: Config;
  configPath: string | undefined;
  log: HookLog;
  io: CliIo;
}

export async function hookCommand(args: readonly string[], context: HookContext): Promise<number> {
  if (args.length > 1) throw new IpperError('USAGE', 'usage: ipper hook [createRuntime|prestart|poststop] < state.json');
  const state = parseOciState(await readStdin());
  const stage = resolveStage(args[0], state);
  if (stage === 'createRuntime') await createRuntime(state, context);
  else await poststop(state, context);
  return 0;
}

async function createRuntime(state: OciState, context: HookContext): Promise<void> {
  if (state.pid === undefined) throw new IpperError('INVALID_OCI_STATE', 'invalid OCI state: pid is missing (required at createRuntime)');
  const spec = readBundleSpec(state.bundle);
  const resolvConf: ResolvTarget | undefined = spec !== undefined && state.bundle !== undefined ? resolvTargetFromBundle(state.bundle, spec, state.id) : undefined;
  // The supervisor logs the attach; the hook stays silent on success (no logger to load).
  await requestAttach(
    { id: state.id, pid: state.pid, annotations: state.annotations, configHostname: context.config.hostnameFrom === 'config' ? bundleHostname(spec) : undefined, resolvConf },
    context.config,
    context.configPath,
  );
}

type BundleSpec = Parameters<typeof resolvTargetFromBundle>[1] & { hostname?: unknown };

/** The bundle's config.json (the runtime wrote it), or undefined when it cannot be read. */
function readBundleSpec(bundle: string | undefined): BundleSpec | undefined {
  if (bundle === undefined) return undefined;
  try {
    const spec: unknown = JSON.parse(readFileSync(`${bundle}/config.json`, 'utf8'));
    return typeof spec === 'object' && spec !== null ? (spec as BundleSpec) : undefined;
  } catch {
    return undefined;
  }
}

/** The hostname in the bundle's config.json, where the runtime put the container's name. */
function bundleHostname(spec: BundleSpec | undefined): string | undefined {
  return typeof spec?.hostname === 'string' && spec.hostname !== '' ? spec.hostname : undefined;
}

/** Never fails a container's removal: what it cannot do now, garbage collection does later. */
async function poststop(state: OciState, context: HookContext): Promise<void> {
  const { config, log } = context;
  // An unreadable record still means "ours": the supervisor knows the container, or GC reports it.
  if (!containerHasRecords(config.stateDir, state.id)) return; // never ours, or already gone
  let reply;
  try {
    reply = await requestSupervisor({ op: 'detach', id: state.id }, connectOptions(config, context.configPath, SUPERVISOR_START_MS + 5000));
  } catch (error) {
    log.warn({ id: state.id, err: error }, 'supervisor unavailable at poststop; releasing directly');
    // Loaded only here: the direct teardown brings the DHCP drivers, links and filter code with it.
    const { teardownWithoutSupervisor } = await import('../supervisor/fallback.js');
    await teardownWithoutSupervisor(config.stateDir, config.helperDir, state.id, log);
    return;
  }
  log.debug({ id: state.id, released: reply.released, removed: reply.removed }, 'poststop done');
  // Said as it is: the runtime shows a failed poststop as a warning, and GC finishes the removal.
  if (reply.removed === false) throw new IpperError('COMMAND_FAILED', `the network of "${state.id}" was not fully removed (see the log); garbage collection will finish it`);
  if (reply.released === false) throw new IpperError('COMMAND_FAILED', `the lease of "${state.id}" was not released (see the log); the server keeps it until it expires`);
}
