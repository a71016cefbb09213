/** Exit codes from sysexits(3): operators and runtimes can tell a bad input from a broken host. */
export const EXIT = {
  ok: 0,
  usage: 64,
  data: 65,
  unavailable: 69,
  software: 70,
  os: 71,
  temporary: 75,
  noperm: 77,
  config: 78,
} as const;

export type ErrorCode =
  | 'USAGE'
  | 'INVALID_OCI_STATE'
  | 'INVALID_CONFIG'
  | 'INVALID_ANNOTATION'
  | 'INVALID_REQUEST'
  | 'HOST_NAMESPACE'
  | 'NETNS_NOT_FOUND'
  | 'INTERFACE_EXISTS'
  | 'BRIDGE_NOT_FOUND'
  | 'MAC_IN_USE'
  | 'TOOL_MISSING'
  | 'COMMAND_FAILED'
  | 'LEASE_TIMEOUT'
  | 'ALREADY_ATTACHED'
  | 'ABORTED'
  | 'STATE_DIR_UNSAFE'
  | 'LOCK_TIMEOUT'
  | 'SUPERVISOR_UNAVAILABLE'
  | 'NOT_FOUND'
  | 'ROOTLESS'
  | 'PERMISSION_DENIED'
  | 'PROTOCOL_MISMATCH'
  | 'IN_USE'
  | 'NOT_SUPPORTED'
  | 'RESOLV_CONF_UNSAFE'
  | 'INCOMPATIBLE_CNI_VERSION'
  | 'UNSUPPORTED_FIELD'
  | 'INVALID_ENVIRONMENT'
  | 'CHECK_FAILED'
  | 'INTERNAL';

const exitCodeOf: Record<ErrorCode, number> = {
  USAGE: EXIT.usage,
  INVALID_OCI_STATE: EXIT.data,
  INVALID_CONFIG: EXIT.config,
  INVALID_ANNOTATION: EXIT.data,
  INVALID_REQUEST: EXIT.data,
  HOST_NAMESPACE: EXIT.data,
  NETNS_NOT_FOUND: EXIT.data,
  INTERFACE_EXISTS: EXIT.data,
  BRIDGE_NOT_FOUND: EXIT.config,
  MAC_IN_USE: EXIT.data,
  TOOL_MISSING: EXIT.unavailable,
  COMMAND_FAILED: EXIT.os,
  LEASE_TIMEOUT: EXIT.temporary,
  ALREADY_ATTACHED: EXIT.data,
  ABORTED: EXIT.temporary,
  STATE_DIR_UNSAFE: EXIT.config,
  LOCK_TIMEOUT: EXIT.temporary,
  SUPERVISOR_UNAVAILABLE: EXIT.unavailable,
  NOT_FOUND: EXIT.data,
  ROOTLESS: EXIT.unavailable,
  NOT_SUPPORTED: EXIT.config,
  RESOLV_CONF_UNSAFE: EXIT.data,
  INCOMPATIBLE_CNI_VERSION: EXIT.config,
  UNSUPPORTED_FIELD: EXIT.config,
  INVALID_ENVIRONMENT: EXIT.usage,
  CHECK_FAILED: EXIT.data,
  PERMISSION_DENIED: EXIT.noperm,
  PROTOCOL_MISMATCH: EXIT.unavailable,
  IN_USE: EXIT.temporary,
  INTERNAL: EXIT.software,
};

export class IpperError extends Error {
  readonly code: ErrorCode;
  readonly exitCode: number;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'IpperError';
    this.code = code;
    this.exitCode = exitCodeOf[code];
  }
}

export function isErrorCode(code: string): code is ErrorCode {
  return Object.hasOwn(exitCodeOf, code);
}

/** Any thrown value as an IpperError, so every caller reports one shape. */
export function toIpperError(error: unknown): IpperError {
  if (error instanceof IpperError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new IpperError('INTERNAL', message, { cause: error });
}

export function isErrnoCode(error: unknown, code: string): boolean {
  return typeof error === 'object' && error !== null && (error as NodeJS.ErrnoException).code === code;
}
