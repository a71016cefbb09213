import { describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { DNS_LABEL, defaultHostname, extraInterfaceHostname, hostVethName, instanceId, isValidInterfaceName, nthInterface, shortId } from '../../../src/net/names.js';

const IDS = [
  'abc',
  'web-1',
  'web-2',
  'a'.repeat(1024),
  '3f9a1c2b7d4e5f60718293a4b5c6d7e8f90112233445566778899aabbccddeeff',
  'my_container_1',
  'a+b+c',
  'x.y.z',
  '-leading',
  '---',
  '___',
  '.hidden',
  '_a',
  'a_',
  'A',
];

describe('hostVethName', () => {
  it.each(IDS)('%s → ipr + 12 hex, a valid interface name', (id) => {
    const name = hostVethName(id);
    expect(name).toMatch(/^ipr[0-9a-f]{12}$/);
    expect(name.length).toBe(15);
    expect(isValidInterfaceName(name)).toBe(true);
    expect(hostVethName(id)).toBe(name);
  });

  it('is sha256-based and pinned for "abc"', () => {
    // sha256("abc") = ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad
    expect(hostVethName('abc')).toBe('iprba7816bf8f01');
  });

  it('differs for ids sharing a long prefix', () => {
    const prefix = 'x'.repeat(200);
    expect(hostVethName('web-1')).not.toBe(hostVethName('web-2'));
    expect(hostVethName(`${prefix}1`)).not.toBe(hostVethName(`${prefix}2`));
    expect(new Set(IDS.map(hostVethName)).size).toBe(IDS.length);
  });
});

describe('shortId', () => {
  it.each([
    ['3f9a1c2b7d4e5f60718293a4', '3f9a1c2b7d4e'],
    ['abc', 'abc'],
    ['123456789012', '123456789012'],
    ['1234567890123', '123456789012'],
  ])('%s → %s', (id, expected) => {
    expect(shortId(id)).toBe(expected);
  });
});

describe('defaultHostname', () => {
  it.each([
    ['3f9a1c2b7d4e5f60718293a4', '3f9a1c2b7d4e'],
    ['web-1', 'web-1'],
    ['my_container_1', 'my-container'],
    ['a+b+c', 'a-b-c'],
    ['x.y.z', 'x-y-z'],
    ['-leading', 'leading'],
    ['---', 'container'],
    ['___', 'container'],
    ['.hidden', 'hidden'],
    ['abcdefghijk_', 'abcdefghijk'],
    ['abcdefghijk_zzz', 'abcdefghijk'],
  ])('%s → %s', (id, expected) => {
    expect(defaultHostname(id)).toBe(expected);
  });

  it.each(IDS)('%s gives a DNS label', (id) => {
    expect(defaultHostname(id)).toMatch(DNS_LABEL);
  });

  it('gives a DNS label for every id over the runc alphabet', () => {
    const alphabet = 'aZ9_+.-';
    for (let n = 0; n < 7 ** 5; n++) {
      let id = '';
      for (let k = n, i = 0; i < 5; i++, k = Math.floor(k / 7)) id += alphabet[k % 7];
      expect(DNS_LABEL.test(defaultHostname(id)), id).toBe(true);
    }
  });
});

describe('isValidInterfaceName', () => {
  it.each([
    ['eth0', true],
    ['br0', true],
    ['a', true],
    ['x'.repeat(15), true],
    ['br-lan.10', true],
    ['my_br', true],
    ['x'.repeat(16), false],
    ['', false],
    ['.', false],
    ['..', false],
    ['a/b', false],
    ['a b', false],
    ['a;b', false],
    ['$(x)', false],
    ['a\nb', false],
    ['eth0\n', false],
    ['a:b', false],
  ])('%j → %s', (name, expected) => {
    expect(isValidInterfaceName(name)).toBe(expected);
  });
});

describe('instanceId', () => {
  it.each(['/run/ipper', '/tmp/ipper-a/state', '/', '/a b/c'])('%s → 8 hex digits, stable', (stateDir) => {
    expect(instanceId(stateDir)).toMatch(/^[0-9a-f]{8}$/);
    expect(instanceId(stateDir)).toBe(instanceId(stateDir));
  });

  it('is sha256 of the state dir', () => {
    expect(instanceId('/run/ipper')).toBe(createHash('sha256').update('/run/ipper').digest('hex').slice(0, 8));
  });

  it('names one directory however it is spelled, and two directories apart', () => {
    expect(instanceId('/run/ipper/')).toBe(instanceId('/run/ipper'));
    expect(instanceId('/run//ipper')).toBe(instanceId('/run/ipper'));
    expect(instanceId('/run/ipper2')).not.toBe(instanceId('/run/ipper'));
  });
});

describe('nthInterface', () => {
  it.each([
    ['eth0', 0, 'eth0'],
    ['eth0', 1, 'eth1'],
    ['eth0', 7, 'eth7'],
    ['eth9', 1, 'eth10'],
    ['lan', 1, 'lan1'],
    ['net.1', 2, 'net.3'],
    ['abcdefghijklmn0', 10, undefined], // 16 bytes: no valid name
  ] as const)('%s, %i → %s', (first, index, name) => {
    expect(nthInterface(first, index)).toBe(name);
  });
});

describe('extraInterfaceHostname', () => {
  it.each([
    ['web', 'eth1', 'web-eth1'],
    ['3f9a1c2b7d4e', 'eth1', '3f9a1c2b7d4e-eth1'],
    ['web', 'net_1.2', 'web-net-1-2'],
    ['a'.repeat(63), 'eth1', `${'a'.repeat(58)}-eth1`],
    [`${'a'.repeat(57)}-bcde`, 'eth1', `${'a'.repeat(57)}-eth1`],
  ])('%s on %s → %s (a DNS label)', (hostname, iface, expected) => {
    const name = extraInterfaceHostname(hostname, iface);
    expect(name).toBe(expected);
    expect(name).toMatch(DNS_LABEL);
  });
});
