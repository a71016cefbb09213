// The CNI_* environment a runtime calls a plugin with, parsed and checked: pure.
import { IpperError } from '../errors.js';
import { DNS_LABEL, isValidInterfaceName } from '../net/names.js';
import { CNI_COMMANDS, type CniCommand } from './versions.js';

export interface CniEnv {
  command: CniCommand;
  containerId: string | undefined;
  netns: string | undefined;
  ifname: string | undefined;
  /** CNI_ARGS: "K=V;K2=V2" (pairs that are not K=V are ignored, as the spec allows). */
  args: Record<string, string>;
}

/** The spec's container id: letters, digits, _ . - (it becomes part of a record id, so bounded). */
const CONTAINER_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,999}$/;

/** What each command needs from the environment, and all it reads (DEL may come after the namespace is gone: no CNI_NETNS). */
const NEEDS: Record<CniCommand, readonly ('CNI_CONTAINERID' | 'CNI_NETNS' | 'CNI_IFNAME')[]> = {
  ADD: ['CNI_CONTAINERID', 'CNI_NETNS', 'CNI_IFNAME'],
  CHECK: ['CNI_CONTAINERID', 'CNI_NETNS', 'CNI_IFNAME'],
  DEL: ['CNI_CONTAINERID', 'CNI_IFNAME'],
  GC: [],
  STATUS: [],
  VERSION: [],
};

export function isCniCommand(value: string | undefined): value is CniCommand {
  return (CNI_COMMANDS as readonly (string | undefined)[]).includes(value);
}

export function parseCniEnv(env: NodeJS.ProcessEnv): CniEnv {
  const command = env['CNI_COMMAND'];
  if (!isCniCommand(command)) throw new IpperError('INVALID_ENVIRONMENT', `CNI_COMMAND "${String(command).slice(0, 20)}" is not one of ${CNI_COMMANDS.join(', ')}`);
  const value = (name: string): string | undefined => (env[name] === undefined || env[name] === '' ? undefined : env[name]);
  const needs = NEEDS[command];
  for (const name of needs) {
    if (value(name) === undefined) throw new IpperError('INVALID_ENVIRONMENT', `${name} is missing from the environment (required for ${command})`);
  }
  // Only what the command uses is read: libcni validates a config with VERSION and "dummy" values.
  const containerId = needs.includes('CNI_CONTAINERID') ? value('CNI_CONTAINERID') : undefined;
  if (containerId !== undefined && !CONTAINER_ID.test(containerId)) throw new IpperError('INVALID_ENVIRONMENT', `CNI_CONTAINERID "${containerId.slice(0, 40)}" may hold only letters, digits and _ . - (1 to 1000)`);
  const ifname = needs.includes('CNI_IFNAME') ? value('CNI_IFNAME') : undefined;
  if (ifname !== undefined && !isValidInterfaceName(ifname)) throw new IpperError('INVALID_ENVIRONMENT', `CNI_IFNAME "${ifname.slice(0, 40)}" is not an interface name (1-15 of A-Z a-z 0-9 _ . -)`);
  const netns = needs.includes('CNI_NETNS') ? value('CNI_NETNS') : undefined;
  if (netns !== undefined && !/^\/[^\0]{0,4095}$/.test(netns)) throw new IpperError('INVALID_ENVIRONMENT', `CNI_NETNS "${netns.slice(0, 60)}" is not an absolute path`);
  return { command, containerId, netns, ifname, args: parseCniArgs(value('CNI_ARGS') ?? '') };
}

export function parseCniArgs(text: string): Record<string, string> {
  const args: Record<string, string> = {};
  for (const pair of text.split(';')) {
    const equals = pair.indexOf('=');
    if (equals > 0) args[pair.slice(0, equals)] = pair.slice(equals + 1);
  }
  return args;
}

/** One record per attachment: the runtime names it by container id and interface ("+" is in neither). */
export function attachmentId(containerId: string, ifname: string): string {
  return `${containerId}+${ifname}`;
}

/**
 * The DHCP hostname: the pod's name under Kubernetes, else the container id as a DNS label: a
 * generated hex id (Docker, Podman, CRI) cut to its first 12 characters as Docker shows it, a
 * name someone chose (ctr's `<namespace>-<id>`, "default-web") whole, up to a label's 63.
 */
export function cniHostname(containerId: string, args: Record<string, string>): string {
  const pod = args['K8S_POD_NAME'];
  if (pod !== undefined && DNS_LABEL.test(pod)) return pod;
  const id = /^[0-9a-f]+$/i.test(containerId) ? containerId.slice(0, 12) : containerId;
  const label = id.replace(/[^A-Za-z0-9-]/g, '-').replace(/^-+/, '').slice(0, 63).replace(/-+$/, '');
  return label === '' ? 'container' : label;
}
