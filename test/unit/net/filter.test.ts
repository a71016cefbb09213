import { describe, expect, it } from 'vitest';
import { addPortScript, bindAddressScript, bridgeFilterTable, forgetPortScript, rebuildScript } from '../../../src/net/filter.js';

const TABLE = bridgeFilterTable('0123abcd');

describe('the bridge filter scripts', () => {
  it('names the table by the instance', () => {
    expect(TABLE).toBe('ipper_0123abcd');
  });

  it('rebuild: the old table goes in the same transaction, every known port comes back with its address', () => {
    const script = rebuildScript(TABLE, [{ hostVeth: 'ipr1', mac: '02:aa:bb:cc:dd:ee', ip: '10.0.0.5' }, { hostVeth: 'ipr2', mac: '02:00:00:00:00:01' }]);
    const lines = script.split('\n');
    expect(lines.slice(0, 3)).toEqual(['add table bridge ipper_0123abcd', 'delete table bridge ipper_0123abcd', 'table bridge ipper_0123abcd {']);
    expect(script).toContain('iifname @ports jump from_container');
    expect(script).not.toContain('ipr*'); // never another instance's ports
    expect(script).toContain('add element bridge ipper_0123abcd chaddrs { ipr1 . 0x02aabbccddee }');
    expect(script).toContain('add element bridge ipper_0123abcd addrs { ipr1 . 10.0.0.5 }');
    expect(script).toContain('add element bridge ipper_0123abcd bound { ipr1 }');
    expect(script).toContain('add element bridge ipper_0123abcd macs { ipr2 . 02:00:00:00:00:01 }');
    expect(script).not.toContain('bound { ipr2 }'); // unbound
  });

  it('a new port: three elements in one transaction, no delete (each costs an RCU grace period)', () => {
    expect(addPortScript(TABLE, { hostVeth: 'ipr3', mac: '02:00:00:00:00:03' }).trim().split('\n')).toEqual([
      'add element bridge ipper_0123abcd ports { ipr3 }',
      'add element bridge ipper_0123abcd macs { ipr3 . 02:00:00:00:00:03 }',
      'add element bridge ipper_0123abcd chaddrs { ipr3 . 0x020000000003 }',
    ]);
  });

  it('a new address replaces the previous one in one transaction', () => {
    expect(bindAddressScript(TABLE, 'ipr1', '10.0.0.9', '10.0.0.5').trim().split('\n')).toEqual([
      'add element bridge ipper_0123abcd addrs { ipr1 . 10.0.0.5 }',
      'delete element bridge ipper_0123abcd addrs { ipr1 . 10.0.0.5 }',
      'add element bridge ipper_0123abcd addrs { ipr1 . 10.0.0.9 }',
      'add element bridge ipper_0123abcd bound { ipr1 }',
    ]);
    expect(bindAddressScript(TABLE, 'ipr1', '10.0.0.9', undefined)).not.toContain('delete');
  });

  it('forgetting removes every element, present or not (add first, so the delete cannot fail)', () => {
    const lines = forgetPortScript(TABLE, { hostVeth: 'ipr1', mac: '02:aa:bb:cc:dd:ee', ip: '10.0.0.5' }).trim().split('\n');
    for (const set of ['ports { ipr1 }', 'macs { ipr1 . 02:aa:bb:cc:dd:ee }', 'chaddrs { ipr1 . 0x02aabbccddee }', 'bound { ipr1 }', 'addrs { ipr1 . 10.0.0.5 }']) {
      const add = lines.indexOf(`add element bridge ipper_0123abcd ${set}`);
      expect(add).toBeGreaterThanOrEqual(0);
      expect(lines[add + 1]).toBe(`delete element bridge ipper_0123abcd ${set}`);
    }
  });
});
