// Names derived from container ids: pure, deterministic, property-tested.
import { crypto } from '../sys/crypto.js';
import { posix } from 'node:path';

/** Linux interface names: 1 to 15 bytes, no "/", no whitespace, not "." or "..". */
export const INTERFACE_NAME = /^[A-Za-z0-9_.-]{1,15}$/;

export function isValidInterfaceName(name: string): boolean {
  return INTERFACE_NAME.test(name) && name !== '.' && name !== '..';
}

/** Prefix of every host-side veth ipper makes; garbage collection relies on it. */
export const HOST_VETH_PREFIX = 'ipr';
/** A host veth name as hostVethName makes it. */
export const HOST_VETH_NAME = new RegExp(`^${HOST_VETH_PREFIX}[0-9a-f]{12}$`);

/**
 * Host end of a container's veth: HOST_VETH_PREFIX + 12 hex digits of sha256(id). Deterministic, so poststop
 * and garbage collection find it from the id alone; hashed, because ids sharing a long prefix
 * (web-1, web-2) must not collide in 15 bytes.
 */
export function hostVethName(containerId: string): string {
  return HOST_VETH_PREFIX + crypto().createHash('sha256').update(containerId).digest('hex').slice(0, 12);
}

/** The host veth's alias: "ipper:<instance>:<netns inode>", what garbage collection needs to prove a container gone. */
export function vethAlias(instance: string, netnsInode: number): string {
  return `ipper:${instance}:${netnsInode}`;
}

export function parseVethAlias(alias: string | undefined): { instance: string; netnsInode: number } | undefined {
  const match = /^ipper:([0-9a-f]{8}):(\d{1,20})$/.exec(alias ?? '');
  if (match === null) return undefined;
  return { instance: match[1]!, netnsInode: Number(match[2]) };
}

/**
 * The container's interface number `index` (0: the configured one): "eth0" → "eth1", "eth2", ...;
 * a name without a trailing number gets one ("lan" → "lan1"). Undefined when it would not be a
 * valid interface name (too long).
 */
export function nthInterface(first: string, index: number): string | undefined {
  if (index === 0) return first;
  const match = /^(.*?)(\d+)$/.exec(first);
  const name = match === null ? `${first}${index}` : `${match[1]!}${Number(match[2]) + index}`;
  return isValidInterfaceName(name) ? name : undefined;
}

/** An extra interface's DHCP hostname: its own DNS name, "<hostname>-<interface>", kept a DNS label. */
export function extraInterfaceHostname(hostname: string, iface: string): string {
  const suffix = `-${iface.replace(/[^A-Za-z0-9-]/g, '-')}`.slice(0, 16);
  return `${hostname.slice(0, 63 - suffix.length).replace(/-+$/, '')}${suffix}`.replace(/-+$/, '');
}

/** The container's short id, as Docker and Podman print it. */
export function shortId(containerId: string): string {
  return containerId.slice(0, 12);
}

/** A DNS label: letters, digits and hyphens, 1 to 63 bytes, no hyphen at either end. */
export const DNS_LABEL = /^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$/;

/** The default DHCP hostname: the short id, made into a DNS label where the id holds other characters. */
export function defaultHostname(containerId: string): string {
  const label = shortId(containerId)
    .replace(/[^A-Za-z0-9-]/g, '-')
    .replace(/^-+|-+$/g, '');
  return label === '' ? 'container' : label;
}

/**
 * One supervisor instance, named by its state directory: 8 hex digits of sha256(stateDir). Each
 * instance touches only what carries its id (its bridge filter table, its veths), so two configs on
 * one host never take down each other's.
 */
export function instanceId(stateDir: string): string {
  return crypto().createHash('sha256').update(posix.normalize(stateDir).replace(/(.)\/+$/, '$1')).digest('hex').slice(0, 8);
}
