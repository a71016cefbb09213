// "Timed out waiting for lease" with a reason: what the client's own log and the host tell.
import type { ExchangeSeen } from './driver.js';

export interface LeaseTimeoutFacts {
  /** What the client's log shows of this attempt (its driver reads it). */
  seen: ExchangeSeen;
  /** What the client printed during this attempt. */
  clientLog: string;
  bridge: string;
  /** /proc/sys/net/bridge/bridge-nf-call-iptables, undefined when br_netfilter is not loaded. */
  bridgeNfCallIptables: string | undefined;
}

export function diagnoseLeaseTimeout(facts: LeaseTimeoutFacts): string {
  const { discovers, requests: selects } = facts.seen;
  const filtered = facts.bridgeNfCallIptables?.trim() === '1';
  const netfilterHint = filtered
    ? '; br_netfilter is loaded with bridge-nf-call-iptables=1, so iptables FORWARD rules (Docker sets policy DROP) see bridged DHCP: allow it, or set net.bridge.bridge-nf-call-iptables=0'
    : '';
  if (selects > 0) {
    return `a server offered an address but never acknowledged the request (${selects} DHCPREQUEST sent; DHCPNAK, or the ACK was lost)${netfilterHint}`;
  }
  if (discovers > 0) {
    return `${discovers} DHCPDISCOVER sent on bridge "${facts.bridge}", no DHCPOFFER came back: is a DHCP server reachable on that bridge, with free addresses?${netfilterHint}`;
  }
  const lastLine = facts.clientLog.trim().split('\n').slice(-1)[0] ?? '';
  return `the DHCP client sent nothing${lastLine ? ` (it said: ${lastLine.slice(0, 200)})` : ''}`;
}
