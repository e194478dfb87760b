// Retention of the shared commit log: whole files go, oldest first and never
// the current one (RocketMQ's CleanCommitLogService deletes by file too).
import type { RetentionPolicy } from '../types.js';
import type { CommitLog } from './commitlog.js';
import { correctHeads } from './open-log.js';
import type { Queue } from './queues.js';

/**
 * By time, a file whose newest entry was stored more than retentionMs ago
 * (RocketMQ's rule, by store time); by size, while the log without its
 * oldest file still holds retentionBytes × the number of queues. The
 * policy's retentionBytes is per partition, but a shared file cannot be cut
 * per queue: summing the budgets keeps what Kafka would keep overall, though
 * a busy queue may use what an idle one leaves. Each queue's start then
 * moves past its entries in deleted files.
 */
export function deleteExpiredFiles(cl: CommitLog, queues: Map<string, Queue>, retention: RetentionPolicy, nowMs: number): void {
  const budgetBytes = retention.retentionBytes >= 0 ? retention.retentionBytes * Math.max(1, queues.size) : -1;
  let deleted = 0;
  while (cl.files.length > 1) {
    const oldest = cl.files[0]!;
    const tooBig = budgetBytes >= 0 && cl.sizeBytes - oldest.size >= budgetBytes;
    const tooOld = retention.retentionMs >= 0 && nowMs - oldest.lastStoreMs > retention.retentionMs;
    if (!tooBig && !tooOld) break;
    cl.deleteOldest();
    deleted++;
  }
  if (deleted > 0) correctHeads(cl, queues);
}
