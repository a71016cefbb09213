// One record per container in <stateDir>/containers: what poststop and garbage collection need,
// since poststop's OCI state carries no pid.
import { createHash } from 'node:crypto';
import { readdirSync } from 'node:fs';
import * as z from '../config/zod.js';
import { leaseSchema } from '../dhcp/lease.js';
import { ensurePrivateDir, readFileNoFollow, removeFile, writeFileAtomic } from '../sys/fs.js';

const identitySchema = z.object({ pid: z.int().check(z.minimum(1)), startTime: z.int().check(z.minimum(0)) });

export const recordSchema = z.object({
  version: z.literal(1),
  id: z.string(),
  hostname: z.string(),
  bridge: z.string(),
  interface: z.string(),
  hostVeth: z.string(),
  mac: z.string(),
  container: identitySchema,
  netnsInode: z.int().check(z.minimum(1)),
  /** attaching: links may be half made; active: handed to the supervisor's client. */
  phase: z.enum(['attaching', 'active']),
  /** The DHCP client and the token that tags its events. */
  client: z.nullable(z.extend(identitySchema, { token: z.string() })),
  lease: z.nullable(leaseSchema),
  createdAt: z.string(),
});

export type ContainerRecord = z.infer<typeof recordSchema>;

export function containersDir(stateDir: string): string {
  return `${stateDir}/containers`;
}

/** File name stem for an id: the id itself (already restricted to [A-Za-z0-9_+.-]) unless too long. */
export function fileStem(id: string): string {
  return id.length <= 200 ? id : createHash('sha256').update(id).digest('hex');
}

export function recordPath(stateDir: string, id: string): string {
  return `${containersDir(stateDir)}/${fileStem(id)}.json`;
}

export function readRecord(stateDir: string, id: string): ContainerRecord | undefined {
  return readRecordFile(recordPath(stateDir, id));
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

export function writeRecord(stateDir: string, record: ContainerRecord): void {
  ensurePrivateDir(containersDir(stateDir));
  writeFileAtomic(recordPath(stateDir, record.id), `${JSON.stringify(record)}\n`);
}

export function removeRecord(stateDir: string, id: string): void {
  removeFile(recordPath(stateDir, id));
}

/** Every readable record; unreadable files are skipped (garbage collection deals with them). */
export function listRecords(stateDir: string): ContainerRecord[] {
  let names: string[];
  try {
    names = readdirSync(containersDir(stateDir));
  } catch {
    return [];
  }
  const records: ContainerRecord[] = [];
  for (const name of names) {
    if (!name.endsWith('.json') || name.startsWith('.')) continue;
    const record = readRecordFile(`${containersDir(stateDir)}/${name}`);
    if (record !== undefined) records.push(record);
  }
  return records;
}
