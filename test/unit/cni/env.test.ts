import { describe, expect, it } from 'vitest';
import { attachmentId, cniHostname, parseCniArgs, parseCniEnv } from '../../../src/cni/env.js';
import { errorOf } from '../helpers/error-of.js';

const add = { CNI_COMMAND: 'ADD', CNI_CONTAINERID: 'abc123', CNI_NETNS: '/run/netns/x', CNI_IFNAME: 'eth0' };

describe('parseCniEnv', () => {
  it('reads what a runtime sets', () => {
    expect(parseCniEnv({ ...add, CNI_ARGS: 'IgnoreUnknown=1;K8S_POD_NAME=web-0;junk' })).toStrictEqual({
      command: 'ADD', containerId: 'abc123', netns: '/run/netns/x', ifname: 'eth0', args: { IgnoreUnknown: '1', K8S_POD_NAME: 'web-0' },
    });
  });

  it('DEL needs no namespace (it may be gone); GC, STATUS and VERSION need nothing, and ignore what they do not use', () => {
    expect(parseCniEnv({ CNI_COMMAND: 'DEL', CNI_CONTAINERID: 'abc', CNI_IFNAME: 'eth0', CNI_NETNS: '' }).netns).toBeUndefined();
    for (const command of ['GC', 'STATUS', 'VERSION']) expect(parseCniEnv({ CNI_COMMAND: command }).command).toBe(command);
    // libcni validates a conflist by calling VERSION with "dummy" everywhere.
    expect(parseCniEnv({ CNI_COMMAND: 'VERSION', CNI_CONTAINERID: 'dummy', CNI_NETNS: 'dummy', CNI_IFNAME: 'dummy' }).command).toBe('VERSION');
  });

  it.each([
    [{ ...add, CNI_COMMAND: 'FOO' }, 'CNI_COMMAND "FOO" is not one of ADD, DEL, CHECK, GC, STATUS, VERSION'],
    [{ ...add, CNI_NETNS: undefined }, 'CNI_NETNS is missing from the environment (required for ADD)'],
    [{ ...add, CNI_COMMAND: 'CHECK', CNI_IFNAME: '' }, 'CNI_IFNAME is missing from the environment (required for CHECK)'],
    [{ ...add, CNI_CONTAINERID: 'a/b' }, 'CNI_CONTAINERID "a/b" may hold only letters, digits and _ . - (1 to 1000)'],
    [{ ...add, CNI_CONTAINERID: 'a+b' }, 'CNI_CONTAINERID "a+b" may hold only letters, digits and _ . - (1 to 1000)'],
    [{ ...add, CNI_IFNAME: 'a-very-long-interface' }, 'CNI_IFNAME "a-very-long-interface" is not an interface name (1-15 of A-Z a-z 0-9 _ . -)'],
    [{ ...add, CNI_NETNS: 'run/netns/x' }, 'CNI_NETNS "run/netns/x" is not an absolute path'],
  ])('%j: %s', (env, message) => {
    const error = errorOf(() => parseCniEnv(env));
    expect(error).toMatchObject({ code: 'INVALID_ENVIRONMENT', message });
  });
});

describe('names', () => {
  it('an attachment is its container id and interface, joined by a character neither may hold', () => {
    expect(attachmentId('abc', 'eth0')).toBe('abc+eth0');
    expect(attachmentId('abc', 'net1')).not.toBe(attachmentId('abc', 'eth0'));
  });

  it.each([
    ['0123456789abcdef', {}, '0123456789ab'],
    ['default-web', {}, 'default-web'],
    // A name, not a generated id: whole (ctr's "<namespace>-<id>"), up to a DNS label's 63 characters.
    ['default-frontend-cache', {}, 'default-frontend-cache'],
    [`default-${'x'.repeat(60)}`, {}, `default-${'x'.repeat(55)}`],
    [`default-${'x'.repeat(54)}.y`, {}, `default-${'x'.repeat(54)}`],
    ['_x.y', {}, 'x-y'],
    ['abc', { K8S_POD_NAME: 'web-0' }, 'web-0'],
    ['abc', { K8S_POD_NAME: 'not_a_label' }, 'abc'],
  ])('hostname of %j with %j: %j', (id, args, hostname) => {
    expect(cniHostname(id, args)).toBe(hostname);
  });

  it('CNI_ARGS pairs split at the first "="', () => {
    expect(parseCniArgs('A=b=c;;=x;B=')).toStrictEqual({ A: 'b=c', B: '' });
  });
});
