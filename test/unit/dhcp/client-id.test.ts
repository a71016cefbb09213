import { describe, expect, it } from 'vitest';
import { compactHex, deriveClientIdentity } from '../../../src/dhcp/client-id.js';
import { resolveClientId } from '../../../src/config/annotations.js';

const CONTAINER = { id: 'a'.repeat(64), hostname: 'web', mac: '02:0A:61:5B:12:34' };

describe('deriveClientIdentity', () => {
  it('container-id: a DUID-UUID and IAID from a hash of the id, and the RFC 4361 client id made of them; the same every time', () => {
    const identity = deriveClientIdentity({ from: 'container-id' }, CONTAINER);
    expect(identity.duid).toMatch(/^00:04(:[0-9a-f]{2}){16}$/);
    const iaidHex = identity.iaid!.toString(16).padStart(8, '0').match(/../g)!.join(':');
    expect(identity.clientId).toBe(`ff:${iaidHex}:${identity.duid}`);
    expect(deriveClientIdentity({ from: 'container-id' }, { ...CONTAINER, mac: '02:0a:61:5b:99:99', hostname: 'other' })).toStrictEqual(identity);
    expect(deriveClientIdentity({ from: 'container-id' }, { ...CONTAINER, id: 'b'.repeat(64) }).duid).not.toBe(identity.duid);
  });

  it('hostname: follows the hostname, not the id', () => {
    const identity = deriveClientIdentity({ from: 'hostname' }, CONTAINER);
    expect(deriveClientIdentity({ from: 'hostname' }, { ...CONTAINER, id: 'c1' })).toStrictEqual(identity);
    expect(identity).not.toStrictEqual(deriveClientIdentity({ from: 'container-id' }, CONTAINER));
  });

  it('mac: the classic 01:<mac>, a DUID-LL, the IAID of the last four octets', () => {
    expect(deriveClientIdentity({ from: 'mac' }, CONTAINER)).toStrictEqual({ clientId: '01:02:0a:61:5b:12:34', duid: '00:03:00:01:02:0a:61:5b:12:34', iaid: 0x615b1234 });
  });

  it('none: nothing of ipper\'s', () => {
    expect(deriveClientIdentity({ from: 'none' }, CONTAINER)).toStrictEqual({});
  });

  it('explicit: hex bytes are sent as they are; any other value is hashed like an id', () => {
    expect(deriveClientIdentity({ from: 'explicit', value: '01:AA:bb:cc' }, CONTAINER).clientId).toBe('01:aa:bb:cc');
    const named = deriveClientIdentity({ from: 'explicit', value: 'web-primary' }, CONTAINER);
    expect(named.clientId).toMatch(/^ff:/);
    expect(deriveClientIdentity({ from: 'explicit', value: 'web-primary' }, { ...CONTAINER, id: 'x' })).toStrictEqual(named);
  });

  it('compactHex', () => {
    expect(compactHex('ff:00:0a')).toBe('ff000a');
  });
});

describe('resolveClientId (config clientId, annotation ipper.clientId)', () => {
  it('the config\'s source unless the annotation gives a value', () => {
    expect(resolveClientId({ clientId: 'container-id' })).toStrictEqual({ from: 'container-id' });
    expect(resolveClientId({ clientId: 'mac' }, { 'ipper.clientId': 'db-1' })).toStrictEqual({ from: 'explicit', value: 'db-1' });
  });

  it.each([
    ['', 'annotation ipper.clientId: must not be empty'],
    ['a b', 'annotation ipper.clientId: must be printable ASCII without spaces or quotes'],
    ['x"; script', 'annotation ipper.clientId: must be printable ASCII without spaces or quotes'],
    ['x'.repeat(129), 'annotation ipper.clientId: must be at most 128 characters'],
  ])('refuses %j with a message naming the annotation', (value, message) => {
    expect(() => resolveClientId({ clientId: 'container-id' }, { 'ipper.clientId': value })).toThrow(message);
  });
});
