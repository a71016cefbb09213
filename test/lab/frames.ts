// Raw Ethernet frames for the hostile-container tests, byte by byte (see send-frames.py).
const BROADCAST = 'ff:ff:ff:ff:ff:ff';

function bytesOfMac(mac: string): number[] {
  return mac.split(':').map((part) => parseInt(part, 16));
}

function bytesOfIpv4(ip: string): number[] {
  return ip.split('.').map(Number);
}

function bytesOfIpv6(ip: string): number[] {
  const [head = '', tail = ''] = ip.split('::');
  const groups = (part: string) => (part === '' ? [] : part.split(':').map((group) => parseInt(group, 16)));
  const left = groups(head);
  const right = groups(tail);
  const all = [...left, ...new Array<number>(8 - left.length - right.length).fill(0), ...right];
  return all.flatMap((group) => [group >> 8, group & 0xff]);
}

function u16(value: number): number[] {
  return [(value >> 8) & 0xff, value & 0xff];
}

function u32(value: number): number[] {
  return [...u16(Math.floor(value / 0x10000)), ...u16(value & 0xffff)];
}

function checksum(bytes: readonly number[]): number {
  let sum = 0;
  for (let i = 0; i < bytes.length; i += 2) sum += ((bytes[i] ?? 0) << 8) + (bytes[i + 1] ?? 0);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >> 16);
  return ~sum & 0xffff;
}

export const ETHERTYPE = { ipv4: 0x0800, arp: 0x0806, ipv6: 0x86dd, vlan: 0x8100, qinq: 0x88a8 } as const;

function ethernet(src: string, dst: string, type: number, payload: readonly number[]): number[] {
  const frame = [...bytesOfMac(dst), ...bytesOfMac(src), ...u16(type), ...payload];
  while (frame.length < 60) frame.push(0);
  return frame;
}

function ipv4Udp(src: string, dst: string, sport: number, dport: number, data: readonly number[]): number[] {
  const udp = [...u16(sport), ...u16(dport), ...u16(8 + data.length), 0, 0, ...data]; // no UDP checksum (allowed over IPv4)
  const header = [0x45, 0, ...u16(20 + udp.length), 0, 0, 0, 0, 64, 17, 0, 0, ...bytesOfIpv4(src), ...bytesOfIpv4(dst)];
  const sum = checksum(header);
  header[10] = sum >> 8;
  header[11] = sum & 0xff;
  return [...header, ...udp];
}

function ipv6(src: string, dst: string, nextHeader: number, hopLimit: number, payload: number[], checksumAt: number): number[] {
  const pseudo = [...bytesOfIpv6(src), ...bytesOfIpv6(dst), ...u32(payload.length), 0, 0, 0, nextHeader, ...payload];
  const sum = checksum(pseudo);
  payload[checksumAt] = sum >> 8;
  payload[checksumAt + 1] = sum & 0xff;
  return [0x60, 0, 0, 0, ...u16(payload.length), nextHeader, hopLimit, ...bytesOfIpv6(src), ...bytesOfIpv6(dst), ...payload];
}

function hex(frame: readonly number[]): string {
  return Buffer.from(frame).toString('hex');
}

/** A UDP broadcast to port 7777 carrying `tag`: harmless traffic, to know that what was sent before it has passed. */
export function marker(mac: string, tag: number): string {
  return hex(ethernet(mac, BROADCAST, ETHERTYPE.ipv4, ipv4Udp('0.0.0.0', '255.255.255.255', 7777, 7777, u32(tag))));
}

/** A DHCPREQUEST in INIT-REBOOT state (requested address, no server id) for the hardware address `chaddr`, sent from `mac`. */
export function dhcpRequest(mac: string, chaddr: string, requested: string): string {
  const bootp = [1, 1, 6, 0, ...u32(0x1a2b3c4d), 0, 0, 0x80, 0, ...new Array<number>(16).fill(0), ...bytesOfMac(chaddr), ...new Array<number>(10 + 64 + 128).fill(0)];
  const options = [0x63, 0x82, 0x53, 0x63, 53, 1, 3, 50, 4, ...bytesOfIpv4(requested), 255];
  const message = [...bootp, ...options];
  while (message.length < 300) message.push(0);
  return hex(ethernet(mac, BROADCAST, ETHERTYPE.ipv4, ipv4Udp('0.0.0.0', '255.255.255.255', 68, 67, message)));
}

/** An ARP request for `targetIp`, claiming that `senderIp` is at `senderMac`; the frame itself comes from `mac`. */
export function arpRequest(mac: string, senderMac: string, senderIp: string, targetIp: string): string {
  const arp = [...u16(1), ...u16(ETHERTYPE.ipv4), 6, 4, ...u16(1), ...bytesOfMac(senderMac), ...bytesOfIpv4(senderIp), 0, 0, 0, 0, 0, 0, ...bytesOfIpv4(targetIp)];
  return hex(ethernet(mac, BROADCAST, ETHERTYPE.arp, arp));
}

/** The link-local address EUI-64 makes of a MAC. */
export function linkLocal(mac: string): string {
  const b = bytesOfMac(mac);
  const groups = [((b[0]! ^ 2) << 8) | b[1]!, (b[2]! << 8) | 0xff, 0xfe00 | b[3]!, (b[4]! << 8) | b[5]!];
  return `fe80::${groups.map((group) => group.toString(16)).join(':')}`;
}

/** A router advertisement: "I am your default router", with a global prefix to autoconfigure. */
export function routerAdvertisement(mac: string): string {
  const prefix = [3, 4, 64, 0xc0, ...u32(86400), ...u32(14400), 0, 0, 0, 0, ...bytesOfIpv6('2001:db8:bad::')];
  const sourceLink = [1, 1, ...bytesOfMac(mac)];
  const ra = [134, 0, 0, 0, 64, 0, ...u16(1800), ...u32(0), ...u32(0), ...sourceLink, ...prefix];
  return hex(ethernet(mac, '33:33:00:00:00:01', ETHERTYPE.ipv6, ipv6(linkLocal(mac), 'ff02::1', 58, 255, ra, 2)));
}

/** An ICMPv6 redirect: "to reach 2001:db8::1, go through me". */
export function redirect(mac: string, to: string): string {
  const message = [137, 0, 0, 0, 0, 0, 0, 0, ...bytesOfIpv6(linkLocal(mac)), ...bytesOfIpv6('2001:db8::1')];
  return hex(ethernet(mac, '33:33:00:00:00:01', ETHERTYPE.ipv6, ipv6(linkLocal(mac), to, 58, 255, message, 2)));
}

/** A DHCPv6 Advertise from port 547 to the clients' port 546. */
export function dhcpv6Advertise(mac: string): string {
  const message = [2, 0x12, 0x34, 0x56, ...u16(2), ...u16(14), ...u16(1), ...u16(1), ...u32(0), ...bytesOfMac(mac)]; // type 2, xid, server id (DUID-LLT)
  const udp = [...u16(547), ...u16(546), ...u16(8 + message.length), 0, 0, ...message];
  return hex(ethernet(mac, '33:33:00:00:00:01', ETHERTYPE.ipv6, ipv6(linkLocal(mac), 'ff02::1', 17, 255, udp, 6)));
}

/** A harmless UDP broadcast (like the marker's, tagged 0xFEED) inside one VLAN tag of `tpid` with VLAN `vid`. */
export function vlanTagged(mac: string, tpid: number, vid: number): string {
  const inner = ipv4Udp('0.0.0.0', '255.255.255.255', 7777, 7777, u32(0xfeed));
  return hex(ethernet(mac, BROADCAST, tpid, [...u16(vid), ...u16(ETHERTYPE.ipv4), ...inner]));
}
