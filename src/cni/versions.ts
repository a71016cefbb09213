// The CNI spec versions ipper speaks, and what each command needs.
import { IpperError } from '../errors.js';

/** 0.3.x and 0.4.0 results carry "version" in each IP; CHECK came with 0.4.0; GC and STATUS with 1.1.0. */
export const SUPPORTED_VERSIONS = ['0.3.0', '0.3.1', '0.4.0', '1.0.0', '1.1.0'] as const;
export type CniVersion = (typeof SUPPORTED_VERSIONS)[number];
export const LATEST_VERSION: CniVersion = '1.1.0';

export type CniCommand = 'ADD' | 'DEL' | 'CHECK' | 'GC' | 'STATUS' | 'VERSION';
export const CNI_COMMANDS: readonly CniCommand[] = ['ADD', 'DEL', 'CHECK', 'GC', 'STATUS', 'VERSION'];

/** The first version that has each command. */
const SINCE: Record<CniCommand, CniVersion> = { ADD: '0.3.0', DEL: '0.3.0', VERSION: '0.3.0', CHECK: '0.4.0', GC: '1.1.0', STATUS: '1.1.0' };

export function isSupportedVersion(version: string): version is CniVersion {
  return (SUPPORTED_VERSIONS as readonly string[]).includes(version);
}

/** -1, 0 or 1, by major, minor, patch (versions already known to be supported). */
export function compareVersions(a: CniVersion, b: CniVersion): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < 3; i++) if (pa[i] !== pb[i]) return (pa[i] ?? 0) < (pb[i] ?? 0) ? -1 : 1;
  return 0;
}

/** The config's cniVersion, checked: supported, and new enough for the command. */
export function checkVersion(version: string, command: CniCommand): CniVersion {
  if (!isSupportedVersion(version)) {
    throw new IpperError('INCOMPATIBLE_CNI_VERSION', `cniVersion "${version.slice(0, 20)}" is not supported by ipper (supported: ${SUPPORTED_VERSIONS.join(', ')}): set "cniVersion" in the network config to one of them`);
  }
  if (compareVersions(version, SINCE[command]) < 0) {
    throw new IpperError('INCOMPATIBLE_CNI_VERSION', `${command} needs cniVersion ${SINCE[command]} or later; the network config says ${version}`);
  }
  return version;
}

/** VERSION's answer: the version asked about (or the latest), and every version ipper speaks. */
export function versionReply(requested: string | undefined): { cniVersion: string; supportedVersions: string[] } {
  return { cniVersion: requested !== undefined && isSupportedVersion(requested) ? requested : LATEST_VERSION, supportedVersions: [...SUPPORTED_VERSIONS] };
}
