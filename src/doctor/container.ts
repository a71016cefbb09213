// One container: its host veth on the bridge and up, its client alive, when it last heard a server. Pure.
import { deriveLeaseState, leaseTiming } from '../status/lease-state.js';
import { formatDuration } from '../status/view.js';
import type { ContainerRecord } from '../store/records.js';
import { fail, ok, warn, type Finding } from './check.js';
import type { HostLink } from './links.js';

export interface ContainerFacts {
  record: ContainerRecord;
  links: readonly HostLink[];
  containerAlive: boolean;
  clientAlive: boolean;
  now: Date;
}

export function checkContainer(facts: ContainerFacts): Finding[] {
  const { record, now } = facts;
  const name = `container "${record.id.slice(0, 12)}"`;
  const what = 'netnsPath' in record.container ? `network namespace ${record.container.netnsPath}` : `process (pid ${record.container.pid})`;
  if (!facts.containerAlive) return [fail('container', `${name}: its ${what} is gone but its record remains`, 'ipper gc (removes what it left)')];
  const findings = [ok('container', `${name} runs (${'netnsPath' in record.container ? what : `pid ${record.container.pid}`})`)];
  const veth = facts.links.find((link) => link.name === record.hostVeth);
  if (veth === undefined) findings.push(fail('container-port', `${name}: its host veth ${record.hostVeth} does not exist: the container is cut off`, 'restart the container (ipper gives it a new veth)'));
  else if (veth.master !== record.bridge) findings.push(fail('container-port', `${name}: its host veth ${record.hostVeth} is ${veth.master === undefined ? 'on no bridge' : `on "${veth.master}"`}, not on "${record.bridge}"`, `ip link set ${record.hostVeth} master ${record.bridge} up`));
  else if (!veth.up) findings.push(fail('container-port', `${name}: its host veth ${record.hostVeth} is on "${record.bridge}" but down`, `ip link set ${record.hostVeth} up`));
  else findings.push(ok('container-port', `${name}: host veth ${record.hostVeth} is on "${record.bridge}" and up`));
  if (record.client === null) findings.push(fail('container-client', `${name} has no DHCP client recorded`, 'restart the container'));
  else if (!facts.clientAlive) findings.push(fail('container-client', `${name}: its DHCP client (pid ${record.client.pid}) is not running: nobody renews the lease`, 'is the supervisor running (ipper doctor)? It restarts clients; otherwise restart the container'));
  else findings.push(ok('container-client', `${name}: its DHCP client runs (pid ${record.client.pid})`));
  // Where the lease is in its life; a dead client is reported above.
  const state = deriveLeaseState({ phase: record.phase, lease: record.lease, clientAlive: true }, now);
  const timing = leaseTiming(record.lease);
  if (record.lease === null || timing === undefined) {
    findings.push(fail('container-lease', `${name} holds no lease (${state}): it has never heard a DHCP server, or lost its lease`, 'ipper doctor (no argument) for the bridge and br_netfilter; is a DHCP server on the LAN with free addresses?'));
    return findings;
  }
  const heard = `last heard a server ${formatDuration((now.getTime() - timing.heardAt.getTime()) / 1000)} ago (${timing.heardAt.toISOString()})`;
  const expires = timing.expiresAt.getTime() >= now.getTime() ? `expires in ${formatDuration((timing.expiresAt.getTime() - now.getTime()) / 1000)}` : `expired ${formatDuration((now.getTime() - timing.expiresAt.getTime()) / 1000)} ago`;
  const summary = `${name} has ${record.lease.ip}/${record.lease.prefixLen} (${state}); ${heard}; ${expires}`;
  if (state === 'bound' || state === 'renewing') findings.push(ok('container-lease', summary));
  else if (state === 'rebinding') findings.push(warn('container-lease', `${summary}: its server did not answer the renewals`, 'is the DHCP server up and reachable over the bridge? (ipper doctor with no argument)'));
  else findings.push(fail('container-lease', `${summary}: the address is no longer the container's`, 'is the DHCP server up and reachable over the bridge? (ipper doctor with no argument)'));
  return findings;
}
