// The MAC scheme XX:IP:IP:IP:YY:ZZ: XX random with its two low bits 10 (unicast, locally
// administered), then the host's IPv4 last three octets, then two random octets. With
// macFrom "identity" the random bits come from a hash of the container's identity instead.
import { crypto } from '../sys/crypto.js';

export type RandomBytes = (count: number) => Uint8Array;

const MAC = /^([0-9a-f]{2}:){5}[0-9a-f]{2}$/;

export function normalizeMac(mac: string): string {
  return mac.trim().toLowerCase().replace(/-/g, ':');
}

export function isValidMacSyntax(mac: string): boolean {
  return MAC.test(mac);
}

export function macOctets(mac: string): number[] {
  return mac.split(':').map((octet) => Number.parseInt(octet, 16));
}

/** Why a MAC cannot be given to a container's interface, or undefined when it can. */
export function macProblem(mac: string): string | undefined {
  if (!isValidMacSyntax(mac)) return 'is not a MAC address (expected six hex octets, aa:bb:cc:dd:ee:ff)';
  const octets = macOctets(mac);
  if (octets.every((octet) => octet === 0)) return 'is all zeros';
  if (octets.every((octet) => octet === 0xff)) return 'is the broadcast address';
  if (((octets[0] ?? 0) & 0x01) !== 0) return 'is a multicast address (lowest bit of the first octet set)';
  return undefined;
}

/** Last three octets of an IPv4 address. */
export function hostOctets(ipv4: string): [number, number, number] {
  const parts = ipv4.split('.').map(Number);
  return [parts[1] ?? 0, parts[2] ?? 0, parts[3] ?? 0];
}

function hex(octet: number): string {
  return octet.toString(16).padStart(2, '0');
}

export function generateMac(hostIpv4: string, random: RandomBytes = (size) => crypto().randomBytes(size)): string {
  const [first, yy, zz] = random(3);
  const xx = ((first ?? 0) & 0xfc) | 0x02;
  return [xx, ...hostOctets(hostIpv4), yy ?? 0, zz ?? 0].map(hex).join(':');
}

/** A scheme MAC not in `taken`; gives up after many tries (only 2^22 exist per host). */
export function generateUniqueMac(hostIpv4: string, taken: ReadonlySet<string>, random: RandomBytes = (size) => crypto().randomBytes(size)): string | undefined {
  for (let attempt = 0; attempt < 1000; attempt++) {
    const mac = generateMac(hostIpv4, random);
    if (!taken.has(mac)) return mac;
  }
  return undefined;
}

/**
 * The scheme's MAC with its random bits (the first octet's six free bits and the last two octets)
 * taken from sha256(identity): the same identity on the same host always gets the same MAC, for
 * DHCP servers that key reservations on it.
 */
export function deriveMac(hostIpv4: string, identity: string): string {
  const digest = crypto().createHash('sha256').update(`ipper-mac:${identity}`).digest();
  return generateMac(hostIpv4, (count) => digest.subarray(0, count));
}
