import { statSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { isContainerAlive, pidInContainer } from '../../../src/store/container-ref.js';
import { recordSchema } from '../../../src/store/records.js';
import { PROTOCOL_VERSION, requestSchemas } from '../../../src/supervisor/protocol.js';
import { containerRefOf } from '../../../src/supervisor/container-of.js';

const attachRequestSchema = requestSchemas().attach;

const ownNetns = statSync('/proc/self/ns/net').ino;

describe('a CNI attachment\'s container: its namespace path', () => {
  it.each([
    ['the path shows the recorded namespace', '/proc/self/ns/net', ownNetns, true],
    ['the path shows another namespace (a reused pid, a recreated name)', '/proc/self/ns/net', ownNetns + 1, false],
    ['the path is gone', '/run/netns/ipper-test-no-such-namespace', ownNetns, false],
  ])('%s: alive %s', (_name, netnsPath, netnsInode, alive) => {
    expect(isContainerAlive({ container: { netnsPath }, netnsInode })).toBe(alive);
  });

  it('a process container is alive by pid and start time, as before', () => {
    expect(isContainerAlive({ container: { pid: process.pid, startTime: 0 }, netnsInode: ownNetns })).toBe(false);
  });

  it('its namespace is read through its DHCP client (it has no process of its own)', () => {
    expect(pidInContainer({ container: { netnsPath: '/run/netns/x' }, client: { pid: 42, startTime: 1, token: 't' } })).toBe(42);
    expect(pidInContainer({ container: { netnsPath: '/run/netns/x' }, client: null })).toBeUndefined();
    expect(pidInContainer({ container: { pid: 7, startTime: 1 }, client: { pid: 42, startTime: 1, token: 't' } })).toBe(7);
  });
});

describe('records and attach requests name a container one way or the other', () => {
  const request = { v: PROTOCOL_VERSION, op: 'attach', id: 'c1+eth0', netnsInode: 5, bridge: 'br0', interface: 'eth0', hostname: 'c1', leaseTimeoutMs: 1000, onLeaseTimeout: 'fail' };
  it.each([
    ['pid and start time', { pid: 10, pidStartTime: 3 }, true],
    ['a namespace path', { netnsPath: '/run/netns/c1', cni: { containerId: 'c1', ifname: 'eth0', network: 'lan' } }, true],
    ['both', { pid: 10, pidStartTime: 3, netnsPath: '/run/netns/c1' }, false],
    ['neither', {}, false],
    ['a pid without its start time', { pid: 10 }, false],
    ['a relative path', { netnsPath: 'run/netns/c1' }, false],
  ])('%s: valid %s', (_name, extra, valid) => {
    expect(attachRequestSchema.safeParse({ ...request, ...extra }).success).toBe(valid);
  });

  it('containerRefOf', () => {
    expect(containerRefOf({ pid: 10, pidStartTime: 3 })).toStrictEqual({ pid: 10, startTime: 3 });
    expect(containerRefOf({ netnsPath: '/run/netns/c1' })).toStrictEqual({ netnsPath: '/run/netns/c1' });
  });

  it('a record with a namespace path and its CNI attachment parses; a record of the previous shape still does', () => {
    const record = { version: 1, id: 'c1+eth0', hostname: 'c1', bridge: 'br0', interface: 'eth0', hostVeth: 'ipr0123456789ab', mac: '02:00:00:00:00:01', netnsInode: 5, phase: 'active', client: null, lease: null, createdAt: 't' };
    expect(recordSchema.safeParse({ ...record, container: { netnsPath: '/run/netns/c1' }, cni: { containerId: 'c1', ifname: 'eth0', network: 'lan' } }).success).toBe(true);
    expect(recordSchema.safeParse({ ...record, container: { pid: 10, startTime: 3 } }).success).toBe(true);
    expect(recordSchema.safeParse({ ...record, container: { netnsPath: 'relative' } }).success).toBe(false);
  });
});
