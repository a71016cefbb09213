import { describe, expect, it } from 'vitest';
import { cniPluginLinks, isOwnPluginLink } from '../../../src/cli/install.js';

describe('the CNI plugin in the install plan', () => {
  it('links named ipper in /opt/cni/bin and /usr/lib/cni, to the binary', () => {
    expect(cniPluginLinks('')).toStrictEqual([
      { path: '/opt/cni/bin/ipper', target: '/usr/local/bin/ipper' },
      { path: '/usr/lib/cni/ipper', target: '/usr/local/bin/ipper' },
    ]);
  });

  it('under --root, the links go under it and point at the binary as the installed system sees it', () => {
    expect(cniPluginLinks('/tmp/scratch')).toStrictEqual([
      { path: '/tmp/scratch/opt/cni/bin/ipper', target: '/usr/local/bin/ipper' },
      { path: '/tmp/scratch/usr/lib/cni/ipper', target: '/usr/local/bin/ipper' },
    ]);
  });

  it.each([
    ['/usr/local/bin/ipper', true],
    ['/usr/bin/ipper', true],
    ['/opt/other/ipper', false],
    ['ipper', false],
    [undefined, false],
  ])('a link to %j is ipper\'s to remove: %s', (target, own) => {
    expect(isOwnPluginLink(target)).toBe(own);
  });
});
