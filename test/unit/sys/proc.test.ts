import { describe, expect, it } from 'vitest';
import { isAlive, parseProcStat, readStartTime } from '../../../src/sys/proc.js';

/** A 52-field /proc/<pid>/stat line; field 22 (starttime) is `startTime`. */
function statLine(pid: number, comm: string, state: string, startTime: number): string {
  const fields = [String(pid), `(${comm})`, state];
  for (let n = 4; n <= 52; n++) fields.push(n === 22 ? String(startTime) : String(n * 10));
  return `${fields.join(' ')}\n`;
}

describe('parseProcStat', () => {
  it('builds 52-field lines', () => {
    expect(statLine(1, 'x', 'S', 5).trim().split(' ')).toHaveLength(52);
  });

  it.each([
    ['a plain comm', statLine(123, 'udhcpc', 'S', 987654), { state: 'S', startTime: 987654 }],
    ['a comm with spaces and ")"', statLine(123, 'a) b', 'R', 42), { state: 'R', startTime: 42 }],
    ['a comm that looks like fields', statLine(7, ') Z 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22', 'S', 555), { state: 'S', startTime: 555 }],
    ['a zombie', statLine(9, 'sh', 'Z', 77), { state: 'Z', startTime: 77 }],
    ['a start time beyond 32 bits', statLine(9, 'sh', 'S', 2 ** 40), { state: 'S', startTime: 2 ** 40 }],
  ])('reads %s', (_name, text, expected) => {
    expect(parseProcStat(text)).toStrictEqual(expected);
  });

  it.each([
    ['empty', ''],
    ['no comm', '123 udhcpc S 1 2 3'],
    ['cut short', '123 (udhcpc) S 1 2 3'],
    ['a non-numeric start time', statLine(1, 'x', 'S', 0).replace(' 0 ', ' abc ')],
  ])('gives undefined for %s', (_name, text) => {
    expect(parseProcStat(text)).toBeUndefined();
  });
});

describe('readStartTime / isAlive', () => {
  it('reads this process', () => {
    const startTime = readStartTime(process.pid);
    expect(typeof startTime).toBe('number');
    expect(Number.isSafeInteger(startTime)).toBe(true);
    expect(isAlive({ pid: process.pid, startTime: startTime ?? -1 })).toBe(true);
  });

  it('is not alive with another start time', () => {
    const startTime = readStartTime(process.pid) ?? 0;
    expect(isAlive({ pid: process.pid, startTime: startTime + 1 })).toBe(false);
  });

  it('has no start time for a pid that cannot exist', () => {
    expect(readStartTime(2 ** 30)).toBeUndefined();
    expect(isAlive({ pid: 2 ** 30, startTime: 0 })).toBe(false);
  });
});
