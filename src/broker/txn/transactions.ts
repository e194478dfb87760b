// Kafka transactions in the broker: the coordinator (txn-coordinator.ts)
// and each partition's open and aborted transactions (partition-txns.ts),
// joined to the log. The broker asks this module whether a transactional
// batch may be written, tells it of every batch appended or found at
// startup, and reads last stable offsets from it.
import { BATCH_HEADER_BYTES, encodeMarker, isControl, isTransactional, markerTypeAt, readBatchHeader, type BatchHeader } from '../../records/index.js';
import { tpKey, type StorageEngine } from '../../storage/types.js';
import type { ErrorName } from '../../protocol/kafka/error-codes.js';
import type { AppendWatch } from '../append-watch.js';
import type { GroupCoordinator } from '../groups/coordinator.js';
import type { ProducerStateTable } from '../producer-state.js';
import type { TopicRegistry } from '../topics.js';
import { PartitionTxns } from './partition-txns.js';
import { ProduceJoins, type ProduceGate } from './produce-joins.js';
import { TxnCoordinator, type TxnSettings } from './txn-coordinator.js';
import { partitionKey, TxnLog } from './txn-log.js';

/** The coordinator epoch markers carry: one coordinator, never moved. */
const COORDINATOR_EPOCH = 0;

export interface TransactionsDeps {
  engine: StorageEngine;
  topics: TopicRegistry;
  producers: ProducerStateTable;
  groups: GroupCoordinator;
  watch: AppendWatch;
  newProducerId: () => bigint;
  settings: TxnSettings;
  now?: () => number;
  /**
   * mqlab.workers, on node 0 (the coordinator): writes a marker on the node
   * that leads the partition, if the producer has data open there.
   */
  markerElsewhere?: (topic: string, partition: number, producerId: bigint, epoch: number, type: 'commit' | 'abort') => Promise<void>;
  /** mqlab.workers, on the other nodes: asks node 0's coordinator whether a transactional batch may be appended (checkTransactional there). */
  coordinatorElsewhere?: (topic: string, partition: number, producerId: bigint, epoch: number, transactionalId: string | null) => Promise<ProduceRefusal | null>;
}

export interface ProduceRefusal {
  error: ErrorName;
  message: string;
}

export class Transactions {
  readonly partitions = new PartitionTxns();
  readonly coordinator: TxnCoordinator;
  /** Produce v12's partitions joining their transactions (transaction.version 2). */
  readonly joins: ProduceJoins;

  constructor(private readonly d: TransactionsDeps) {
    const now = d.now ?? Date.now;
    this.coordinator = new TxnCoordinator(
      new TxnLog(d.engine, d.topics),
      {
        partitionError: (topic, partition) => {
          const t = d.topics.get(topic);
          if (!t || partition < 0 || partition >= t.partitions) return 'UNKNOWN_TOPIC_OR_PARTITION';
          return t.internal ? 'INVALID_TOPIC_EXCEPTION' : 'NONE';
        },
        // A partition another node leads is asked there whether the producer has data open (writeMarkerIfOpen).
        isOpen: (topic, partition, producerId) => !this.leadsHere(topic, partition) || this.partitions.isOpen(tpKey({ topic, partition }), producerId),
        writeMarker: (topic, partition, producerId, epoch, type) =>
          this.leadsHere(topic, partition) ? this.writeMarker(topic, partition, producerId, epoch, type) : d.markerElsewhere!(topic, partition, producerId, epoch, type),
        commitOffsets: (group, entries) => d.groups.commitTransactional(group, entries),
        newProducerId: d.newProducerId,
        now,
      },
      d.settings,
    );
    this.joins = new ProduceJoins(this.coordinator);
  }

  private expiry: NodeJS.Timeout | null = null;

  /** Kafka's transaction.abort.timed.out.transaction.cleanup.interval.ms: how late a lapsed transaction may be aborted. */
  startExpiry(everyMs: number, log: (message: string) => void): void {
    this.expiry = setInterval(() => {
      this.coordinator.expire().catch((err: Error) => log(`aborting expired transactions failed: ${err.message}`));
    }, everyMs);
    this.expiry.unref();
  }

  stopExpiry(): void {
    if (this.expiry) clearInterval(this.expiry);
    this.expiry = null;
  }

  /** After the startup scan has told of every batch: the coordinator's log, and what a crash left half done. */
  open(): Promise<void> {
    return this.coordinator.open();
  }

  /**
   * Whether a batch may be appended to the partition, as far as
   * transactions go: a transactional batch must come from the current
   * epoch of a transactional id whose open transaction holds the partition
   * (AddPartitionsToTxn first, or Produce v12's join: produce-joins.ts).
   * Null if it may.
   */
  checkProduce(topic: string, partition: number, h: BatchHeader, transactionalId: string | null): ProduceRefusal | null {
    if (!isTransactional(h.attributes)) return null;
    // Under mqlab.workers a node other than 0 has asked node 0 already, in its produce gate (which lets a request with no transactional id by).
    if (this.d.coordinatorElsewhere) return transactionalId === null ? { error: 'INVALID_TXN_STATE', message: `producer ${h.producerId} sent a transactional batch in a request that names no transactional id` } : null;
    return this.checkTransactional(topic, partition, h.producerId, h.producerEpoch, transactionalId);
  }

  /** The coordinator's side of checkProduce: the producer's current epoch, with the partition in its open transaction. */
  checkTransactional(topic: string, partition: number, producerId: bigint, epoch: number, transactionalId: string | null): ProduceRefusal | null {
    const txn = this.coordinator.ofProducer(producerId);
    if (!txn) return { error: 'INVALID_PRODUCER_ID_MAPPING', message: `producer ${producerId} has no transactional id` };
    if (transactionalId !== txn.transactionalId) return { error: 'INVALID_TXN_STATE', message: `producer ${producerId} belongs to transactional id "${txn.transactionalId}", the request names ${JSON.stringify(transactionalId)}` };
    if (epoch !== txn.producerEpoch) return { error: 'INVALID_PRODUCER_EPOCH', message: `producer ${producerId} epoch ${epoch} is not the current ${txn.producerEpoch}` };
    if (txn.state !== 'Ongoing' || !txn.partitions.has(partitionKey(topic, partition))) {
      return { error: 'INVALID_TXN_STATE', message: `${topic}-${partition} is not in an open transaction of "${txn.transactionalId}" (AddPartitionsToTxn first)` };
    }
    return null;
  }

  /**
   * The gate a Produce request's partitions pass: Produce v12's joins
   * (produce-joins.ts); under mqlab.workers on a node other than 0, node 0's
   * coordinator is asked about each transactional batch first.
   */
  gate(transactionalId: string | null, apiVersion: number): ProduceGate {
    const ask = this.d.coordinatorElsewhere;
    if (!ask || transactionalId === null) return this.joins.gate(transactionalId, apiVersion);
    return async (topic, partition, records, produce) => {
      const h = records && records.length >= BATCH_HEADER_BYTES ? readBatchHeader(records, 0) : null;
      if (!h || !isTransactional(h.attributes)) return produce();
      const refused = await ask(topic, partition, h.producerId, h.producerEpoch, transactionalId);
      return refused ? { error: refused.error, baseOffset: -1n, logAppendTimeMs: -1n, logStartOffset: -1n, message: refused.message } : produce();
    };
  }

  /** Node 0 asks the partition's leader (this node) to end a transaction there: a marker if the producer has data open. */
  async writeMarkerIfOpen(topic: string, partition: number, producerId: bigint, epoch: number, type: 'commit' | 'abort'): Promise<void> {
    if (this.partitions.isOpen(tpKey({ topic, partition }), producerId)) await this.writeMarker(topic, partition, producerId, epoch, type);
  }

  private leadsHere(topic: string, partition: number): boolean {
    const t = this.d.topics.get(topic);
    return !t || this.d.topics.leads(t, partition);
  }

  /** A batch was appended (or found by the startup scan, `bytes` holding it at `at` when it may be a marker). */
  onBatch(key: string, h: BatchHeader, baseOffset: bigint, bytes?: Buffer, at = 0): void {
    if (!isTransactional(h.attributes)) return;
    if (!isControl(h.attributes)) {
      this.partitions.onData(key, h.producerId, baseOffset);
      return;
    }
    const type = bytes ? markerTypeAt(bytes, at) : null;
    if (type === null) return;
    this.partitions.onMarker(key, h.producerId, type, baseOffset);
    this.d.producers.onMarker(key, h.producerId, h.producerEpoch);
  }

  /** The last stable offset of a partition whose high watermark is `highWatermark`. */
  lastStableOffset(key: string, highWatermark: bigint): bigint {
    return this.partitions.lastStableOffset(key, highWatermark);
  }

  private async writeMarker(topic: string, partition: number, producerId: bigint, epoch: number, type: 'commit' | 'abort'): Promise<void> {
    const tp = { topic, partition };
    const key = tpKey(tp);
    const batch = encodeMarker(type, producerId, epoch, COORDINATOR_EPOCH, BigInt(Date.now()));
    const offset = this.d.engine.highWatermark(tp);
    // The engine assigns the offset as it writes, before the promise settles: the LSO moves at once, as the data became readable at once.
    const appending = this.d.engine.append(tp, batch, { origin: 'broker' });
    if (this.d.engine.highWatermark(tp) > offset) {
      this.partitions.onMarker(key, producerId, type, offset);
      this.d.producers.onMarker(key, producerId, epoch);
      this.d.watch.notify(key);
    }
    await appending;
  }
}
