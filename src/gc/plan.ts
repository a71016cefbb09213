// Garbage collection as a pure decision: what is recorded, what runs, what links exist → actions.
// It never acts on a live container, on an id being created right now, or on anything that is
// not marked as this state directory's (veth alias, client environment).

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
  containerId: string;
}

export interface GcFacts {
  records: readonly GcRecordFact[];
  /** Ids the supervisor is creating or tearing down right now. */
  busy: ReadonlySet<string>;
  /** Host veths marked as this state directory's. */
  veths: readonly string[];
  /** DHCP clients whose environment names this state directory's spool. */
  clients: readonly GcClientFact[];
}

export type GcAction =
  | { action: 'teardown'; id: string; reason: string }
  | { action: 'delete-veth'; name: string; reason: string }
  | { action: 'stop-client'; pid: number; id: string; reason: string };

export function planGc(facts: GcFacts): GcAction[] {
  const actions: GcAction[] = [];
  const explained = new Map<string, GcRecordFact>();
  for (const record of facts.records) {
    if (facts.busy.has(record.id)) {
      explained.set(record.id, record);
      continue;
    }
    if (!record.containerAlive) {
      actions.push({ action: 'teardown', id: record.id, reason: record.phase === 'attaching' ? 'create was interrupted' : 'container gone without poststop' });
    } else {
      explained.set(record.id, record);
    }
  }
  const tornDown = new Set(actions.map((action) => (action.action === 'teardown' ? action.id : '')));
  const recordedVeths = new Set(facts.records.map((record) => record.hostVeth));
  for (const name of facts.veths) {
    if (!recordedVeths.has(name)) actions.push({ action: 'delete-veth', name, reason: 'no record explains it' });
  }
  for (const client of facts.clients) {
    if (tornDown.has(client.containerId) || facts.busy.has(client.containerId)) continue;
    const record = explained.get(client.containerId);
    if (record === undefined) actions.push({ action: 'stop-client', pid: client.pid, id: client.containerId, reason: 'no record explains it' });
    else if (record.clientPid !== client.pid) actions.push({ action: 'stop-client', pid: client.pid, id: client.containerId, reason: 'a second client for a recorded container' });
  }
  return actions;
}
