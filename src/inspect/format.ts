// `ipper inspect` output: the shape pipework-style wrappers already script against. Pure.
import { shortId } from '../net/names.js';
import type { ContainerRecord } from '../store/records.js';

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
  };
}

export function toNetworkJson(record: ContainerRecord): NetworkJson {
  const lease = record.lease;
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
    },
  };
}

/** The record for a full id, or for a 12-character prefix that names exactly one container. */
export function findRecord(records: readonly ContainerRecord[], idOrPrefix: string): ContainerRecord | 'ambiguous' | undefined {
  const exact = records.find((record) => record.id === idOrPrefix);
  if (exact !== undefined) return exact;
  if (idOrPrefix.length < 12) return undefined;
  const matches = records.filter((record) => record.id.startsWith(idOrPrefix));
  if (matches.length > 1) return 'ambiguous';
  return matches[0];
}
