// `ipper install|uninstall [--root DIR]`: the binary, the Podman hooks.d file (where Podman reads
// it: hooks-files.ts), a default config, and the Docker runtime in daemon.json. uninstall undoes
// exactly that. --root lets tests use a scratch directory. With --package (hidden: the .deb's
// maintainer scripts) they do only what dpkg cannot: the Docker runtime in daemon.json, the hooks.d
// copy in an operator's hooks_dir; dpkg owns the binary, the link, /usr/share's hooks.d file and
// the config.
import { copyFileSync, existsSync, lstatSync, mkdirSync, readFileSync, readlinkSync, renameSync, rmSync, rmdirSync, symlinkSync } from 'node:fs';
import { isSea } from 'node:sea';
import { dirname } from 'node:path';
import { IpperError, isErrnoCode } from '../errors.js';
import { removeSupervisorCgroups } from '../sys/cgroup.js';
import { writeFileAtomic } from '../sys/fs.js';
import { configuredHooksDirs, HOOKS_FILE_NAME, isIpperEntry, planHooksFiles, type HooksFilePlan } from './hooks-files.js';
import type { CliIo } from './io.js';

export const BINARY = '/usr/local/bin/ipper';
export const RUNTIME_LINK = '/usr/local/bin/ipper-runtime';
const CONFIG_FILE = '/etc/ipper/config.json';
const DAEMON_JSON = '/etc/docker/daemon.json';
/** The default helperDir: the supervisor writes ipper-helper there, so uninstall takes it away. */
const HELPER_DIR = '/var/lib/ipper';

/** Where the .deb puts them (pkg/, scripts/package.mjs). */
export const PACKAGE_BINARY = '/usr/bin/ipper';
export const PACKAGE_RUNTIME_LINK = '/usr/bin/ipper-runtime';
/** The package's own hooks.d file: dpkg installs and removes it. */
const PACKAGE_HOOKS_DIR = '/usr/share/containers/oci/hooks.d';

/** The hooks.d entry (oci-hooks(5)) for a binary: only containers that carry an ipper annotation. */
export function hooksEntry(binary: string): { version: string; hook: { path: string; args: string[] }; when: { annotations: Record<string, string> }; stages: string[] } {
  return {
    version: '1.0.0',
    hook: { path: binary, args: ['ipper', 'hook'] },
    when: { annotations: { '^ipper\\.(bridge|mac|hostname)$': '.*' } },
    stages: ['createRuntime', 'poststop'],
  };
}
export const HOOKS_D_ENTRY = hooksEntry(BINARY);
/** Every entry ipper has ever written: any of them found in a hooks directory is ipper's own. */
const OWN_ENTRIES = [HOOKS_D_ENTRY, hooksEntry(PACKAGE_BINARY)];

/**
 * The CNI plugin: runtimes find a plugin by its "type" in their plugin directories (containerd,
 * CRI-O and Multus: /opt/cni/bin; Debian's Podman: /usr/lib/cni among others). A link to the
 * binary, so an upgrade of the binary is an upgrade of the plugin; it answers as a plugin because
 * a runtime sets CNI_COMMAND (src/cli/cni.ts).
 */
export const CNI_PLUGIN_DIRS = ['/opt/cni/bin', '/usr/lib/cni'] as const;

export const INSTALL_HELP = `Usage: ipper install [--root DIR]

Installs this binary as ${BINARY} (and the ${RUNTIME_LINK} link), the CNI plugin
(links named ipper in ${CNI_PLUGIN_DIRS.join(' and ')}), the Podman
hooks.d file where Podman reads it (/usr/share/containers/oci/hooks.d, and the last hooks_dir a
containers.conf sets), ${CONFIG_FILE} if there is none, and the "ipper" runtime in
${DAEMON_JSON} (merged: what is there stays; restart dockerd to load it). An invalid
daemon.json or containers.conf is an error and nothing changes. From the .deb, the package does this.

  --root DIR   install under DIR instead of /

Examples:
  dist/ipper install
  dist/ipper install --root /tmp/scratch
`;

export const UNINSTALL_HELP = `Usage: ipper uninstall [--root DIR]

Undoes ipper install: stops an idle supervisor (refuses while containers hold ipper networks),
removes the runtime from ${DAEMON_JSON}, the hooks.d files that are ipper's, the binary,
the links (runtime and CNI plugin), the helper in ${HELPER_DIR}, and ${CONFIG_FILE} unless it was edited.

Examples:
  ipper uninstall
  ipper uninstall --root /tmp/scratch
`;


/** Where the plugin links go under `root`, and what they point to (the binary as the installed system sees it). */
export function cniPluginLinks(root: string, binary: string = BINARY): { path: string; target: string }[] {
  return CNI_PLUGIN_DIRS.map((dir) => ({ path: `${root}${dir}/ipper`, target: binary }));
}

/** Only a link to one of ipper's own binaries is ipper's to remove: a plugin file of that name from elsewhere stays. */
export function isOwnPluginLink(target: string | undefined): boolean {
  return target === BINARY || target === PACKAGE_BINARY;
}

function readLinkOrUndefined(path: string): string | undefined {
  try {
    return lstatSync(path).isSymbolicLink() ? readlinkSync(path) : undefined;
  } catch {
    return undefined;
  }
}

/** Each link made beside the old one and renamed over it: a runtime never finds the plugin missing. */
function installCniPlugin(root: string): string[] {
  const links = cniPluginLinks(root);
  for (const { path, target } of links) {
    mkdirSync(dirname(path), { recursive: true, mode: 0o755 });
    rmSync(`${path}.new`, { force: true });
    symlinkSync(target, `${path}.new`);
    renameSync(`${path}.new`, path);
  }
  return links.map((link) => link.path.slice(root.length));
}

function uninstallCniPlugin(root: string, io: CliIo): void {
  for (const { path } of cniPluginLinks(root)) {
    const target = readLinkOrUndefined(path);
    if (isOwnPluginLink(target)) rmSync(path);
    else if (existsSync(path) || target !== undefined) io.stderr(`ipper: warning: left ${path}: it is not the link ipper makes\n`);
  }
}

export const DEFAULT_CONFIG_TEXT = `${JSON.stringify({ bridge: 'br0' }, null, 2)}\n`;

interface InstallArgs {
  root: string;
  /** Run by the .deb's maintainer scripts: only what dpkg does not do itself. */
  forPackage: boolean;
}

function parseInstallArgs(args: readonly string[], command: string): InstallArgs {
  const forPackage = args[0] === '--package';
  const rest = forPackage ? args.slice(1) : args;
  if (rest.length === 0) return { root: '', forPackage };
  if (rest.length === 2 && rest[0] === '--root' && rest[1]!.startsWith('/')) return { root: rest[1]!.replace(/\/+$/, ''), forPackage };
  throw new IpperError('USAGE', `usage: ipper ${command} [--root /absolute/dir]`);
}

/** daemon.json as an object; an existing file that is not a JSON object is an error, never overwritten. */
function readDaemonJson(path: string): Record<string, unknown> | undefined {
  if (!existsSync(path)) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new IpperError('INVALID_CONFIG', `${path} is not valid JSON (${(error as Error).message}); fix it first, ipper does not overwrite it`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new IpperError('INVALID_CONFIG', `${path} is not a JSON object; fix it first`);
  return value as Record<string, unknown>;
}

function runtimesOf(daemon: Record<string, unknown>, path: string): Record<string, unknown> {
  const runtimes = daemon['runtimes'] ?? {};
  if (typeof runtimes !== 'object' || runtimes === null || Array.isArray(runtimes)) throw new IpperError('INVALID_CONFIG', `"runtimes" in ${path} is not an object`);
  return runtimes as Record<string, unknown>;
}

/** Where the hooks.d file goes, from containers.conf under `root`; an unreadable one stops us first. */
function hooksPlan(root: string, io: CliIo): HooksFilePlan {
  const configured = configuredHooksDirs(root);
  if (configured?.length === 0) io.stderr('ipper: warning: containers.conf sets hooks_dir = [] (no hooks directory); Podman will not run ipper until it lists one\n');
  return planHooksFiles(configured);
}

/** Removes `dir`/ipper.json if it is the entry ipper writes; an operator's file stays, with a note. */
function removeIpperEntry(root: string, dir: string, io: CliIo): void {
  const path = `${root}${dir}/${HOOKS_FILE_NAME}`;
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if (isErrnoCode(error, 'ENOENT')) return;
    throw error;
  }
  if (OWN_ENTRIES.some((entry) => isIpperEntry(text, entry))) rmSync(path);
  else io.stderr(`ipper: warning: left ${path}: it is not the entry ipper writes\n`);
}

function writeJson(path: string, value: unknown): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o755 });
  writeFileAtomic(path, `${JSON.stringify(value, null, 2)}\n`, 0o644);
}

export function installCommand(args: readonly string[], io: CliIo): number {
  const { root, forPackage } = parseInstallArgs(args, 'install');
  if (forPackage) return installForPackage(root, io);
  if (!isSea()) throw new IpperError('USAGE', 'install runs from the built binary (dist/ipper), not from node');
  // Validate daemon.json before changing anything.
  const daemonPath = `${root}${DAEMON_JSON}`;
  const daemon = readDaemonJson(daemonPath) ?? {};
  const runtimes = runtimesOf(daemon, daemonPath);
  const hooks = hooksPlan(root, io);
  // The binary first: hooks.d entries whose path does not exist are dropped by Podman.
  mkdirSync(dirname(`${root}${BINARY}`), { recursive: true, mode: 0o755 });
  const temp = `${root}${BINARY}.new`;
  copyFileSync(process.execPath, temp);
  renameSync(temp, `${root}${BINARY}`);
  rmSync(`${root}${RUNTIME_LINK}`, { force: true });
  symlinkSync('ipper', `${root}${RUNTIME_LINK}`);
  const plugins = installCniPlugin(root);
  const hooksFiles = hooks.write.map((dir) => `${dir}/${HOOKS_FILE_NAME}`);
  for (const path of hooksFiles) writeJson(`${root}${path}`, HOOKS_D_ENTRY);
  // A copy from an older install (it went to /etc) would mask the fresh one where both are read.
  for (const dir of hooks.clean) removeIpperEntry(root, dir, io);
  if (!existsSync(`${root}${CONFIG_FILE}`)) {
    mkdirSync(dirname(`${root}${CONFIG_FILE}`), { recursive: true, mode: 0o755 });
    writeFileAtomic(`${root}${CONFIG_FILE}`, DEFAULT_CONFIG_TEXT, 0o644);
  }
  writeJson(daemonPath, { ...daemon, runtimes: { ...runtimes, ipper: { path: RUNTIME_LINK } } });
  io.stdout(`installed ${BINARY}, ${RUNTIME_LINK}, ${hooksFiles.join(', ')}, the CNI plugin ${plugins.join(', ')}, ${CONFIG_FILE} and the "ipper" runtime in ${DAEMON_JSON}${root ? ` under ${root}` : ''}\n`);
  return 0;
}

/** postinst: the runtime in daemon.json and a copy of the hooks.d entry in an operator's hooks_dir. */
function installForPackage(root: string, io: CliIo): number {
  const daemonPath = `${root}${DAEMON_JSON}`;
  const daemon = readDaemonJson(daemonPath) ?? {};
  const runtimes = runtimesOf(daemon, daemonPath);
  const hooks = hooksPlan(root, io);
  for (const dir of hooks.write.filter((dir) => dir !== PACKAGE_HOOKS_DIR)) writeJson(`${root}${dir}/${HOOKS_FILE_NAME}`, hooksEntry(PACKAGE_BINARY));
  for (const dir of hooks.clean.filter((dir) => dir !== PACKAGE_HOOKS_DIR)) removeIpperEntry(root, dir, io);
  writeJson(daemonPath, { ...daemon, runtimes: { ...runtimes, ipper: { path: PACKAGE_RUNTIME_LINK } } });
  io.stdout(`added the "ipper" runtime to ${DAEMON_JSON}${root ? ` under ${root}` : ''} (restart dockerd to load it)\n`);
  return 0;
}

/** The runtime out of daemon.json; the rest stays (an empty object where the runtime was all). */
function removeRuntime(daemonPath: string, daemon: Record<string, unknown> | undefined, runtimes: Record<string, unknown> | undefined): void {
  if (daemon === undefined || runtimes === undefined || !('ipper' in runtimes)) return;
  const { ipper: _removed, ...others } = runtimes;
  const { runtimes: _old, ...rest } = daemon;
  writeJson(daemonPath, Object.keys(others).length > 0 ? { ...rest, runtimes: others } : rest);
}

/** The helper the supervisor wrote, its directory if that is now empty, and the supervisor's cgroups. */
function removeSupervisorLeftovers(root: string): void {
  rmSync(`${root}${HELPER_DIR}/ipper-helper`, { force: true });
  try {
    rmdirSync(`${root}${HELPER_DIR}`); // only if empty: anything else there is not ours
  } catch (error) {
    if (!isErrnoCode(error, 'ENOENT') && !isErrnoCode(error, 'ENOTEMPTY')) throw error;
  }
  if (root === '') removeSupervisorCgroups();
}

export async function uninstallCommand(args: readonly string[], io: CliIo): Promise<number> {
  const { root, forPackage } = parseInstallArgs(args, 'uninstall');
  // Read the operator's files before anything changes: a bad one stops us with nothing done.
  const daemonPath = `${root}${DAEMON_JSON}`;
  const daemon = readDaemonJson(daemonPath);
  const runtimes = daemon === undefined ? undefined : runtimesOf(daemon, daemonPath);
  const hooks = hooksPlan(root, io);
  // Then, while nothing is removed: a supervisor with containers refuses, an idle one stops.
  const stopped = await (await import('./stop-supervisor.js')).stopIdleSupervisor(root, io.env);
  if (stopped !== undefined) io.stdout(`stopped the idle ipper supervisor (pid ${stopped})\n`);
  removeRuntime(daemonPath, daemon, runtimes);
  if (forPackage) {
    // prerm: dpkg removes its own files (and the config only at purge).
    for (const dir of [...hooks.write, ...hooks.clean].filter((dir) => dir !== PACKAGE_HOOKS_DIR)) removeIpperEntry(root, dir, io);
    removeSupervisorLeftovers(root);
    io.stdout(`removed the "ipper" runtime from ${DAEMON_JSON}${root ? ` under ${root}` : ''}\n`);
    return 0;
  }
  for (const dir of [...hooks.write, ...hooks.clean]) removeIpperEntry(root, dir, io);
  // The config goes only if it is still the one install wrote: an operator's edits stay.
  if (existsSync(`${root}${CONFIG_FILE}`) && readFileSync(`${root}${CONFIG_FILE}`, 'utf8') === DEFAULT_CONFIG_TEXT) rmSync(`${root}${CONFIG_FILE}`);
  try {
    if (lstatSync(`${root}${RUNTIME_LINK}`).isSymbolicLink()) rmSync(`${root}${RUNTIME_LINK}`);
  } catch (error) {
    if (!isErrnoCode(error, 'ENOENT')) throw error;
  }
  uninstallCniPlugin(root, io);
  rmSync(`${root}${BINARY}`, { force: true });
  removeSupervisorLeftovers(root);
  io.stdout(`uninstalled ipper${root ? ` under ${root}` : ''}\n`);
  return 0;
}
