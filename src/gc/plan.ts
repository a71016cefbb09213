// Garbage collection as a pure decision: what is recorded, what runs, what links exist → actions.
// It never acts on a live container or on an id being created right now, and it removes a veth
// or stops a client that no record explains only with proof that its container is gone: no
// process but ipper's own left in the namespace. "No record" alone is reported, never acted on.
import type { DhcpClientName } from '../dhcp/driver.js';

export interface GcRecordFact {
  id: string;
  hostVeth: string;
  phase: 'attaching' | 'active';
  /** The recorded container process still runs (pid and start time both match). */
  containerAlive: boolean;
  /** The recorded client pid, if its start time matches (so it is still that client). */
  clientPid: number | undefined;
}

export interface GcClientFact {
  pid: number;
  /** Read when the process was listed: acting on the pid later checks it again. */
  startTime: number;
  containerId: string;
  netnsInode: number | undefined;
  /** Which client it is (by its executable): how it is stopped with a release. */
  driver: DhcpClientName;
}

export interface GcVethFact {
  name: string;
  /** The container's namespace, from the veth's mark. */
  netnsInode: number;
}

export interface GcFacts {
  records: readonly GcRecordFact[];
  /** Ids the supervisor is creating or tearing down right now. */
  busy: ReadonlySet<string>;
  /** Host veths marked as this supervisor instance's. */
  veths: readonly GcVethFact[];
  /** DHCP clients of this instance (its spool in their environment, the client's executable). */
  clients: readonly GcClientFact[];
  /** Whether a process other than ipper's own still runs in that network namespace. */
  containerRunsIn: (netnsInode: number) => boolean;
}

export type GcAction =
  | { action: 'teardown'; id: string; reason: string }
  /** release: stop with SIGTERM so the client releases its lease; false: a duplicate, killed without a release. */
  | { action: 'stop-client'; pid: number; startTime: number; id: string; driver: DhcpClientName; netnsInode: number | undefined; release: boolean; reason: string }
  | { action: 'delete-veth'; name: string; reason: string }
  /** Something this instance cannot explain and will not touch: for the operator. */
  | { action: 'report'; kind: 'veth' | 'client'; name: string; id?: string; reason: string };

const GONE = 'no record explains it, and no process but ipper\'s is left in its network namespace';
const LIVE = 'no record explains it, but its network namespace still holds a container process: left alone';

export function planGc(facts: GcFacts): GcAction[] {
  const teardowns: GcAction[] = [];
  const explained = new Map<string, GcRecordFact>();
  for (const record of facts.records) {
    if (facts.busy.has(record.id) || record.containerAlive) {
      explained.set(record.id, record);
      continue;
    }
    teardowns.push({ action: 'teardown', id: record.id, reason: record.phase === 'attaching' ? 'create was interrupted' : 'container gone without poststop' });
  }
  const recordedIds = new Set(facts.records.map((record) => record.id));
  const recordedVeths = new Set(facts.records.map((record) => record.hostVeth));
  const clientActions: GcAction[] = [];
  for (const client of facts.clients) {
    if (facts.busy.has(client.containerId)) continue;
    const record = explained.get(client.containerId);
    if (record !== undefined) {
      if (record.clientPid !== client.pid) {
        // Both hold the same lease (same MAC): a release from the duplicate would end the live one's.
        clientActions.push({ action: 'stop-client', pid: client.pid, startTime: client.startTime, id: client.containerId, driver: client.driver, netnsInode: client.netnsInode, release: false, reason: 'a second client for a recorded container' });
      }
      continue;
    }
    if (recordedIds.has(client.containerId)) continue; // its record is being torn down above
    const gone = client.netnsInode !== undefined && !facts.containerRunsIn(client.netnsInode);
    clientActions.push(
      gone
        ? { action: 'stop-client', pid: client.pid, startTime: client.startTime, id: client.containerId, driver: client.driver, netnsInode: client.netnsInode, release: true, reason: GONE }
        : { action: 'report', kind: 'client', name: String(client.pid), id: client.containerId, reason: LIVE },
    );
  }
  const vethActions: GcAction[] = [];
  for (const veth of facts.veths) {
    if (recordedVeths.has(veth.name)) continue;
    vethActions.push(
      facts.containerRunsIn(veth.netnsInode)
        ? { action: 'report', kind: 'veth', name: veth.name, reason: LIVE }
        : { action: 'delete-veth', name: veth.name, reason: GONE },
    );
  }
  // Clients go before veths: a release leaves from the bound address while the link still exists.
  return [...teardowns, ...clientActions, ...vethActions];
}
