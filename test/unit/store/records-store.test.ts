import { lstatSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  containerHasRecords, containersDir, fileStem, listRecords, readRecord, recordExists, recordKey, recordKeysOf, recordPath, removeOrphanTempFiles, removeRecord, setAsideRecord, writeRecord, type ContainerRecord,
} from '../../../src/store/records.js';

function record(id: string, fields: Partial<ContainerRecord> = {}): ContainerRecord {
  return {
    version: 1, id, hostname: id, bridge: 'br0', interface: 'eth0', hostVeth: 'ipr0123456789ab', mac: '02:64:50:63:12:34',
    container: { pid: 42, startTime: 7 }, netnsInode: 4026532000, phase: 'active', dhcpClient: 'udhcpc', client: null, lease: null, createdAt: 'x',
    ...fields,
  };
}

let stateDir: string;
beforeEach(() => {
  stateDir = mkdtempSync(`${tmpdir()}/ipper-records-`);
});
afterEach(() => {
  rmSync(stateDir, { recursive: true, force: true });
});

describe('the records store', () => {
  it('writes a record (private directory, private file) and reads it back', () => {
    writeRecord(stateDir, record('c1'));
    expect(readRecord(stateDir, 'c1')).toEqual(record('c1'));
    expect(lstatSync(containersDir(stateDir)).mode & 0o777).toBe(0o700);
    expect(lstatSync(recordPath(stateDir, 'c1')).mode & 0o777).toBe(0o600);
    expect(recordExists(stateDir, 'c1')).toBe(true);
  });

  it('replaces a record whole and leaves no temp file', () => {
    writeRecord(stateDir, record('c1'));
    writeRecord(stateDir, record('c1', { phase: 'attaching' }));
    expect(readRecord(stateDir, 'c1')?.phase).toBe('attaching');
    expect(readdirSync(containersDir(stateDir))).toEqual(['c1.json']);
  });

  it('removes a record, and removing one that is gone is no error', () => {
    writeRecord(stateDir, record('c1'));
    removeRecord(stateDir, 'c1');
    removeRecord(stateDir, 'c1');
    expect(readRecord(stateDir, 'c1')).toBeUndefined();
    expect(recordExists(stateDir, 'c1')).toBe(false);
  });

  it('names a long id by its hash, so the file name stays within limits', () => {
    const long = 'a'.repeat(201);
    expect(fileStem('a'.repeat(200))).toBe('a'.repeat(200));
    expect(fileStem(long)).toMatch(/^[0-9a-f]{64}$/);
    writeRecord(stateDir, record(long));
    expect(readRecord(stateDir, long)?.id).toBe(long);
  });

  it('lists readable records and names the unreadable ones, never taking them for "no record"', () => {
    writeRecord(stateDir, record('good'));
    writeFileSync(`${containersDir(stateDir)}/broken.json`, '{not json');
    writeFileSync(`${containersDir(stateDir)}/wrong.json`, JSON.stringify({ ...record('wrong'), phase: 'flying' }));
    writeFileSync(`${stateDir}/elsewhere.json`, JSON.stringify(record('planted')));
    symlinkSync(`${stateDir}/elsewhere.json`, `${containersDir(stateDir)}/planted.json`);
    writeFileSync(`${containersDir(stateDir)}/.abc.tmp`, 'half');
    const listing = listRecords(stateDir);
    expect(listing.records.map((r) => r.id)).toEqual(['good']);
    expect(listing.unreadable.sort()).toEqual(['broken.json', 'planted.json', 'wrong.json'].map((name) => `${containersDir(stateDir)}/${name}`));
    // A symlink is never followed, not even to read a valid record.
    expect(readRecord(stateDir, 'planted')).toBeUndefined();
    expect(recordExists(stateDir, 'planted')).toBe(true);
  });

  it('removes the temp files a killed writer left, and nothing else', () => {
    writeRecord(stateDir, record('c1'));
    writeRecord(stateDir, record('.hidden-id'));
    writeFileSync(`${containersDir(stateDir)}/.0123456789ab.tmp`, '{"half');
    writeFileSync(`${containersDir(stateDir)}/.abc.tmp`, 'not one of ours');
    expect(removeOrphanTempFiles(stateDir)).toBe(1);
    expect(readdirSync(containersDir(stateDir)).sort()).toEqual(['.abc.tmp', '.hidden-id.json', 'c1.json']);
    expect(removeOrphanTempFiles(`${stateDir}/none`)).toBe(0);
  });

  it('lists nothing when there is no containers directory yet', () => {
    expect(listRecords(stateDir)).toEqual({ records: [], unreadable: [] });
  });

  it('sets an unreadable record aside under a dated name, out of the next listing', () => {
    writeRecord(stateDir, record('x'));
    const path = `${containersDir(stateDir)}/broken.json`;
    writeFileSync(path, '{not json');
    const aside = setAsideRecord(path, new Date('2026-01-02T03:04:05.678Z'));
    expect(aside).toBe(`${path}.unreadable-2026-01-02T030405678Z`);
    expect(readFileSync(aside, 'utf8')).toBe('{not json');
    expect(listRecords(stateDir).unreadable).toEqual([]);
  });
});

describe('a container with more than one interface', () => {
  const eth1 = (id: string): ContainerRecord => record(id, { interface: 'eth1', extra: true, hostVeth: 'ipr0123456789ac' });

  it('keys the first interface by the id and each extra one by "<id>@<interface>"', () => {
    expect(recordKey(record('c1'))).toBe('c1');
    expect(recordKey(eth1('c1'))).toBe('c1@eth1');
  });

  it('keeps each interface in its own file and finds them all by the container id, readable or not', () => {
    writeRecord(stateDir, record('c1'));
    writeRecord(stateDir, eth1('c1'));
    writeRecord(stateDir, record('c10')); // shares a prefix, not the container
    writeFileSync(recordPath(stateDir, 'c1@eth2'), '{not json');
    expect(readdirSync(containersDir(stateDir)).sort()).toEqual(['c1.json', 'c10.json', 'c1@eth1.json', 'c1@eth2.json']);
    expect(readRecord(stateDir, 'c1@eth1')).toEqual(eth1('c1'));
    expect(recordKeysOf(stateDir, 'c1').sort()).toEqual(['c1', 'c1@eth1', 'c1@eth2']);
    expect(recordKeysOf(stateDir, 'c10')).toEqual(['c10']);
    removeRecord(stateDir, 'c1');
    expect(containerHasRecords(stateDir, 'c1')).toBe(true); // its extra interfaces are still there
    removeRecord(stateDir, 'c1@eth1');
    removeRecord(stateDir, 'c1@eth2');
    expect(containerHasRecords(stateDir, 'c1')).toBe(false);
    expect(recordKeysOf(stateDir, 'c1')).toEqual([]);
  });

  it('names a long id\'s extra interface by the id\'s hash and the interface', () => {
    const long = 'b'.repeat(300);
    writeRecord(stateDir, eth1(long));
    expect(readdirSync(containersDir(stateDir))).toEqual([`${fileStem(long)}@eth1.json`]);
    expect(recordKeysOf(stateDir, long)).toEqual([`${long}@eth1`]);
    expect(readRecord(stateDir, `${long}@eth1`)?.id).toBe(long);
  });
});
