// A DHCP lease as ipper keeps it, and its validation: the server is untrusted input.
import * as z from '../config/zod.js';

const ipv4 = z.ipv4();

export const leaseSchema = z.object({
  ip: ipv4,
  prefixLen: z.int().check(z.minimum(1), z.maximum(32)),
  router: z.optional(ipv4),
  dns: z.array(ipv4).check(z.maxLength(3)),
  domain: z.optional(z.string()),
  serverId: z.optional(ipv4),
  leaseSeconds: z.int().check(z.minimum(0)),
  mtu: z.optional(z.int()),
  boundAt: z.string(),
  renewedAt: z.optional(z.string()),
});

export type Lease = z.infer<typeof leaseSchema>;

/** The subnet of an address as a 32-bit number, to check that the router is on-link. */
function networkOf(ip: string, prefixLen: number): number {
  const value = ip.split('.').reduce((acc, octet) => (acc << 8) | Number(octet), 0) >>> 0;
  const mask = prefixLen === 0 ? 0 : (0xffffffff << (32 - prefixLen)) >>> 0;
  return (value & mask) >>> 0;
}

export function sameSubnet(a: string, b: string, prefixLen: number): boolean {
  return networkOf(a, prefixLen) === networkOf(b, prefixLen);
}

/** A plain decimal number, nothing JavaScript's Number() would also accept ("0x18", "1e1", " "). */
function parseDecimal(value: string | undefined, maxDigits: number): number | undefined {
  return value !== undefined && new RegExp(`^\\d{1,${maxDigits}}$`).test(value) ? Number(value) : undefined;
}
export const MAX_NAMESERVERS = 3;
export const MTU_MIN = 576;
export const MTU_MAX = 9000;

/** A unicast host address: not 0.0.0.0/8, loopback, multicast, class E or broadcast. */
function isUsableIpv4(value: string): boolean {
  if (!ipv4.safeParse(value).success) return false;
  const first = Number(value.split('.')[0]);
  return first !== 0 && first !== 127 && first < 224;
}

const DOMAIN = /^(?=.{1,253}$)([A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?$/;

export interface LeaseFields {
  ip?: string | undefined;
  mask?: string | undefined;
  router?: string | undefined;
  dns?: string | undefined;
  domain?: string | undefined;
  serverid?: string | undefined;
  lease?: string | undefined;
  mtu?: string | undefined;
}

export interface LeaseParse {
  lease: Omit<Lease, 'boundAt' | 'renewedAt'> | undefined;
  /** Values the server sent that ipper dropped, each with why. */
  dropped: string[];
}

/**
 * Turns the raw strings a DHCP client reports into a lease, keeping only what is valid: a lease
 * without a usable address or prefix is no lease; a bad optional value is dropped with a reason.
 */
export function parseLeaseFields(fields: LeaseFields): LeaseParse {
  const dropped: string[] = [];
  const ip = fields.ip ?? '';
  const prefixLen = parseDecimal(fields.mask, 2);
  if (!isUsableIpv4(ip)) return { lease: undefined, dropped: [`ip "${ip.slice(0, 40)}" is not a usable IPv4 address`] };
  if (prefixLen === undefined || prefixLen < 1 || prefixLen > 32) {
    return { lease: undefined, dropped: [`mask "${String(fields.mask).slice(0, 40)}" is not a prefix length 1-32`] };
  }
  let router: string | undefined;
  for (const candidate of (fields.router ?? '').split(' ').filter(Boolean)) {
    if (isUsableIpv4(candidate) && sameSubnet(candidate, ip, prefixLen) && candidate !== ip) {
      router = candidate;
      break;
    }
    dropped.push(`router "${candidate.slice(0, 40)}" is not a usable address in ${ip}/${prefixLen}`);
  }
  const dns: string[] = [];
  for (const candidate of (fields.dns ?? '').split(' ').filter(Boolean)) {
    if (!isUsableIpv4(candidate)) dropped.push(`dns "${candidate.slice(0, 40)}" is not a usable IPv4 address`);
    else if (dns.length >= MAX_NAMESERVERS) dropped.push(`dns "${candidate}" is beyond the first ${MAX_NAMESERVERS}`);
    else if (!dns.includes(candidate)) dns.push(candidate);
  }
  let domain: string | undefined;
  if (fields.domain !== undefined && fields.domain !== '') {
    if (DOMAIN.test(fields.domain)) domain = fields.domain;
    else dropped.push('domain is not a valid DNS name');
  }
  const serverId = fields.serverid !== undefined && isUsableIpv4(fields.serverid) ? fields.serverid : undefined;
  const leaseSeconds = parseDecimal(fields.lease, 10) ?? 0;
  let mtu: number | undefined;
  if (fields.mtu !== undefined && fields.mtu !== '') {
    const value = parseDecimal(fields.mtu, 5);
    if (value === undefined) dropped.push(`mtu "${fields.mtu.slice(0, 20)}" is not a number`);
    else mtu = Math.min(MTU_MAX, Math.max(MTU_MIN, value));
  }
  return {
    lease: { ip, prefixLen, dns, leaseSeconds, ...(router && { router }), ...(domain && { domain }), ...(serverId && { serverId }), ...(mtu !== undefined && { mtu }) },
    dropped,
  };
}
