// The CNI plugin: the same binary, called by a runtime with CNI_COMMAND in its environment and the
// network config on stdin. A front door onto the hook's path: the supervisor attaches, keeps the
// lease and tears down; records, MAC scheme, clients and garbage collection are the hook's own.
import { loadConfig } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { IpperError, toIpperError } from '../errors.js';
import { deferredLog, type HookLog } from '../log/deferred.js';
import { getBridgeInfo, readHostLinkMac, readLinkInNetns } from '../net/links.js';
import { assertForeignNetnsPath, openNetnsAt } from '../net/netns.js';
import { listRecords, readRecord, recordExists, type ContainerRecord } from '../store/records.js';
import { readStdin } from '../sys/stdin.js';
import { isAlive } from '../sys/proc.js';
import { SUPERVISOR_START_MS, requestSupervisor } from '../supervisor/connect.js';
import { teardownWithoutSupervisor } from '../supervisor/fallback.js';
import { decodeConfig, hostConfigPath, parseNetConf, readCniVersion, type NetConf } from '../cni/config.js';
import { attachmentId, cniHostname, parseCniEnv, type CniEnv } from '../cni/env.js';
import { cniErrorOf } from '../cni/errors.js';
import { staleAttachments } from '../cni/gc.js';
import { buildResult, prevResultMismatch } from '../cni/result.js';
import { LATEST_VERSION, checkVersion, isSupportedVersion, versionReply } from '../cni/versions.js';
import { assertRootOfHost, connectOptions } from './attach-request.js';
import type { CliIo } from './io.js';

/** A network config is small; a runtime's GC list of a busy node is the largest thing on stdin. */
const MAX_CONFIG_BYTES = 4 * 1024 * 1024;

interface CniContext {
  env: CniEnv;
  conf: NetConf;
  config: Config;
  configPath: string | undefined;
  log: HookLog;
  io: CliIo;
}

/** Answers one CNI call: the result (or nothing) on stdout and 0, or a CNI error object on stdout and non-zero. */
export async function cniCommand(io: CliIo): Promise<number> {
  let cniVersion: string = LATEST_VERSION;
  let command: string | undefined;
  let log: HookLog | undefined;
  try {
    const env = parseCniEnv(io.env);
    command = env.command;
    const text = await readStdin(MAX_CONFIG_BYTES);
    if (env.command === 'VERSION') {
      const requested = text.trim() === '' ? undefined : readCniVersion(decodeConfig(text));
      io.stdout(`${JSON.stringify(versionReply(requested))}\n`);
      return 0;
    }
    const json = decodeConfig(text);
    const requested = readCniVersion(json);
    if (requested !== undefined && isSupportedVersion(requested)) cniVersion = requested;
    // The version is judged first (code 1), before the host config is even read.
    if (requested !== undefined) checkVersion(requested, env.command);
    const configPath = hostConfigPath(json) ?? (io.env['IPPER_CONFIG'] || undefined);
    const config = loadConfig(configPath === undefined ? {} : { IPPER_CONFIG: configPath });
    log = deferredLog({ file: config.logFile, level: config.logLevel, name: 'cni', warn: io.stderr });
    log.debug({ command, containerId: env.containerId, ifname: env.ifname, netns: env.netns, args: env.args }, 'CNI call');
    const conf = parseNetConf(json, env.command, config);
    const context: CniContext = { env, conf, config, configPath, log, io };
    switch (env.command) {
      case 'ADD':
        return await add(context);
      case 'DEL':
        return await del(context);
      case 'CHECK':
        return await check(context);
      case 'STATUS':
        return await status(context);
      case 'GC':
        return await collect(context);
    }
    throw new IpperError('INTERNAL', `unhandled CNI command ${String(command)}`);
  } catch (error) {
    const failure = toIpperError(error);
    log?.error({ err: error, code: failure.code, command, containerId: io.env['CNI_CONTAINERID'] }, failure.message);
    io.stdout(`${JSON.stringify(cniErrorOf(failure, cniVersion, command))}\n`);
    return failure.exitCode;
  } finally {
    await log?.flush();
  }
}

async function add({ env, conf, config, configPath, io }: CniContext): Promise<number> {
  const containerId = env.containerId!;
  const ifname = env.ifname!;
  const netnsPath = env.netns!;
  // These guards come before anything else is read or made.
  assertRootOfHost();
  const netnsInode = assertForeignNetnsPath(netnsPath);
  const netns = openNetnsAt(netnsPath, netnsInode);
  try {
    if ((await readLinkInNetns(netns, ifname)) !== undefined) throw new IpperError('INTERFACE_EXISTS', `the namespace "${netnsPath}" already has an interface "${ifname}": give this network another CNI_IFNAME`);
  } finally {
    netns.close();
  }
  const reply = await requestSupervisor(
    {
      op: 'attach',
      id: attachmentId(containerId, ifname),
      netnsPath,
      netnsInode,
      cni: { containerId, ifname, network: conf.name },
      bridge: conf.bridge,
      interface: ifname,
      ...(conf.mac !== undefined && { mac: conf.mac }),
      hostname: cniHostname(containerId, env.args),
      dhcpClient: conf.dhcpClient,
      clientId: { from: conf.clientId },
      leaseTimeoutMs: conf.leaseTimeoutMs,
      onLeaseTimeout: conf.onLeaseTimeout,
      ipv4Mode: 'dhcp',
      ipv6Mode: conf.ipv6,
      ipv6WaitMs: conf.ipv6WaitMs,
      ...(!conf.defaultRoute && { defaultRoute: false as const }),
      ...(conf.macFrom === 'identity' && conf.mac === undefined && { macIdentity: env.args['K8S_POD_NAME'] ?? containerId }),
    },
    connectOptions(config, configPath, Math.max(conf.leaseTimeoutMs, conf.ipv6WaitMs) + SUPERVISOR_START_MS + 5000),
  );
  const record = reply.record;
  if (record === undefined) throw new IpperError('SUPERVISOR_UNAVAILABLE', 'the supervisor replied without a record');
  const result = buildResult(conf.cniVersion, { ifname, mac: record.mac, netnsPath, hostVeth: record.hostVeth, hostMac: await readHostLinkMac(record.hostVeth), lease: record.lease, ipv6: record.ipv6, defaultRoute: conf.defaultRoute }, conf.prevResult);
  io.stdout(`${JSON.stringify(result)}\n`);
  return 0;
}

/** DEL succeeds for what was never added, is already gone, or whose namespace is gone. */
async function del(context: CniContext): Promise<number> {
  const id = attachmentId(context.env.containerId!, context.env.ifname!);
  if (!recordExists(context.config.stateDir, id)) return 0;
  const record = readRecord(context.config.stateDir, id);
  if (record !== undefined && record.cni === undefined) return 0; // the hook's, never the plugin's to remove
  await release(context, id);
  return 0;
}

/** Asks the supervisor (starting one if none runs) to release and remove; without one, does it here. */
async function release({ config, configPath, log }: CniContext, id: string): Promise<void> {
  let reply;
  try {
    reply = await requestSupervisor({ op: 'detach', id }, connectOptions(config, configPath, SUPERVISOR_START_MS + 5000));
  } catch (error) {
    log.warn({ id, err: error }, 'supervisor unavailable at CNI DEL; releasing directly');
    await teardownWithoutSupervisor(config.stateDir, config.helperDir, id, log);
    if (recordExists(config.stateDir, id)) throw new IpperError('COMMAND_FAILED', `the network of "${id}" was not fully removed (see ${config.logFile}); DEL again, or garbage collection finishes it`);
    return;
  }
  if (reply.removed === false) throw new IpperError('COMMAND_FAILED', `the network of "${id}" was not fully removed (see ${config.logFile}); DEL again, or garbage collection finishes it`);
  if (reply.released === false) log.warn({ id }, 'lease not released at CNI DEL; the server keeps it until it expires');
}

/** CHECK: the interface, its MAC and address, the host veth and the DHCP client are all still there. */
async function check({ env, conf, config }: CniContext): Promise<number> {
  const containerId = env.containerId!;
  const ifname = env.ifname!;
  const netnsPath = env.netns!;
  const record = readRecord(config.stateDir, attachmentId(containerId, ifname));
  if (record?.cni === undefined) throw new IpperError('NOT_FOUND', `ipper holds no attachment for container "${containerId}" interface "${ifname}" (no ADD, or DEL already ran)`);
  const failed = (what: string): IpperError => new IpperError('CHECK_FAILED', `container "${containerId}" ${what}`);
  if (!('netnsPath' in record.container) || record.container.netnsPath !== netnsPath) throw failed(`was attached in another namespace than "${netnsPath}"`);
  const netns = openNetnsAt(netnsPath, record.netnsInode);
  let link;
  try {
    link = await readLinkInNetns(netns, ifname);
  } finally {
    netns.close();
  }
  if (link === undefined) throw failed(`has no interface "${ifname}" in "${netnsPath}"`);
  if (link.mac !== record.mac) throw failed(`interface "${ifname}" has MAC ${link.mac}, ipper gave it ${record.mac}`);
  if (!link.up) throw failed(`interface "${ifname}" is down`);
  if ((await readHostLinkMac(record.hostVeth)) === undefined) throw failed(`lost its host veth "${record.hostVeth}" (on bridge "${record.bridge}")`);
  if (record.client === null || !isAlive(record.client)) throw failed(`has no running DHCP client (${record.dhcpClient ?? 'udhcpc'}): the supervisor restarts it; CHECK again shortly`);
  const lease = record.lease;
  if (lease === null) throw failed(`has no DHCP lease on "${record.bridge}" (the client is still asking)`);
  const address = `${lease.ip}/${lease.prefixLen}`;
  if (!link.ipv4.some((ip) => `${ip.address}/${ip.prefixLen}` === address)) throw failed(`interface "${ifname}" lacks its leased address ${address}`);
  const mismatch = prevResultMismatch(conf.prevResult, ifname, netnsPath, address);
  if (mismatch !== undefined) throw failed(mismatch);
  return 0;
}

/** STATUS: ready when the bridge is there and up and the supervisor answers (started if none runs). */
async function status({ conf, config, configPath }: CniContext): Promise<number> {
  const bridge = await getBridgeInfo(conf.bridge);
  if (!bridge.up) throw new IpperError('BRIDGE_NOT_FOUND', `bridge "${conf.bridge}" is down: ip link set ${conf.bridge} up`);
  await requestSupervisor({ op: 'status' }, connectOptions(config, configPath, SUPERVISOR_START_MS + 5000));
  return 0;
}

/** GC: every attachment of this network that the runtime's valid list omits is released and removed. */
async function collect(context: CniContext): Promise<number> {
  const valid = context.conf.validAttachments;
  if (valid === undefined) throw new IpperError('INVALID_CONFIG', 'GC needs "cni.dev/valid-attachments" in the network config');
  const records: ContainerRecord[] = listRecords(context.config.stateDir).records;
  const failures: string[] = [];
  for (const id of staleAttachments(records, context.conf.name, valid)) {
    try {
      await release(context, id);
    } catch (error) {
      failures.push(toIpperError(error).message);
    }
  }
  if (failures.length > 0) throw new IpperError('COMMAND_FAILED', failures.join('; '));
  return 0;
}
