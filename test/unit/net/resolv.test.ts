import { describe, expect, it } from 'vitest';
import { resolvConfText, resolvContent, resolvTargetFromBundle } from '../../../src/net/resolv.js';

const ID = '3f9a1c2b7d4e5f60718293a4b5c6d7e8';

describe('resolvContent / resolvConfText', () => {
  it('writes the servers and the search list', () => {
    const content = resolvContent({ dns: ['10.0.0.1', '10.0.0.2'], search: ['lab.test', 'b.test.'] });
    expect(content).toEqual({ nameservers: ['10.0.0.1', '10.0.0.2'], search: ['lab.test', 'b.test'] });
    expect(resolvConfText(content)).toBe('# written by ipper from the DHCP lease\nnameserver 10.0.0.1\nnameserver 10.0.0.2\nsearch lab.test b.test\n');
  });

  it('uses the domain when there is no search list', () => {
    expect(resolvContent({ dns: ['10.0.0.1'], domain: 'lab.test' })).toEqual({ nameservers: ['10.0.0.1'], search: ['lab.test'] });
    expect(resolvContent({ dns: ['10.0.0.1'], search: [], domain: 'lab.test' }).search).toEqual(['lab.test']);
  });

  it('keeps only valid values, without duplicates, at most 3 servers and 6 domains', () => {
    const content = resolvContent({
      dns: ['10.0.0.1', '10.0.0.1', '0.1.2.3', '224.0.0.1', '300.1.1.1', '10.0.0.1\nnameserver 6.6.6.6', '10.0.0.2', '10.0.0.3', '10.0.0.4'],
      search: ['a.test', 'bad name', 'x\noptions ndots:15', 'b.test', 'c.test', 'd.test', 'e.test', 'f.test', 'g.test', '-bad.test'],
    });
    expect(content).toEqual({ nameservers: ['10.0.0.1', '10.0.0.2', '10.0.0.3'], search: ['a.test', 'b.test', 'c.test', 'd.test', 'e.test', 'f.test'] });
    expect(resolvConfText(content)!.split('\n')).toHaveLength(6);
  });

  it('adds DHCPv6\'s name servers after the IPv4 lease\'s (valid global ones, 3 in all), and takes its search list when the IPv4 lease has none', () => {
    expect(resolvContent({ dns: ['10.0.0.1', '10.0.0.2'], search: ['v4.test'] }, { dns: ['fd00::1', 'fe80::1', 'ff02::1', 'fd00::2', 'fd00::1\nnameserver 6.6.6.6'], search: ['v6.test'] }))
      .toEqual({ nameservers: ['10.0.0.1', '10.0.0.2', 'fd00::1'], search: ['v4.test'] });
    expect(resolvContent(null, { dns: ['fd00::1'], search: ['v6.test', 'bad name'] })).toEqual({ nameservers: ['fd00::1'], search: ['v6.test'] });
  });

  it('says nothing without a valid server', () => {
    expect(resolvConfText(resolvContent({ dns: ['0.0.0.0'], search: ['a.test'] }))).toBeUndefined();
  });
});

describe('resolvTargetFromBundle', () => {
  it('runc: the root filesystem, relative to the bundle or absolute', () => {
    expect(resolvTargetFromBundle('/b/x', { root: { path: 'rootfs' } }, ID)).toEqual({ kind: 'rootfs', root: '/b/x/rootfs' });
    expect(resolvTargetFromBundle('/b/x', { root: { path: '/srv/root/../rootfs' } }, ID)).toEqual({ kind: 'rootfs', root: '/srv/rootfs' });
  });

  it('Podman and Docker: the per-container file bind-mounted over /etc/resolv.conf (the last such mount)', () => {
    const podman = `/var/lib/containers/storage/overlay-containers/${ID}/userdata/resolv.conf`;
    expect(resolvTargetFromBundle('/b', { root: { path: '/merged' }, mounts: [{ destination: '/etc/resolv.conf', source: '/x' }, { destination: '/etc/resolv.conf', source: podman, type: 'bind' }] }, ID)).toEqual({ kind: 'file', path: podman });
    expect(resolvTargetFromBundle('/b', { mounts: [{ destination: '/etc/resolv.conf', source: `/var/lib/docker/containers/${ID}/resolv.conf` }] }, ID)).toEqual({ kind: 'file', path: `/var/lib/docker/containers/${ID}/resolv.conf` });
  });

  it('refuses a bind mount that is not the container\'s own file (the host\'s resolv.conf, a relative path), and a root of "/"', () => {
    expect(resolvTargetFromBundle('/b', { root: { path: 'rootfs' }, mounts: [{ destination: '/etc/resolv.conf', source: '/etc/resolv.conf' }] }, ID)).toBeUndefined();
    expect(resolvTargetFromBundle('/b', { mounts: [{ destination: '/etc/resolv.conf', source: `/etc/${ID}/resolv.conf` }] }, ID)).toBeUndefined();
    expect(resolvTargetFromBundle('/b', { mounts: [{ destination: '/etc/resolv.conf', source: `/srv/${ID}x/resolv.conf` }] }, ID)).toBeUndefined();
    expect(resolvTargetFromBundle('/b', { mounts: [{ destination: '/etc/resolv.conf', source: `relative/${ID}/r` }] }, ID)).toBeUndefined();
    expect(resolvTargetFromBundle('/b', { mounts: [{ destination: '/etc/resolv.conf', source: `/srv/../etc/${ID}/../resolv.conf` }] }, ID)).toBeUndefined();
    expect(resolvTargetFromBundle('/b', { root: { path: '/' } }, ID)).toBeUndefined();
    expect(resolvTargetFromBundle('/', { root: { path: '.' } }, ID)).toBeUndefined();
    expect(resolvTargetFromBundle('/b', {}, ID)).toBeUndefined();
  });
});
