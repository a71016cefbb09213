// Links on the host: the bridge, and the veth pair of each container (the only code touching them).
import { IpperError } from '../errors.js';
import { run } from '../sys/exec.js';
import { toolPath } from '../sys/tools.js';
import { isValidInterfaceName } from './names.js';
import type { Ipv6Mode } from '../config/schema.js';
import { setIpv6Sysctls } from './ipv6-netns.js';
import { inNetns, type NetnsHandle } from './netns.js';

export interface BridgeInfo {
  name: string;
  mtu: number;
  mac: string;
  up: boolean;
  ipv4: string | undefined;
}

interface IpLinkJson {
  ifname?: string;
  mtu?: number;
  address?: string;
  flags?: string[];
  linkinfo?: { info_kind?: string };
  addr_info?: { family?: string; local?: string }[];
}

/** The array `ip -j` prints; `what` names it in the error when it printed something else. Pure. */
export function parseIpJson<T>(json: string, what: string): T[] {
  try {
    return JSON.parse(json) as T[];
  } catch {
    throw new IpperError('COMMAND_FAILED', `cannot read ${what} (ip printed no JSON)`);
  }
}

/** Parses `ip -j -d addr show dev <bridge>`; pure. */
export function parseBridgeInfo(name: string, json: string): BridgeInfo {
  const link = parseIpJson<IpLinkJson>(json, `the state of bridge "${name}"`)[0];
  if (link === undefined) throw new IpperError('BRIDGE_NOT_FOUND', `bridge "${name}" does not exist`);
  if (link.linkinfo?.info_kind !== 'bridge') throw new IpperError('BRIDGE_NOT_FOUND', `"${name}" exists but is not a bridge`);
  return {
    name,
    mtu: link.mtu ?? 1500,
    mac: (link.address ?? '').toLowerCase(),
    up: link.flags?.includes('UP') ?? false,
    ipv4: link.addr_info?.find((addr) => addr.family === 'inet')?.local,
  };
}

export async function getBridgeInfo(name: string): Promise<BridgeInfo> {
  try {
    const { stdout } = await run(toolPath('ip'), ['-j', '-d', 'addr', 'show', 'dev', name]);
    return parseBridgeInfo(name, stdout);
  } catch (error) {
    if (error instanceof IpperError && error.code === 'COMMAND_FAILED' && /does not exist/.test(error.message)) {
      throw new IpperError('BRIDGE_NOT_FOUND', `bridge "${name}" does not exist`);
    }
    throw error;
  }
}

export interface VethSpec {
  hostVeth: string;
  bridge: string;
  mtu: number;
  /** The container's namespace, checked and held open by the caller. */
  netns: NetnsHandle;
  containerInterface: string;
  mac: string;
  /** Marks the host end as this supervisor instance's (see vethAlias). */
  alias: string;
  /** The container end's IPv6 sysctls are set for this mode before it goes up (see net/ipv6.ts). */
  ipv6Mode?: Ipv6Mode | undefined;
}

/**
 * One `ip -batch` makes the pair: the container end is created straight inside the container's
 * namespace under its final name, the host end joins the bridge already up and carries the
 * instance's mark (the kernel ignores an alias given to `link add`, hence the second line).
 */
export async function createVeth(spec: VethSpec): Promise<void> {
  const mtu = String(spec.mtu);
  await run(toolPath('ip'), ['-batch', '-'], {
    input:
      `link add ${spec.hostVeth} mtu ${mtu} master ${spec.bridge} up type veth peer name ${spec.containerInterface} address ${spec.mac} mtu ${mtu} netns ${spec.netns.path}\n` +
      `link set dev ${spec.hostVeth} alias ${spec.alias}\n`,
  });
  // Before the link is up: its first router solicitation and addresses follow these settings.
  if (spec.ipv6Mode !== undefined) await setIpv6Sysctls(spec.netns, spec.containerInterface, spec.ipv6Mode);
  // The kernel refuses "up" for a peer at creation, so the container end is raised from inside.
  const raise = inNetns(spec.netns, [toolPath('ip'), 'link', 'set', spec.containerInterface, 'up']);
  await run(raise.file, raise.args);
}

/** Deletes a host link (its veth peer goes with it); a link already gone is success. */
export async function deleteLink(name: string): Promise<void> {
  try {
    await run(toolPath('ip'), ['link', 'del', name]);
  } catch (error) {
    // "No such device": the kernel is already removing it (its peer's namespace just died).
    if (error instanceof IpperError && /Cannot find device|does not exist|No such device/.test(error.message)) return;
    throw error;
  }
}

/** Runs `ip -4 -batch -` (or -6) inside the container's namespace: one process for a whole configuration. */
export async function ipBatchInNetns(netns: NetnsHandle, commands: readonly string[], family: '-4' | '-6' = '-4'): Promise<void> {
  if (commands.length === 0) return;
  const command = inNetns(netns, [toolPath('ip'), family, '-batch', '-']);
  await run(command.file, command.args, { input: `${commands.join('\n')}\n` });
}

export interface LinkState {
  name: string;
  /** The bridge the link is a port of, if any. */
  master: string | undefined;
  up: boolean;
  isBridge: boolean;
}

interface IpLinkDetailJson {
  ifname?: string;
  master?: string;
  flags?: string[];
  linkinfo?: { info_kind?: string };
}

/** Parses `ip -j -d link show`; pure. */
export function parseLinkStates(json: string): LinkState[] {
  return parseIpJson<IpLinkDetailJson>(json, 'the host links').flatMap((link) =>
    link.ifname === undefined
      ? []
      : [{ name: link.ifname, master: link.master, up: link.flags?.includes('UP') ?? false, isBridge: link.linkinfo?.info_kind === 'bridge' }],
  );
}

/** Every link of this namespace, with its bridge and whether it is up: one `ip` process. */
export async function listLinkStates(): Promise<LinkState[]> {
  const { stdout } = await run(toolPath('ip'), ['-j', '-d', 'link', 'show']);
  return parseLinkStates(stdout);
}

/**
 * Puts host veths back on their bridges, up, in one `ip -batch`; -force goes on past a link that
 * vanished meanwhile (its container is being removed), and the failure still reaches the caller.
 */
export async function attachPorts(ports: readonly { hostVeth: string; bridge: string }[]): Promise<void> {
  // Names come from records; a batch line must never carry more than one command.
  const valid = ports.filter((port) => isValidInterfaceName(port.hostVeth) && isValidInterfaceName(port.bridge));
  if (valid.length === 0) return;
  const commands = valid.map((port) => `link set ${port.hostVeth} master ${port.bridge} up`);
  await run(toolPath('ip'), ['-force', '-batch', '-'], { input: `${commands.join('\n')}\n` });
}

export interface ContainerLink {
  mac: string;
  up: boolean;
  ipv4: { address: string; prefixLen: number }[];
}

/** Parses `ip -j addr show dev <name>`; pure. */
export function parseContainerLink(json: string): ContainerLink | undefined {
  const link = (JSON.parse(json === '' ? '[]' : json) as (Omit<IpLinkJson, 'addr_info'> & { addr_info?: { family?: string; local?: string; prefixlen?: number }[] })[])[0];
  if (link === undefined) return undefined;
  return {
    mac: (link.address ?? '').toLowerCase(),
    up: link.flags?.includes('UP') ?? false,
    ipv4: (link.addr_info ?? []).filter((addr) => addr.family === 'inet' && addr.local !== undefined).map((addr) => ({ address: addr.local!, prefixLen: addr.prefixlen ?? 32 })),
  };
}

/** An interface inside a namespace (CNI CHECK), or undefined when there is none of that name. */
export async function readLinkInNetns(netns: NetnsHandle, name: string): Promise<ContainerLink | undefined> {
  const command = inNetns(netns, [toolPath('ip'), '-j', 'addr', 'show', 'dev', name]);
  try {
    return parseContainerLink((await run(command.file, command.args)).stdout);
  } catch (error) {
    if (error instanceof IpperError && /does not exist|Cannot find device/.test(error.message)) return undefined;
    throw error;
  }
}

/** A host link's MAC (asked of ip: /sys shows the namespace that mounted it, not ours), or undefined when it is gone. */
export async function readHostLinkMac(name: string): Promise<string | undefined> {
  if (!isValidInterfaceName(name)) return undefined;
  try {
    return parseContainerLink((await run(toolPath('ip'), ['-j', 'link', 'show', 'dev', name])).stdout)?.mac;
  } catch {
    return undefined;
  }
}
