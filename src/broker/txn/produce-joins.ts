// Produce v12 under transaction.version 2 (KIP-890 part 2): a
// transactional batch's partition joins its producer's transaction on the
// way in, the transaction begun if none is open, with no AddPartitionsToTxn
// from the client. The partitions of one request join with one write to the
// transaction log. Requests of a connection run concurrently, so the
// produces of a transactional id wait behind the joins of earlier requests:
// a batch the producer pipelined after one whose partition is still joining
// must not be appended first (it would be out of sequence).
import { isTransactional, readBatchHeader, BATCH_HEADER_BYTES } from '../../records/index.js';
import type { ErrorName } from '../../protocol/kafka/error-codes.js';
import type { ProduceResult } from '../broker.js';
import { partitionKey } from './txn-log.js';
import type { TxnCoordinator } from './txn-coordinator.js';

/** Runs one partition's produce once its partition is in the transaction, or answers why it may not be. */
export type ProduceGate = (topic: string, partition: number, records: Buffer | null, produce: () => Promise<ProduceResult>) => Promise<ProduceResult>;

const open: ProduceGate = (_topic, _partition, _records, produce) => produce();

/**
 * The coordinator's answers as a produce gives them, as Kafka's brokers
 * convert them: PRODUCER_FENCED is INVALID_PRODUCER_EPOCH to a producer,
 * and a transaction still ending is a retriable NOT_ENOUGH_REPLICAS.
 */
function forProduce(error: ErrorName): ErrorName {
  if (error === 'PRODUCER_FENCED') return 'INVALID_PRODUCER_EPOCH';
  return error === 'CONCURRENT_TRANSACTIONS' ? 'NOT_ENOUGH_REPLICAS' : error;
}

interface Joining {
  producerId: bigint;
  epoch: number;
  topic: string;
  partition: number;
}

export class ProduceJoins {
  /** Per transactional id, the last join under way: later produces of the id wait for it. */
  private readonly tails = new Map<string, Promise<unknown>>();

  constructor(private readonly coordinator: TxnCoordinator) {}

  /** The gate for one Produce request's partitions: open unless the request is v12+ and transactional, at level 2. */
  gate(transactionalId: string | null, apiVersion: number): ProduceGate {
    if (transactionalId === null || !this.coordinator.speaksV2(apiVersion, 12)) return open;
    const id = transactionalId;
    const joining: Joining[] = [];
    let joined: Promise<Map<string, ErrorName>> | null = null;
    return (topic, partition, records, produce) => {
      const h = records && records.length >= BATCH_HEADER_BYTES ? readBatchHeader(records, 0) : null;
      // Anything but a transactional batch with a producer is for the produce path to judge.
      if (!h || !isTransactional(h.attributes) || h.producerId < 0n) return produce();
      // A partition that cannot join (no such topic or partition, an unknown id, an internal topic) is the produce
      // path's to refuse with its own error, as Kafka's broker drops it before verifying: it must not fail the others.
      if (!this.coordinator.mayJoin(topic, partition)) return produce();
      if (!this.tails.has(id) && this.coordinator.holds(id, h.producerId, h.producerEpoch, topic, partition)) return produce();
      joining.push({ producerId: h.producerId, epoch: h.producerEpoch, topic, partition });
      joined ??= this.join(id, joining);
      return joined.then((errors) => {
        const error = errors.get(partitionKey(topic, partition));
        return error ? { error, baseOffset: -1n, logAppendTimeMs: -1n, logStartOffset: -1n, message: `${topic}-${partition} could not join the transaction of "${id}"` } : produce();
      });
    };
  }

  /**
   * Adds the partitions after the id's earlier joins. `joining` is read when
   * the join runs, a microtask on at least: by then the request has named
   * all its partitions. They join for the first batch's producer; a batch of
   * another is left to the produce path, which refuses it.
   */
  private join(id: string, joining: readonly Joining[]): Promise<Map<string, ErrorName>> {
    const run = (this.tails.get(id) ?? Promise.resolve()).then(async () => {
      const { producerId, epoch } = joining[0]!;
      const mine = joining.filter((j) => j.producerId === producerId && j.epoch === epoch);
      const errors = await this.coordinator.addPartitions(id, producerId, epoch, mine);
      const out = new Map<string, ErrorName>();
      mine.forEach((j, i) => {
        if (errors[i] !== 'NONE') out.set(partitionKey(j.topic, j.partition), forProduce(errors[i]!));
      });
      return out;
    });
    const tail = run.catch(() => undefined);
    this.tails.set(id, tail);
    void tail.then(() => {
      if (this.tails.get(id) === tail) this.tails.delete(id);
    });
    return run;
  }
}
