// What the bridge watch decides, without doing it: which link events call for a look at the
// links, and from one listing of the links, which ports go back on their bridge and which
// bridges' clients renew. Pure; bridge-watch.ts does the I/O.
import type { LinkEvent } from '../net/link-monitor.js';
import type { LinkState } from '../net/links.js';
import { HOST_VETH_PREFIX } from '../net/names.js';

export interface WatchedPort {
  id: string;
  hostVeth: string;
  bridge: string;
}

export type BridgeState = 'up' | 'down' | 'missing';

/** What the watch believes of the links that matter: the last listing, plus every event since. */
export interface WatchView {
  bridges: Map<string, BridgeState>;
  /** Links that are not ipper's (uplinks, other machines) on a bridge ipper uses: which one. */
  uplinks: Map<string, string>;
  /** Bridges whose clients must renew once the bridge is up: something cut them off meanwhile. */
  pendingRenew: Set<string>;
}

export function emptyView(): WatchView {
  return { bridges: new Map(), uplinks: new Map(), pendingRenew: new Set() };
}

/**
 * Folds one event into the view; true when the links should be looked at. Routine events (a port
 * made or removed, a bridge's address following its ports) are not worth an `ip` process each.
 */
export function noteLinkEvent(view: WatchView, event: LinkEvent, ports: readonly WatchedPort[]): boolean {
  const bridges = new Set(ports.map((port) => port.bridge));
  if (bridges.has(event.name)) {
    const state: BridgeState = event.deleted ? 'missing' : event.up ? 'up' : 'down';
    const before = view.bridges.get(event.name);
    view.bridges.set(event.name, state);
    if (state !== 'up') view.pendingRenew.add(event.name);
    return state !== before;
  }
  const port = ports.find((known) => known.hostVeth === event.name);
  // (Not "down": a port goes down on its way out when its container's namespace goes.)
  if (port !== undefined) return !event.deleted && event.master !== port.bridge;
  if (event.name.startsWith(HOST_VETH_PREFIX)) return false; // a container's port being made or removed
  const before = view.uplinks.get(event.name);
  const now = !event.deleted && event.master !== undefined && bridges.has(event.master) ? event.master : undefined;
  if (now === before) return false;
  if (now === undefined) {
    view.uplinks.delete(event.name);
    return false; // leaving cuts the LAN off, but only its return is worth acting on
  }
  // An uplink (re)joined: the clients' last renewals may have been lost while it was away.
  view.uplinks.set(event.name, now);
  view.pendingRenew.add(now);
  return true;
}

export interface PassPlan<P extends WatchedPort> {
  /** The view as this listing shows it (pendingRenew: what is still owed after this pass). */
  view: WatchView;
  /** Ports whose link exists but is off its bridge (or down) while the bridge exists. */
  reattach: P[];
  /** Ports whose clients renew now: every port of a bridge that was cut off, and each port put back. */
  renew: P[];
}

/** From one listing of the links: the ports to put back and the bridges whose clients renew. */
export function planPass<P extends WatchedPort>(links: readonly LinkState[], ports: readonly P[], pendingRenew: ReadonlySet<string>): PassPlan<P> {
  const byName = new Map(links.map((link) => [link.name, link]));
  const bridges = new Map<string, BridgeState>();
  for (const { bridge } of ports) {
    const link = byName.get(bridge);
    bridges.set(bridge, link === undefined || !link.isBridge ? 'missing' : link.up ? 'up' : 'down');
  }
  const reattach = ports.filter((port) => {
    const link = byName.get(port.hostVeth);
    return bridges.get(port.bridge) !== 'missing' && link !== undefined && (link.master !== port.bridge || !link.up);
  });
  const stillPending = new Set([...bridges].filter(([, state]) => state !== 'up').map(([bridge]) => bridge));
  const renew = ports.filter((port) => bridges.get(port.bridge) === 'up' && (pendingRenew.has(port.bridge) || reattach.includes(port)));
  const ownPorts = new Set(ports.map((port) => port.hostVeth));
  const uplinks = new Map<string, string>();
  for (const link of links) {
    if (link.master !== undefined && bridges.has(link.master) && !ownPorts.has(link.name) && !link.name.startsWith(HOST_VETH_PREFIX)) {
      uplinks.set(link.name, link.master);
    }
  }
  return { view: { bridges, uplinks, pendingRenew: stillPending }, reattach, renew };
}

/**
 * Renewals asked at once are spread: a thousand clients renewing together overflow the DHCP
 * server's receive buffer (dnsmasq's socket holds about a hundred requests), and the lost ones
 * wait for the clients' own retries. One per slot of this length...
 */
export const RENEW_SPACING_MS = 5;
/** ...over at most this long: with more renewals than fit, the slots get shorter. */
export const RENEW_SPREAD_MAX_MS = 5000;

/**
 * When each of `count` renewals asked at once goes out, in ms from now: slot i of an even spread
 * over min(count × spacing, max), at a random point within it (the order of arrival at the
 * server changes from one time to the next, never two in one slot). A single renewal goes at once.
 */
export function spreadRenewals(count: number, random: () => number = Math.random, spacingMs = RENEW_SPACING_MS, maxMs = RENEW_SPREAD_MAX_MS): number[] {
  if (count <= 1) return count === 1 ? [0] : [];
  const slot = Math.min(spacingMs, maxMs / count);
  return Array.from({ length: count }, (_, index) => Math.min((index + random()) * slot, (index + 1) * slot - 0.001));
}
