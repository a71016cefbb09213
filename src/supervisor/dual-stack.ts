// What the supervisor does for IPv6 (SLAAC) and for the container's resolv.conf, beside the
// DHCPv4 client: wait for the address in parallel with the lease, keep the record current, write
// resolv.conf from the lease. Called from supervisor.ts at a few marked places.
import type { Ipv4Mode, Ipv6Mode } from '../config/schema.js';
import type { Lease } from '../dhcp/lease.js';
import { IpperError } from '../errors.js';
import type { Logger } from '../log/logger.js';
import { readIpv6State, type Ipv6State } from '../net/ipv6-netns.js';
import { resolvConfText, resolvContent } from '../net/resolv.js';
import { writeResolvConf } from '../net/resolv-write.js';
import type { ContainerRecord } from '../store/records.js';
import { pidInContainer } from '../store/container-ref.js';
import type { AttachRequest } from './protocol.js';
import { checkDhcpv6Client, dhcpv6Reason, dhcpv6Settled, dhcpv6UseOf } from './dhcpv6.js';
import type { Dhcpv6Use } from '../dhcp/driver.js';

/** How often the kernel's address list is read while an address is awaited (a file read, no process). */
const POLL_MS = 20;
/** After an `auto` wait saw no router on a bridge, later `auto` containers there do not wait for one. */
const NO_ROUTER_MEMORY_MS = 5 * 60_000;
const DEFAULT_IPV6_WAIT_MS = 2000;
/** How long a known router with no SLAAC address is given before the wait ends. */
const ROUTER_WITHOUT_PREFIX_MS = 200;

export function ipv4ModeOf(record: Pick<ContainerRecord, 'ipv4Mode'>): Ipv4Mode {
  return record.ipv4Mode ?? 'dhcp';
}

export function ipv6ModeOf(record: Pick<ContainerRecord, 'ipv6Mode'>): Ipv6Mode {
  return record.ipv6Mode ?? 'auto';
}

/** The request's modes, checked where the supervisor is concerned (a hook may be of another build). */
export function checkModes(request: AttachRequest): void {
  checkDhcpv6Client(request);
  if (request.ipv4Mode === 'off' && request.ipv6Mode === 'off') throw new IpperError('INVALID_REQUEST', 'ipv4 and ipv6 are both off: the container would get no address');
}

export class DualStack {
  /** Bridges where an `auto` wait found no router, and until when that is believed. */
  private readonly noRouterUntil = new Map<string, number>();

  constructor(private readonly log: Logger) {}

  /**
   * Waits for a usable global IPv6 address (SLAAC, or DHCPv6 from a client that does it) while the
   * IPv4 lease is awaited: `slaac` and `dhcpv6` fail without one (unless onLeaseTimeout is
   * continue), `auto` goes on after ipv6WaitMs at most, and not at all on a bridge where a recent
   * wait saw no router. `auto` with such a client waits for the DHCPv6 lease when the router's
   * advertisement has the M flag. Resolves with what the kernel had.
   */
  async awaitAddress(request: AttachRequest, record: ContainerRecord, abort: AbortSignal): Promise<void> {
    const mode = ipv6ModeOf(record);
    if (mode === 'off') return;
    const use = dhcpv6UseOf(record);
    const waitMs = request.ipv6WaitMs ?? DEFAULT_IPV6_WAIT_MS;
    const skip = mode === 'auto' && (this.noRouterUntil.get(record.bridge) ?? 0) > Date.now();
    const state = await pollIpv6(record, skip ? 0 : waitMs, abort, use);
    if (state !== undefined) this.keep(record, state);
    if (state?.router !== undefined) this.noRouterUntil.delete(record.bridge);
    const leased = dhcpv6Settled(record, use) === 'leased';
    if (mode === 'dhcpv6' ? leased : state !== undefined && state.addresses.length > 0) return;
    if (mode === 'auto') {
      if (state?.router === undefined && record.dhcpv6?.raFlags === undefined && !skip && !abort.aborted) this.noRouterUntil.set(record.bridge, Date.now() + NO_ROUTER_MEMORY_MS);
      return;
    }
    const what = mode === 'dhcpv6' ? 'DHCPv6 address' : 'SLAAC address';
    const reason = mode === 'dhcpv6'
      ? dhcpv6Reason(record)
      : state?.router !== undefined
        ? 'a router advertises itself but no prefix for SLAAC (no A flag: a DHCPv6-only LAN?)'
        : 'no router advertisement came (is a router sending them on this bridge?)';
    if (request.onLeaseTimeout === 'fail') throw new IpperError('LEASE_TIMEOUT', `no ${what} within ${waitMs} ms: ${reason}`);
    this.log.warn({ id: record.id, reason }, `no ${what} yet; container starts, it is taken when one comes`);
  }

  /** Reads the addresses again (a lease event, a GC round): true when the record changed. */
  refresh(record: ContainerRecord): boolean {
    if (ipv6ModeOf(record) === 'off' || record.phase !== 'active') return false;
    const state = readIpv6StateOf(record);
    if (state === undefined) return false;
    const before = JSON.stringify({ a: record.ipv6?.addresses, r: record.ipv6?.router });
    if (before === JSON.stringify({ a: state.addresses, r: state.router })) return false;
    this.keep(record, state);
    if (state.router !== undefined) this.noRouterUntil.delete(record.bridge);
    return true;
  }

  private keep(record: ContainerRecord, state: Ipv6State): void {
    record.ipv6 = { addresses: state.addresses.slice(0, 64), ...(state.router !== undefined && { router: state.router }), readAt: new Date().toISOString() };
  }

  /**
   * The lease's name servers and search list into the container's resolv.conf, when they differ
   * from what was written last. A failure (a hostile image) is logged and kept in the record for
   * inspect; it never fails the lease.
   */
  applyResolvConf(record: ContainerRecord, lease: Lease | null = record.lease): boolean {
    const state = record.resolvConf;
    if (state === undefined) return false;
    const content = resolvContent(lease, record.dhcpv6);
    if (state.writtenAt !== undefined && JSON.stringify([state.nameservers, state.search]) === JSON.stringify([content.nameservers, content.search])) return false;
    const text = resolvConfText(content);
    if (text === undefined) return false;
    try {
      writeResolvConf(state.target, text);
      record.resolvConf = { target: state.target, nameservers: content.nameservers, search: content.search, writtenAt: new Date().toISOString() };
      this.log.info({ id: record.id, nameservers: content.nameservers, search: content.search }, 'resolv.conf written');
    } catch (error) {
      const message = (error as Error).message;
      record.resolvConf = { target: state.target, error: message };
      this.log.error({ id: record.id, target: state.target, err: error }, 'resolv.conf not written');
    }
    return true;
  }
}

/** Read through a process in the namespace: the container's, or (CNI: no pid) its DHCP client's. */
function readIpv6StateOf(record: ContainerRecord): Ipv6State | undefined {
  const pid = pidInContainer(record);
  return pid === undefined ? undefined : readIpv6State(pid, record.netnsInode, record.interface);
}

/**
 * Polls the kernel's addresses until a global one is there, the time is up, or the attach is
 * aborted. A router known for a while with no address means its advertisement carried no SLAAC
 * prefix (the kernel handles route and prefixes of one advertisement together): no use waiting on.
 */
async function pollIpv6(record: ContainerRecord, waitMs: number, abort: AbortSignal, use: Dhcpv6Use): Promise<Ipv6State | undefined> {
  const deadline = performance.now() + waitMs;
  let routerSince: number | undefined;
  for (;;) {
    const state = readIpv6StateOf(record);
    // A CNI attachment's namespace is read through its DHCP client, which starts meanwhile.
    if (state === undefined && pidInContainer(record) === undefined && performance.now() < deadline && !abort.aborted) {
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
      continue;
    }
    if (state === undefined || performance.now() >= deadline || abort.aborted) return state;
    // DHCPv6 first: the lease ipv6 dhcpv6 or the advertisement's M flag asks for, and with auto the
    // client's reading of the flags (a moment after the kernel's), are awaited even once SLAAC has an address.
    const dhcpv6 = dhcpv6Settled(record, use);
    if (dhcpv6 === 'leased') return readIpv6StateOf(record) ?? state;
    if (dhcpv6 === 'waiting') {
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
      continue;
    }
    if (state.addresses.length > 0) return state;
    if (state.router !== undefined) {
      routerSince ??= performance.now();
      if (performance.now() - routerSince >= ROUTER_WITHOUT_PREFIX_MS) return state;
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}
