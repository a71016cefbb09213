// The bridge: it exists, is a bridge, is up, has a port toward the LAN and an IPv4 address. Pure.
import { HOST_VETH_NAME } from '../net/names.js';
import { fail, ok, type Finding } from './check.js';
import type { HostLink } from './links.js';

export interface BridgeFacts {
  bridge: string;
  links: readonly HostLink[];
  /** config.hostAddress: when set, the MAC scheme does not need the bridge's address. */
  hostAddress: string | undefined;
}

export function checkBridge(facts: BridgeFacts): Finding[] {
  const { bridge } = facts;
  const link = facts.links.find((candidate) => candidate.name === bridge);
  if (link === undefined) {
    return [fail('bridge', `bridge "${bridge}" does not exist: every container start fails`, `create it with the host's LAN interface on it (ifupdown bridge_ports, netplan bridges, or nmcli), or set "bridge" in the ipper config to the one you have`)];
  }
  if (link.kind !== 'bridge') return [fail('bridge', `"${bridge}" exists but is a ${link.kind ?? 'plain'} link, not a bridge`, `make "${bridge}" a bridge with the LAN interface on it, or set "bridge" to the bridge's name`)];
  const findings = [ok('bridge', `bridge "${bridge}" exists`)];
  findings.push(link.up ? ok('bridge-up', `"${bridge}" is up`) : fail('bridge-up', `"${bridge}" is down: no frame crosses it`, `ip link set ${bridge} up`));
  // Container ports are ipper's own veths; anything else on the bridge leads to the LAN.
  const ports = facts.links.filter((candidate) => candidate.master === bridge);
  const uplinks = ports.filter((port) => !HOST_VETH_NAME.test(port.name));
  if (uplinks.length === 0) {
    findings.push(fail('bridge-uplink', `"${bridge}" has no port toward the LAN (${ports.length} container port(s) only): DHCP requests reach no server`, `put the host's LAN interface on it: ip link set <nic> master ${bridge} (and make it permanent in the network config)`));
  } else {
    const down = uplinks.filter((port) => !port.up);
    const names = uplinks.map((port) => port.name).join(', ');
    findings.push(down.length === uplinks.length ? fail('bridge-uplink', `"${bridge}"'s port(s) toward the LAN (${names}) are all down`, `ip link set ${down[0]!.name} up`) : ok('bridge-uplink', `"${bridge}" has ${uplinks.length} port(s) toward the LAN (${names})`));
  }
  if (link.ipv4.length > 0) findings.push(ok('bridge-ipv4', `"${bridge}" has IPv4 ${link.ipv4[0]}${facts.hostAddress === undefined ? ' (MACs derive from it)' : ''}`));
  else if (facts.hostAddress !== undefined) findings.push(ok('bridge-ipv4', `"${bridge}" has no IPv4 address; MACs derive from hostAddress ${facts.hostAddress}`));
  else findings.push(fail('bridge-ipv4', `"${bridge}" has no IPv4 address, and the MAC scheme takes three octets from it: every container start fails`, `give "${bridge}" the host's LAN address (the NIC's address belongs on the bridge), or set "hostAddress" in the ipper config`));
  return findings;
}
