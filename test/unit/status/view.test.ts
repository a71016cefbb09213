import { describe, expect, it } from 'vitest';
import { alignColumns, formatDuration, formatStatus, toStatusJson, type StatusFacts } from '../../../src/status/view.js';
import type { ContainerRecord } from '../../../src/store/records.js';

const NOW = new Date('2026-01-01T01:00:00.000Z');

function record(id: string, extra: Partial<ContainerRecord> = {}): ContainerRecord {
  return {
    version: 1,
    id,
    hostname: id.slice(0, 12),
    bridge: 'br0',
    interface: 'eth0',
    hostVeth: 'ipr0123456789ab',
    mac: '02:0a:00:02:aa:bb',
    container: { pid: 100, startTime: 5 },
    netnsInode: 4026532000,
    phase: 'active',
    client: { pid: 200, startTime: 6, token: 'abc' },
    lease: { ip: '10.0.2.101', prefixLen: 24, dns: [], leaseSeconds: 3600, boundAt: '2026-01-01T00:30:00.000Z', renewedAt: '2026-01-01T00:59:00.000Z' },
    createdAt: '2026-01-01T00:30:00.000Z',
    ...extra,
  };
}

const running: StatusFacts['supervisor'] = { running: true, pid: 42, version: '0.1.0', uptimeSeconds: 3725, containers: 2, clientRestarts: 3, missingBridges: [], unexplained: [] };

function facts(extra: Partial<StatusFacts> = {}): StatusFacts {
  return { supervisor: running, records: [record('b'.repeat(64)), record('a'.repeat(64), { client: null, lease: null, phase: 'attaching' })], unreadable: [], clientAlive: () => true, clientName: 'udhcpc', now: NOW, ...extra };
}

describe('toStatusJson', () => {
  it('gives every container its row, sorted by id, with stable keys', () => {
    const json = toStatusJson(facts());
    expect(json.supervisor).toEqual({ running: true, reason: null, pid: 42, version: '0.1.0', uptimeSeconds: 3725, containers: 2, clientRestarts: 3, missingBridges: [], unexplained: [] });
    expect(json.containers.map((container) => container.id)).toEqual(['a'.repeat(64), 'b'.repeat(64)]);
    expect(json.containers[1]).toEqual({
      id: 'b'.repeat(64),
      shortId: 'b'.repeat(12),
      name: null,
      addresses: ['10.0.2.101/24'],
      interface: 'eth0',
      mac: '02:0a:00:02:aa:bb',
      bridge: 'br0',
      hostVeth: 'ipr0123456789ab',
      client: { name: 'udhcpc', pid: 200, alive: true },
      state: 'bound',
      leaseSeconds: 3600,
      boundAt: '2026-01-01T00:30:00.000Z',
      lastRenewal: '2026-01-01T00:59:00.000Z',
      expiresAt: '2026-01-01T01:59:00.000Z',
    });
    expect(json.containers[0]).toMatchObject({ state: 'attaching', addresses: [], client: { pid: null, alive: false }, expiresAt: null });
  });

  it('says a dead client failed, and keeps the same keys without a supervisor', () => {
    const json = toStatusJson(facts({ supervisor: { running: false, reason: 'no ipper supervisor runs' }, clientAlive: () => false }));
    expect(json.containers[1]).toMatchObject({ state: 'failed', client: { alive: false, pid: 200 } });
    expect(Object.keys(json.supervisor)).toEqual(Object.keys(toStatusJson(facts()).supervisor));
    expect(json.supervisor).toMatchObject({ running: false, reason: 'no ipper supervisor runs', pid: null });
  });
});

describe('a container with two interfaces', () => {
  it('has one row per interface, its first first, each naming its interface', () => {
    const id = 'c'.repeat(64);
    const records = [
      record(id, { interface: 'eth1', extra: true, bridge: 'br1', mac: '02:0a:00:02:cc:01', lease: { ip: '10.0.3.7', prefixLen: 24, dns: [], leaseSeconds: 3600, boundAt: '2026-01-01T00:30:00.000Z' } }),
      record(id),
    ];
    const json = toStatusJson(facts({ records }));
    expect(json.containers.map((row) => [row.id, row.interface, row.bridge, row.addresses])).toEqual([
      [id, 'eth0', 'br0', ['10.0.2.101/24']],
      [id, 'eth1', 'br1', ['10.0.3.7/24']],
    ]);
    const lines = formatStatus(json, NOW).trimEnd().split('\n');
    expect(lines.slice(2, 4).map((line) => line.split(/\s{2,}/).slice(0, 2))).toEqual([['cccccccccccc', 'eth0'], ['cccccccccccc', 'eth1']]);
  });
});

describe('formatStatus', () => {
  it('prints the supervisor, a header and one aligned line per container', () => {
    const text = formatStatus(toStatusJson(facts()), NOW);
    const lines = text.trimEnd().split('\n');
    expect(lines[0]).toBe('supervisor: pid 42, ipper 0.1.0, up 1h02m, 2 container(s), 3 client restart(s)');
    expect(lines[1]!.split(/\s{2,}/)).toEqual(['ID', 'IFACE', 'NAME', 'ADDRESS', 'MAC', 'BRIDGE', 'CLIENT', 'STATE', 'EXPIRES', 'RENEWED']);
    expect(lines[3]!.split(/\s{2,}/)).toEqual(['bbbbbbbbbbbb', 'eth0', '-', '10.0.2.101/24', '02:0a:00:02:aa:bb', 'br0', 'udhcpc/200', 'bound', 'in 59m00s', '1m00s ago']);
    // Columns start at the same offset on every line.
    expect(lines[3]!.indexOf('bound')).toBe(lines[1]!.indexOf('STATE'));
    expect(lines[2]!.indexOf('attaching')).toBe(lines[1]!.indexOf('STATE'));
    expect(lines[4]).toMatch(/NAME: the runtime gave ipper no name/);
  });

  it('says when no supervisor runs, and still lists the containers', () => {
    const text = formatStatus(toStatusJson(facts({ supervisor: { running: false, reason: 'no ipper supervisor runs on /run/ipper/supervisor.sock' } })), NOW);
    expect(text.split('\n')[0]).toBe('supervisor: not running: no ipper supervisor runs on /run/ipper/supervisor.sock: nobody renews these leases or restarts their clients; the next container start starts it again (ipper doctor)');
    expect(text).toContain('bbbbbbbbbbbb');
  });

  it('names missing bridges, unexplained leftovers and unreadable records', () => {
    const text = formatStatus(toStatusJson(facts({ supervisor: { ...running, missingBridges: ['br9'], unexplained: [{ kind: 'report' }] }, unreadable: ['/run/ipper/containers/x.json'] })), NOW);
    expect(text).toContain('  missing bridges: br9');
    expect(text).toContain('  unexplained: 1 thing(s)');
    expect(text).toContain('unreadable record: /run/ipper/containers/x.json');
  });

  it('stays one line per container at 1000 containers', () => {
    const many = Array.from({ length: 1000 }, (_, index) => record(`c${String(index).padStart(63, '0')}`));
    const lines = formatStatus(toStatusJson(facts({ records: many })), NOW).trimEnd().split('\n');
    expect(lines).toHaveLength(1 + 1 + 1000 + 1);
    expect(new Set(lines.slice(1, 1002).map((line) => line.indexOf('udhcpc/') >= 0 ? line.indexOf('udhcpc/') : line.indexOf('CLIENT')))).toEqual(new Set([lines[1]!.indexOf('CLIENT')]));
  });
});

describe('formatDuration', () => {
  it.each([
    [0, '0s'],
    [59.9, '59s'],
    [60, '1m00s'],
    [3599, '59m59s'],
    [3600, '1h00m'],
    [86_399, '23h59m'],
    [86_400, '1d00h'],
    [-5, '0s'],
  ])('%d s is %s', (seconds, expected) => {
    expect(formatDuration(seconds)).toBe(expected);
  });
});

describe('alignColumns', () => {
  it('pads all but the last column', () => {
    expect(alignColumns([['a', 'bb', 'c'], ['ccc', 'd', 'e']])).toEqual(['a    bb  c', 'ccc  d   e']);
  });
});
