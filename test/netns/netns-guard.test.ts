// The host guard on every path into a container's namespace: entered only through a descriptor
// whose namespace is the recorded one and not our own, never by a pid looked up again.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { openContainerNetns } from '../../src/net/netns.js';
import { isPidAlive } from '../helpers/host.js';
import { errorOf } from '../unit/helpers/error-of.js';

let container: ReturnType<typeof spawn>;
let inode: number;

beforeAll(async () => {
  // A throwaway namespace with one veth pair, held by a sleeping process: the "container".
  container = spawn('/usr/bin/unshare', ['--net', '/bin/sleep', '600'], { stdio: 'ignore' });
  await vi.waitFor(() => expect(spawnSync('/bin/cat', [`/proc/${container.pid}/comm`], { encoding: 'utf8' }).stdout.trim()).toBe('sleep'));
  inode = statSync(`/proc/${container.pid}/ns/net`).ino;
  spawnSync('/usr/bin/nsenter', [`--net=/proc/${container.pid}/ns/net`, '--', '/usr/sbin/ip', 'link', 'add', 'guard0', 'type', 'veth', 'peer', 'name', 'guard1']);
});

afterAll(() => {
  if (isPidAlive(container.pid!)) container.kill('SIGKILL');
});

describe('openContainerNetns', () => {
  it('refuses our own namespace, whatever inode was recorded', () => {
    const own = statSync('/proc/self/ns/net').ino;
    expect(errorOf(() => openContainerNetns(process.pid, own))).toMatchObject({ code: 'HOST_NAMESPACE' });
  });

  it('refuses a pid whose namespace is not the recorded one (a pid reused by another process)', () => {
    expect(errorOf(() => openContainerNetns(container.pid!, inode + 1))).toMatchObject({ code: 'NETNS_NOT_FOUND' });
    expect(errorOf(() => openContainerNetns(process.pid, inode))).toMatchObject({ code: 'HOST_NAMESPACE' });
  });

  it('enters the recorded namespace through its own descriptor, even after the pid is gone', async () => {
    const netns = openContainerNetns(container.pid!, inode);
    try {
      container.kill('SIGKILL');
      await expect.poll(() => isPidAlive(container.pid!)).toBe(false);
      const links = spawnSync('/usr/bin/nsenter', [`--net=${netns.path}`, '--', '/usr/sbin/ip', '-br', 'link'], { encoding: 'utf8' }).stdout;
      expect(links).toMatch(/^guard0@guard1\s/m);
    } finally {
      netns.close();
    }
    expect(existsSync(netns.path)).toBe(false);
  });
});
