// What createRuntime and `ipper attach` share: check the target, then ask the supervisor.
import { readFileSync } from 'node:fs';
import { resolveAddressModes, resolveContainerSettings } from '../config/annotations.js';
import type { Config } from '../config/schema.js';
import { IpperError } from '../errors.js';
import { assertForeignNetns } from '../net/netns.js';
import type { ResolvTarget } from '../net/resolv.js';
import type { ContainerRecord } from '../store/records.js';
import { readInterfaceNames, readStartTime } from '../sys/proc.js';
import { SUPERVISOR_START_MS, requestSupervisor, type ConnectOptions } from '../supervisor/connect.js';
import { launchOutsideRuntime } from '../sys/cgroup.js';
import { toolPath } from '../sys/tools.js';
import { selfCommand } from './self.js';

export interface AttachTarget {
  id: string;
  pid: number;
  annotations: Record<string, string> | undefined;
  /** The container's own hostname (config.json), used when hostnameFrom is "config". */
  configHostname: string | undefined;
  /** The container's resolv.conf (from the bundle at createRuntime); undefined: none ipper may write. */
  resolvConf?: ResolvTarget | undefined;
}

export function connectOptions(config: Config, configPath: string | undefined, timeoutMs: number): ConnectOptions {
  const supervisorEnv: Record<string, string> = configPath === undefined ? {} : { IPPER_CONFIG: configPath };
  return {
    stateDir: config.stateDir,
    // Under systemd, a unit of its own: never in the cgroup of the runtime that runs this hook.
    // Worked out only when a supervisor must be started, not on every hook.
    supervisorCommand: () => launchOutsideRuntime(selfCommand('supervisor'), supervisorEnv, toolPath),
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

export async function requestAttach(target: AttachTarget, config: Config, configPath: string | undefined): Promise<ContainerRecord> {
  // These guards come before anything else is read or made.
  assertRootOfHost();
  const netnsInode = assertForeignNetns(target.pid);
  const pidStartTime = readStartTime(target.pid);
  if (pidStartTime === undefined) throw new IpperError('NETNS_NOT_FOUND', `container process ${target.pid} is gone`);
  const settings = resolveContainerSettings(config, target.id, target.annotations);
  const modes = resolveAddressModes(config, target.annotations);
  if (modes.ipv6 === 'dhcpv6') {
    throw new IpperError('NOT_SUPPORTED', 'ipv6 "dhcpv6" is not yet supported (no DHCPv6 client yet): use "slaac", "auto" or "off"');
  }
  let hostname = settings.hostname;
  if (config.hostnameFrom === 'config' && target.annotations?.['ipper.hostname'] === undefined && target.configHostname !== undefined) {
    hostname = resolveContainerSettings(config, target.id, { 'ipper.hostname': target.configHostname }).hostname;
  }
  if (readInterfaceNames(target.pid).includes(config.interface)) {
    throw new IpperError('INTERFACE_EXISTS', `container "${target.id}" already has an interface "${config.interface}": start it with --network none`);
  }
  const reply = await requestSupervisor(
    {
      op: 'attach',
      id: target.id,
      pid: target.pid,
      pidStartTime,
      netnsInode,
      bridge: settings.bridge,
      interface: config.interface,
      ...(settings.mac !== undefined && { mac: settings.mac }),
      hostname,
      dhcpClient: config.dhcpClient,
      leaseTimeoutMs: config.leaseTimeoutMs,
      onLeaseTimeout: config.onLeaseTimeout,
      ipv4Mode: modes.ipv4,
      ipv6Mode: modes.ipv6,
      ipv6WaitMs: config.ipv6WaitMs,
      ...(config.resolvConf === 'write' && modes.ipv4 === 'dhcp' && target.resolvConf !== undefined && { resolvConf: target.resolvConf }),
      // The identity behind a derived MAC: a name the operator chose, or else the id.
      ...(config.macFrom === 'identity' && settings.mac === undefined && { macIdentity: target.annotations?.['ipper.hostname'] ?? target.id }),
    },
    connectOptions(config, configPath, Math.max(config.leaseTimeoutMs, config.ipv6WaitMs) + SUPERVISOR_START_MS + 5000),
  );
  if (reply.record === undefined) throw new IpperError('SUPERVISOR_UNAVAILABLE', 'the supervisor replied without a record');
  return reply.record;
}
