// The programs ipper runs: the configured DHCP client first, then the ones every attach needs. Pure.
import { fail, ok, type Finding } from './check.js';

/** The Debian package that ships each program. */
export const DEBIAN_PACKAGE: Readonly<Record<string, string>> = {
  udhcpc: 'udhcpc',
  dhclient: 'isc-dhcp-client',
  dhcpcd: 'dhcpcd-base',
  ip: 'iproute2',
  nsenter: 'util-linux',
  nft: 'nftables',
};

export interface ToolFacts {
  dhcpClient: string;
  /** Whether the bridge filter (nft) is on. */
  bridgeFilter: boolean;
  /** Where each program was found; undefined: not installed. */
  found: (name: string) => string | undefined;
}

function toolFinding(check: string, name: string, role: string, path: string | undefined): Finding {
  if (path !== undefined) return ok(check, `${role} "${name}" is installed (${path})`);
  const pkg = DEBIAN_PACKAGE[name];
  return fail(check, `${role} "${name}" is not installed (looked in /usr/sbin, /usr/bin, /sbin, /bin, /usr/local/sbin, /usr/local/bin)`, pkg === undefined ? `install ${name}` : `apt-get install ${pkg}`);
}

export function checkTools(facts: ToolFacts): Finding[] {
  const findings = [toolFinding('dhcp-client', facts.dhcpClient, 'the configured DHCP client', facts.found(facts.dhcpClient))];
  const needed = ['ip', 'nsenter', ...(facts.bridgeFilter ? ['nft'] : [])];
  const missing = needed.filter((name) => facts.found(name) === undefined);
  if (missing.length === 0) findings.push(ok('tools', `${needed.join(', ')} are installed`));
  else for (const name of missing) findings.push(toolFinding('tools', name, name === 'nft' ? 'the bridge filter\'s' : 'required program', undefined));
  return findings;
}
