// The doctor's I/O: reads the facts each check (src/doctor, pure) judges. Never creates, never changes anything; a
// handful of processes (ip, iptables or nft, docker) whatever the number of containers.
import { accessSync, constants, lstatSync, statSync } from 'node:fs';
import { configuredHooksDirs, ETC_HOOKS_DIR, HOOKS_FILE_NAME } from './hooks-files.js';
import { PODMAN_DEFAULT_HOOKS_DIRS } from '../config/containers-conf.js';
import { isErrnoCode, toIpperError } from '../errors.js';
import { run } from '../sys/exec.js';
import type { DockerFacts } from '../doctor/docker.js';
import { parseDockerRuntimes } from '../doctor/docker.js';
import type { HooksFacts } from '../doctor/hooks.js';
import type { StateDirFacts } from '../doctor/state-dir.js';

const DAEMON_JSON = '/etc/docker/daemon.json';
/** docker info must not hold the doctor up when dockerd hangs. */
const DOCKER_TIMEOUT_MS = 3000;

import { findTool, readOptional } from '../net/host-facts.js';

export { findTool, gatherLinks, gatherNetfilter } from '../net/host-facts.js';

/** A regular file (after symlinks) that may be executed. */
export function isExecutableFile(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
}


export function gatherHooks(root: string): HooksFacts {
  let readDirs: HooksFacts['readDirs'];
  let configured = false;
  try {
    const dirs = configuredHooksDirs(root);
    configured = dirs !== undefined;
    readDirs = dirs ?? [...PODMAN_DEFAULT_HOOKS_DIRS];
  } catch (error) {
    readDirs = { error: toIpperError(error).message };
  }
  const looked = new Set([...(Array.isArray(readDirs) ? readDirs : []), ...PODMAN_DEFAULT_HOOKS_DIRS, ETC_HOOKS_DIR]);
  const files = new Map([...looked].map((dir) => [dir, readOptional(`${root}${dir}/${HOOKS_FILE_NAME}`)] as const));
  return { readDirs, configured, files, isExecutable: isExecutableFile, podmanInstalled: findTool('podman') !== undefined, root };
}

function readDaemonJson(path: string): DockerFacts['daemonJson'] {
  const text = readOptional(path);
  if (text === undefined) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return { error: `not valid JSON (${(error as Error).message})` };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return { error: 'not a JSON object' };
  const runtimes = (value as { runtimes?: unknown }).runtimes ?? {};
  if (typeof runtimes !== 'object' || runtimes === null || Array.isArray(runtimes)) return { error: '"runtimes" is not an object' };
  return { runtimes: runtimes as Record<string, unknown> };
}

/** daemon.json under `root`, and what dockerd itself reports (DOCKER_HOST is honoured). */
export async function gatherDocker(root: string, env: NodeJS.ProcessEnv): Promise<DockerFacts> {
  const daemonJsonPath = `${root}${DAEMON_JSON}`;
  const docker = findTool('docker');
  const facts: DockerFacts = { daemonJson: readDaemonJson(daemonJsonPath), daemonJsonPath, dockerInstalled: docker !== undefined, dockerdRuntimes: undefined, isExecutable: isExecutableFile, root };
  if (docker === undefined || facts.daemonJson === undefined || 'error' in facts.daemonJson) return facts;
  const dockerHost = env['DOCKER_HOST'];
  try {
    const { stdout } = await run(docker, ['info', '--format', '{{json .Runtimes}}'], { timeoutMs: DOCKER_TIMEOUT_MS, ...(dockerHost !== undefined && { env: { DOCKER_HOST: dockerHost } }) });
    const runtimes = parseDockerRuntimes(stdout.trim());
    return { ...facts, dockerdRuntimes: runtimes ?? { error: 'docker info printed no runtimes' } };
  } catch (error) {
    return { ...facts, dockerdRuntimes: { error: toIpperError(error).message.slice(0, 200) } };
  }
}

export function gatherStateDir(path: string, unreadableRecords: readonly string[]): StateDirFacts {
  let stat: StateDirFacts['stat'];
  try {
    const found = lstatSync(path);
    stat = { isDirectory: found.isDirectory(), isSymlink: found.isSymbolicLink(), uid: found.uid, mode: found.mode };
  } catch (error) {
    stat = isErrnoCode(error, 'ENOENT') ? undefined : { error: (error as Error).message };
  }
  return { path, stat, ourUid: process.getuid?.() ?? 0, unreadableRecords };
}

export function readMountinfo(): string | undefined {
  return readOptional('/proc/self/mountinfo');
}
