// `ipper inspect` output: the shape pipework-style wrappers already script against. Pure.
import { shortId } from '../net/names.js';
import { compareInterfaces, type ContainerRecord } from '../store/records.js';

export interface NetworkJson {
  Container: string;
  NetworkSettings: {
    HWAddr: string;
    Bridge: string;
    IPAddress: string;
    IPPrefixLen: string;
    Gateway: string;
    DNS: string;
    DHCP_PID: string;
    Hostname: string;
    Interface: string;
    HostInterface: string;
    /** Docker's IPv6 names: the first global address, its prefix length, the router. */
    GlobalIPv6Address: string;
    GlobalIPv6PrefixLen: string;
    IPv6Gateway: string;
    /** Every global IPv6 address (address/prefix), when there is more than one. */
    GlobalIPv6Addresses?: string[];
    /** What ipper wrote into the container's /etc/resolv.conf (empty: nothing). */
    ResolvConfNameservers: string;
    ResolvConfSearch: string;
    /** Why resolv.conf could not be written, if it could not. */
    ResolvConfError?: string;
    /** An attachment made by the CNI plugin: who the runtime named, and the namespace path. */
    CNI?: { ContainerID: string; IfName: string; Network: string; Netns: string };
  };
}

/** A container with every interface: the first in the seed's shape, then all of them (the first included) in Interfaces. */
export interface ContainerJson extends NetworkJson {
  Interfaces: NetworkJson['NetworkSettings'][];
}

/** The interfaces of one container in order: its first, then the extra ones by name. */
export function interfaceOrder(records: readonly ContainerRecord[]): ContainerRecord[] {
  return [...records].sort(compareInterfaces);
}

/** One container's JSON from its records (one per interface, at least one). */
export function toContainerJson(records: readonly ContainerRecord[]): ContainerJson {
  const ordered = interfaceOrder(records);
  const first = ordered[0];
  if (first === undefined) throw new Error('a container without a record');
  return { ...toNetworkJson(first), Interfaces: ordered.map((record) => toNetworkJson(record).NetworkSettings) };
}

/** Every container's JSON, its records grouped by container id, in the order of their first record. */
export function toContainersJson(records: readonly ContainerRecord[]): ContainerJson[] {
  const byId = new Map<string, ContainerRecord[]>();
  for (const record of records) byId.set(record.id, [...(byId.get(record.id) ?? []), record]);
  return [...byId.values()].map(toContainerJson);
}

export function toNetworkJson(record: ContainerRecord): NetworkJson {
  const lease = record.lease;
  const ipv6 = record.ipv6?.addresses ?? [];
  const first = ipv6[0];
  const resolv = record.resolvConf;
  return {
    Container: shortId(record.id),
    NetworkSettings: {
      HWAddr: record.mac,
      Bridge: record.bridge,
      IPAddress: lease?.ip ?? '',
      IPPrefixLen: lease ? String(lease.prefixLen) : '',
      Gateway: lease?.router ?? '',
      DNS: lease?.dns.join(', ') ?? '',
      DHCP_PID: record.client ? String(record.client.pid) : '',
      Hostname: record.hostname,
      Interface: record.interface,
      HostInterface: record.hostVeth,
      GlobalIPv6Address: first?.address ?? '',
      GlobalIPv6PrefixLen: first ? String(first.prefixLen) : '',
      IPv6Gateway: record.ipv6?.router ?? '',
      ...(ipv6.length > 1 && { GlobalIPv6Addresses: ipv6.map((entry) => `${entry.address}/${entry.prefixLen}`) }),
      ResolvConfNameservers: resolv?.nameservers?.join(', ') ?? '',
      ResolvConfSearch: resolv?.search?.join(' ') ?? '',
      ...(resolv?.error !== undefined && { ResolvConfError: resolv.error }),
      ...(record.cni !== undefined && {
        CNI: { ContainerID: record.cni.containerId, IfName: record.cni.ifname, Network: record.cni.network, Netns: 'netnsPath' in record.container ? record.container.netnsPath : '' },
      }),
    },
  };
}

/** The record (of the first interface) for a full id, or for a 12-character prefix that names exactly one container. */
export function findRecord(records: readonly ContainerRecord[], idOrPrefix: string): ContainerRecord | 'ambiguous' | undefined {
  // A container with several interfaces: its first interface's record stands for it.
  const exact = interfaceOrder(records.filter((record) => record.id === idOrPrefix))[0];
  if (exact !== undefined) return exact;
  if (idOrPrefix.length < 12) return undefined;
  const matches = records.filter((record) => record.id.startsWith(idOrPrefix));
  // One container's interfaces are one match.
  if (new Set(matches.map((record) => record.id)).size > 1) return 'ambiguous';
  return interfaceOrder(matches)[0];
}
