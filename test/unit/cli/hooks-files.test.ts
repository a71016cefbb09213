import { describe, expect, it } from 'vitest';
import { isIpperEntry, planHooksFiles } from '../../../src/cli/hooks-files.js';

const USR = '/usr/share/containers/oci/hooks.d';
const ETC = '/etc/containers/oci/hooks.d';

describe('planHooksFiles', () => {
  it.each([
    // Podman's own default; the old /etc copy would mask it where both are read
    [undefined, { write: [USR], clean: [ETC] }],
    [[], { write: [USR], clean: [ETC] }],
    // the operator's hooks_dir: the last listed directory wins, the others hold no copy of ours
    [['/opt/hooks'], { write: [USR, '/opt/hooks'], clean: [ETC] }],
    [[ETC], { write: [USR, ETC], clean: [] }],
    [[USR, ETC], { write: [USR, ETC], clean: [] }],
    [[ETC, USR], { write: [USR], clean: [ETC] }],
    [['/a', '/b'], { write: [USR, '/b'], clean: [ETC, '/a'] }],
  ])('hooks_dir %j: %j', (configured, expected) => {
    expect(planHooksFiles(configured)).toStrictEqual(expected);
  });
});

describe('isIpperEntry', () => {
  const entry = { version: '1.0.0', hook: { path: '/usr/local/bin/ipper' } };
  it.each([
    ['{"hook": {"path": "/usr/local/bin/ipper"}, "version": "1.0.0"}', true],
    ['{"version": "1.0.0", "hook": {"path": "/usr/local/bin/ipper", "env": ["A=1"]}}', false],
    ['{"version": "1.0.0"', false],
    ['', false],
  ])('%j: %s', (text, expected) => {
    expect(isIpperEntry(text, entry)).toBe(expected);
  });
});
