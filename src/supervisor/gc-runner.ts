// Garbage collection as the supervisor runs it: gather the facts, let gc/plan.ts decide, apply
// each action on its own. It also takes over any record no entry holds (adoption).
import { driverFor, installedClientExecutables } from '../dhcp/drivers.js';
import { containerProcessProbe, listOwnProcesses, listOwnVeths } from '../gc/facts.js';
import { planGc, type GcAction } from '../gc/plan.js';
import { deleteLink } from '../net/links.js';
import { fileStem } from '../store/records.js';
import { isAlive } from '../sys/proc.js';
import { isContainerAlive } from '../store/container-ref.js';
import { adopt } from './adoption.js';
import { adoptClient, clientInterfaceOf, killClient, NO_RECORD_CLIENT, removeClientFiles, stopClient, type ReleaseTarget } from './clients.js';
import { persist, type SupervisorContext } from './context.js';
import { isTearingDown } from './lifecycle.js';

export class GcRunner {
  /** The last garbage collection's reports: what it could not explain and left alone. */
  private reports: GcAction[] = [];
  private readonly reported = new Set<string>();
  private collecting = false;

  constructor(private readonly context: SupervisorContext) {}

  /** What garbage collection could not explain and left alone, for the status reply. */
  unexplained(): GcAction[] {
    return this.reports;
  }

  /**
   * Reconciles records, DHCP clients and host veths (see gc/plan.ts). Links and processes are
   * listed before the entries are read: an entry exists before its veth or client does, so a
   * create in flight is always seen as busy, never as an orphan.
   */
  async collect(dryRun = false): Promise<GcAction[]> {
    if (this.collecting) return [];
    this.collecting = true;
    const { context } = this;
    try {
      context.helper.ensure(); // running clients call it at each renewal
      await adopt(context); // records on disk that no entry holds (none should exist): taken over or reaped
      // [dual stack] IPv6 addresses change without telling anyone: read again each round (file reads).
      for (const entry of context.entries.values()) if (!isTearingDown(entry.state) && context.dualStack.refresh(entry.record)) persist(context, entry);
      const veths = await listOwnVeths(context.instance);
      const own = listOwnProcesses(context.paths.eventsDir, context.paths.clientLogsDir, installedClientExecutables());
      const entries = context.entries.values();
      // A client recognised by its directory is known by the key's file stem (the key itself unless very long).
      const idOfStem = new Map(entries.map(({ key }) => [fileStem(key), key]));
      for (const client of own.clients) client.containerId = idOfStem.get(client.containerId) ?? client.containerId;
      const actions = planGc({
        records: entries.map(({ key, record, client }) => ({
          id: key,
          hostVeth: record.hostVeth,
          phase: record.phase,
          containerAlive: isContainerAlive(record),
          clientPid: client !== undefined && isAlive(client.identity) ? client.identity.pid : undefined,
        })),
        busy: new Set([...context.entries.reservedIds(), ...entries.filter((entry) => isTearingDown(entry.state) || entry.record.phase === 'attaching').map((entry) => entry.key)]),
        veths,
        clients: own.clients,
        containerRunsIn: containerProcessProbe(own.pids),
      });
      if (!dryRun) {
        this.reports = actions.filter((action) => action.action === 'report');
        await this.apply(actions);
      }
      return actions;
    } finally {
      this.collecting = false;
    }
  }

  /** Each action on its own: one that fails is logged, and the others still run. */
  private async apply(actions: readonly GcAction[]): Promise<void> {
    for (const action of actions) {
      try {
        await this.applyAction(action);
      } catch (error) {
        this.context.log.error({ ...action, err: error }, 'garbage collection action failed; retried next round');
      }
    }
  }

  private async applyAction(action: GcAction): Promise<void> {
    const { context } = this;
    if (action.action === 'report') {
      // Said once per thing, not every round: the status reply and `gc --dry-run` keep listing it.
      const key = `${action.kind}:${action.name}`;
      if (!this.reported.has(key)) context.log.error(action, 'garbage collection: left alone');
      this.reported.add(key);
      return;
    }
    context.log.warn(action, 'garbage collection');
    if (action.action === 'teardown') {
      const entry = context.entries.get(action.id);
      if (entry !== undefined) await context.teardown(entry, action.reason);
    } else if (action.action === 'delete-veth') {
      await deleteLink(action.name);
    } else {
      // The identity read when listing: a pid reused since then is never signalled.
      const identity = { pid: action.pid, startTime: action.startTime };
      if (!action.release) await killClient(identity);
      else {
        // No record: the client's own files (by its container id) and argv say what it serves.
        const target: ReleaseTarget = { containerId: action.id, netnsInode: action.netnsInode, interface: clientInterfaceOf(action.pid, 'eth0'), hostname: '', helper: context.helper.ensure(), ...NO_RECORD_CLIENT };
        await stopClient(context.paths, driverFor(action.driver), adoptClient(identity, '', 20), target);
        removeClientFiles(context.paths, action.id);
      }
    }
  }
}
