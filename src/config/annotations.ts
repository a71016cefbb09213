// Per-container overrides from OCI annotations: untrusted (anyone who may run a container sets them).
import { explicitClientIdSchema, type ClientIdRequest } from '../dhcp/client-id.js';
import { IpperError } from '../errors.js';
import { macProblem, normalizeMac } from '../net/mac.js';
import { DNS_LABEL, defaultHostname, isValidInterfaceName } from '../net/names.js';
import { IPV4_MODES, IPV6_MODES, type Config, type Ipv4Mode, type Ipv6Mode } from './schema.js';

export const ANNOTATION_PREFIX = 'ipper.';
const KNOWN = new Set(['ipper.bridge', 'ipper.mac', 'ipper.hostname', 'ipper.ipv4', 'ipper.ipv6', 'ipper.clientId']);

export interface ContainerSettings {
  /** The first interface's bridge (bridges[0]). */
  bridge: string;
  /** One bridge per interface, in order: ipper.bridge may name several ("br0,br1"). */
  bridges: string[];
  mac: string | undefined;
  hostname: string;
}

/** How many interfaces one container may get from ipper.bridge. */
export const MAX_BRIDGES = 8;

function invalid(key: string, message: string): IpperError {
  return new IpperError('INVALID_ANNOTATION', `annotation ${key}: ${message}`);
}

/** Config plus the container's ipper.* annotations → what this container gets. Pure. */
export function resolveContainerSettings(config: Config, containerId: string, annotations: Record<string, string> = {}): ContainerSettings {
  for (const key of Object.keys(annotations)) {
    if (key.startsWith(ANNOTATION_PREFIX) && !KNOWN.has(key)) {
      throw invalid(key, `unknown (known: ${[...KNOWN].join(', ')})`);
    }
  }
  let bridges = [config.bridge];
  const bridgeAnnotation = annotations['ipper.bridge'];
  if (bridgeAnnotation !== undefined) bridges = parseBridges(config, bridgeAnnotation);
  let mac: string | undefined;
  const macAnnotation = annotations['ipper.mac'];
  if (macAnnotation !== undefined) {
    mac = normalizeMac(macAnnotation);
    const problem = macProblem(mac);
    if (problem !== undefined) throw invalid('ipper.mac', `"${macAnnotation.slice(0, 40)}" ${problem}`);
  }
  let hostname = defaultHostname(containerId);
  const hostnameAnnotation = annotations['ipper.hostname'];
  if (hostnameAnnotation !== undefined) {
    if (!DNS_LABEL.test(hostnameAnnotation)) throw invalid('ipper.hostname', 'must be a DNS label (1-63 letters, digits, hyphens; no hyphen at either end)');
    hostname = hostnameAnnotation;
  }
  return { bridge: bridges[0]!, bridges, mac, hostname };
}

/** "br0" or "br0,br1": each an allowed bridge, one per interface (eth0 on the first, eth1 on the second, ...). */
function parseBridges(config: Config, annotation: string): string[] {
  const names = annotation.split(',');
  if (names.length > MAX_BRIDGES) throw invalid('ipper.bridge', `names ${names.length} bridges; at most ${MAX_BRIDGES}`);
  for (const name of names) {
    if (!isValidInterfaceName(name)) {
      throw invalid('ipper.bridge', names.length === 1 ? 'must be an interface name (1-15 of A-Z a-z 0-9 _ . -)' : `"${name.slice(0, 20)}" must be an interface name (1-15 of A-Z a-z 0-9 _ . -; several separated by ",")`);
    }
    if (name !== config.bridge && !config.allowedBridges.includes(name)) {
      throw invalid('ipper.bridge', `"${name}" is not the configured bridge nor in allowedBridges`);
    }
  }
  return names;
}

export interface AddressModes {
  ipv4: Ipv4Mode;
  ipv6: Ipv6Mode;
}

/** The address families this container gets: the config, overridden by ipper.ipv4 / ipper.ipv6. Pure. */
export function resolveAddressModes(config: Pick<Config, 'ipv4' | 'ipv6'>, annotations: Record<string, string> = {}): AddressModes {
  const pick = <T extends string>(key: string, allowed: readonly T[], fallback: T): T => {
    const value = annotations[key];
    if (value === undefined) return fallback;
    if (!(allowed as readonly string[]).includes(value)) throw invalid(key, `"${value.slice(0, 40)}" is not one of ${allowed.join(', ')}`);
    return value as T;
  };
  const modes = { ipv4: pick('ipper.ipv4', IPV4_MODES, config.ipv4), ipv6: pick('ipper.ipv6', IPV6_MODES, config.ipv6) };
  if (modes.ipv4 === 'off' && modes.ipv6 === 'off') {
    throw new IpperError('INVALID_ANNOTATION', 'ipv4 and ipv6 are both off (config or ipper.ipv4/ipper.ipv6): the container would get no address');
  }
  return modes;
}

/** The client identity this container's DHCP client sends: the config's source, or ipper.clientId's explicit value. Pure. */
export function resolveClientId(config: Pick<Config, 'clientId'>, annotations: Record<string, string> = {}): ClientIdRequest {
  const value = annotations['ipper.clientId'];
  if (value === undefined) return { from: config.clientId };
  const checked = explicitClientIdSchema.safeParse(value);
  if (!checked.success) throw invalid('ipper.clientId', checked.error.issues[0]?.message ?? 'invalid');
  return { from: 'explicit', value: checked.data };
}
