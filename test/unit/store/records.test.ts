import { describe, expect, it } from 'vitest';
import { recordSchema } from '../../../src/store/records.js';
import { PROTOCOL_VERSION, requestSchemas } from '../../../src/supervisor/protocol.js';

const { attach: attachRequestSchema, detach: detachRequestSchema } = requestSchemas();

// A record as the version before dual stack wrote it: no modes, no IPv6, no resolv.conf.
const PREVIOUS = {
  version: 1,
  id: 'c1',
  hostname: 'c1',
  bridge: 'br0',
  interface: 'eth0',
  hostVeth: 'ipr0123456789ab',
  mac: '02:64:50:63:12:34',
  container: { pid: 42, startTime: 7 },
  netnsInode: 4026532000,
  phase: 'active',
  client: { pid: 43, startTime: 8, token: 't' },
  lease: { ip: '10.0.0.5', prefixLen: 24, dns: [], leaseSeconds: 120, boundAt: 'x' },
  createdAt: 'x',
};

describe('recordSchema', () => {
  it('still reads a record of the previous version', () => {
    expect(recordSchema.safeParse(PREVIOUS).success).toBe(true);
  });

  it('reads the dual-stack fields, and refuses bad ones', () => {
    const full = {
      ...PREVIOUS,
      ipv4Mode: 'off',
      ipv6Mode: 'slaac',
      ipv6: { addresses: [{ address: 'fd97::5', prefixLen: 64 }], router: 'fe80::1', readAt: 'x' },
      resolvConf: { target: { kind: 'rootfs', root: '/b/rootfs' }, nameservers: ['10.0.0.1'], search: ['a.test'], writtenAt: 'x' },
    };
    expect(recordSchema.safeParse(full).success).toBe(true);
    expect(recordSchema.safeParse({ ...full, ipv6Mode: 'dhcp' }).success).toBe(false);
    expect(recordSchema.safeParse({ ...full, resolvConf: { target: { kind: 'rootfs', root: 'relative' } } }).success).toBe(false);
    expect(recordSchema.safeParse({ ...full, resolvConf: { target: { kind: 'file', path: '/x', extra: 1 } } }).success).toBe(false);
  });
});

describe('attachRequestSchema', () => {
  const request = { v: PROTOCOL_VERSION, op: 'attach', id: 'c1', pid: 42, pidStartTime: 7, netnsInode: 4026532000, bridge: 'br0', interface: 'eth0', hostname: 'c1', leaseTimeoutMs: 1000, onLeaseTimeout: 'fail' };

  it('carries the modes, the wait, the resolv.conf target and the MAC identity, all optional', () => {
    expect(attachRequestSchema.safeParse(request).success).toBe(true);
    expect(attachRequestSchema.safeParse({ ...request, ipv4Mode: 'off', ipv6Mode: 'auto', ipv6WaitMs: 2000, resolvConf: { kind: 'file', path: '/var/lib/docker/containers/c1/resolv.conf' }, macIdentity: 'web' }).success).toBe(true);
    expect(attachRequestSchema.safeParse({ ...request, ipv6Mode: 'on' }).success).toBe(false);
    expect(attachRequestSchema.safeParse({ ...request, ipv6WaitMs: -1 }).success).toBe(false);
    expect(attachRequestSchema.safeParse({ ...request, macIdentity: '' }).success).toBe(false);
  });
});

describe('more than one interface in the protocol and the record', () => {
  const request = { v: PROTOCOL_VERSION, op: 'attach', id: 'c1', pid: 42, pidStartTime: 7, netnsInode: 4026532000, bridge: 'br1', interface: 'eth1', hostname: 'c1-eth1', leaseTimeoutMs: 1000, onLeaseTimeout: 'fail' };

  it('an attach may be for an extra interface (extra: true only)', () => {
    expect(attachRequestSchema.safeParse({ ...request, extra: true }).success).toBe(true);
    expect(attachRequestSchema.safeParse({ ...request, extra: false }).success).toBe(false);
  });

  it('a detach may force the removal of a running container\'s interfaces (force: true only)', () => {
    const detach = { v: PROTOCOL_VERSION, op: 'detach', id: 'c1' };
    expect(detachRequestSchema.safeParse(detach).success).toBe(true);
    expect(detachRequestSchema.safeParse({ ...detach, force: true }).success).toBe(true);
    expect(detachRequestSchema.safeParse({ ...detach, force: 'yes' }).success).toBe(false);
    expect(detachRequestSchema.safeParse({ ...detach, id: 'c1@eth1' }).success).toBe(false); // ids never hold "@"
  });

  it('a record of an extra interface says so; one without the field is a first interface', () => {
    expect(recordSchema.safeParse({ ...PREVIOUS, interface: 'eth1', extra: true }).success).toBe(true);
    expect(recordSchema.safeParse({ ...PREVIOUS, extra: false }).success).toBe(false);
  });
});
