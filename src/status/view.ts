// `ipper status`: the supervisor, then one row per container interface. Pure: records and facts in, the JSON
// document and the table out (the command gathers the facts without a process per container).
import { shortId } from '../net/names.js';
import { compareInterfaces, type ContainerRecord } from '../store/records.js';
import { deriveLeaseState, leaseTiming, type LeaseState } from './lease-state.js';
import { dhcpv6LeaseTiming } from '../dhcp/lease6.js';

/** What the supervisor's `status` reply said, or why there was none. */
export type SupervisorFacts =
  | { running: true; pid: number | undefined; version: string | undefined; uptimeSeconds: number | undefined; containers: number | undefined; clientRestarts: number | undefined; missingBridges: string[]; unexplained: Record<string, unknown>[] }
  | { running: false; reason: string; code?: string };

export interface StatusFacts {
  supervisor: SupervisorFacts;
  records: readonly ContainerRecord[];
  /** Record files that could not be read. */
  unreadable: readonly string[];
  /** Whether a record's client (pid + start time) runs. */
  clientAlive: (record: ContainerRecord) => boolean;
  /** The configured DHCP client's name (records do not carry one). */
  clientName: string;
  now: Date;
}

export interface ContainerStatus {
  id: string;
  shortId: string;
  /** The runtime's name for the container: null, since no runtime hands one to the hook. */
  name: string | null;
  addresses: string[];
  /** The container's interface (eth0; a container with several has one row for each). */
  interface: string;
  mac: string;
  bridge: string;
  hostVeth: string;
  client: { name: string; pid: number | null; alive: boolean };
  state: LeaseState;
  leaseSeconds: number | null;
  boundAt: string | null;
  lastRenewal: string | null;
  expiresAt: string | null;
}

export interface StatusJson {
  supervisor: {
    running: boolean;
    reason: string | null;
    pid: number | null;
    version: string | null;
    uptimeSeconds: number | null;
    containers: number | null;
    clientRestarts: number | null;
    missingBridges: string[];
    unexplained: Record<string, unknown>[];
  };
  containers: ContainerStatus[];
  unreadableRecords: string[];
}

export function containerStatus(record: ContainerRecord, clientAlive: boolean, clientName: string, now: Date): ContainerStatus {
  // The IPv4 lease, or for a container without one its DHCPv6 lease (same timers).
  const lease = record.lease ?? dhcpv6LeaseTiming(record.dhcpv6);
  const timing = leaseTiming(lease);
  return {
    id: record.id,
    shortId: shortId(record.id),
    name: null,
    addresses: [...(record.lease === null ? [] : [`${record.lease.ip}/${record.lease.prefixLen}`]), ...(record.ipv6?.addresses ?? []).map((entry) => `${entry.address}/${entry.prefixLen}`)],
    interface: record.interface,
    mac: record.mac,
    bridge: record.bridge,
    hostVeth: record.hostVeth,
    client: { name: clientName, pid: record.client?.pid ?? null, alive: clientAlive },
    state: deriveLeaseState({ phase: record.phase, lease, clientAlive }, now),
    leaseSeconds: lease?.leaseSeconds ?? null,
    boundAt: lease?.boundAt ?? null,
    lastRenewal: lease?.renewedAt ?? null,
    expiresAt: timing?.expiresAt.toISOString() ?? null,
  };
}

export function toStatusJson(facts: StatusFacts): StatusJson {
  const { supervisor } = facts;
  const containers = [...facts.records]
    .sort((a, b) => a.id.localeCompare(b.id) || compareInterfaces(a, b))
    .map((record) => containerStatus(record, record.client !== null && facts.clientAlive(record), facts.clientName, facts.now));
  return {
    supervisor: supervisor.running
      ? {
          running: true,
          reason: null,
          pid: supervisor.pid ?? null,
          version: supervisor.version ?? null,
          uptimeSeconds: supervisor.uptimeSeconds ?? null,
          containers: supervisor.containers ?? null,
          clientRestarts: supervisor.clientRestarts ?? null,
          missingBridges: supervisor.missingBridges,
          unexplained: supervisor.unexplained,
        }
      : { running: false, reason: supervisor.reason, pid: null, version: null, uptimeSeconds: null, containers: null, clientRestarts: null, missingBridges: [], unexplained: [] },
    containers,
    unreadableRecords: [...facts.unreadable],
  };
}

/** 45s, 3m05s, 2h03m, 3d04h: two units at most, so a column stays narrow. */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  const pad = (value: number): string => String(value).padStart(2, '0');
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${pad(s % 60)}s`;
  if (s < 86_400) return `${Math.floor(s / 3600)}h${pad(Math.floor((s % 3600) / 60))}m`;
  return `${Math.floor(s / 86_400)}d${pad(Math.floor((s % 86_400) / 3600))}h`;
}

function relative(iso: string | null, now: Date): string {
  if (iso === null) return '-';
  const seconds = (Date.parse(iso) - now.getTime()) / 1000;
  return seconds >= 0 ? `in ${formatDuration(seconds)}` : `${formatDuration(-seconds)} ago`;
}

const HEADER = ['ID', 'IFACE', 'NAME', 'ADDRESS', 'MAC', 'BRIDGE', 'CLIENT', 'STATE', 'EXPIRES', 'RENEWED'] as const;

function containerCells(container: ContainerStatus, now: Date): string[] {
  const client = container.client.pid === null ? container.client.name : `${container.client.name}/${container.client.pid}${container.client.alive ? '' : '(dead)'}`;
  return [
    container.shortId,
    container.interface,
    container.name ?? '-',
    container.addresses.join(',') || '-',
    container.mac,
    container.bridge,
    client,
    container.state,
    relative(container.expiresAt, now),
    container.lastRenewal === null ? 'never' : relative(container.lastRenewal, now),
  ];
}

/** Columns padded to their widest cell; the last one is not padded (no trailing blanks). */
export function alignColumns(rows: readonly (readonly string[])[]): string[] {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, index) => (widths[index] = Math.max(widths[index] ?? 0, cell.length)));
  return rows.map((row) => row.map((cell, index) => (index === row.length - 1 ? cell : cell.padEnd(widths[index] ?? 0))).join('  '));
}

function supervisorLines(status: StatusJson): string[] {
  const s = status.supervisor;
  if (!s.running) {
    const consequence = status.containers.length > 0 ? ': nobody renews these leases or restarts their clients; the next container start starts it again (ipper doctor)' : ' (the next container start starts it)';
    return [`supervisor: not running: ${s.reason ?? 'no answer'}${consequence}`];
  }
  const parts = [
    `pid ${s.pid ?? '?'}`,
    `ipper ${s.version ?? '?'}`,
    `up ${s.uptimeSeconds === null ? '?' : formatDuration(s.uptimeSeconds)}`,
    `${s.containers ?? '?'} container(s)`,
    `${s.clientRestarts ?? '?'} client restart(s)`,
  ];
  const lines = [`supervisor: ${parts.join(', ')}`];
  if (s.missingBridges.length > 0) lines.push(`  missing bridges: ${s.missingBridges.join(', ')} (their containers are cut off until the bridge is back)`);
  if (s.unexplained.length > 0) lines.push(`  unexplained: ${s.unexplained.length} thing(s) garbage collection leaves alone (ipper gc --dry-run lists them)`);
  return lines;
}

/** The table an operator reads: one line for the supervisor (and its warnings), one per container. */
export function formatStatus(status: StatusJson, now: Date): string {
  const lines = supervisorLines(status);
  if (status.containers.length === 0) lines.push('no containers');
  else {
    lines.push(...alignColumns([[...HEADER], ...status.containers.map((container) => containerCells(container, now))]));
    // Records carry no name: no runtime hands the container's name to an OCI hook.
    if (status.containers.every((container) => container.name === null)) lines.push('(NAME: the runtime gave ipper no name; see docker ps / podman ps)');
  }
  for (const path of status.unreadableRecords) lines.push(`unreadable record: ${path} (garbage collection sets it aside)`);
  return `${lines.join('\n')}\n`;
}
