// Per-container overrides from OCI annotations: untrusted (anyone who may run a container sets them).
import { IpperError } from '../errors.js';
import { macProblem, normalizeMac } from '../net/mac.js';
import { DNS_LABEL, defaultHostname, isValidInterfaceName } from '../net/names.js';
import type { Config } from './schema.js';

export const ANNOTATION_PREFIX = 'ipper.';
const KNOWN = new Set(['ipper.bridge', 'ipper.mac', 'ipper.hostname']);

export interface ContainerSettings {
  bridge: string;
  mac: string | undefined;
  hostname: string;
}

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
  let bridge = config.bridge;
  const bridgeAnnotation = annotations['ipper.bridge'];
  if (bridgeAnnotation !== undefined) {
    if (!isValidInterfaceName(bridgeAnnotation)) throw invalid('ipper.bridge', 'must be an interface name (1-15 of A-Z a-z 0-9 _ . -)');
    if (bridgeAnnotation !== config.bridge && !config.allowedBridges.includes(bridgeAnnotation)) {
      throw invalid('ipper.bridge', `"${bridgeAnnotation}" is not the configured bridge nor in allowedBridges`);
    }
    bridge = bridgeAnnotation;
  }
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
  return { bridge, mac, hostname };
}
