// Argument dispatch. Returns the exit code; only this level catches everything and prints one line.
import { loadConfig } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { IpperError, toIpperError } from '../errors.js';
import { deferredLog, type HookLog } from '../log/deferred.js';
import { hookCommand } from './hook.js';
import { inspectCommand } from './inspect.js';
import type { CliIo } from './io.js';
import { basename } from 'node:path';

import { VERSION } from '../version.js';

export { VERSION };

export const HELP = `ipper ${VERSION}: one IP address per container on the host's LAN, by DHCP.

Usage:
  ipper hook [createRuntime|poststop]   OCI hook; the OCI state on stdin
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
  ipper gc [--dry-run]                  reap what crashed runtimes left behind (the supervisor
                                        also does it every gcIntervalMs)
  ipper supervisor [--release-all]      run the per-host supervisor (started on demand);
                                        --release-all: release every lease on purpose
  ipper --version | --help

Config: $IPPER_CONFIG or /etc/ipper/config.json (missing file: all defaults).
`;

export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  let log: HookLog | undefined;
  try {
    // As Docker's runtime every call must reach runc, whatever the state of ipper's config.
    if (basename(process.argv0) === 'ipper-runtime') return await (await import('./runtime.js')).runtimeCommand(argv, io);
    const [command, ...args] = argv;
    if (command === 'runtime') return await (await import('./runtime.js')).runtimeCommand(args, io);
    if (command === 'install') return (await import('./install.js')).installCommand(args, io);
    if (command === 'uninstall') return await (await import('./install.js')).uninstallCommand(args, io);
    if (command === '--version' || command === '-v' || command === 'version') {
      io.stdout(`${VERSION}\n`);
      return 0;
    }
    if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
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
        return inspectCommand(args, config, io);
      case 'status':
        return await (await import('./status.js')).statusCommand(args, config, io);
      case 'doctor':
        return await (await import('./doctor.js')).doctorCommand(args, config, io);
      case 'attach':
        return await (await import('./attach.js')).attachCommand(args, config, configPath, io);
      case 'gc':
        return await (await import('./gc.js')).gcCommand(args, config, configPath, io);
      case 'supervisor':
        if (args.length === 1 && args[0] === '--release-all') return await (await import('./gc.js')).releaseAllCommand(config, configPath, io);
        if (args.length > 0) throw new IpperError('USAGE', 'usage: ipper supervisor [--release-all]');
        // Only the supervisor needs proper-lockfile and the rest; hooks do not pay for loading them.
        // Started detached, its stderr goes nowhere: a failure to start goes to the log as well.
        log = deferredLog({ file: config.logFile, level: config.logLevel, name: 'supervisor', warn: io.stderr });
        await (await import('../supervisor/daemon.js')).runSupervisor(config);
        return 0;
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
