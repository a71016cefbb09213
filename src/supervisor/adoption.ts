// Taking over what an earlier supervisor left (after its restart or crash): every record on disk
// becomes an entry again; a live client is adopted, a dead one restarted, a gone container reaped.
import { listRecords, recordHoldsLease, recordKey, removeOrphanTempFiles, setAsideRecord, type ContainerRecord } from '../store/records.js';
import { isAlive } from '../sys/proc.js';
import { isContainerAlive } from '../store/container-ref.js';
import { adoptClient, thawClient } from './clients.js';
import { onClientExit, startClientFor } from './client-keeper.js';
import type { SupervisorContext } from './context.js';
import { clientNeeded } from './dhcpv6.js';
import { advance } from './entries.js';

/**
 * Takes over the records an earlier supervisor left: adopt live clients, reap the rest. An
 * unreadable record is set aside for the operator, never taken for "no container": the
 * container it described may well still run. One record's failure never stops the others.
 */
export async function adopt(context: SupervisorContext): Promise<void> {
  const { log, entries } = context;
  const orphans = removeOrphanTempFiles(context.paths.stateDir);
  if (orphans > 0) log.warn({ files: orphans }, 'half-written record files of a killed supervisor removed');
  const { records, unreadable } = listRecords(context.paths.stateDir);
  for (const path of unreadable) {
    try {
      log.error({ path, keptAs: setAsideRecord(path) }, 'unreadable record set aside; its container is left alone (see ipper gc --dry-run)');
    } catch (error) {
      log.error({ path, err: error }, 'unreadable record could not be set aside');
    }
  }
  for (const record of records) {
    const key = recordKey(record);
    if (entries.has(key) || entries.isReserved(key)) continue;
    try {
      await adoptRecord(context, record);
    } catch (error) {
      log.error({ id: key, err: error }, 'record not adopted; garbage collection will retry');
    }
  }
}

async function adoptRecord(context: SupervisorContext, record: ContainerRecord): Promise<void> {
  // Its driver is the record's (the client it was started with), whatever dhcpClient the config says now.
  const entry = context.entries.add(record, 'adopting');
  if (record.client !== null && isAlive(record.client)) {
    const client = adoptClient(record.client, record.client.token);
    // A supervisor that died in a teardown may have left it frozen (settleUnboundClient).
    thawClient(client);
    entry.client = client;
    advance(entry, { type: 'client-adopted', holdsLease: recordHoldsLease(record) }); // [dual stack] either family's lease
    void client.exited.then(() => onClientExit(context, entry, client));
  }
  if (record.phase !== 'active' || !isContainerAlive(record)) {
    await context.teardown(entry, record.phase !== 'active' ? 'create was interrupted' : 'container gone');
  } else if (entry.client === undefined && clientNeeded(record)) {
    await startClientFor(context, entry).catch((error: unknown) => {
      context.log.error({ id: entry.key, err: error }, 'DHCP client not started at adoption; retrying');
      onClientExit(context, entry, undefined);
    });
  } else if (entry.client === undefined) {
    advance(entry, { type: 'client-not-needed' }); // [dual stack] no DHCP of either family: SLAAC alone, no client to keep
  } else {
    context.log.info({ id: entry.key, clientPid: record.client?.pid }, 'client adopted');
  }
}
