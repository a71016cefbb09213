// The OCI state a runtime writes on a hook's stdin (runtime-spec "State"), validated before use.
import * as z from '../config/zod.js';
import { IpperError } from '../errors.js';
import { formatZodIssue } from '../config/zod-format.js';

/** runc's rule for container ids, so an id is always safe as a file name and a log field. */
export const containerIdSchema = z.string().check(
  z.minLength(1, 'must not be empty'),
  z.maxLength(1024, 'must be at most 1024 characters'),
  z.regex(/^[A-Za-z0-9_+.-]+$/, 'may hold only letters, digits and _ + . -'),
  z.refine((id) => id !== '.' && id !== '..', 'must not be "." or ".."'),
);

export const ociStateSchema = z.object({
  ociVersion: z.string().check(z.regex(/^1\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/, 'must be a 1.x.y version')),
  id: containerIdSchema,
  status: z.enum(['creating', 'created', 'running', 'stopped']),
  pid: z.optional(z.int().check(z.minimum(1, 'must be a positive pid'), z.maximum(4_194_304, 'is beyond the largest pid'))),
  bundle: z.optional(z.string()),
  annotations: z.optional(z.record(z.string(), z.string())),
});

export type OciState = z.infer<typeof ociStateSchema>;
export type HookStage = 'createRuntime' | 'poststop';

export function parseOciState(text: string): OciState {
  if (text.trim() === '') throw new IpperError('INVALID_OCI_STATE', 'OCI state on stdin is empty');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new IpperError('INVALID_OCI_STATE', `OCI state on stdin is not valid JSON: ${(error as Error).message}`);
  }
  const result = ociStateSchema.safeParse(json);
  if (!result.success) {
    throw new IpperError('INVALID_OCI_STATE', `invalid OCI state: ${formatZodIssue(result.error)}`);
  }
  return result.data;
}

/**
 * The stage a command-line argument names. `prestart` is createRuntime by another name: the OCI
 * runtime spec deprecates it for network hooks, but runc and crun still run it at the same point
 * (namespaces made, before pivot_root) with the same state, and older configs still register it.
 */
export function stageOfArgument(argument: string): HookStage | undefined {
  if (argument === 'createRuntime' || argument === 'prestart') return 'createRuntime';
  if (argument === 'poststop') return 'poststop';
  return undefined;
}

/** The stage named on the command line wins; otherwise the state's status tells it (crun sends "created"). */
export function resolveStage(argument: string | undefined, state: OciState): HookStage {
  if (argument !== undefined) {
    const stage = stageOfArgument(argument);
    if (stage === undefined) throw new IpperError('USAGE', `unknown hook stage "${argument}": expected createRuntime, prestart or poststop`);
    if (stage === 'createRuntime' && !(state.status === 'creating' || state.status === 'created')) {
      throw new IpperError('USAGE', `${argument} with status "${state.status}": expected "creating" or "created"`);
    }
    return stage;
  }
  if (state.status === 'creating' || state.status === 'created') return 'createRuntime';
  if (state.status === 'stopped') return 'poststop';
  throw new IpperError('USAGE', `cannot tell the hook stage from status "${state.status}": name it (createRuntime or poststop)`);
}
