import { describe, expect, it } from 'vitest';
import { planGc, type GcClientFact, type GcFacts, type GcRecordFact } from '../../../src/gc/plan.js';

const GONE = 'no record explains it, and no process but ipper\'s is left in its network namespace';
const LIVE = 'no record explains it, but its network namespace still holds a container process: left alone';

function record(id: string, fields: Partial<GcRecordFact> = {}): GcRecordFact {
  return { id, hostVeth: `ipr-${id}`, phase: 'active', containerAlive: true, clientPid: 100, ...fields };
}

function client(containerId: string, pid: number, fields: Partial<GcClientFact> = {}): GcClientFact {
  return { pid, startTime: 7, containerId, netnsInode: 4000, driver: 'udhcpc', ...fields };
}

/** Facts with nothing in them; containers run in namespace 5000 only. */
function facts(fields: Partial<GcFacts> = {}): GcFacts {
  return { records: [], busy: new Set(), veths: [], clients: [], containerRunsIn: (inode) => inode === 5000, ...fields };
}

describe('planGc', () => {
  it('nothing to do when every record is alive and its client is the recorded one', () => {
    expect(planGc(facts({ records: [record('a')], clients: [client('a', 100)], veths: [{ name: 'ipr-a', netnsInode: 4000 }] }))).toEqual([]);
  });

  it.each([
    ['active', 'container gone without poststop'],
    ['attaching', 'create was interrupted'],
  ] as const)('a %s record whose container is gone is torn down (%s)', (phase, reason) => {
    expect(planGc(facts({ records: [record('a', { phase, containerAlive: false })] }))).toEqual([{ action: 'teardown', id: 'a', reason }]);
  });

  it('never touches an id being created or torn down, whatever its facts say', () => {
    const plan = planGc(facts({
      records: [record('a', { containerAlive: false })],
      busy: new Set(['a', 'b']),
      clients: [client('a', 999), client('b', 998)],
      veths: [{ name: 'ipr-a', netnsInode: 4000 }],
    }));
    expect(plan).toEqual([]);
  });

  it('a second client for a live record is killed without a release (it holds the same lease)', () => {
    expect(planGc(facts({ records: [record('a')], clients: [client('a', 100), client('a', 101, { driver: 'dhclient' })] }))).toEqual([
      { action: 'stop-client', pid: 101, startTime: 7, id: 'a', driver: 'dhclient', netnsInode: 4000, release: false, reason: 'a second client for a recorded container' },
    ]);
  });

  it('a client of a record being torn down is left to that teardown', () => {
    expect(planGc(facts({ records: [record('a', { containerAlive: false })], clients: [client('a', 100)] }))).toEqual([
      { action: 'teardown', id: 'a', reason: 'container gone without poststop' },
    ]);
  });

  it('a client no record explains: stopped with a release only with proof its container is gone', () => {
    const plan = planGc(facts({ clients: [client('x', 200, { netnsInode: 4000 }), client('y', 201, { netnsInode: 5000 }), client('z', 202, { netnsInode: undefined })] }));
    expect(plan).toEqual([
      { action: 'stop-client', pid: 200, startTime: 7, id: 'x', driver: 'udhcpc', netnsInode: 4000, release: true, reason: GONE },
      { action: 'report', kind: 'client', name: '201', id: 'y', reason: LIVE },
      // Its namespace unknown: no proof, so reported, never stopped.
      { action: 'report', kind: 'client', name: '202', id: 'z', reason: LIVE },
    ]);
  });

  it('a veth no record explains: deleted only when its namespace holds no container process', () => {
    const plan = planGc(facts({ records: [record('a')], veths: [{ name: 'ipr-a', netnsInode: 4000 }, { name: 'ipr-old', netnsInode: 4001 }, { name: 'ipr-live', netnsInode: 5000 }] }));
    expect(plan).toEqual([
      { action: 'delete-veth', name: 'ipr-old', reason: GONE },
      { action: 'report', kind: 'veth', name: 'ipr-live', reason: LIVE },
    ]);
  });

  it('orders teardowns, then clients, then veths (a release leaves while the link exists)', () => {
    const plan = planGc(facts({
      veths: [{ name: 'ipr-old', netnsInode: 4001 }],
      clients: [client('x', 200, { netnsInode: 4001 })],
      records: [record('a', { containerAlive: false })],
    }));
    expect(plan.map((action) => action.action)).toEqual(['teardown', 'stop-client', 'delete-veth']);
  });
});
