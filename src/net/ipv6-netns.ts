// IPv6 inside a container's namespace: the sysctls set when the veth is made, and the kernel's
// addresses and router read back without entering the namespace (/proc/<pid>/net is the view of
// that pid's namespace: a file read, no process).
import { readFileSync } from 'node:fs';
import type { Ipv6Mode } from '../config/schema.js';
import { run } from '../sys/exec.js';
import { readNetnsInode } from '../sys/proc.js';
import { toolPath } from '../sys/tools.js';
import { ipv6Sysctls, parseDefaultRouter, parseGlobalAddresses, type Ipv6Address } from './ipv6.js';
import { inNetns, type NetnsHandle } from './netns.js';

/** One `sysctl` process inside the namespace, before the interface goes up. */
export async function setIpv6Sysctls(netns: NetnsHandle, iface: string, mode: Ipv6Mode): Promise<void> {
  const command = inNetns(netns, [toolPath('sysctl'), '-q', '-w', ...ipv6Sysctls(iface, mode)]);
  await run(command.file, command.args);
}

export interface Ipv6State {
  addresses: Ipv6Address[];
  /** The default router's (link-local) address, from the router advertisements. */
  router: string | undefined;
}

/**
 * The interface's global addresses and default router as the kernel has them now, read through
 * `pid`; undefined when the pid's namespace is not (or no longer) the recorded one.
 */
export function readIpv6State(pid: number, netnsInode: number, iface: string): Ipv6State | undefined {
  if (readNetnsInode(pid) !== netnsInode) return undefined;
  let addresses: string;
  let routes: string;
  try {
    addresses = readFileSync(`/proc/${pid}/net/if_inet6`, 'utf8');
    routes = readFileSync(`/proc/${pid}/net/ipv6_route`, 'utf8');
  } catch {
    return undefined; // gone, or IPv6 absent from the kernel
  }
  // Checked again after reading: a pid reused meanwhile would have shown another namespace.
  if (readNetnsInode(pid) !== netnsInode) return undefined;
  return { addresses: parseGlobalAddresses(addresses, iface), router: parseDefaultRouter(routes, iface) };
}
