// The one teardown of a container's network, for the supervisor and for a poststop that reaches
// no supervisor: the client stopped first (it releases from the bound address while the link
// still exists), then the link and the port's filter element together, the client's files and the record.
import type { DhcpDriver } from '../dhcp/driver.js';
import { deleteLink } from '../net/links.js';
import { recordKey, removeRecord, type ContainerRecord } from '../store/records.js';
import { endOrphanedClientProcesses, removeClientFiles, stopClient, type ClientHandle, type ReleaseTarget, type StopOutcome } from './clients.js';
import type { SupervisorPaths } from './paths.js';

export interface TeardownPlan {
  paths: SupervisorPaths;
  record: ContainerRecord;
  driver: DhcpDriver;
  /** The running client, if any. */
  client: ClientHandle | undefined;
  target: ReleaseTarget;
  /** false: the client holds no lease (it never asked for one): killed, nothing to release. Default true. */
  release?: boolean;
  /** Takes the port's element out of the bridge filter. */
  forgetPort: () => Promise<void>;
  /** Told how the client ended (undefined: there was none), before the link goes. */
  afterStop?: (outcome: StopOutcome | undefined) => void;
}

/** Every step in order; a step that fails stops the rest, which garbage collection finishes. */
export async function tearDownNetwork(plan: TeardownPlan): Promise<void> {
  const { paths, record } = plan;
  const outcome = plan.client === undefined ? undefined : await stopClient(paths, plan.driver, plan.client, plan.target, { release: plan.release ?? true });
  plan.afterStop?.(outcome);
  // Independent of each other (the filter's elements are keyed by name): one wait, not two.
  await Promise.all([deleteLink(record.hostVeth), plan.forgetPort()]);
  // A client that died with no handle on its helpers (killed while no supervisor ran) may have left them.
  if (plan.client?.mountNs === undefined) endOrphanedClientProcesses(paths, plan.driver, recordKey(record));
  removeClientFiles(paths, recordKey(record));
  removeRecord(paths.stateDir, recordKey(record));
}
