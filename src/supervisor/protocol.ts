// Requests and replies between the hook and the supervisor: one JSON object per line on a unix socket.
import * as z from '../config/zod.js';
import { containerIdSchema } from '../oci/state.js';
import { recordSchema } from '../store/records.js';

export const attachRequestSchema = z.strictObject({
  op: z.literal('attach'),
  id: containerIdSchema,
  pid: z.int().check(z.minimum(1)),
  pidStartTime: z.int().check(z.minimum(0)),
  netnsInode: z.int().check(z.minimum(1)),
  bridge: z.string(),
  interface: z.string(),
  mac: z.optional(z.string()),
  hostname: z.string(),
  leaseTimeoutMs: z.int().check(z.minimum(1)),
  onLeaseTimeout: z.enum(['fail', 'continue']),
});

export const detachRequestSchema = z.strictObject({ op: z.literal('detach'), id: containerIdSchema });
export const statusRequestSchema = z.strictObject({ op: z.literal('status') });
export const gcRequestSchema = z.strictObject({ op: z.literal('gc'), dryRun: z.boolean() });
export const releaseAllRequestSchema = z.strictObject({ op: z.literal('release-all') });

export const requestSchema = z.discriminatedUnion('op', [attachRequestSchema, detachRequestSchema, statusRequestSchema, gcRequestSchema, releaseAllRequestSchema]);

export type AttachRequest = z.infer<typeof attachRequestSchema>;
export type Request = z.infer<typeof requestSchema>;

export const replySchema = z.union([
  z.object({
    ok: z.literal(true),
    record: z.optional(recordSchema),
    released: z.optional(z.boolean()),
    pid: z.optional(z.number()),
    containers: z.optional(z.number()),
    /** Bridges that containers use and that do not exist now (status). */
    missingBridges: z.optional(z.array(z.string())),
    actions: z.optional(z.array(z.record(z.string(), z.unknown()))),
  }),
  z.object({ ok: z.literal(false), code: z.string(), message: z.string() }),
]);

export type Reply = z.infer<typeof replySchema>;

/** Longest request line the supervisor reads; anything longer is not ours. */
export const MAX_LINE_BYTES = 64 * 1024;
