// Argument dispatch. Returns the exit code; only this level catches everything and prints one line.
import { loadConfig } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { IpperError, toIpperError } from '../errors.js';
import { deferredLog, type HookLog } from '../log/deferred.js';
import { hookCommand } from './hook.js';
import type { CliIo } from './io.js';
import { basename } from 'node:path';

import { VERSION } from '../version.js';

export { VERSION };

export const HELP = `ipper ${VERSION}: one IP address per container on the host's LAN, by DHCP.

Usage:
  ipper hook [createRuntime|prestart|poststop]
                                        OCI hook; the OCI state on stdin
  ipper inspect <id>|--all              the container's network as JSON
  ipper status [--json]                 the supervisor, then one line per container: address,
                                        MAC, bridge, client, lease state, expiry, last renewal
  ipper doctor [<id>] [--json] [--root DIR]
                                        check the host (bridge, br_netfilter and FORWARD drops,
                                        DHCP client, hooks.d, Docker runtime, state and helper
                                        dirs, supervisor) or one container; says what to fix
  ipper attach <bridge> <container> dhcp [mac]
                                        give a running Docker/Podman container (or pid) a lease
  ipper runtime <runc arguments>        Docker's runtime: adds the hooks on create, then runc
                                        (also as the ipper-runtime link)
  ipper install|uninstall [--root DIR]  binary, Podman hooks.d, config, Docker daemon.json
                                        (the .deb package does this itself)
  ipper gc [--dry-run]                  reap what crashed runtimes left behind (the supervisor
                                        also does it every gcIntervalMs)
  ipper supervisor [--release-all]      run the per-host supervisor (started on demand);
                                        --release-all: release every lease on purpose
  CNI_COMMAND=ADD|DEL|CHECK|STATUS|GC|VERSION ipper < network.json
                                        the CNI plugin (installed as /opt/cni/bin/ipper):
                                        the network config on stdin, the result on stdout
  ipper <command> --help                that command's help, with examples
  ipper --version | --help

Examples:
  podman run -d --network none --annotation ipper.bridge=br0 busybox sleep 600
  docker run -d --runtime ipper --network none busybox sleep 600
  ipper inspect --all
  ipper status
  ipper doctor
  ipper attach br0 web dhcp

Config: $IPPER_CONFIG or /etc/ipper/config.json (missing file: all defaults).
Log: logFile in the config (/var/log/ipper.log). Manual: man ipper.
`;

/** Each command's own help, loaded only when asked for. */
const COMMAND_HELP: Record<string, () => Promise<string>> = {
  hook: async () => (await import('./hook.js')).HOOK_HELP,
  inspect: async () => (await import('./inspect.js')).INSPECT_HELP,
  status: async () => (await import('./status.js')).STATUS_HELP,
  doctor: async () => (await import('./doctor.js')).DOCTOR_HELP,
  attach: async () => (await import('./attach.js')).ATTACH_HELP,
  runtime: async () => (await import('./runtime.js')).RUNTIME_HELP,
  install: async () => (await import('./install.js')).INSTALL_HELP,
  uninstall: async () => (await import('./install.js')).UNINSTALL_HELP,
  gc: async () => (await import('./gc.js')).GC_HELP,
  supervisor: async () => (await import('./supervisor.js')).SUPERVISOR_HELP,
};

const isHelpFlag = (arg: string | undefined): boolean => arg === '--help' || arg === '-h';

export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  let log: HookLog | undefined;
  try {
    // As Docker's runtime every call must reach runc, whatever the state of ipper's config.
    if (basename(process.argv0) === 'ipper-runtime') return await (await import('./runtime.js')).runtimeCommand(argv, io);
    // A CNI runtime runs its plugin by the "type" name with no arguments and CNI_COMMAND set: the
    // binary installed as /opt/cni/bin/ipper is this one (see cni.ts).
    if (io.env['CNI_COMMAND'] !== undefined && argv.length === 0) return await (await import('./cni.js')).cniCommand(io);
    const [command, ...args] = argv;
    // `ipper <command> --help` and `ipper help <command>`.
    const helpFor = command === 'help' ? args[0] : isHelpFlag(args[0]) && args.length === 1 ? command : undefined;
    if (helpFor !== undefined) {
      const help = COMMAND_HELP[helpFor];
      if (help === undefined) throw new IpperError('USAGE', `unknown command "${helpFor}" (see ipper --help)`);
      io.stdout(await help());
      return 0;
    }
    if (command === 'runtime') return await (await import('./runtime.js')).runtimeCommand(args, io);
    if (command === 'install') return (await import('./install.js')).installCommand(args, io);
    if (command === 'uninstall') return await (await import('./install.js')).uninstallCommand(args, io);
    if (command === '--version' || command === '-v' || command === 'version') {
      io.stdout(`${VERSION}\n`);
      return 0;
    }
    if (command === undefined || isHelpFlag(command) || command === 'help') {
      io.stdout(HELP);
      return command === undefined ? 64 : 0;
    }
    const config: Config = loadConfig(io.env);
    const configPath = io.env['IPPER_CONFIG'] || undefined;
    switch (command) {
      case 'hook':
        log = deferredLog({ file: config.logFile, level: config.logLevel, name: 'hook', warn: io.stderr });
        return await hookCommand(args, { config, configPath, log, io });
      case 'inspect':
        return (await import('./inspect.js')).inspectCommand(args, config, io);
      case 'status':
        return await (await import('./status.js')).statusCommand(args, config, io);
      case 'doctor':
        return await (await import('./doctor.js')).doctorCommand(args, config, io);
      case 'attach':
        return await (await import('./attach.js')).attachCommand(args, config, configPath, io);
      case 'gc':
        return await (await import('./gc.js')).gcCommand(args, config, configPath, io);
      case 'supervisor':
        // Started detached, its stderr goes nowhere: a failure to start goes to the log as well.
        if (args.length === 0) log = deferredLog({ file: config.logFile, level: config.logLevel, name: 'supervisor', warn: io.stderr });
        return await (await import('./supervisor.js')).supervisorCommand(args, config, configPath, io);
      default:
        throw new IpperError('USAGE', `unknown command "${command}" (see ipper --help)`);
    }
  } catch (error) {
    const failure = toIpperError(error);
    log?.error({ err: error, code: failure.code }, failure.message);
    io.stderr(`ipper: ${failure.message.replace(/\s*\n\s*/g, ' ')} [${failure.code}]\n`);
    return failure.exitCode;
  } finally {
    await log?.flush();
  }
}
