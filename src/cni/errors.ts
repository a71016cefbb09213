// ipper's errors as the CNI spec's error objects: a well-known code where one fits, else ipper's own.
import type { ErrorCode, IpperError } from '../errors.js';

export interface CniError {
  cniVersion: string;
  code: number;
  msg: string;
  details?: string;
}

/** The spec's well-known codes (1-99 are reserved by it). */
export const CNI_CODE = {
  incompatibleVersion: 1,
  unsupportedField: 2,
  unknownContainer: 3,
  invalidEnvironment: 4,
  ioFailure: 5,
  decodeFailure: 6,
  invalidConfig: 7,
  tryAgainLater: 11,
  notAvailable: 50,
  /** ipper's own (100 and up are the plugin's): anything the well-known codes do not name. */
  ipperFailure: 100,
} as const;

const CODE_OF: Partial<Record<ErrorCode, number>> = {
  INCOMPATIBLE_CNI_VERSION: CNI_CODE.incompatibleVersion,
  UNSUPPORTED_FIELD: CNI_CODE.unsupportedField,
  NETNS_NOT_FOUND: CNI_CODE.unknownContainer,
  NOT_FOUND: CNI_CODE.unknownContainer,
  INVALID_ENVIRONMENT: CNI_CODE.invalidEnvironment,
  HOST_NAMESPACE: CNI_CODE.invalidEnvironment,
  USAGE: CNI_CODE.invalidEnvironment,
  STATE_DIR_UNSAFE: CNI_CODE.ioFailure,
  INVALID_REQUEST: CNI_CODE.decodeFailure,
  INVALID_CONFIG: CNI_CODE.invalidConfig,
  NOT_SUPPORTED: CNI_CODE.invalidConfig,
  LEASE_TIMEOUT: CNI_CODE.tryAgainLater,
  LOCK_TIMEOUT: CNI_CODE.tryAgainLater,
  IN_USE: CNI_CODE.tryAgainLater,
};

/** One error object: the message says what to do; details name ipper's own code for the log and scripts. */
export function cniErrorOf(error: IpperError, cniVersion: string, command?: string): CniError {
  const notAvailable = command === 'STATUS' && (error.code === 'BRIDGE_NOT_FOUND' || error.code === 'SUPERVISOR_UNAVAILABLE' || error.code === 'TOOL_MISSING');
  return {
    cniVersion,
    code: notAvailable ? CNI_CODE.notAvailable : (CODE_OF[error.code] ?? CNI_CODE.ipperFailure),
    msg: error.message.replace(/\s*\n\s*/g, ' '),
    details: `ipper error ${error.code}`,
  };
}
