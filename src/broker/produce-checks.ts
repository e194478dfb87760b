// What a produce to one partition must pass before it is appended: the
// batch's form (magic 2, one batch when idempotent, a sequence when
// transactional), the producer's sequence (a retry is answered, not written
// again), its transaction (transactions.ts), and a compacted topic's rule
// that every record has a key.
import { isTransactional, LOG_OVERHEAD_BYTES, readBatchHeader, type BatchHeader } from '../records/index.js';
import type { ErrorName } from '../protocol/kafka/error-codes.js';
import { compactedProduceError, isCompacted } from './compaction.js';
import type { ProducerStateTable } from './producer-state.js';
import type { TopicInfo } from './topics.js';
import type { Transactions } from './txn/transactions.js';

export type ProduceCheck =
  | { kind: 'refused'; error: ErrorName; message?: string }
  | { kind: 'duplicate'; baseOffset: bigint }
  | { kind: 'append'; header: BatchHeader; idempotent: boolean };

/** Whether `records` (at least a batch header's bytes) may be appended to `t`'s partition (`key` is its tpKey). */
export function checkProduce(t: TopicInfo, partition: number, key: string, records: Buffer, producers: ProducerStateTable, transactions: Transactions, transactionalId: string | null): ProduceCheck {
  const refuse = (error: ErrorName, message?: string): ProduceCheck => ({ kind: 'refused', error, message });
  const h = readBatchHeader(records, 0);
  if (h.magic !== 2) return refuse('INVALID_RECORD', `record batch magic ${h.magic}: only magic 2 (record batch v2) is accepted`);
  const idempotent = h.producerId >= 0n && h.baseSequence >= 0;
  if (isTransactional(h.attributes) && !idempotent) return refuse('INVALID_RECORD', 'a transactional batch carries a producer id and a sequence number');
  if (idempotent) {
    if (h.batchLength + LOG_OVERHEAD_BYTES !== records.length) return refuse('INVALID_RECORD', 'an idempotent produce carries exactly one batch');
    const check = producers.check(key, h.producerId, h.producerEpoch, h.baseSequence, h.recordCount);
    if (check.kind === 'error') return refuse(check.code, check.message);
    const outside = transactions.checkProduce(t.name, partition, h, transactionalId);
    if (outside) return refuse(outside.error, outside.message);
    if (check.kind === 'duplicate') return { kind: 'duplicate', baseOffset: check.baseOffset };
  }
  if (isCompacted(t.configs)) {
    const keyless = compactedProduceError(records);
    if (keyless) return refuse(keyless.error, keyless.message);
  }
  return { kind: 'append', header: h, idempotent };
}
