// poststop when no supervisor can be reached: release and remove straight from the records (one
// per interface of the container), with the supervisor's own teardown.
import type { HookLog } from '../log/deferred.js';
import { driverOfRecord } from '../dhcp/drivers.js';
import { bridgeFilterTable, forgetPort } from '../net/filter.js';
import { instanceId } from '../net/names.js';
import { readRecord, recordKeysOf } from '../store/records.js';
import { helperPath } from '../sys/helper.js';
import { isContainerAlive } from '../store/container-ref.js';
import { adoptClient } from './clients.js';
import { clientOptionsOf } from './client-options.js';
import { supervisorPaths } from './paths.js';
import { tearDownNetwork } from './teardown.js';

export async function teardownWithoutSupervisor(stateDir: string, helperDir: string, id: string, log: Pick<HookLog, 'error'>): Promise<void> {
  await Promise.all(recordKeysOf(stateDir, id).map((key) => teardownInterface(stateDir, helperDir, key, log)));
}

async function teardownInterface(stateDir: string, helperDir: string, key: string, log: Pick<HookLog, 'error'>): Promise<void> {
  const record = readRecord(stateDir, key);
  // A CNI DEL removes whatever its namespace: the runtime calls it before it removes the namespace.
  if (record === undefined || (record.cni === undefined && isContainerAlive(record))) return;
  try {
    await tearDownNetwork({
      paths: supervisorPaths(stateDir),
      record,
      driver: driverOfRecord(record),
      client: record.client === null ? undefined : adoptClient(record.client, record.client.token, 20),
      target: { containerId: key, netnsInode: record.netnsInode, interface: record.interface, hostname: record.hostname, helper: helperPath(helperDir), ...clientOptionsOf(record) },
      // Harmless when the filter is off or nft is absent.
      forgetPort: () => forgetPort(bridgeFilterTable(instanceId(stateDir)), { hostVeth: record.hostVeth, mac: record.mac, ip: record.lease?.ip }).catch(() => undefined),
    });
  } catch (error) {
    log.error({ id: key, err: error }, 'direct teardown incomplete; garbage collection will finish it');
  }
}
