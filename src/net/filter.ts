// The bridge filter: on the shared bridge a container may neither answer DHCP for its neighbours
// nor send frames with a MAC other than the one ipper gave its port. One bridge-family table
// matches every ipper port ("ipr*"); each port's allowed MAC is an element of a set.
import { IpperError } from '../errors.js';
import { run } from '../sys/exec.js';
import { toolPath } from '../sys/tools.js';

const TABLE = `table bridge ipper {
  set allowed {
    type ifname . ether_addr
  }
  chain prerouting {
    type filter hook prerouting priority -200; policy accept;
    iifname "ipr*" ether type ip udp sport 67 drop comment "no DHCP server replies from containers"
    iifname "ipr*" iifname . ether saddr != @allowed drop comment "no MAC but the one ipper gave the port"
  }
}
`;

/** nft's answer when the table, set or element named does not exist. */
export function isMissingNftObject(error: unknown): boolean {
  return error instanceof IpperError && /No such file or directory|does not exist/.test(error.message);
}

/** Creates the table once (a second `nft -f` of it would add the rules twice). */
export async function ensureBridgeFilter(): Promise<void> {
  const nft = toolPath('nft');
  try {
    await run(nft, ['list', 'table', 'bridge', 'ipper']);
    return;
  } catch (error) {
    if (!isMissingNftObject(error)) throw error;
  }
  await run(nft, ['-f', '-'], { input: TABLE });
}

function element(hostVeth: string, mac: string): string {
  return `{ ${hostVeth} . ${mac} }`;
}

/** With the filter off, no table may stay behind: its rules would drop every port it does not know. */
export async function removeBridgeFilter(): Promise<void> {
  try {
    await run(toolPath('nft'), ['delete', 'table', 'bridge', 'ipper']);
  } catch (error) {
    if (!isMissingNftObject(error) && !(error instanceof IpperError && error.code === 'TOOL_MISSING')) throw error;
  }
}

export async function allowPort(hostVeth: string, mac: string): Promise<void> {
  await run(toolPath('nft'), ['add', 'element', 'bridge', 'ipper', 'allowed', element(hostVeth, mac)]);
}

/** Forgets a port's MAC; one already gone is success. */
export async function forgetPort(hostVeth: string, mac: string): Promise<void> {
  try {
    await run(toolPath('nft'), ['delete', 'element', 'bridge', 'ipper', 'allowed', element(hostVeth, mac)]);
  } catch (error) {
    if (!isMissingNftObject(error)) throw error;
  }
}
