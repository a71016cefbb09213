// The host config file (/etc/ipper/config.json): every key, its default and its bounds.
import { z } from 'zod';
import { isValidInterfaceName } from '../net/names.js';

const interfaceName = z.string().refine(isValidInterfaceName, 'must be an interface name (1-15 of A-Z a-z 0-9 _ . -)');
const absolutePath = z.string().regex(/^\/[^\0]*$/, 'must be an absolute path');
const ipv4 = z.ipv4({ message: 'must be an IPv4 address' });

export const configSchema = z.strictObject({
  /** Bridge that containers join unless an annotation names another allowed one. */
  bridge: interfaceName.default('br0'),
  /** Further bridges that the ipper.bridge annotation may name. */
  allowedBridges: z.array(interfaceName).max(64).default([]),
  /** Interface name inside the container. */
  interface: interfaceName.default('eth0'),
  dhcpClient: z.enum(['udhcpc']).default('udhcpc'),
  stateDir: absolutePath.default('/run/ipper'),
  logFile: absolutePath.default('/var/log/ipper.log'),
  logLevel: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'silent']).default('info'),
  leaseTimeoutMs: z.number().int().min(100).max(600_000).default(10_000),
  /** fail: the container does not start; continue: it starts and the supervisor keeps trying. */
  onLeaseTimeout: z.enum(['fail', 'continue']).default('fail'),
  /** IPv4 whose last three octets go into generated MACs; default: the bridge's first IPv4 address. */
  hostAddress: ipv4.optional(),
  /** How often the supervisor checks for containers that vanished without a poststop. */
  gcIntervalMs: z.number().int().min(1000).max(3_600_000).default(30_000),
});

export type Config = z.infer<typeof configSchema>;
