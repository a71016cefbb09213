// After a lease is bound: a gratuitous ARP for the IPv4 address and an unsolicited neighbour
// advertisement for each IPv6 one, sent by ipper-helper from the container's interface. A router
// or neighbour that cached another MAC for a reused address would otherwise keep sending to it
// until its entry times out (many seconds), and the new container would look unreachable.
import { run } from '../sys/exec.js';
import { inNetns, withContainerRefNetns } from './netns.js';

export interface Announcement {
  /** The container: its process, or (CNI) its namespace's path. */
  container: { pid: number } | { netnsPath: string };
  netnsInode: number;
  interface: string;
  addresses: readonly string[];
}

export async function announceAddresses(helper: string, announcement: Announcement): Promise<void> {
  if (announcement.addresses.length === 0) return;
  await withContainerRefNetns(announcement.container, announcement.netnsInode, async (netns) => {
    const command = inNetns(netns, [helper, '--announce', announcement.interface, ...announcement.addresses]);
    await run(command.file, command.args);
  });
}
