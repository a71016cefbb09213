import { mkdtempSync, readdirSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { SpooledEvent } from '../../../src/dhcp/driver.js';
import type { Logger } from '../../../src/log/logger.js';
import { EventSpool } from '../../../src/supervisor/spool.js';

const environ = (...entries: string[]): string => `${entries.join('\0')}\0`;

let dir: string;
let spool: EventSpool | undefined;
const warnings: unknown[] = [];
const log = { warn: (fields: unknown) => warnings.push(fields), error: () => undefined } as unknown as Logger;

beforeEach(() => {
  dir = mkdtempSync(`${tmpdir()}/ipper-spool-`);
  warnings.length = 0;
});
afterEach(() => {
  spool?.stop();
  spool = undefined;
  rmSync(dir, { recursive: true, force: true });
});

function start(): SpooledEvent[] {
  const seen: SpooledEvent[] = [];
  spool = new EventSpool(dir, (event) => seen.push(event), log);
  spool.start(60_000);
  return seen;
}

/** An event file as ipper-helper writes it, with its mtime set (seconds) to fix the order. */
function spoolFile(name: string, token: string, mtime: number): void {
  writeFileSync(`${dir}/${name}`, environ('IPPER_CONTAINER=c1', `IPPER_TOKEN=${token}`, 'reason=BOUND'));
  utimesSync(`${dir}/${name}`, mtime, mtime);
}

describe('EventSpool', () => {
  it('reads the files already there in the order they were written, and removes them', () => {
    spoolFile('b.ev', 'second', 2000);
    spoolFile('a.ev', 'third', 3000);
    spoolFile('c.ev', 'first', 1000);
    const seen = start();
    expect(seen.map((event) => event.token)).toEqual(['first', 'second', 'third']);
    expect(seen[0]?.env.get('reason')).toBe('BOUND');
    expect(readdirSync(dir)).toEqual([]);
  });

  it('picks up a file written while it runs', async () => {
    const seen = start();
    spoolFile('late.ev', 'late', 1000);
    await vi.waitFor(() => expect(seen.map((event) => event.token)).toEqual(['late']));
    expect(readdirSync(dir)).toEqual([]);
  });

  it('leaves files that are not events alone (a helper still writing its temp file)', () => {
    writeFileSync(`${dir}/x.tmp`, environ('IPPER_CONTAINER=c1', 'IPPER_TOKEN=t'));
    expect(start()).toEqual([]);
    expect(readdirSync(dir)).toEqual(['x.tmp']);
  });

  it('drops an unreadable event with a warning, and removes it', () => {
    writeFileSync(`${dir}/bad.ev`, 'no container and no token');
    expect(start()).toEqual([]);
    expect(warnings).toEqual([{ path: `${dir}/bad.ev` }]);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('never follows a symlink planted in the spool', () => {
    const outside = mkdtempSync(`${tmpdir()}/ipper-spool-outside-`);
    try {
      writeFileSync(`${outside}/target`, environ('IPPER_CONTAINER=c1', 'IPPER_TOKEN=forged'));
      symlinkSync(`${outside}/target`, `${dir}/planted.ev`);
      expect(start()).toEqual([]);
      expect(readdirSync(dir)).toEqual([]); // the link is removed, its target kept
      expect(readdirSync(outside)).toEqual(['target']);
    } finally {
      rmSync(outside, { recursive: true, force: true });
    }
  });

  it('reads at most 256 KiB of one file', () => {
    writeFileSync(`${dir}/big.ev`, environ('IPPER_CONTAINER=c1', 'IPPER_TOKEN=t', `pad=${'x'.repeat(300 * 1024)}`, 'tail=lost'));
    const [event] = start();
    expect(event?.token).toBe('t');
    expect(event?.env.has('tail')).toBe(false);
  });
});
