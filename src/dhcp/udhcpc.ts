// The busybox udhcpc driver (Debian package udhcpc).
import { compactHex } from './client-id.js';
import { countMatches, ENV_EVENT, type ClientSetup, type DhcpDriver, type EventName } from './driver.js';

const EVENTS: ReadonlySet<string> = new Set<EventName>(['deconfig', 'bound', 'renew', 'nak', 'leasefail']);

/**
 * Foreground client that renews for ever (no -q, no -n) and releases on SIGTERM (-R), so the
 * DHCPRELEASE leaves from the bound address before the link goes. It needs no files: its lease
 * lives in memory, and its script inherits its environment.
 */
export function udhcpcArgs(setup: Pick<ClientSetup, 'interface' | 'hostname' | 'helper' | 'identity' | 'requestIpv4'>): string[] {
  const { clientId } = setup.identity;
  return [
    '-f', '-R',
    '-s', setup.helper,
    '-x', `hostname:${setup.hostname}`,
    // Option 61 (replacing udhcpc's own "01:<mac>"); none: no client id at all (-C).
    ...(clientId === undefined ? ['-C'] : ['-x', `0x3d:${compactHex(clientId)}`]),
    ...(setup.requestIpv4 === undefined ? [] : ['-r', setup.requestIpv4]),
    '-O', 'mtu', '-O', 'search', '-O', 'staticroutes',
    '-t', '3', '-T', '2', '-A', '5',
    // Last, as with every driver: garbage collection reads a client's interface there.
    '-i', setup.interface,
  ];
}

export const udhcpc: DhcpDriver = {
  name: 'udhcpc',
  program: 'udhcpc',
  debianPackage: 'udhcpc',
  dhcpv6: false,
  command: (setup) => ({ argv: [setup.program, ...udhcpcArgs(setup)], files: {}, dirs: [] }),
  parseEvent(env) {
    // The helper appends the event udhcpc passed as its argument, after every inherited variable.
    const event = env.get(ENV_EVENT);
    if (event === undefined || !EVENTS.has(event)) return undefined;
    return {
      event: event as EventName,
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
  },
  // A bound udhcpc unicasts a DHCPREQUEST to its server at once on SIGUSR1.
  renew: { kind: 'signal', signal: 'SIGUSR1' },
  release: { kind: 'signal', signal: 'SIGTERM' },
  // -R: "unicasting a release of 10.0.0.5 to 10.0.0.1".
  releaseSent: (log) => /release of/.test(log),
  // busybox says "broadcasting discover" now and "Sending discover" in older releases.
  exchangeSeen: (log) => ({ discovers: countMatches(log, /(sending|broadcasting) discover/gi), requests: countMatches(log, /(sending|broadcasting) select/gi) }),
};
