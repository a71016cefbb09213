// What createRuntime and `ipper attach` share: check the target, then ask the supervisor.
import { readFileSync } from 'node:fs';
import { resolveAddressModes, resolveClientId, resolveContainerSettings } from '../config/annotations.js';
import type { Config } from '../config/schema.js';
import { IpperError } from '../errors.js';
import { assertForeignNetns } from '../net/netns.js';
import type { ResolvTarget } from '../net/resolv.js';
import type { ContainerRecord } from '../store/records.js';
import { readInterfaceNames, readStartTime } from '../sys/proc.js';
import { checkDhcpv6Client, dhcpv6UseOf } from '../supervisor/dhcpv6.js';
import { SUPERVISOR_START_MS, requestSupervisor, type ConnectOptions } from '../supervisor/connect.js';
import type { RequestBody } from '../supervisor/protocol.js';
import { extraInterfaceHostname, nthInterface } from '../net/names.js';

export interface AttachTarget {
  id: string;
  pid: number;
  annotations: Record<string, string> | undefined;
  /** The container's own hostname (config.json), used when hostnameFrom is "config". */
  configHostname: string | undefined;
  /** The container's resolv.conf (from the bundle at createRuntime); undefined: none ipper may write. */
  resolvConf?: ResolvTarget | undefined;
  /** `ipper attach -i`: the one interface to make (the configured one, or an extra one). */
  interface?: string | undefined;
}

/**
 * V8's young generation capped at 1 MiB semi-spaces (Node 20's default is 16): the supervisor's
 * live set is small, and the default let its resident memory grow by some 30 MiB of garbage
 * (measured: 111 against 80 MiB with 100 containers). Its children never see NODE_OPTIONS (exec.ts).
 */
export const SUPERVISOR_NODE_OPTIONS = '--max-semi-space-size=1';

export function connectOptions(config: Config, configPath: string | undefined, timeoutMs: number): ConnectOptions {
  const supervisorEnv: Record<string, string> = { ...(configPath !== undefined && { IPPER_CONFIG: configPath }), NODE_OPTIONS: SUPERVISOR_NODE_OPTIONS };
  return {
    stateDir: config.stateDir,
    // Under systemd, a unit of its own: never in the cgroup of the runtime that runs this hook.
    // Worked out only when a supervisor must be started, not on every hook.
    supervisorCommand: async () => {
      const [{ launchOutsideRuntime }, { toolPath }, { selfCommand }] = await Promise.all([import('../sys/cgroup.js'), import('../sys/tools.js'), import('./self.js')]);
      return launchOutsideRuntime(selfCommand('supervisor'), supervisorEnv, toolPath);
    },
    supervisorEnv,
    timeoutMs,
  };
}

/** Rootless Podman runs hooks in a user namespace: such a hook cannot make host interfaces. */
export function assertRootOfHost(): void {
  let uidMap = '';
  try {
    uidMap = readFileSync('/proc/self/uid_map', 'utf8').trim().split(/\s+/).join(' ');
  } catch {
    // no /proc/self/uid_map: not in a user namespace
  }
  if (process.getuid?.() !== 0 || (uidMap !== '' && uidMap !== '0 0 4294967295')) {
    throw new IpperError('ROOTLESS', 'ipper needs root in the host user namespace to create host interfaces: rootless Podman cannot use it (run the container with rootful podman)');
  }
}

/** One interface to make: on which bridge, under which name, and whether it is an extra one. */
interface InterfacePlan {
  bridge: string;
  name: string;
  extra: boolean;
}

/**
 * Asks the supervisor for each interface the container gets (ipper.bridge may name several: eth0
 * on the first, eth1 on the second, ...; `ipper attach -i` names one), all at once. If one fails,
 * the others are undone too: the container gets all its interfaces or none. The records come back
 * in interface order.
 */
export async function requestAttach(target: AttachTarget, config: Config, configPath: string | undefined): Promise<ContainerRecord[]> {
  // These guards come before anything else is read or made.
  assertRootOfHost();
  const netnsInode = assertForeignNetns(target.pid);
  const pidStartTime = readStartTime(target.pid);
  if (pidStartTime === undefined) throw new IpperError('NETNS_NOT_FOUND', `container process ${target.pid} is gone`);
  const settings = resolveContainerSettings(config, target.id, target.annotations);
  const modes = resolveAddressModes(config, target.annotations);
  const clientId = resolveClientId(config, target.annotations);
  checkDhcpv6Client({ ipv6Mode: modes.ipv6, dhcpClient: config.dhcpClient });
  let hostname = settings.hostname;
  if (config.hostnameFrom === 'config' && target.annotations?.['ipper.hostname'] === undefined && target.configHostname !== undefined) {
    hostname = resolveContainerSettings(config, target.id, { 'ipper.hostname': target.configHostname }).hostname;
  }
  const plans = interfacePlans(target, settings.bridges, config.interface);
  if (modes.ipv4 === 'off' && plans.some((plan) => plan.extra)) {
    throw new IpperError('INVALID_ANNOTATION', 'an extra interface gets its address by DHCP: it needs ipv4 "dhcp", not "off"');
  }
  const present = readInterfaceNames(target.pid);
  for (const plan of plans) {
    if (present.includes(plan.name)) throw new IpperError('INTERFACE_EXISTS', `container "${target.id}" already has an interface "${plan.name}": start it with --network none`);
  }
  // The identity behind a derived MAC: a name the operator chose, or else the id.
  const identity = config.macFrom === 'identity' && settings.mac === undefined ? target.annotations?.['ipper.hostname'] ?? target.id : undefined;
  // clientId: each interface's identity is its own (the supervisor scopes an extra one's by its name).
  const common = { op: 'attach', id: target.id, pid: target.pid, pidStartTime, netnsInode, dhcpClient: config.dhcpClient, leaseTimeoutMs: config.leaseTimeoutMs, onLeaseTimeout: config.onLeaseTimeout, ipv6WaitMs: config.ipv6WaitMs, clientId } as const;
  const options = connectOptions(config, configPath, Math.max(config.leaseTimeoutMs, config.ipv6WaitMs) + SUPERVISOR_START_MS + 5000);
  const requestFor = (plan: InterfacePlan, index: number): RequestBody => {
    const mac = index === 0 ? settings.mac : undefined;
    return plan.extra
      ? {
          // An extra interface: its own DNS name, IPv4 by DHCP only, no default route (the supervisor knows by `extra`).
          ...common, bridge: plan.bridge, interface: plan.name, hostname: extraInterfaceHostname(hostname, plan.name), ipv4Mode: 'dhcp', ipv6Mode: 'off', extra: true,
          ...(mac !== undefined && { mac }),
          ...(identity !== undefined && { macIdentity: `${identity}@${plan.name}` }),
        }
      : {
          ...common, bridge: plan.bridge, interface: plan.name, hostname, ipv4Mode: modes.ipv4, ipv6Mode: modes.ipv6,
          ...(mac !== undefined && { mac }),
          // A DHCP lease of either family brings the name servers (DHCPv6: from a client that does it).
          ...(config.resolvConf === 'write' && (modes.ipv4 === 'dhcp' || dhcpv6UseOf({ ipv6Mode: modes.ipv6, dhcpClient: config.dhcpClient }) !== 'off') && target.resolvConf !== undefined && { resolvConf: target.resolvConf }),
          ...(identity !== undefined && { macIdentity: identity }),
        };
  };
  // The first alone (it may have to start the supervisor: one start, not one per interface; a
  // failure is undone by the supervisor), then the others at once.
  const [first, ...others] = plans;
  const replies = [await requestSupervisor(requestFor(first!, 0), options)];
  const rest = await Promise.allSettled(others.map((plan, index) => requestSupervisor(requestFor(plan, index + 1), options)));
  const failed = rest.find((reply) => reply.status === 'rejected');
  if (failed !== undefined) {
    // The interfaces that were made go with the failed one (force: the container runs).
    await requestSupervisor({ op: 'detach', id: target.id, force: true }, options).catch(() => undefined);
    throw failed.reason;
  }
  for (const reply of rest) if (reply.status === 'fulfilled') replies.push(reply.value);
  return replies.map((reply) => {
    if (reply.record === undefined) throw new IpperError('SUPERVISOR_UNAVAILABLE', 'the supervisor replied without a record');
    return reply.record;
  });
}

/** The interfaces to make: the one `ipper attach -i` names, or one per bridge (the first is the configured interface). */
function interfacePlans(target: AttachTarget, bridges: readonly string[], firstInterface: string): InterfacePlan[] {
  if (target.interface !== undefined) {
    if (bridges.length > 1) throw new IpperError('USAGE', 'one bridge for one named interface');
    return [{ bridge: bridges[0]!, name: target.interface, extra: target.interface !== firstInterface }];
  }
  return bridges.map((bridge, index) => {
    const name = nthInterface(firstInterface, index);
    if (name === undefined) throw new IpperError('INVALID_CONFIG', `interface ${index + 1} of "${firstInterface}" would not be a valid interface name: use a shorter "interface"`);
    return { bridge, name, extra: index > 0 };
  });
}
