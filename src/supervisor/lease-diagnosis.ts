// Why no lease came, for the lease timeout's message: what the client's own log shows, then the
// most likely cause on the host as `ipper doctor` judges it (no uplink, br_netfilter with a
// FORWARD DROP, ...).
import { readFileSync } from 'node:fs';
import { diagnoseLeaseTimeout } from '../dhcp/diagnose.js';
import { checkBridge } from '../doctor/bridge.js';
import { likelyCause } from '../doctor/check.js';
import { checkNetfilter } from '../doctor/netfilter.js';
import { gatherLinks, gatherNetfilter } from '../net/host-facts.js';
import { clientLogSince } from './client-keeper.js';
import type { SupervisorContext } from './context.js';
import type { Entry } from './entries.js';

export async function diagnoseNoLease(context: SupervisorContext, entry: Entry): Promise<string> {
  if (entry.applyFailure !== undefined) return entry.applyFailure;
  if (entry.refusedLease !== undefined) return `the server's lease was refused: ${entry.refusedLease}`;
  const clientLog = clientLogSince(context, entry);
  const { bridge } = entry.record;
  const cause = await Promise.all([gatherLinks(), gatherNetfilter([bridge])]).then(
    ([links, netfilter]) => likelyCause([...checkBridge({ bridge, links, hostAddress: context.hostAddress }), ...checkNetfilter(netfilter)]),
    () => undefined, // the host could not be read: the client's words alone
  );
  // br_netfilter alone is only a hint when the doctor found nothing more precise to say.
  const bridgeNfCallIptables = cause === undefined ? readBridgeNfCallIptables() : undefined;
  const seen = diagnoseLeaseTimeout({ seen: entry.driver.exchangeSeen(clientLog), clientLog, bridge, bridgeNfCallIptables });
  return cause === undefined ? seen : `${seen}; ${cause}`;
}

function readBridgeNfCallIptables(): string | undefined {
  try {
    return readFileSync('/proc/sys/net/bridge/bridge-nf-call-iptables', 'utf8');
  } catch {
    return undefined; // br_netfilter is not loaded
  }
}
