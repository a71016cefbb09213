// The Docker runtime: registered in daemon.json, its path there exists, and dockerd has loaded it
// (dockerd reads daemon.json at start and on SIGHUP only). Pure.
import { fail, installCommand, ok, skip, warn, type Finding } from './check.js';

export interface DockerFacts {
  /** daemon.json: undefined when missing, else its runtimes or why it could not be read. */
  daemonJson: { runtimes: Record<string, unknown> } | { error: string } | undefined;
  daemonJsonPath: string;
  dockerInstalled: boolean;
  /** Runtime names dockerd reports (`docker info`), or why it did not answer; undefined: not asked. */
  dockerdRuntimes: string[] | { error: string } | undefined;
  isExecutable: (path: string) => boolean;
  root: string;
}

const RUNTIME = 'ipper';

export function checkDocker(facts: DockerFacts): Finding[] {
  const { daemonJson, daemonJsonPath } = facts;
  if (!facts.dockerInstalled && daemonJson === undefined) return [skip('docker', 'Docker is not installed')];
  if (daemonJson === undefined) return [fail('docker', `${daemonJsonPath} does not exist: Docker has no "${RUNTIME}" runtime (docker run --runtime ${RUNTIME} fails)`, `${installCommand(facts.root)}, then systemctl reload docker`)];
  if ('error' in daemonJson) return [fail('docker', `${daemonJsonPath}: ${daemonJson.error}`, `fix ${daemonJsonPath} (dockerd cannot start with it either)`)];
  const entry = daemonJson.runtimes[RUNTIME];
  if (entry === undefined) return [fail('docker', `${daemonJsonPath} registers no "${RUNTIME}" runtime: docker run --runtime ${RUNTIME} fails`, `${installCommand(facts.root)}, then systemctl reload docker`)];
  const path = typeof entry === 'object' && entry !== null ? (entry as { path?: unknown }).path : undefined;
  if (typeof path !== 'string') return [fail('docker', `the "${RUNTIME}" runtime in ${daemonJsonPath} has no "path"`, `${installCommand(facts.root)}, then systemctl reload docker`)];
  if (!facts.isExecutable(`${facts.root}${path}`)) return [fail('docker', `the "${RUNTIME}" runtime in ${daemonJsonPath} points at ${facts.root}${path}, which is not an executable file`, `${installCommand(facts.root)} (makes the ipper-runtime link), then systemctl reload docker`)];
  const findings = [ok('docker', `${daemonJsonPath} registers the "${RUNTIME}" runtime (${path})`)];
  const known = facts.dockerdRuntimes;
  if (!facts.dockerInstalled || known === undefined) findings.push(skip('dockerd', 'docker is not installed: not asked'));
  else if (!Array.isArray(known)) findings.push(warn('dockerd', `dockerd did not answer (${known.error}): cannot tell whether it knows the "${RUNTIME}" runtime`, 'start dockerd (systemctl start docker), then run ipper doctor again'));
  else if (known.includes(RUNTIME)) findings.push(ok('dockerd', `dockerd knows the "${RUNTIME}" runtime`));
  else findings.push(fail('dockerd', `dockerd does not know the "${RUNTIME}" runtime (it knows ${known.join(', ') || 'none'}): it has not read ${daemonJsonPath} since ipper was installed`, 'systemctl reload docker (or kill -HUP the dockerd pid)'));
  return findings;
}

/** The runtime names in `docker info --format '{{json .Runtimes}}'`; pure. */
export function parseDockerRuntimes(json: string): string[] | undefined {
  try {
    const value: unknown = JSON.parse(json);
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? Object.keys(value).sort() : undefined;
  } catch {
    return undefined;
  }
}
