import { describe, expect, it } from 'vitest';
import { deriveMac, generateMac, generateUniqueMac, isValidMacSyntax, macOctets, macProblem, normalizeMac } from '../../../src/net/mac.js';

const HOST = '10.100.80.99';

describe('generateMac / generateUniqueMac', () => {
  it('gives 10 000 unique, unicast, locally administered MACs that carry the host octets 64:50:63', () => {
    const taken = new Set<string>();
    for (let i = 0; i < 10_000; i++) {
      const mac = generateUniqueMac(HOST, taken);
      expect(mac).toBeDefined();
      if (mac === undefined) return;
      expect(isValidMacSyntax(mac)).toBe(true);
      const octets = macOctets(mac);
      expect((octets[0] ?? 0) & 0b11).toBe(0b10);
      expect(mac.slice(3, 11)).toBe('64:50:63');
      expect(macProblem(mac)).toBeUndefined();
      expect(taken.has(mac)).toBe(false);
      taken.add(mac);
    }
    expect(taken.size).toBe(10_000);
  });

  it('keeps the scheme for 10 000 plain generateMac calls', () => {
    for (let i = 0; i < 10_000; i++) {
      const mac = generateMac(HOST);
      expect(mac).toMatch(/^[0-9a-f][26ae]:64:50:63:[0-9a-f]{2}:[0-9a-f]{2}$/);
    }
  });

  it.each([
    [[0x00, 0x00, 0x00], '02:64:50:63:00:00'],
    [[0xff, 0xff, 0xff], 'fe:64:50:63:ff:ff'],
    [[0x01, 0xab, 0x0c], '02:64:50:63:ab:0c'],
    [[0x53, 0x12, 0x34], '52:64:50:63:12:34'],
  ])('maps random bytes %j to %s', (bytes, expected) => {
    expect(generateMac(HOST, () => Uint8Array.from(bytes))).toBe(expected);
  });

  it('returns undefined when a deterministic random only ever gives a taken MAC', () => {
    let calls = 0;
    const random = (count: number): Uint8Array => {
      calls++;
      return new Uint8Array(count).fill(0x42);
    };
    expect(generateUniqueMac(HOST, new Set(), random)).toBe('42:64:50:63:42:42');
    calls = 0;
    expect(generateUniqueMac(HOST, new Set(['42:64:50:63:42:42']), random)).toBeUndefined();
    expect(calls).toBe(1000);
  });
});

describe('macProblem', () => {
  it.each([
    ['01:00:5e:00:00:01', 'is a multicast address (lowest bit of the first octet set)'],
    ['33:33:00:00:00:01', 'is a multicast address (lowest bit of the first octet set)'],
    ['00:00:00:00:00:00', 'is all zeros'],
    ['ff:ff:ff:ff:ff:ff', 'is the broadcast address'],
    ['', 'is not a MAC address (expected six hex octets, aa:bb:cc:dd:ee:ff)'],
    ['garbage', 'is not a MAC address (expected six hex octets, aa:bb:cc:dd:ee:ff)'],
    ['02:00:00:00:00', 'is not a MAC address (expected six hex octets, aa:bb:cc:dd:ee:ff)'],
    ['02:00:00:00:00:00:00', 'is not a MAC address (expected six hex octets, aa:bb:cc:dd:ee:ff)'],
    ['02:00:00:00:00:0g', 'is not a MAC address (expected six hex octets, aa:bb:cc:dd:ee:ff)'],
    ['02-00-00-00-00-01', 'is not a MAC address (expected six hex octets, aa:bb:cc:dd:ee:ff)'],
    ['02:00:00:00:00:0A', 'is not a MAC address (expected six hex octets, aa:bb:cc:dd:ee:ff)'],
    ['2:0:0:0:0:1', 'is not a MAC address (expected six hex octets, aa:bb:cc:dd:ee:ff)'],
  ])('%j %s', (mac, message) => {
    expect(macProblem(mac)).toBe(message);
  });

  it.each(['02:64:50:63:12:34', '00:16:3e:00:00:01', 'fe:ff:ff:ff:ff:ff', '52:54:00:ab:cd:ef'])('%s is acceptable', (mac) => {
    expect(macProblem(mac)).toBeUndefined();
  });
});

describe('normalizeMac', () => {
  it.each([
    ['AA:BB:CC:DD:EE:FF', 'aa:bb:cc:dd:ee:ff'],
    ['02-00-5E-10-00-01', '02:00:5e:10:00:01'],
    ['  02:00:00:00:00:01\n', '02:00:00:00:00:01'],
    ['02:00:00:00:00:01', '02:00:00:00:00:01'],
  ])('%j → %s', (input, expected) => {
    expect(normalizeMac(input)).toBe(expected);
  });
});

describe('deriveMac (macFrom identity)', () => {
  it('keeps the scheme for 5 000 identities, gives one identity always the same MAC, and different ones different MACs', () => {
    const seen = new Map<string, string>();
    for (let i = 0; i < 5000; i++) {
      const identity = `container-${i}-${'x'.repeat(i % 70)}`;
      const mac = deriveMac(HOST, identity);
      expect(mac).toMatch(/^[0-9a-f][26ae]:64:50:63:[0-9a-f]{2}:[0-9a-f]{2}$/);
      expect(macProblem(mac)).toBeUndefined();
      expect(deriveMac(HOST, identity)).toBe(mac);
      seen.set(mac, identity);
    }
    // 22 free bits: among 5 000 identities a handful of collisions at most (birthday bound ~3).
    expect(seen.size).toBeGreaterThan(4980);
  });

  it('changes with the host octets and with the identity, never with the call', () => {
    expect(deriveMac(HOST, 'web')).not.toBe(deriveMac('10.100.81.99', 'web'));
    expect(deriveMac(HOST, 'web').slice(2)).not.toBe(deriveMac(HOST, 'web2').slice(2));
    expect(deriveMac('10.1.2.3', 'web').slice(3, 11)).toBe('01:02:03');
  });
});
