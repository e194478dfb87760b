// The transaction coordinator's state, durable in the internal topic
// __transaction_state (one partition), as Kafka keeps it: one record per
// transactional id and change, the last one of an id wins at replay.
//   key   the transactional id (UTF-8)
//   value JSON TxnRecord, or null (a tombstone: the id expired)
// Pending transactional offsets travel in the record, so a commit
// interrupted by a crash is finished at startup from the log alone. One
// record per id is all a replay needs: compacted where the engine can.
import { encodeBatch } from '../../records/index.js';
import { openStateTopic } from '../internal-topic.js';
import { replayTopic } from '../replay-topic.js';
import type { StorageEngine, TopicPartition } from '../../storage/types.js';
import type { TopicRegistry } from '../topics.js';

export const TXN_TOPIC = '__transaction_state';
const TP: TopicPartition = { topic: TXN_TOPIC, partition: 0 };

/** Kafka's TransactionState names, as DescribeTransactions and ListTransactions show them. */
export type TxnState = 'Empty' | 'Ongoing' | 'PrepareCommit' | 'PrepareAbort' | 'CompleteCommit' | 'CompleteAbort';

export const TXN_STATES: readonly TxnState[] = ['Empty', 'Ongoing', 'PrepareCommit', 'PrepareAbort', 'CompleteCommit', 'CompleteAbort'];

export interface PendingOffset {
  group: string;
  topic: string;
  partition: number;
  offset: bigint;
  metadata: string | null;
  leaderEpoch: number;
}

export interface TxnMetadata {
  transactionalId: string;
  producerId: bigint;
  producerEpoch: number;
  /** The epoch before the last InitProducerId bumped it (-1: none), so a retried InitProducerId that names it gets the current one again. */
  lastProducerEpoch: number;
  timeoutMs: number;
  state: TxnState;
  /** Partitions written in the transaction, as "topic\0partition". */
  partitions: Set<string>;
  /** Groups whose offsets the transaction commits (AddOffsetsToTxn). */
  groups: Set<string>;
  /** TxnOffsetCommit's offsets, applied at commit. */
  offsets: PendingOffset[];
  /** When the transaction began (the first partition or group added), -1 if none is open. */
  startMs: number;
  /** The last change. */
  updateMs: number;
  /**
   * The last end bumped the epoch (EndTxn v5 under transaction.version 2,
   * KIP-890 part 2, Kafka's clientTransactionVersion): its retry comes with
   * the epoch before, and is answered, not fenced.
   */
  endBumpedEpoch: boolean;
  /** The producer id an end whose bump exhausted the epoch moves to once its markers are written (-1: none). */
  nextProducerId: bigint;
  /** The producer id such an end moved from (-1: none), so its retry is still recognised. */
  prevProducerId: bigint;
}

interface TxnRecord {
  pid: string;
  epoch: number;
  lastEpoch?: number;
  timeoutMs: number;
  state: TxnState;
  partitions: string[];
  groups: string[];
  offsets: [string, string, number, string, string | null, number][];
  startMs: number;
  updateMs: number;
  bumped?: boolean;
  nextPid?: string;
  prevPid?: string;
}

export function partitionKey(topic: string, partition: number): string {
  return `${topic}\0${partition}`;
}

export function splitPartitionKey(key: string): { topic: string; partition: number } {
  const at = key.lastIndexOf('\0');
  return { topic: key.slice(0, at), partition: Number(key.slice(at + 1)) };
}

export class TxnLog {
  constructor(private readonly engine: StorageEngine, private readonly topics: TopicRegistry) {}

  /** Every transactional id's last state, from the log. */
  open(): Map<string, TxnMetadata> {
    openStateTopic(this.engine, this.topics, TXN_TOPIC);
    const out = new Map<string, TxnMetadata>();
    replayTopic(this.engine, TP, (key, value) => {
      const id = key.toString();
      if (value === null) out.delete(id);
      else out.set(id, fromRecord(id, JSON.parse(value.toString()) as TxnRecord));
    });
    return out;
  }

  /** Appends the states (one record each) and resolves once stored under the flush policy. */
  async write(txns: readonly TxnMetadata[]): Promise<void> {
    if (txns.length === 0) return;
    const records = txns.map((t) => ({ key: Buffer.from(t.transactionalId), value: Buffer.from(JSON.stringify(toRecord(t))), headers: [] }));
    await this.engine.append(TP, encodeBatch({ baseTimestamp: BigInt(Date.now()), records }));
  }

  /** Tombstones: the ids are forgotten, restarts included. */
  async remove(ids: readonly string[]): Promise<void> {
    if (ids.length === 0) return;
    const records = ids.map((id) => ({ key: Buffer.from(id), value: null, headers: [] }));
    await this.engine.append(TP, encodeBatch({ baseTimestamp: BigInt(Date.now()), records }));
  }
}

function toRecord(t: TxnMetadata): TxnRecord {
  return {
    pid: String(t.producerId),
    epoch: t.producerEpoch,
    lastEpoch: t.lastProducerEpoch,
    timeoutMs: t.timeoutMs,
    state: t.state,
    partitions: [...t.partitions],
    groups: [...t.groups],
    offsets: t.offsets.map((o) => [o.group, o.topic, o.partition, String(o.offset), o.metadata, o.leaderEpoch]),
    startMs: t.startMs,
    updateMs: t.updateMs,
    bumped: t.endBumpedEpoch,
    nextPid: String(t.nextProducerId),
    prevPid: String(t.prevProducerId),
  };
}

function fromRecord(transactionalId: string, r: TxnRecord): TxnMetadata {
  return {
    transactionalId,
    producerId: BigInt(r.pid),
    producerEpoch: r.epoch,
    lastProducerEpoch: r.lastEpoch ?? -1,
    timeoutMs: r.timeoutMs,
    state: r.state,
    partitions: new Set(r.partitions),
    groups: new Set(r.groups),
    offsets: r.offsets.map(([group, topic, partition, offset, metadata, leaderEpoch]) => ({ group, topic, partition, offset: BigInt(offset), metadata, leaderEpoch })),
    startMs: r.startMs,
    updateMs: r.updateMs,
    // Records written before transaction.version 2 have none of these.
    endBumpedEpoch: r.bumped ?? false,
    nextProducerId: BigInt(r.nextPid ?? -1),
    prevProducerId: BigInt(r.prevPid ?? -1),
  };
}
