// CNI GC as a pure decision: which of ipper's attachments on a network the runtime no longer knows.
import type { ContainerRecord } from '../store/records.js';
import { attachmentId } from './env.js';

/**
 * Ids to release: attachments of this network that the runtime's valid list omits. One being
 * created right now (phase attaching) is left alone: its ADD is still running.
 */
export function staleAttachments(records: readonly Pick<ContainerRecord, 'id' | 'cni' | 'phase'>[], network: string, valid: readonly { containerId: string; ifname: string }[]): string[] {
  const keep = new Set(valid.map((attachment) => attachmentId(attachment.containerId, attachment.ifname)));
  return records
    .filter((record) => record.cni?.network === network && record.phase === 'active')
    .filter((record) => !keep.has(attachmentId(record.cni!.containerId, record.cni!.ifname)))
    .map((record) => record.id);
}
