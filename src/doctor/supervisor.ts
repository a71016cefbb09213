// The supervisor: runs, answers, speaks our version, and has nothing to complain about. Pure.
import type { SupervisorFacts } from '../status/view.js';
import { fail, ok, warn, type Finding } from './check.js';

export interface SupervisorCheckFacts {
  supervisor: SupervisorFacts;
  /** Containers recorded in the state dir. */
  containers: number;
  /** This binary's version. */
  version: string;
}

export function checkSupervisor(facts: SupervisorCheckFacts): Finding[] {
  const s = facts.supervisor;
  if (!s.running && s.code === 'PROTOCOL_MISMATCH') {
    return [fail('supervisor', s.reason, 'kill -TERM the old supervisor (its containers keep their leases); the next container start starts this version, which adopts them')];
  }
  if (!s.running && s.code === 'PERMISSION_DENIED') return [warn('supervisor', `the supervisor refused to answer: ${s.reason}`, 'run ipper doctor as root')];
  if (!s.running) {
    if (facts.containers > 0) {
      return [fail('supervisor', `no supervisor answers (${s.reason}) while ${facts.containers} container(s) are recorded: nobody renews their leases or restarts their clients`, 'start it: systemctl start ipper, or ipper supervisor & (it adopts the running clients)')];
    }
    return [ok('supervisor', `no supervisor runs (${s.reason}); the next container start starts one`)];
  }
  const findings: Finding[] = [];
  const about = `pid ${s.pid ?? '?'}, ipper ${s.version ?? '?'}, ${s.containers ?? '?'} container(s), ${s.clientRestarts ?? '?'} client restart(s)`;
  if (s.version !== undefined && s.version !== facts.version) findings.push(warn('supervisor', `the supervisor runs ipper ${s.version}, this is ${facts.version} (${about})`, 'kill -TERM the supervisor (its containers keep their leases); the next container start starts this version'));
  else findings.push(ok('supervisor', `the supervisor answers (${about})`));
  if (s.missingBridges.length > 0) findings.push(fail('supervisor-bridges', `bridge(s) ${s.missingBridges.join(', ')} that containers use do not exist: those containers are cut off`, 'bring the bridge back (ifup, netplan apply); ipper puts the ports back on it'));
  if (s.unexplained.length > 0) findings.push(warn('supervisor-gc', `garbage collection found ${s.unexplained.length} thing(s) it cannot explain and leaves alone`, 'ipper gc --dry-run lists them (the "report" lines)'));
  return findings;
}
