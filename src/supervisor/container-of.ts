// Which container an attach request names: the hook names its process, the CNI plugin the
// namespace path the runtime gave it (see store/container-ref.ts).
import { IpperError } from '../errors.js';
import type { ContainerRef } from '../store/container-ref.js';
import type { AttachRequest } from './protocol.js';

export function containerRefOf(request: Pick<AttachRequest, 'pid' | 'pidStartTime' | 'netnsPath'>): ContainerRef {
  if (request.netnsPath !== undefined) return { netnsPath: request.netnsPath };
  if (request.pid === undefined || request.pidStartTime === undefined) throw new IpperError('INVALID_REQUEST', 'invalid request: needs either pid and pidStartTime, or netnsPath');
  return { pid: request.pid, startTime: request.pidStartTime };
}
