// The container's /etc/resolv.conf: which file the runtime gives it, and what goes in it. Pure.
import { isIPv6 } from 'node:net';
import { isAbsolute, posix } from 'node:path';
import * as z from '../config/zod.js';

/** glibc's resolver reads at most 3 name servers and (long) 6 search domains. */
export const RESOLV_MAX_SERVERS = 3;
export const RESOLV_MAX_SEARCH = 6;

/**
 * Where the container's resolv.conf lives on the host:
 * - rootfs: `/etc/resolv.conf` inside the root filesystem (runc), resolved as a chroot would;
 * - file: a per-container file the runtime bind-mounts over /etc/resolv.conf (Podman, Docker).
 */
export const resolvTargetSchema = z.union([
  z.strictObject({ kind: z.literal('rootfs'), root: z.string().check(z.regex(/^\/[^\0]*$/)) }),
  z.strictObject({ kind: z.literal('file'), path: z.string().check(z.regex(/^\/[^\0]*$/)) }),
]);
export type ResolvTarget = z.infer<typeof resolvTargetSchema>;

/** What ipper wrote last (inspect reports it), or why it could not. */
export const resolvStateSchema = z.object({
  target: resolvTargetSchema,
  nameservers: z.optional(z.array(z.string()).check(z.maxLength(RESOLV_MAX_SERVERS))),
  search: z.optional(z.array(z.string()).check(z.maxLength(RESOLV_MAX_SEARCH))),
  writtenAt: z.optional(z.string()),
  error: z.optional(z.string()),
});
export type ResolvState = z.infer<typeof resolvStateSchema>;

interface BundleSpec {
  root?: { path?: unknown };
  mounts?: { destination?: unknown; source?: unknown; type?: unknown; options?: unknown }[];
}

/**
 * The resolv.conf target named by a bundle's config.json (the runtime wrote it: trusted as to
 * where, never as to what the image put there). A bind mount over /etc/resolv.conf wins, but only
 * a per-container one: its host path must name the container's id (Podman's
 * .../overlay-containers/<id>/userdata/resolv.conf, Docker's .../containers/<id>/resolv.conf),
 * so that `-v /etc/resolv.conf:/etc/resolv.conf` can never make ipper write the host's own file.
 * Undefined: nothing ipper may write.
 */
export function resolvTargetFromBundle(bundle: string, spec: BundleSpec, containerId: string): ResolvTarget | undefined {
  const mounts = Array.isArray(spec.mounts) ? spec.mounts : [];
  const mount = mounts.filter((entry) => typeof entry === 'object' && entry !== null && entry.destination === '/etc/resolv.conf').at(-1);
  if (mount !== undefined) {
    const source = mount.source;
    if (typeof source !== 'string' || !isAbsolute(source)) return undefined;
    const normal = posix.normalize(source);
    const perContainer = normal.split('/').includes(containerId) && !normal.startsWith('/etc/');
    return perContainer ? { kind: 'file', path: normal } : undefined;
  }
  const rootPath = spec.root?.path;
  if (typeof rootPath !== 'string' || rootPath === '') return undefined;
  const root = posix.normalize(isAbsolute(rootPath) ? rootPath : `${bundle}/${rootPath}`);
  if (root === '/') return undefined; // a container sharing the host's root: its resolv.conf is the host's
  return { kind: 'rootfs', root };
}

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
const DOMAIN = /^(?=.{1,253}$)([A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?$/;

export interface ResolvContent {
  nameservers: string[];
  search: string[];
}

/**
 * What the leases say, cut to what is valid and what the resolver reads: the DHCPv4 lease's IPv4
 * name servers (not 0.0.0.0/8, multicast or beyond), then DHCPv6's (global unicast), DNS names, no
 * duplicates. The search list is the DHCPv4 lease's search option, or its domain, else DHCPv6's.
 */
export function resolvContent(lease: { dns: readonly string[]; search?: readonly string[] | undefined; domain?: string | undefined } | null, dhcpv6?: { dns: readonly string[]; search: readonly string[] }): ResolvContent {
  const v4 = (lease?.dns ?? []).filter((ip) => IPV4.test(ip) && Number(ip.split('.')[0]) !== 0 && Number(ip.split('.')[0]) < 224);
  const v6 = (dhcpv6?.dns ?? []).filter((ip) => isIPv6(ip) && !/^(fe[89ab]|ff)/i.test(ip) && ip !== '::' && ip !== '::1');
  const nameservers = [...new Set([...v4, ...v6])].slice(0, RESOLV_MAX_SERVERS);
  const fromV4 = lease === null ? [] : lease.search !== undefined && lease.search.length > 0 ? lease.search : lease.domain !== undefined ? [lease.domain] : [];
  const names = fromV4.length > 0 ? fromV4 : (dhcpv6?.search ?? []);
  const search = [...new Set(names.filter((name) => DOMAIN.test(name)).map((name) => name.replace(/\.$/, '')))].slice(0, RESOLV_MAX_SEARCH);
  return { nameservers, search };
}

/** The file's text; undefined when there is nothing to say (no valid server). */
export function resolvConfText(content: ResolvContent): string | undefined {
  if (content.nameservers.length === 0) return undefined;
  const lines = ['# written by ipper from the DHCP lease'];
  for (const server of content.nameservers) lines.push(`nameserver ${server}`);
  if (content.search.length > 0) lines.push(`search ${content.search.join(' ')}`);
  return `${lines.join('\n')}\n`;
}
