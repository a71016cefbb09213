// poststop when no supervisor can be reached: release and remove straight from the record.
import type { HookLog } from '../log/deferred.js';
import { bridgeFilterTable, forgetPort } from '../net/filter.js';
import { deleteLink } from '../net/links.js';
import { instanceId } from '../net/names.js';
import { readRecord, removeRecord } from '../store/records.js';
import { removeFile } from '../sys/fs.js';
import { isAlive } from '../sys/proc.js';
import { adoptClient, clientLogPath, stopClient } from './clients.js';
import { supervisorPaths } from './paths.js';

export async function teardownWithoutSupervisor(stateDir: string, id: string, log: Pick<HookLog, 'error'>): Promise<void> {
  const record = readRecord(stateDir, id);
  if (record === undefined || isAlive(record.container)) return;
  try {
    if (record.client !== null) await stopClient(adoptClient(record.client, record.client.token, 20));
    await deleteLink(record.hostVeth);
    // As the supervisor's teardown does; harmless when the filter is off or nft is absent.
    await forgetPort(bridgeFilterTable(instanceId(stateDir)), { hostVeth: record.hostVeth, mac: record.mac, ip: record.lease?.ip }).catch(() => undefined);
    removeFile(clientLogPath(supervisorPaths(stateDir), id));
    removeRecord(stateDir, id);
  } catch (error) {
    log.error({ id, err: error }, 'direct teardown incomplete; garbage collection will finish it');
  }
}
