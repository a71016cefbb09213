// The last IPv4 address each client identity held, kept after its container is gone: asked for
// again (DHCP option 50) when a container with that identity starts. A server that keys leases on
// the client id hands it back by itself while it remembers the lease; one that forgets a released
// lease (dnsmasq) gives the address that was asked for when it is free. One small file per
// identity, under the state dir (tmpfs: gone at reboot, with every lease ipper released).
import { crypto } from '../sys/crypto.js';
import * as z from '../config/zod.js';
import { ensurePrivateDir, readFileNoFollow, writeFileAtomic } from '../sys/fs.js';

const rememberedSchema = z.object({ ipv4: z.ipv4(), at: z.string() });

function pathFor(stateDir: string, clientId: string): string {
  return `${stateDir}/addresses/${crypto().createHash('sha256').update(clientId).digest('hex').slice(0, 40)}.json`;
}

export function rememberAddress(stateDir: string, clientId: string, ipv4: string): void {
  ensurePrivateDir(`${stateDir}/addresses`);
  writeFileAtomic(pathFor(stateDir, clientId), JSON.stringify({ ipv4, at: new Date().toISOString() }));
}

/** The address this identity held last, or undefined (none, or a file that is not ours). */
export function recallAddress(stateDir: string, clientId: string): string | undefined {
  try {
    const text = readFileNoFollow(pathFor(stateDir, clientId));
    if (text === undefined) return undefined;
    const parsed = rememberedSchema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data.ipv4 : undefined;
  } catch {
    return undefined;
  }
}
