// One record per container in <stateDir>/containers: what poststop and garbage collection need,
// since poststop's OCI state carries no pid.
import { crypto } from '../sys/crypto.js';
import { existsSync, lstatSync, readdirSync, renameSync } from 'node:fs';
import * as z from '../config/zod.js';
import { clientIdentitySchema } from '../dhcp/client-id.js';
import { dhcpClientSchema } from '../dhcp/driver.js';
import { IPV4_MODES, IPV6_MODES } from '../config/schema.js';
import { leaseSchema } from '../dhcp/lease.js';
import { dhcpv6StateSchema } from '../dhcp/lease6.js';
import { resolvStateSchema } from '../net/resolv.js';
import { ensurePrivateDir, readFileNoFollow, removeFile, writeFileAtomic } from '../sys/fs.js';

const identitySchema = z.object({ pid: z.int().check(z.minimum(1)), startTime: z.int().check(z.minimum(0)) });
/** A CNI attachment's container: the runtime names a network namespace by path, and no pid. */
const netnsRefSchema = z.strictObject({ netnsPath: z.string().check(z.regex(/^\/[^\0]*$/), z.maxLength(4096)) });

/** Who the runtime attached a CNI network for: what ADD, CHECK, DEL and GC name it by. */
export const cniAttachmentSchema = z.strictObject({
  containerId: z.string().check(z.minLength(1), z.maxLength(1024)),
  ifname: z.string().check(z.minLength(1), z.maxLength(15)),
  /** The network config's name: GC releases what ipper holds for one network. */
  network: z.string().check(z.minLength(1), z.maxLength(1024)),
});
export type CniAttachment = z.infer<typeof cniAttachmentSchema>;

export const recordSchema = z.object({
  version: z.literal(1),
  id: z.string(),
  hostname: z.string(),
  bridge: z.string(),
  interface: z.string(),
  hostVeth: z.string(),
  mac: z.string(),
  /** The hook's container process, or the network namespace a CNI runtime named (gone: its path no longer shows that inode). */
  container: z.union([identitySchema, netnsRefSchema]),
  netnsInode: z.int().check(z.minimum(1)),
  /** attaching: links may be half made; active: handed to the supervisor's client. */
  phase: z.enum(['attaching', 'active']),
  /** Which client keeps the lease: a restarted supervisor stops and restarts it by this, whatever its config says now (absent in records older than the choice: udhcpc). */
  dhcpClient: z.optional(dhcpClientSchema),
  /** The DHCP client and the token that tags its events. */
  client: z.nullable(z.extend(identitySchema, { token: z.string() })),
  lease: z.nullable(leaseSchema),
  createdAt: z.string(),
  // Optional, so that records of the previous version still parse (absent: dhcp, auto, nothing written).
  ipv4Mode: z.optional(z.enum(IPV4_MODES)),
  ipv6Mode: z.optional(z.enum(IPV6_MODES)),
  /** The interface's global IPv6 addresses and default router, as last read from the namespace. */
  ipv6: z.optional(z.object({
    addresses: z.array(z.object({ address: z.string(), prefixLen: z.int().check(z.minimum(0), z.maximum(128)) })).check(z.maxLength(64)),
    router: z.optional(z.string()),
    readAt: z.string(),
  })),
  /** Where the container's resolv.conf is and what ipper wrote into it. */
  resolvConf: z.optional(resolvStateSchema),
  /** Set for an attachment made by the CNI plugin (absent: the OCI hook's). */
  cni: z.optional(cniAttachmentSchema),
  /** false: the lease's router never becomes the default route (a CNI secondary network). Absent: as `extra` says. */
  defaultRoute: z.optional(z.literal(false)),
  /** The client id and DUID/IAID its client sends, fixed at attach: every restart of the client sends the same. */
  clientIdentity: z.optional(clientIdentitySchema),
  /** The address this identity held last (store/addresses.ts), asked for at the first discover. */
  requestIpv4: z.optional(z.ipv4()),
  /** DHCPv6 (a client that does it): the advertisements' flags, the IA_NA addresses and DNS. */
  dhcpv6: z.optional(dhcpv6StateSchema),
  /**
   * An interface beyond the container's first (a second bridge in ipper.bridge, or `ipper attach
   * -i`): kept under its own key (recordKey), with its own veth, MAC, client and lease; it never
   * sets the default route. Absent: the first interface (every record before this field).
   */
  extra: z.optional(z.literal(true)),
});

export type ContainerRecord = z.infer<typeof recordSchema>;

/** Container ids never hold "@" (containerIdSchema): it separates the id from an extra interface. */
const KEY_SEPARATOR = '@';

/**
 * What one interface of a container is known by in the supervisor, the state dir and its client's
 * environment: the container id for its first interface, "<id>@<interface>" for each extra one.
 */
/** The record says the server holds a lease for it, in either family: its release must be sent. */
export function recordHoldsLease(record: Pick<ContainerRecord, 'lease' | 'dhcpv6'>): boolean {
  return record.lease !== null || (record.dhcpv6?.addresses.length ?? 0) > 0;
}

export function recordKey(record: Pick<ContainerRecord, 'id' | 'interface' | 'extra'>): string {
  return record.extra === true ? `${record.id}${KEY_SEPARATOR}${record.interface}` : record.id;
}

/** A container's interfaces in order: its first, then the extra ones by name (a sort comparator). */
export function compareInterfaces(a: Pick<ContainerRecord, 'interface' | 'extra'>, b: Pick<ContainerRecord, 'interface' | 'extra'>): number {
  return Number(a.extra === true) - Number(b.extra === true) || a.interface.localeCompare(b.interface);
}

export function containersDir(stateDir: string): string {
  return `${stateDir}/containers`;
}

/** File name stem for an id: the id itself (already restricted to [A-Za-z0-9_+.-]) unless too long. */
export function fileStem(id: string): string {
  return id.length <= 200 ? id : crypto().createHash('sha256').update(id).digest('hex');
}

/** A record's file name stem: the id's, then "@<interface>" for an extra interface (so a container's records share a prefix). */
function recordStem(key: string): string {
  const at = key.indexOf(KEY_SEPARATOR);
  return at < 0 ? fileStem(key) : `${fileStem(key.slice(0, at))}${key.slice(at)}`;
}

/** The record file of a key (recordKey): a container id for its first interface. */
export function recordPath(stateDir: string, key: string): string {
  return `${containersDir(stateDir)}/${recordStem(key)}.json`;
}

export function readRecord(stateDir: string, key: string): ContainerRecord | undefined {
  return readRecordFile(recordPath(stateDir, key));
}

/**
 * The keys of every record file a container has, readable or not: its first interface's (the id)
 * and each extra one's. Read from the directory's names only, never from the files.
 */
export function recordKeysOf(stateDir: string, id: string): string[] {
  let names: string[];
  try {
    names = readdirSync(containersDir(stateDir));
  } catch {
    return [];
  }
  const stem = fileStem(id);
  const keys: string[] = [];
  for (const name of names) {
    if (!name.endsWith('.json')) continue;
    const base = name.slice(0, -'.json'.length);
    if (base === stem) keys.push(id);
    else if (base.startsWith(`${stem}${KEY_SEPARATOR}`)) keys.push(`${id}${base.slice(stem.length)}`);
  }
  return keys;
}

/** A record file, or undefined for anything else: missing, not JSON, or a symlink someone planted. */
function readRecordFile(path: string): ContainerRecord | undefined {
  try {
    const text = readFileNoFollow(path);
    if (text === undefined) return undefined;
    const result = recordSchema.safeParse(JSON.parse(text));
    return result.success ? result.data : undefined;
  } catch {
    return undefined;
  }
}

/** Whether a record file is there at all, readable or not (poststop must not skip an unreadable one). */
export function recordExists(stateDir: string, key: string): boolean {
  try {
    lstatSync(recordPath(stateDir, key));
    return true;
  } catch {
    return false;
  }
}

/** Whether the container has any record, of its first interface or of an extra one. */
export function containerHasRecords(stateDir: string, id: string): boolean {
  return recordExists(stateDir, id) || recordKeysOf(stateDir, id).length > 0;
}

export function writeRecord(stateDir: string, record: ContainerRecord): void {
  ensurePrivateDir(containersDir(stateDir));
  writeFileAtomic(recordPath(stateDir, recordKey(record)), `${JSON.stringify(record)}\n`);
}

export function removeRecord(stateDir: string, key: string): void {
  removeFile(recordPath(stateDir, key));
}

export interface RecordListing {
  records: ContainerRecord[];
  /** Record files that could not be read: never taken as "no record". */
  unreadable: string[];
}

/** Every record file (temp files are ".<hex>.tmp"; an id may itself start with a dot). */
export function listRecords(stateDir: string): RecordListing {
  let names: string[];
  try {
    names = readdirSync(containersDir(stateDir));
  } catch {
    return { records: [], unreadable: [] };
  }
  const listing: RecordListing = { records: [], unreadable: [] };
  for (const name of names) {
    if (!name.endsWith('.json')) continue;
    const path = `${containersDir(stateDir)}/${name}`;
    const record = readRecordFile(path);
    if (record !== undefined) listing.records.push(record);
    else if (existsSync(path) || isSymlink(path)) listing.unreadable.push(path);
  }
  return listing;
}

function isSymlink(path: string): boolean {
  try {
    return lstatSync(path).isSymbolicLink();
  } catch {
    return false;
  }
}

/** A temp file of writeFileAtomic: "." + 12 hex digits + ".tmp". */
const TEMP_FILE = /^\.[0-9a-f]{12}\.tmp$/;

/**
 * Removes the temp files a writer killed mid-write left (a supervisor SIGKILLed between the write
 * and the rename). Only for the supervisor, the one writer of records: it writes synchronously, so
 * no write of its own is in flight when it calls this. Returns how many went.
 */
export function removeOrphanTempFiles(stateDir: string): number {
  let names: string[];
  try {
    names = readdirSync(containersDir(stateDir));
  } catch {
    return 0;
  }
  const orphans = names.filter((name) => TEMP_FILE.test(name));
  for (const name of orphans) removeFile(`${containersDir(stateDir)}/${name}`);
  return orphans.length;
}

/**
 * Moves an unreadable record out of the way, kept for the operator ("<file>.unreadable-<time>"),
 * so that it is looked at once, not on every round. Returns the new path.
 */
export function setAsideRecord(path: string, now = new Date()): string {
  const aside = `${path}.unreadable-${now.toISOString().replace(/[:.]/g, '')}`;
  renameSync(path, aside);
  return aside;
}
