// What garbage collection looks at on the host: ipper's veths and its DHCP clients.
import { readdirSync, readFileSync } from 'node:fs';
import { run } from '../sys/exec.js';
import { toolPath } from '../sys/tools.js';
import { ENV_CONTAINER, ENV_SPOOL } from '../dhcp/udhcpc.js';
import type { GcClientFact } from './plan.js';

/** ipper's host veths: "ipr" + 12 hex digits (see hostVethName). */
export const OWN_VETH = /^ipr[0-9a-f]{12}$/;

export async function listOwnVeths(): Promise<string[]> {
  const { stdout } = await run(toolPath('ip'), ['-j', 'link', 'show', 'type', 'veth']);
  const links = JSON.parse(stdout === '' ? '[]' : stdout) as { ifname?: string }[];
  return links.map((link) => link.ifname ?? '').filter((name) => OWN_VETH.test(name));
}

/** DHCP clients started for this state directory: their environment names its spool. */
export function listOwnClients(spoolDir: string): GcClientFact[] {
  const clients: GcClientFact[] = [];
  const spool = `${ENV_SPOOL}=${spoolDir}`;
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    let environ: string;
    try {
      environ = readFileSync(`/proc/${name}/environ`, 'latin1');
    } catch {
      continue; // gone, or a kernel thread
    }
    const entries = environ.split('\0');
    if (!entries.includes(spool)) continue;
    const container = entries.find((entry) => entry.startsWith(`${ENV_CONTAINER}=`));
    if (container !== undefined) clients.push({ pid: Number(name), containerId: container.slice(ENV_CONTAINER.length + 1) });
  }
  return clients;
}
