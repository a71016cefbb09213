// The bridge filter (an L2 guard on each container port). On the shared bridge a container may not
// speak for anyone else: no frame with a MAC but its own, no DHCP request for another hardware
// address, no ARP for another MAC or (once bound) another IPv4 address, no DHCP or DHCPv6 server
// answers, no router advertisements or redirects, no VLAN tags.
//
// One bridge-family table per supervisor instance (`ipper_<instanceId>`), whose rules apply only to
// the ports in its own `ports` set: two configs on one host never drop each other's ports, and one
// config turning the filter off removes only its own table.
import { IpperError } from '../errors.js';
import { run } from '../sys/exec.js';
import { toolPath } from '../sys/tools.js';

export interface FilteredPort {
  hostVeth: string;
  mac: string;
  /** The port's bound IPv4 address: from then on its ARP may claim no other. */
  ip?: string | undefined;
}

/** The table an instance owns (see names.ts instanceId). */
export function bridgeFilterTable(instance: string): string {
  return `ipper_${instance}`;
}

/** The host-wide table of ipper before tables were per instance: its rules drop ports it does not know. */
export const LEGACY_TABLE = 'ipper';

// Byte 28 of a BOOTP message (after op, htype, hlen, hops, xid, secs, flags and four addresses)
// starts chaddr; @ih counts from the end of the UDP header.
const CHADDR = '@ih,224,48';

function tableText(table: string): string {
  return `table bridge ${table} {
  set ports {
    type ifname
    comment "this instance's container ports: the only ones these rules touch"
  }
  set macs {
    type ifname . ether_addr
  }
  set chaddrs {
    typeof iifname . ${CHADDR}
  }
  set bound {
    type ifname
    comment "ports whose lease is bound: their ARP may claim only the address in addrs"
  }
  set addrs {
    type ifname . ipv4_addr
  }
  chain prerouting {
    type filter hook prerouting priority -200; policy accept;
    iifname @ports jump from_container
  }
  chain from_container {
    ether type { 8021q, 8021ad } drop comment "no VLAN-tagged frames"
    iifname . ether saddr != @macs drop comment "no MAC but the one ipper gave the port"
    ether type ip udp sport 67 drop comment "no DHCP server replies"
    ether type ip udp dport 67 ip frag-off & 0x2000 != 0 drop comment "no DHCP request in fragments (chaddr unseen)"
    ether type ip udp dport 67 iifname . ${CHADDR} != @chaddrs drop comment "no DHCP request for another hardware address"
    ether type arp arp htype . arp ptype . arp hlen . arp plen != { 1 . ip . 6 . 4 } drop comment "no ARP but Ethernet/IPv4 (the next rules read its fields)"
    ether type arp iifname . arp saddr ether != @macs drop comment "no ARP for another MAC"
    ether type arp iifname @bound arp saddr ip != 0.0.0.0 iifname . arp saddr ip != @addrs drop comment "no ARP for another address once bound"
    ether type ip6 icmpv6 type { nd-router-advert, nd-redirect } drop comment "no IPv6 router advertisements or redirects"
    ether type ip6 udp sport 547 drop comment "no DHCPv6 server replies"
  }
}
`;
}

/** A MAC as the integer nft compares the raw chaddr bytes with. */
function macAsInteger(mac: string): string {
  return `0x${mac.replaceAll(':', '')}`;
}

/** The commands that add a port's elements. */
function addPortCommands(table: string, port: FilteredPort): string[] {
  const at = `bridge ${table}`;
  const commands = [
    `add element ${at} ports { ${port.hostVeth} }`,
    `add element ${at} macs { ${port.hostVeth} . ${port.mac} }`,
    `add element ${at} chaddrs { ${port.hostVeth} . ${macAsInteger(port.mac)} }`,
  ];
  // No clearing of an earlier port's `bound` here: a delete costs the create an RCU grace period
  // (about 10 ms); forgetPort removes it with the port.
  if (port.ip !== undefined) commands.push(`add element ${at} addrs { ${port.hostVeth} . ${port.ip} }`, `add element ${at} bound { ${port.hostVeth} }`);
  return commands;
}

/**
 * Removes an element whether or not it exists: nft 1.0.6 has no `destroy`, and `delete` of a
 * missing element fails the whole batch, but adding first (a no-op when present) makes it sure.
 */
function removeCommands(at: string, set: string, element: string): string[] {
  return [`add element ${at} ${set} { ${element} }`, `delete element ${at} ${set} { ${element} }`];
}

function forgetPortCommands(table: string, port: FilteredPort): string[] {
  const at = `bridge ${table}`;
  return [
    ...removeCommands(at, 'ports', port.hostVeth),
    ...removeCommands(at, 'macs', `${port.hostVeth} . ${port.mac}`),
    ...removeCommands(at, 'chaddrs', `${port.hostVeth} . ${macAsInteger(port.mac)}`),
    ...removeCommands(at, 'bound', port.hostVeth),
    ...(port.ip === undefined ? [] : removeCommands(at, 'addrs', `${port.hostVeth} . ${port.ip}`)),
  ];
}

/**
 * The whole table, made anew in one transaction with every known port: the old one (if any) goes in
 * the same step, so no port is ever unfiltered and no rule is ever there twice.
 */
export function rebuildScript(table: string, ports: Iterable<FilteredPort>): string {
  const lines = [`add table bridge ${table}`, `delete table bridge ${table}`, tableText(table)];
  for (const port of ports) lines.push(...addPortCommands(table, port));
  return `${lines.join('\n')}\n`;
}

export function addPortScript(table: string, port: FilteredPort): string {
  return `${addPortCommands(table, port).join('\n')}\n`;
}

export function forgetPortScript(table: string, port: FilteredPort): string {
  return `${forgetPortCommands(table, port).join('\n')}\n`;
}

/** Binds the port to its new address, dropping the previous one, in one transaction. */
export function bindAddressScript(table: string, hostVeth: string, ip: string, previous: string | undefined): string {
  const at = `bridge ${table}`;
  const lines = previous === undefined || previous === ip ? [] : removeCommands(at, 'addrs', `${hostVeth} . ${previous}`);
  lines.push(`add element ${at} addrs { ${hostVeth} . ${ip} }`, `add element ${at} bound { ${hostVeth} }`);
  return `${lines.join('\n')}\n`;
}

/** nft's answer when the table, set or element named does not exist. */
export function isMissingNftObject(error: unknown): boolean {
  return error instanceof IpperError && /No such file or directory|does not exist/.test(error.message);
}

function isNftMissing(error: unknown): boolean {
  return error instanceof IpperError && error.code === 'TOOL_MISSING';
}

/** Runs an nft script: one process, one transaction. */
export async function applyNft(script: string): Promise<void> {
  await run(toolPath('nft'), ['-f', '-'], { input: script });
}

/** Deletes a table; one already gone (or no nft at all) is success. */
export async function removeBridgeFilter(table: string): Promise<void> {
  try {
    await run(toolPath('nft'), ['delete', 'table', 'bridge', table]);
  } catch (error) {
    if (!isMissingNftObject(error) && !isNftMissing(error)) throw error;
  }
}

/** Forgets a port; a table already gone (or no nft) is success, as the port is going anyway. */
export async function forgetPort(table: string, port: FilteredPort): Promise<void> {
  try {
    await applyNft(forgetPortScript(table, port));
  } catch (error) {
    if (!isMissingNftObject(error) && !isNftMissing(error)) throw error;
  }
}
