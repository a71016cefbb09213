// A DHCP lease as ipper keeps it, and its validation: the server is untrusted input.
import * as z from '../config/zod.js';

const ipv4 = z.ipv4();

export const leaseSchema = z.object({
  ip: ipv4,
  prefixLen: z.int().check(z.minimum(1), z.maximum(32)),
  router: z.optional(ipv4),
  dns: z.array(ipv4).check(z.maxLength(3)),
  domain: z.optional(z.string()),
  /** Domain search list (option 119), at most MAX_SEARCH valid names. */
  search: z.optional(z.array(z.string()).check(z.maxLength(6))),
  /** Classless static routes (option 121) other than the default, at most MAX_ROUTES. */
  routes: z.optional(z.array(z.object({ to: z.string(), via: z.optional(ipv4) })).check(z.maxLength(32))),
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
/** glibc's resolver long read only the first six search domains; more is a server's mistake. */
export const MAX_SEARCH = 6;
/** A container needs a handful of routes; a server sending more is not one to follow blindly. */
export const MAX_ROUTES = 32;

/** A unicast host address: not 0.0.0.0/8, loopback, multicast, class E or broadcast. */
function isUsableIpv4(value: string): boolean {
  if (!ipv4.safeParse(value).success) return false;
  const first = Number(value.split('.')[0]);
  return first !== 0 && first !== 127 && first < 224;
}

/** A gateway the container can reach: a usable address in its own subnet, and not its own. */
function isOnLinkGateway(candidate: string, ip: string, prefixLen: number): boolean {
  return isUsableIpv4(candidate) && sameSubnet(candidate, ip, prefixLen) && candidate !== ip;
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
  search?: string | undefined;
  staticroutes?: string | undefined;
}

export interface StaticRoute {
  /** Destination in CIDR form, e.g. 10.20.0.0/16. */
  to: string;
  /** Gateway on the lease's subnet; absent for an on-link route (RFC 3442's router 0.0.0.0). */
  via?: string;
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
    if (isOnLinkGateway(candidate, ip, prefixLen)) {
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
  const search = parseSearch(fields.search, dropped);
  const staticRoutes = parseStaticRoutes(fields.staticroutes, ip, prefixLen, dropped);
  if (staticRoutes !== undefined) {
    // RFC 3442: with classless routes the router option is ignored; the default comes from them.
    if (router !== undefined) dropped.push(`router "${router}" ignored: the server sent classless static routes`);
    router = staticRoutes.defaultVia;
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
    lease: {
      ip, prefixLen, dns, leaseSeconds,
      ...(router && { router }), ...(domain && { domain }), ...(search && { search }),
      ...(staticRoutes && staticRoutes.routes.length > 0 && { routes: staticRoutes.routes }),
      ...(serverId && { serverId }), ...(mtu !== undefined && { mtu }),
    },
    dropped,
  };
}

function parseSearch(value: string | undefined, dropped: string[]): string[] | undefined {
  const names = (value ?? '').split(' ').filter(Boolean);
  const search: string[] = [];
  for (const name of names) {
    if (!DOMAIN.test(name)) dropped.push(`search "${name.slice(0, 40)}" is not a valid DNS name`);
    else if (search.length < MAX_SEARCH && !search.includes(name)) search.push(name);
  }
  const valid = names.filter((name) => DOMAIN.test(name)).length;
  if (valid > MAX_SEARCH) dropped.push(`search list cut to its first ${MAX_SEARCH} names (the server sent ${valid})`);
  return search.length > 0 ? search : undefined;
}

/**
 * udhcpc's staticroutes: "dest/prefix gateway" pairs. A route is kept when its destination is a
 * network address, and its gateway 0.0.0.0 (on-link) or a usable address in the lease's subnet.
 * Undefined when the server sent no such option, so that its router option stays in force.
 */
function parseStaticRoutes(value: string | undefined, ip: string, prefixLen: number, dropped: string[]): { routes: StaticRoute[]; defaultVia: string | undefined } | undefined {
  const words = (value ?? '').split(' ').filter(Boolean);
  if (words.length === 0) return undefined;
  const routes: StaticRoute[] = [];
  let defaultVia: string | undefined;
  let kept = 0;
  for (let i = 0; i < words.length; i += 2) {
    const [destination = '', gateway = ''] = [words[i], words[i + 1]];
    const [network = '', bitsText] = destination.split('/');
    const bits = parseDecimal(bitsText, 2);
    const what = `route "${destination.slice(0, 20)} ${gateway.slice(0, 16)}"`;
    // The destination must be a network address: no host bits set beyond its prefix.
    if (bits === undefined || bits > 32 || !ipv4.safeParse(network).success || networkOf(network, bits) !== networkOf(network, 32)) {
      dropped.push(`${what} has no valid destination`);
      continue;
    }
    const onLink = gateway === '0.0.0.0';
    if (!onLink && !isOnLinkGateway(gateway, ip, prefixLen)) {
      dropped.push(`${what} has a gateway that is not a usable address in ${ip}/${prefixLen}`);
      continue;
    }
    if (kept >= MAX_ROUTES) {
      dropped.push(`${what} is beyond the first ${MAX_ROUTES} routes`);
      continue;
    }
    kept++;
    if (bits === 0) {
      if (!onLink) defaultVia ??= gateway;
      continue;
    }
    routes.push({ to: `${network}/${bits}`, ...(!onLink && { via: gateway }) });
  }
  return { routes, defaultVia };
}
