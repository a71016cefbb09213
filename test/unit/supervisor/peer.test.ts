import { describe, expect, it } from 'vitest';
import { parsePeerCredentials } from '../../../src/supervisor/peer.js';

describe('parsePeerCredentials', () => {
  it('reads the helper\'s "pid uid gid" line', () => {
    expect(parsePeerCredentials('4242 0 0\n')).toStrictEqual({ pid: 4242, uid: 0, gid: 0 });
    expect(parsePeerCredentials('17 65534 65534')).toStrictEqual({ pid: 17, uid: 65534, gid: 65534 });
  });

  it.each(['', '\n', '1 2', '1 2 3 4', '-1 0 0', 'a b c', '1 0 0\n1 0 0\n', '12345678901 0 0'])('refuses %j', (output) => {
    expect(parsePeerCredentials(output)).toBeUndefined();
  });
});
