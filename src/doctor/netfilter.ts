// br_netfilter: with bridge-nf-call-iptables=1, bridged frames (DHCP included) go through the
// iptables FORWARD chain, and Docker sets its policy to DROP: the classic lease that never comes.
// Pure: the sysctl's value and the rules as `iptables -S FORWARD` or `nft list ruleset` print them.
import { fail, ok, warn, type Finding } from './check.js';

export interface NetfilterFacts {
  bridges: readonly string[];
  /** /proc/sys/net/bridge/bridge-nf-call-iptables; undefined: br_netfilter is not loaded. */
  bridgeNfCallIptables: string | undefined;
  /** `iptables -S FORWARD`; undefined when iptables is not installed or failed. */
  iptablesForward: string | undefined;
  /** `nft list ruleset`, read only when iptables is not there. */
  nftRuleset: string | undefined;
}

const ALLOW_FIX = (bridges: readonly string[]): string =>
  `let bridged traffic through: iptables -I FORWARD -m physdev --physdev-is-bridged -j ACCEPT (or ${bridges.map((bridge) => `-i ${bridge} -o ${bridge}`).join(', ')} -j ACCEPT; with Docker, put it in the DOCKER-USER chain), or stop bridged frames going through iptables: sysctl -w net.bridge.bridge-nf-call-iptables=0`;

/** What drops forwarded traffic in the iptables rules, and whether a rule lets bridged traffic through first. */
export function readForwardRules(text: string, bridges: readonly string[]): { policyDrop: boolean; dropRules: string[]; allowsBridged: boolean } {
  const lines = text.split('\n').map((line) => line.trim());
  const policyDrop = lines.some((line) => /^-P FORWARD (DROP|REJECT)$/.test(line));
  const rules = lines.filter((line) => line.startsWith('-A FORWARD '));
  const dropRules = rules.filter((line) => / -j (DROP|REJECT)\b/.test(line));
  const allowsBridged = rules.some((line) => / -j ACCEPT\b/.test(line) && (/--physdev-is-bridged/.test(line) || bridges.some((bridge) => line.includes(`-i ${bridge} `) && line.includes(`-o ${bridge} `))));
  return { policyDrop, dropRules, allowsBridged };
}

/** Whether an nftables forward hook drops by policy (the rules themselves are not judged). */
export function nftForwardPolicyDrop(ruleset: string): boolean {
  return /hook forward[^;]*;[^;]*policy drop;/.test(ruleset.replace(/\n\s*/g, ' '));
}

export function checkNetfilter(facts: NetfilterFacts): Finding[] {
  const value = facts.bridgeNfCallIptables?.trim();
  if (value === undefined) return [ok('br-netfilter', 'br_netfilter is not loaded: bridged frames do not go through iptables')];
  if (value !== '1') return [ok('br-netfilter', `br_netfilter is loaded with bridge-nf-call-iptables=${value}: bridged frames do not go through iptables`)];
  const loaded = 'br_netfilter is loaded with bridge-nf-call-iptables=1, so bridged frames (DHCP included) go through the iptables FORWARD chain';
  if (facts.iptablesForward !== undefined) {
    const rules = readForwardRules(facts.iptablesForward, facts.bridges);
    if (rules.allowsBridged) return [ok('br-netfilter', `${loaded}; a FORWARD rule accepts bridged traffic`)];
    if (rules.policyDrop) return [fail('br-netfilter', `${loaded}, whose policy is DROP (Docker sets it): DHCP replies never reach the containers`, ALLOW_FIX(facts.bridges))];
    if (rules.dropRules.length > 0) return [warn('br-netfilter', `${loaded}, where ${rules.dropRules.length} rule(s) drop traffic (${rules.dropRules[0]}): check that they spare the bridge`, ALLOW_FIX(facts.bridges))];
    return [ok('br-netfilter', `${loaded}; its policy is ACCEPT and no rule drops`)];
  }
  if (facts.nftRuleset !== undefined) {
    if (nftForwardPolicyDrop(facts.nftRuleset)) return [fail('br-netfilter', `${loaded}, and an nftables forward chain has policy drop: DHCP replies may never reach the containers`, 'accept bridged traffic in that chain (iifname/oifname of the bridge), or sysctl -w net.bridge.bridge-nf-call-iptables=0')];
    return [ok('br-netfilter', `${loaded}; no nftables forward chain drops by policy`)];
  }
  return [warn('br-netfilter', `${loaded}, and neither iptables nor nft could be read to see whether it drops them`, 'install iptables (or nftables) to let ipper doctor look, or sysctl -w net.bridge.bridge-nf-call-iptables=0')];
}
