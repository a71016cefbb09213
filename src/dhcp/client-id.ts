// The identity a container's DHCP client presents to the server, so that the server hands the
// same addresses back to the same container after a restart: the DHCPv4 client identifier
// (option 61) and the DHCPv6 DUID and IAID. Derived from the container's identity, never random. Pure.
import { crypto } from '../sys/crypto.js'; // node:crypto on first use: the hook loads this module and never hashes
import * as z from '../config/zod.js';

export const CLIENT_ID_SOURCES = ['container-id', 'hostname', 'mac', 'none'] as const;
export type ClientIdSource = (typeof CLIENT_ID_SOURCES)[number];

/** What the hook asks for: a source from the config, or the ipper.clientId annotation's value. */
export const clientIdRequestSchema = z.union([
  z.strictObject({ from: z.enum(CLIENT_ID_SOURCES) }),
  z.strictObject({ from: z.literal('explicit'), value: z.string() }),
]);
export type ClientIdRequest = z.infer<typeof clientIdRequestSchema>;

/** An explicit client id (ipper.clientId): printable ASCII, no spaces or quotes (it is hashed, or used as hex bytes). */
export const explicitClientIdSchema = z.string().check(
  z.minLength(1, 'must not be empty'),
  z.maxLength(128, 'must be at most 128 characters'),
  z.regex(/^[\x21\x23-\x26\x28-\x7e]+$/, 'must be printable ASCII without spaces or quotes'),
);

/** Hex bytes written as dhcpcd, dhclient and dnsmasq print them: "ff:00:01:...". */
const hexBytes = /^[0-9a-f]{2}(:[0-9a-f]{2})*$/;

export const clientIdentitySchema = z.object({
  /** DHCPv4 option 61 as hex bytes; absent: the client sends none of ipper's. */
  clientId: z.optional(z.string().check(z.regex(hexBytes))),
  /** DHCPv6 DUID as hex bytes; absent: the client's own (one per client directory: a new one each run). */
  duid: z.optional(z.string().check(z.regex(hexBytes))),
  /** DHCPv6 IAID of the interface. */
  iaid: z.optional(z.int().check(z.minimum(0), z.maximum(0xffff_ffff))),
});
export type ClientIdentity = z.infer<typeof clientIdentitySchema>;

function hex(bytes: Uint8Array): string {
  return [...bytes].map((byte) => byte.toString(16).padStart(2, '0')).join(':');
}

/**
 * A DUID-UUID (RFC 6355, type 4) and an IAID from a hash of the identity, and the DHCPv4 client id
 * that RFC 4361 makes of them (type 255, IAID, DUID): the same for the same identity, on any host.
 */
function fromIdentity(identity: string, rawClientId?: string): ClientIdentity {
  const digest = crypto().createHash('sha256').update(`ipper-client-id\0${identity}`).digest();
  const duid = Uint8Array.from([0x00, 0x04, ...digest.subarray(0, 16)]);
  const iaid = digest.readUInt32BE(16);
  const iaidBytes = digest.subarray(16, 20);
  return { clientId: rawClientId ?? hex(Uint8Array.from([0xff, ...iaidBytes, ...duid])), duid: hex(duid), iaid };
}

/**
 * The identity for a container: `container-id` and `hostname` hash those; `mac` is the classic
 * "01:<mac>" with a DUID-LL (what a client sends by itself); `none` sends no client id and leaves
 * the DUID to the client. An explicit value written as hex bytes ("01:02:...") is sent as it is;
 * any other is hashed like an id.
 */
export function deriveClientIdentity(request: ClientIdRequest, container: { id: string; hostname: string; mac: string }): ClientIdentity {
  switch (request.from) {
    case 'none':
      return {};
    case 'mac': {
      const mac = container.mac.toLowerCase();
      const octets = mac.split(':').map((octet) => Number.parseInt(octet, 16));
      return { clientId: `01:${mac}`, duid: `00:03:00:01:${mac}`, iaid: ((octets[2]! << 24) | (octets[3]! << 16) | (octets[4]! << 8) | octets[5]!) >>> 0 };
    }
    case 'hostname':
      return fromIdentity(`hostname:${container.hostname}`);
    case 'container-id':
      return fromIdentity(`id:${container.id}`);
    case 'explicit': {
      const raw = request.value.toLowerCase();
      return fromIdentity(`explicit:${request.value}`, hexBytes.test(raw) && raw.length >= 5 ? raw : undefined);
    }
  }
}

/** "ff:00:01" → "ff0001", as udhcpc's -x 0x3d takes it. */
export function compactHex(bytes: string): string {
  return bytes.replaceAll(':', '');
}
