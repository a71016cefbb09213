// The busybox udhcpc driver: how to start it, its event script, and how to read its events.
import * as z from '../config/zod.js';
import type { LeaseFields } from './lease.js';

export interface ClientSpec {
  interface: string;
  hostname: string;
  scriptPath: string;
}

/**
 * Foreground client that renews for ever (no -q, no -n) and releases on SIGTERM (-R), so the
 * DHCPRELEASE leaves from the bound address before the link goes.
 */
export function udhcpcArgs(spec: ClientSpec): string[] {
  return [
    '-f', '-R',
    '-i', spec.interface,
    '-s', spec.scriptPath,
    '-x', `hostname:${spec.hostname}`,
    '-O', 'mtu', '-O', 'search', '-O', 'staticroutes',
    '-t', '3', '-T', '2', '-A', '5',
  ];
}

/** busybox udhcpc renews at once on SIGUSR1 (a bound client unicasts a DHCPREQUEST to its server). */
export const RENEW_SIGNAL: NodeJS.Signals = 'SIGUSR1';

export const eventNameSchema = z.enum(['deconfig', 'bound', 'renew', 'nak', 'leasefail']);
export type EventName = z.infer<typeof eventNameSchema>;

export interface ClientEvent {
  event: EventName;
  containerId: string;
  token: string;
  fields: LeaseFields;
}

/** Environment variables ipper puts in the client's environment, to route its events back. */
export const ENV_SPOOL = 'IPPER_SPOOL';
export const ENV_CONTAINER = 'IPPER_CONTAINER';
export const ENV_TOKEN = 'IPPER_TOKEN';

const MAX_VALUE = 4096;

/** Parses an event file (the script's NUL-separated environment). Undefined when it is not one of ours. */
export function parseClientEvent(environ: string): ClientEvent | undefined {
  const env = new Map<string, string>();
  for (const entry of environ.split('\0')) {
    const eq = entry.indexOf('=');
    if (eq <= 0) continue;
    env.set(entry.slice(0, eq), entry.slice(eq + 1, eq + 1 + MAX_VALUE));
  }
  const event = eventNameSchema.safeParse(env.get('IPPER_EVENT'));
  const containerId = env.get(ENV_CONTAINER);
  const token = env.get(ENV_TOKEN);
  if (!event.success || containerId === undefined || token === undefined) return undefined;
  return {
    event: event.data,
    containerId,
    token,
    fields: {
      ip: env.get('ip'),
      mask: env.get('mask'),
      router: env.get('router'),
      dns: env.get('dns'),
      domain: env.get('domain'),
      serverid: env.get('serverid'),
      lease: env.get('lease'),
      mtu: env.get('mtu'),
      search: env.get('search'),
      staticroutes: env.get('staticroutes'),
    },
  };
}
