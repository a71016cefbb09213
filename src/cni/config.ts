// The network config a CNI runtime puts on stdin, parsed and checked: pure. The ipper keys mean what
// they mean in the host config (src/config/schema.ts); the host config gives what a network omits.
import * as z from '../config/zod.js';
import { configSchema, type Config } from '../config/schema.js';
import { formatZodIssue } from '../config/zod-format.js';
import { IpperError } from '../errors.js';
import { macProblem, normalizeMac } from '../net/mac.js';
import { checkVersion, type CniCommand, type CniVersion } from './versions.js';

const hostKeys = configSchema.def.shape;

/** A runtime's attachment as GC lists it: `cni.dev/valid-attachments`. */
const attachmentSchema = z.object({ containerID: z.string(), ifname: z.string() });

/** The keys the spec (and runtimes) put in a plugin's config, then ipper's own, each checked. */
const netConfSchema = z.strictObject({
  cniVersion: z.string(),
  name: z.string().check(z.regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, 'must start with a letter or digit and hold only letters, digits and _ . -'), z.maxLength(1024)),
  type: z.literal('ipper', { error: 'must be "ipper"' }),
  args: z.optional(z.record(z.string(), z.unknown())),
  capabilities: z.optional(z.record(z.string(), z.boolean())),
  runtimeConfig: z.optional(z.object({ mac: z.optional(z.string()) })),
  prevResult: z.optional(z.unknown()),
  /** The conflist's dns: the lease's name servers are what the result reports. */
  dns: z.optional(z.unknown()),
  'cni.dev/valid-attachments': z.optional(z.array(attachmentSchema).check(z.maxLength(100_000))),
  /** The host config file for this network (default: $IPPER_CONFIG, else /etc/ipper/config.json): see hostConfigPath. */
  hostConfig: z.optional(z.string().check(z.regex(/^\/[^\0]*$/, 'must be an absolute path'))),
  // ipper's keys, as in the host config.
  bridge: z.optional(hostKeys.bridge.def.innerType),
  dhcpClient: z.optional(hostKeys.dhcpClient.def.innerType),
  leaseTimeoutMs: z.optional(hostKeys.leaseTimeoutMs.def.innerType),
  onLeaseTimeout: z.optional(hostKeys.onLeaseTimeout.def.innerType),
  macFrom: z.optional(hostKeys.macFrom.def.innerType),
  clientId: z.optional(hostKeys.clientId.def.innerType),
  /** DHCPv4 is what a CNI result reports: "off" is not offered here yet. */
  ipv4: z.optional(z.literal('dhcp', { error: 'must be "dhcp" (the CNI plugin needs an IPv4 lease for its result)' })),
  ipv6: z.optional(hostKeys.ipv6.def.innerType),
  ipv6WaitMs: z.optional(hostKeys.ipv6WaitMs.def.innerType),
  /** false: the lease's router is not made the default route (a secondary network under Multus). */
  defaultRoute: z.optional(z.boolean()),
});

type NetConfInput = z.infer<typeof netConfSchema>;

/** Keys that the hook's config has but that belong to the host, not to a network. */
const HOST_ONLY = new Set(['stateDir', 'helperDir', 'logFile', 'logLevel', 'gcIntervalMs', 'metrics', 'bridgeFilter', 'hostAddress', 'allowedBridges']);
/** Keys with no meaning under CNI, and what the operator should do instead. */
const NOT_FOR_CNI: Record<string, string> = {
  interface: 'the runtime names the interface (CNI_IFNAME)',
  ipam: 'ipper gets the address by DHCP itself: remove "ipam"',
  resolvConf: 'the runtime writes resolv.conf from the result\'s dns',
  hostnameFrom: 'the DHCP hostname comes from K8S_POD_NAME in CNI_ARGS, else the container id',
};

export interface NetConf {
  cniVersion: CniVersion;
  name: string;
  bridge: string;
  dhcpClient: Config['dhcpClient'];
  leaseTimeoutMs: number;
  onLeaseTimeout: Config['onLeaseTimeout'];
  macFrom: Config['macFrom'];
  clientId: Config['clientId'];
  ipv6: Config['ipv6'];
  ipv6WaitMs: number;
  defaultRoute: boolean;
  /** runtimeConfig.mac (the "mac" capability), normalized. */
  mac: string | undefined;
  prevResult: unknown;
  validAttachments: { containerId: string; ifname: string }[] | undefined;
}

function shortValue(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

/** The cniVersion alone: VERSION needs nothing else, and an unknown version is reported before anything else. */
export function readCniVersion(json: unknown): string | undefined {
  const version = typeof json === 'object' && json !== null ? (json as { cniVersion?: unknown }).cniVersion : undefined;
  return typeof version === 'string' ? version : undefined;
}

/**
 * The host config file a network names ("hostConfig"), checked before the file is read. A runtime
 * may call its plugins with a filtered environment (Podman's cleanup process passes no
 * IPPER_CONFIG), so a network on a non-default config says which one in the network config.
 */
export function hostConfigPath(json: Record<string, unknown>): string | undefined {
  const path = json['hostConfig'];
  if (path === undefined) return undefined;
  if (typeof path !== 'string' || !/^\/[^\0]*$/.test(path)) throw new IpperError('INVALID_CONFIG', `invalid network config: hostConfig: must be an absolute path, not ${shortValue(path)}`);
  return path;
}

/** stdin as a JSON object, or the decode error (code 6). */
export function decodeConfig(text: string): Record<string, unknown> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new IpperError('INVALID_REQUEST', `the network config on stdin is not JSON: ${(error as Error).message}`);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new IpperError('INVALID_REQUEST', 'the network config on stdin is not a JSON object');
  return json as Record<string, unknown>;
}

/**
 * The network config for a command, with the host config's values where the network names none.
 * Order: the version first (code 1), then unknown keys (code 2), then values (code 7).
 */
export function parseNetConf(json: Record<string, unknown>, command: CniCommand, host: Config): NetConf {
  const version = readCniVersion(json);
  if (version === undefined) throw new IpperError('INVALID_CONFIG', 'cniVersion: missing from the network config (for example "cniVersion": "1.1.0")');
  const cniVersion = checkVersion(version, command);
  const known = new Set(Object.keys(netConfSchema.def.shape));
  for (const [key, value] of Object.entries(json)) {
    if (known.has(key)) continue;
    const why = NOT_FOR_CNI[key] ?? (HOST_ONLY.has(key) ? 'it belongs in the host config (/etc/ipper/config.json), not in a network' : 'ipper does not know it');
    throw new IpperError('UNSUPPORTED_FIELD', `unsupported key "${key}" (value ${shortValue(value)}) in network "${String(json['name'] ?? '')}": ${why}`);
  }
  const parsed = netConfSchema.safeParse(json);
  if (!parsed.success) throw new IpperError('INVALID_CONFIG', `invalid network config: ${formatZodIssue(parsed.error)}`);
  const conf: NetConfInput = parsed.data;
  let mac: string | undefined;
  if (conf.runtimeConfig?.mac !== undefined) {
    mac = normalizeMac(conf.runtimeConfig.mac);
    const problem = macProblem(mac);
    if (problem !== undefined) throw new IpperError('INVALID_CONFIG', `invalid network config: runtimeConfig.mac: "${conf.runtimeConfig.mac.slice(0, 40)}" ${problem}`);
  }
  return {
    cniVersion,
    name: conf.name,
    bridge: conf.bridge ?? host.bridge,
    dhcpClient: conf.dhcpClient ?? host.dhcpClient,
    leaseTimeoutMs: conf.leaseTimeoutMs ?? host.leaseTimeoutMs,
    onLeaseTimeout: conf.onLeaseTimeout ?? host.onLeaseTimeout,
    macFrom: conf.macFrom ?? host.macFrom,
    clientId: conf.clientId ?? host.clientId,
    ipv6: conf.ipv6 ?? host.ipv6,
    ipv6WaitMs: conf.ipv6WaitMs ?? host.ipv6WaitMs,
    defaultRoute: conf.defaultRoute ?? true,
    mac,
    prevResult: conf.prevResult,
    validAttachments: conf['cni.dev/valid-attachments']?.map((attachment) => ({ containerId: attachment.containerID, ifname: attachment.ifname })),
  };
}
