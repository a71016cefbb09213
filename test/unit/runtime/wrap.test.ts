import { describe, expect, it } from 'vitest';
import { injectHooks, parseRuntimeCall } from '../../../src/runtime/wrap.js';

describe('parseRuntimeCall', () => {
  it.each([
    [['create', '--bundle', '/b', 'id'], { subcommand: 'create', bundle: '/b', preserveFds: 0 }],
    [['--root', '/run/x', '--log', '/l', '--log-format', 'json', 'create', '-b', '/b2', '--pid-file', '/p', 'id'], { subcommand: 'create', bundle: '/b2', preserveFds: 0 }],
    [['--systemd-cgroup', 'create', '--bundle=/b3', '--preserve-fds', '2', 'id'], { subcommand: 'create', bundle: '/b3', preserveFds: 2 }],
    [['create', 'id'], { subcommand: 'create', bundle: '/cwd', preserveFds: 0 }],
    [['create', '--bundle', 'rel', 'id'], { subcommand: 'create', bundle: '/cwd/rel', preserveFds: 0 }],
    // "create" as the value of --root or --bundle is not the subcommand
    [['--root', 'create', 'start', 'id'], { subcommand: 'start', bundle: undefined, preserveFds: 0 }],
    [['delete', '--force', 'id'], { subcommand: 'delete', bundle: undefined, preserveFds: 0 }],
    [['--version'], { subcommand: undefined, bundle: undefined, preserveFds: 0 }],
  ])('%j', (argv, expected) => {
    expect(parseRuntimeCall(argv, '/cwd')).toEqual(expected);
  });
});

describe('injectHooks', () => {
  const noneNetwork = { linux: { namespaces: [{ type: 'pid' }, { type: 'network' }] }, process: { env: ['PATH=/bin', 'IPPER_HOSTNAME=web', 'IPPER_BRIDGE=br1'] } };

  it('adds both hooks and turns IPPER_* variables into annotations for a --network none container', () => {
    const result = injectHooks({ ...noneNetwork, hooks: { prestart: [{ path: '/other' }] }, annotations: { keep: 'me' } }, '/usr/local/bin/ipper', ['IPPER_CONFIG=/c.json']);
    expect(result).toEqual({
      changed: true,
      spec: {
        ...noneNetwork,
        hooks: {
          prestart: [{ path: '/other' }],
          createRuntime: [{ path: '/usr/local/bin/ipper', args: ['ipper', 'hook', 'createRuntime'], env: ['IPPER_CONFIG=/c.json'] }],
          poststop: [{ path: '/usr/local/bin/ipper', args: ['ipper', 'hook', 'poststop'], env: ['IPPER_CONFIG=/c.json'] }],
        },
        annotations: { keep: 'me', 'ipper.hostname': 'web', 'ipper.bridge': 'br1' },
      },
    });
  });

  it.each([
    [{ linux: { namespaces: [{ type: 'pid' }] } }, 'the container uses the host network'],
    [{ linux: { namespaces: [{ type: 'network', path: '/var/run/docker/netns/abc' }] } }, 'the container joins network namespace /var/run/docker/netns/abc: not started with --network none'],
    [{ ...noneNetwork, hooks: { createRuntime: [{ path: '/ipper' }] } }, 'ipper hooks already present'],
  ])('leaves %j untouched', (spec, reason) => {
    expect(injectHooks(spec, '/ipper', [])).toEqual({ changed: false, reason });
  });
});
