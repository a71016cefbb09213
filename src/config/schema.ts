// The host config file (/etc/ipper/config.json): every key, its default and its bounds.
import { CLIENT_ID_SOURCES } from '../dhcp/client-id.js';
import { dhcpClientSchema } from '../dhcp/driver.js';
import { isValidInterfaceName } from '../net/names.js';
import * as z from './zod.js';
import { parseMetricsListen } from './metrics-listen.js';

const interfaceName = z.string().check(z.refine(isValidInterfaceName, 'must be an interface name (1-15 of A-Z a-z 0-9 _ . -)'));
const absolutePath = z.string().check(z.regex(/^\/[^\0]*$/, 'must be an absolute path'));
const intBetween = (min: number, max: number) => z.int().check(z.minimum(min, `must be at least ${min}`), z.maximum(max, `must be at most ${max}`));

export const IPV4_MODES = ['dhcp', 'off'] as const;
export const IPV6_MODES = ['off', 'slaac', 'dhcpv6', 'auto'] as const;
export type Ipv4Mode = (typeof IPV4_MODES)[number];
export type Ipv6Mode = (typeof IPV6_MODES)[number];

export const configSchema = z.strictObject({
  /** Bridge that containers join unless an annotation names another allowed one. */
  bridge: z._default(interfaceName, 'br0'),
  /** Further bridges that the ipper.bridge annotation may name. */
  allowedBridges: z._default(z.array(interfaceName).check(z.maxLength(64)), []),
  /** Interface name inside the container. */
  interface: z._default(interfaceName, 'eth0'),
  /**
   * Which DHCP client runs in each container's namespace (src/dhcp/drivers.ts). dhcpcd by the
   * numbers (README, "DHCP clients"): the quickest create and poststop through ipper.
   */
  dhcpClient: z._default(dhcpClientSchema, 'dhcpcd'),
  stateDir: z._default(absolutePath, '/run/ipper'),
  /** Where the supervisor puts ipper-helper; it must allow exec, which /run often does not. */
  helperDir: z._default(absolutePath, '/var/lib/ipper'),
  logFile: z._default(absolutePath, '/var/log/ipper.log'),
  logLevel: z._default(z.enum(['trace', 'debug', 'info', 'warn', 'error', 'silent']), 'info'),
  leaseTimeoutMs: z._default(intBetween(100, 600_000), 10_000),
  /** fail: the container does not start; continue: it starts and the supervisor keeps trying. */
  onLeaseTimeout: z._default(z.enum(['fail', 'continue']), 'fail'),
  /** IPv4 whose last three octets go into generated MACs; default: the bridge's first IPv4 address. */
  hostAddress: z.optional(z.ipv4({ error: 'must be an IPv4 address' })),
  /** DHCP hostname source when no ipper.hostname annotation: the short id, or config.json's hostname. */
  hostnameFrom: z._default(z.enum(['id', 'config']), 'id'),
  /** Drop DHCP server replies and spoofed source MACs coming from container ports (nftables). */
  bridgeFilter: z._default(z.boolean(), true),
  /** How often the supervisor checks for containers that vanished without a poststop. */
  gcIntervalMs: z._default(intBetween(1000, 3_600_000), 30_000),
  /** Prometheus text metrics from the supervisor: a unix socket path or a local address:port; off when absent. */
  metrics: z.optional(z.string().check(z.refine((value) => parseMetricsListen(value) !== undefined, 'must be an absolute unix socket path or address:port (an IP literal or localhost)'))),
  /** IPv4 by DHCP, or none (then no DHCPv4 client runs at all). */
  ipv4: z._default(z.enum(IPV4_MODES), 'dhcp'),
  /** IPv6: off (disabled on the interface), slaac, dhcpv6 (a client that does DHCPv6: dhcpcd), auto (what the RAs say). */
  ipv6: z._default(z.enum(IPV6_MODES), 'auto'),
  /** How long createRuntime waits for a SLAAC address (auto: then goes on without one; slaac: fails). */
  ipv6WaitMs: z._default(intBetween(0, 600_000), 2000),
  /** write: the lease's name servers and search list go into the container's /etc/resolv.conf; keep: left alone. */
  resolvConf: z._default(z.enum(['write', 'keep']), 'write'),
  /** random: the scheme's two random octets; identity: derived from the container's id or ipper.hostname. */
  macFrom: z._default(z.enum(['random', 'identity']), 'random'),
  /** The DHCP client id (option 61) and DHCPv6 DUID/IAID: derived from this, so a restarted container gets its addresses back. */
  clientId: z._default(z.enum(CLIENT_ID_SOURCES), 'container-id'),
});


export type Config = z.infer<typeof configSchema>;
