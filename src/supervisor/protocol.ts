// Requests and replies between the hook and the supervisor: one JSON object per line on a unix socket.
import * as z from '../config/zod.js';
import { clientIdRequestSchema } from '../dhcp/client-id.js';
import { dhcpClientSchema } from '../dhcp/driver.js';
import { IPV4_MODES, IPV6_MODES } from '../config/schema.js';
import { resolvTargetSchema } from '../net/resolv.js';
import { containerIdSchema } from '../oci/state.js';
import { cniAttachmentSchema, recordSchema } from '../store/records.js';

/**
 * Both sides name the protocol they speak in every line. A hook never trusts a supervisor that
 * speaks another one (an old supervisor left running after an upgrade), and the other way round.
 */
export const PROTOCOL_VERSION = 5;
const v = z.literal(PROTOCOL_VERSION);

/**
 * The requests the supervisor reads. Built on first use: the hook only writes requests, and building
 * these schemas (zod compiles its constructors on first use) is time on every container start.
 */
function buildRequestSchemas() {
  const attachRequestSchema = z.strictObject({
    v,
    op: z.literal('attach'),
    id: containerIdSchema,
    /** The hook's container process; a CNI attach names netnsPath instead (exactly one of the two). */
    pid: z.optional(z.int().check(z.minimum(1))),
    pidStartTime: z.optional(z.int().check(z.minimum(0))),
    netnsPath: z.optional(z.string().check(z.regex(/^\/[^\0]*$/), z.maxLength(4096))),
    netnsInode: z.int().check(z.minimum(1)),
    /** A CNI attachment: who the runtime attached (DEL tears it down whether or not its namespace is still there). */
    cni: z.optional(cniAttachmentSchema),
    bridge: z.string(),
    interface: z.string(),
    mac: z.optional(z.string()),
    hostname: z.string(),
    /** The client this container's lease is kept by, for its whole life (the config may change meanwhile). Absent: udhcpc. */
    dhcpClient: z.optional(dhcpClientSchema),
    leaseTimeoutMs: z.int().check(z.minimum(1)),
    onLeaseTimeout: z.enum(['fail', 'continue']),
    /** Absent: dhcp and auto (what a hook of the previous version meant). */
    ipv4Mode: z.optional(z.enum(IPV4_MODES)),
    ipv6Mode: z.optional(z.enum(IPV6_MODES)),
    ipv6WaitMs: z.optional(z.int().check(z.minimum(0), z.maximum(600_000))),
    /** The container's resolv.conf, found by the hook in the bundle (resolvConf: write). */
    resolvConf: z.optional(resolvTargetSchema),
    /** macFrom identity: the MAC's random bits come from this (the id, or ipper.hostname). */
    macIdentity: z.optional(z.string().check(z.minLength(1), z.maxLength(1024))),
    /** What the client id and DUID are derived from (config clientId, annotation ipper.clientId). Absent: the client's own. */
    clientId: z.optional(clientIdRequestSchema),
    /** An interface beyond the container's first (see the record's `extra`): no default route. */
    extra: z.optional(z.literal(true)),
    /** false: no default route through this interface either (a CNI network with "defaultRoute": false). */
    defaultRoute: z.optional(z.literal(false)),
  }).check(z.refine((request) => (request.netnsPath === undefined) === (request.pid !== undefined && request.pidStartTime !== undefined), 'needs either pid and pidStartTime, or netnsPath'));

  const detachRequestSchema = z.strictObject({
    v,
    op: z.literal('detach'),
    id: containerIdSchema,
    /**
     * Every interface of the container goes even though its process runs: the hook undoing its own
     * create when one of several interfaces failed. Without it, a running container is kept (a late
     * poststop of an earlier incarnation).
     */
    force: z.optional(z.literal(true)),
  });
  const statusRequestSchema = z.strictObject({ v, op: z.literal('status') });
  const gcRequestSchema = z.strictObject({ v, op: z.literal('gc'), dryRun: z.boolean() });
  const releaseAllRequestSchema = z.strictObject({ v, op: z.literal('release-all') });
  /** Stops the supervisor, only when it has no container: `ipper uninstall`. */
  const shutdownRequestSchema = z.strictObject({ v, op: z.literal('shutdown') });

  const request = z.discriminatedUnion('op', [
    attachRequestSchema, detachRequestSchema, statusRequestSchema, gcRequestSchema, releaseAllRequestSchema, shutdownRequestSchema,
  ]);
  return { attach: attachRequestSchema, detach: detachRequestSchema, request };
}

type RequestSchemas = ReturnType<typeof buildRequestSchemas>;
let requestSchemasBuilt: RequestSchemas | undefined;

export function requestSchemas(): RequestSchemas {
  requestSchemasBuilt ??= buildRequestSchemas();
  return requestSchemasBuilt;
}

export type AttachRequest = z.infer<RequestSchemas['attach']>;
export type Request = z.infer<RequestSchemas['request']>;
/** A request as callers write it: the version is added when it is sent. */
export type RequestBody = Request extends infer R ? (R extends unknown ? Omit<R, 'v'> : never) : never;

export const replySchema = z.union([
  z.object({
    v,
    ok: z.literal(true),
    record: z.optional(recordSchema),
    /** detach: the client stopped after releasing (or had no lease to release). */
    released: z.optional(z.boolean()),
    /**
     * detach: every resource is gone; false leaves the rest to garbage collection; absent: the
     * release has left and the rest is being removed (poststop does not wait for it).
     */
    removed: z.optional(z.boolean()),
    pid: z.optional(z.number()),
    version: z.optional(z.string()),
    containers: z.optional(z.number()),
    /** Bridges that containers use and that do not exist now (status). */
    missingBridges: z.optional(z.array(z.string())),
    /** status: seconds since this supervisor started. */
    uptimeSeconds: z.optional(z.number()),
    /** status: DHCP clients restarted after they exited, since this supervisor started. */
    clientRestarts: z.optional(z.number()),
    actions: z.optional(z.array(z.record(z.string(), z.unknown()))),
    /** What garbage collection found and will not touch (see gc/plan.ts). */
    unexplained: z.optional(z.array(z.record(z.string(), z.unknown()))),
  }),
  z.object({ v, ok: z.literal(false), code: z.string(), message: z.string() }),
]);

export type Reply = z.infer<typeof replySchema>;

/** Longest request line the supervisor reads; anything longer is not ours. */
export const MAX_LINE_BYTES = 64 * 1024;
