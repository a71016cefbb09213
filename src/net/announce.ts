// After a lease is bound: a gratuitous ARP for the IPv4 address and an unsolicited neighbour
// advertisement for each IPv6 one, sent by ipper-helper from the container's interface. A router
// or neighbour that cached another MAC for a reused address would otherwise keep sending to it
// until its entry times out (many seconds), and the new container would look unreachable.
import { run } from '../sys/exec.js';
import { inNetns, withContainerNetns } from './netns.js';

export interface Announcement {
  pid: number;
  netnsInode: number;
  interface: string;
  addresses: readonly string[];
}

export async function announceAddresses(helper: string, announcement: Announcement): Promise<void> {
  if (announcement.addresses.length === 0) return;
  await withContainerNetns(announcement.pid, announcement.netnsInode, async (netns) => {
    const command = inNetns(netns, [helper, '--announce', announcement.interface, ...announcement.addresses]);
    await run(command.file, command.args);
  });
}
