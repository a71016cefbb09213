// The CNI result of an ADD, per spec version, and CHECK's comparison with it: pure.
import type { Lease } from '../dhcp/lease.js';
import { compareVersions, type CniVersion } from './versions.js';

export interface AttachmentFacts {
  ifname: string;
  mac: string;
  netnsPath: string;
  hostVeth: string;
  /** undefined: could not be read (the field is then left out). */
  hostMac: string | undefined;
  /** null: onLeaseTimeout "continue" and no lease yet (the result has no IPv4). */
  lease: Lease | null;
  /** false: no default route was installed, so none is reported (a secondary network). Absent: true. */
  defaultRoute?: boolean;
  /** The global IPv6 addresses (SLAAC) and the router, as the supervisor last read them. */
  ipv6?: { addresses: { address: string; prefixLen: number }[]; router?: string | undefined } | undefined;
}

interface CniInterface { name: string; mac?: string; sandbox?: string }
interface CniIp { version?: '4' | '6'; address: string; gateway?: string; interface: number }
interface CniRoute { dst: string; gw?: string }
export interface CniResult {
  cniVersion: string;
  interfaces: CniInterface[];
  ips: CniIp[];
  routes: CniRoute[];
  dns: { nameservers?: string[]; domain?: string; search?: string[] };
}

/** A previous plugin's result, as far as it can be read: its lists are carried over, ours appended. */
function previousOf(prevResult: unknown): Pick<CniResult, 'interfaces' | 'ips' | 'routes'> {
  const prev = typeof prevResult === 'object' && prevResult !== null ? (prevResult as Record<string, unknown>) : {};
  const list = <T>(value: unknown): T[] => (Array.isArray(value) ? (value as T[]) : []);
  return { interfaces: list(prev['interfaces']), ips: list(prev['ips']), routes: list(prev['routes']) };
}

export function buildResult(version: CniVersion, facts: AttachmentFacts, prevResult?: unknown): CniResult {
  const prev = previousOf(prevResult);
  const hostIndex = prev.interfaces.length;
  const interfaces: CniInterface[] = [
    ...prev.interfaces,
    { name: facts.hostVeth, ...(facts.hostMac !== undefined && { mac: facts.hostMac }) },
    { name: facts.ifname, mac: facts.mac, sandbox: facts.netnsPath },
  ];
  const { lease } = facts;
  const ips: CniIp[] = [...prev.ips];
  const routes: CniRoute[] = [...prev.routes];
  if (lease !== null) {
    ips.push({
      ...(compareVersions(version, '1.0.0') < 0 && { version: '4' as const }),
      address: `${lease.ip}/${lease.prefixLen}`,
      ...(lease.router !== undefined && { gateway: lease.router }),
      interface: hostIndex + 1,
    });
    if (lease.router !== undefined && facts.defaultRoute !== false) routes.push({ dst: '0.0.0.0/0', gw: lease.router });
    for (const route of lease.routes ?? []) routes.push({ dst: route.to, ...(route.via !== undefined && { gw: route.via }) });
  }
  const router6 = facts.ipv6?.router;
  for (const address of facts.ipv6?.addresses ?? []) {
    ips.push({
      ...(compareVersions(version, '1.0.0') < 0 && { version: '6' as const }),
      address: `${address.address}/${address.prefixLen}`,
      ...(router6 !== undefined && { gateway: router6 }),
      interface: hostIndex + 1,
    });
  }
  if (router6 !== undefined && (facts.ipv6?.addresses.length ?? 0) > 0) routes.push({ dst: '::/0', gw: router6 });
  const dns = lease === null ? {} : {
    ...(lease.dns.length > 0 && { nameservers: lease.dns }),
    ...(lease.domain !== undefined && { domain: lease.domain }),
    ...(lease.search !== undefined && lease.search.length > 0 && { search: lease.search }),
  };
  return { cniVersion: version, interfaces, ips, routes, dns };
}

/**
 * CHECK against the result the runtime kept: the addresses it says our interface has. Returns
 * what differs, or undefined when the result agrees (or names nothing of ours to compare).
 */
export function prevResultMismatch(prevResult: unknown, ifname: string, netnsPath: string, address: string | undefined): string | undefined {
  const prev = previousOf(prevResult);
  const ours = prev.interfaces.findIndex((iface) => iface?.name === ifname && (iface.sandbox === undefined || iface.sandbox === netnsPath));
  if (ours < 0) return undefined;
  const recorded = prev.ips.filter((ip) => ip?.interface === ours && typeof ip.address === 'string' && ip.address.includes('.')).map((ip) => ip.address);
  if (recorded.length === 0) return undefined;
  if (address === undefined) return `"${ifname}" has no IPv4 lease now; the result gave it ${recorded.join(', ')}`;
  return recorded.includes(address) ? undefined : `"${ifname}" has ${address} now; the result gave it ${recorded.join(', ')}`;
}
