// The host's network as the doctor judges it (src/doctor, pure): its links and what netfilter does
// to bridged frames. Shared by \`ipper doctor\` and the supervisor, which names the likely cause
// when a lease never comes. A handful of processes, whatever the number of containers.
import { readFileSync } from 'node:fs';
import { parseHostLinks, type HostLink } from '../doctor/links.js';
import type { NetfilterFacts } from '../doctor/netfilter.js';
import { run } from '../sys/exec.js';
import { toolPath } from '../sys/tools.js';

const BRIDGE_NF_CALL_IPTABLES = '/proc/sys/net/bridge/bridge-nf-call-iptables';

/** Where a program is installed, or undefined. */
export function findTool(name: string): string | undefined {
  try {
    return toolPath(name);
  } catch {
    return undefined;
  }
}

/** A file's text, or undefined when it cannot be read. */
export function readOptional(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** Every link of this namespace with its kind, bridge, state and IPv4 addresses: one `ip` process. */
export async function gatherLinks(): Promise<HostLink[]> {
  const { stdout } = await run(toolPath('ip'), ['-j', '-d', 'addr', 'show']);
  return parseHostLinks(stdout);
}

export async function gatherNetfilter(bridges: readonly string[]): Promise<NetfilterFacts> {
  const bridgeNfCallIptables = readOptional(BRIDGE_NF_CALL_IPTABLES);
  const facts: NetfilterFacts = { bridges, bridgeNfCallIptables, iptablesForward: undefined, nftRuleset: undefined };
  if (bridgeNfCallIptables?.trim() !== '1') return facts;
  const iptables = findTool('iptables');
  if (iptables !== undefined) {
    try {
      return { ...facts, iptablesForward: (await run(iptables, ['-S', 'FORWARD'])).stdout };
    } catch {
      // iptables present but unusable (no kernel support): try nft
    }
  }
  const nft = findTool('nft');
  if (nft !== undefined) {
    try {
      return { ...facts, nftRuleset: (await run(nft, ['list', 'ruleset'])).stdout };
    } catch {
      // nothing readable: the check says so
    }
  }
  return facts;
}

