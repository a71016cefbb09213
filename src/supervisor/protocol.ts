// Requests and replies between the hook and the supervisor: one JSON object per line on a unix socket.
import { z } from 'zod';
import { containerIdSchema } from '../oci/state.js';
import { recordSchema } from '../store/records.js';

export const attachRequestSchema = z.strictObject({
  op: z.literal('attach'),
  id: containerIdSchema,
  pid: z.number().int().positive(),
  pidStartTime: z.number().int().nonnegative(),
  netnsInode: z.number().int().positive(),
  bridge: z.string(),
  interface: z.string(),
  mac: z.string().optional(),
  hostname: z.string(),
  leaseTimeoutMs: z.number().int().positive(),
  onLeaseTimeout: z.enum(['fail', 'continue']),
});

export const detachRequestSchema = z.strictObject({ op: z.literal('detach'), id: containerIdSchema });
export const statusRequestSchema = z.strictObject({ op: z.literal('status') });

export const requestSchema = z.discriminatedUnion('op', [attachRequestSchema, detachRequestSchema, statusRequestSchema]);

export type AttachRequest = z.infer<typeof attachRequestSchema>;
export type Request = z.infer<typeof requestSchema>;

export const replySchema = z.union([
  z.object({ ok: z.literal(true), record: recordSchema.optional(), released: z.boolean().optional(), pid: z.number().optional(), containers: z.number().optional() }),
  z.object({ ok: z.literal(false), code: z.string(), message: z.string() }),
]);

export type Reply = z.infer<typeof replySchema>;

/** Longest request line the supervisor reads; anything longer is not ours. */
export const MAX_LINE_BYTES = 64 * 1024;
