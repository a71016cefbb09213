import { describe, expect, it } from 'vitest';
import { waitForLease } from '../../../src/supervisor/client-keeper.js';
import { Entries, wakeLeaseWaiters } from '../../../src/supervisor/entries.js';
import type { ContainerRecord } from '../../../src/store/records.js';

const RECORD: ContainerRecord = {
  version: 1, id: 'c1', hostname: 'c1', bridge: 'br0', interface: 'eth0', hostVeth: 'ipr0123456789ab', mac: '02:64:50:63:12:34',
  container: { pid: 42, startTime: 7 }, netnsInode: 4026532000, phase: 'attaching', dhcpClient: 'udhcpc', client: null, lease: null, createdAt: 'x',
};
const LONG = 600_000;

describe('waitForLease', () => {
  it.each(['bound', 'torn-down'] as const)('ends with the outcome it is woken with: %s', async (outcome) => {
    const entry = new Entries().add({ ...RECORD }, 'attaching');
    const waiting = waitForLease(entry, LONG, new AbortController().signal);
    wakeLeaseWaiters(entry, outcome);
    await expect(waiting).resolves.toBe(outcome);
    expect(entry.leaseWaiters.size).toBe(0);
  });

  it('a teardown wakes every waiter as torn down, never as bound', async () => {
    const entry = new Entries().add({ ...RECORD }, 'attaching');
    const waits = [waitForLease(entry, LONG, new AbortController().signal), waitForLease(entry, LONG, new AbortController().signal)];
    wakeLeaseWaiters(entry, 'torn-down');
    await expect(Promise.all(waits)).resolves.toEqual(['torn-down', 'torn-down']);
  });

  it('ends as aborted when the caller goes, and as timeout when the time is up', async () => {
    const entry = new Entries().add({ ...RECORD }, 'attaching');
    const abort = new AbortController();
    const aborted = waitForLease(entry, LONG, abort.signal);
    abort.abort();
    await expect(aborted).resolves.toBe('aborted');
    await expect(waitForLease(entry, 1, new AbortController().signal)).resolves.toBe('timeout');
    expect(entry.leaseWaiters.size).toBe(0);
  });
});
