// Reading a fetch's partitions: each from its offset, within the request's
// byte budget, the first partition's first batch whole even past it
// (KIP-74). Regions hold leases on their files until sent or released.
import { StorageError } from '../storage/errors.js';
import { tpKey, type StorageEngine, type TopicPartition } from '../storage/types.js';
import { releaseRegions } from '../transfer/index.js';
import type { FileRegion } from '../transfer/types.js';
import type { TopicRegistry } from './topics.js';
import type { AbortedTxn, PartitionTxns } from './txn/partition-txns.js';
import type { ErrorName } from '../protocol/kafka/error-codes.js';

const NO_OFFSET = -1n;

/** Fetch's isolation_level: read_uncommitted (0) reads to the high watermark, read_committed (1) to the last stable offset. */
export type Isolation = 'uncommitted' | 'committed';

export interface FetchPartition {
  topic: string;
  /**
   * Fetch v13+: the id the client named the topic by. A topic of that name
   * with another id (deleted and created again meanwhile) is not the one
   * asked for: UNKNOWN_TOPIC_ID, as Kafka answers a stale id.
   */
  topicId?: string;
  partition: number;
  fetchOffset: bigint;
  maxBytes: number;
}

export interface FetchResult extends TopicPartition {
  error: ErrorName;
  highWatermark: bigint;
  /** The first offset of the oldest open transaction, else the high watermark. */
  lastStableOffset: bigint;
  logStartOffset: bigint;
  /** read_committed: the aborted transactions whose records the answer may hold (null for read_uncommitted, as Kafka sends). */
  abortedTransactions: AbortedTxn[] | null;
  /** Each holds a lease on its file: whoever takes the results sends or releases them (releaseFetched). */
  regions: FileRegion[];
  bytes: number;
}

/** Gives back the leases of fetch results that will not be sent. */
export function releaseFetched(results: readonly FetchResult[]): void {
  for (const r of results) releaseRegions(r.regions);
}

/** One read of every partition asked for; on a throw, what was read already is released. */
export function readPartitions(engine: StorageEngine, topics: TopicRegistry, partitions: readonly FetchPartition[], maxBytes: number, txns: PartitionTxns, isolation: Isolation): FetchResult[] {
  const results: FetchResult[] = [];
  try {
    let budget = maxBytes;
    for (let i = 0; i < partitions.length; i++) {
      const r = readOne(engine, topics, partitions[i]!, i, budget, txns, isolation);
      budget -= r.bytes;
      results.push(r);
    }
    return results;
  } catch (err) {
    releaseFetched(results);
    throw err;
  }
}

function readOne(engine: StorageEngine, topics: TopicRegistry, p: FetchPartition, i: number, budget: number, txns: PartitionTxns, isolation: Isolation): FetchResult {
  const tp = { topic: p.topic, partition: p.partition };
  const committed = isolation === 'committed';
  const base = { topic: p.topic, partition: p.partition, highWatermark: NO_OFFSET, lastStableOffset: NO_OFFSET, logStartOffset: NO_OFFSET, abortedTransactions: null, regions: [] as FileRegion[], bytes: 0 };
  const t = topics.get(p.topic);
  if (p.topicId !== undefined && t?.id !== p.topicId) return { ...base, error: 'UNKNOWN_TOPIC_ID' };
  if (!t || p.partition < 0 || p.partition >= t.partitions) return { ...base, error: 'UNKNOWN_TOPIC_OR_PARTITION' };
  if (!topics.leads(t, p.partition)) return { ...base, error: 'NOT_LEADER_OR_FOLLOWER' };
  let hw: bigint;
  let start: bigint;
  try {
    hw = engine.highWatermark(tp);
    start = engine.logStartOffset(tp);
  } catch (err) {
    // A topic whose partitions are being deleted (or created) right now.
    if (err instanceof StorageError) return { ...base, error: err.code };
    throw err;
  }
  const key = tpKey(tp);
  const lso = txns.lastStableOffset(key, hw);
  const offsets = { highWatermark: hw, lastStableOffset: lso, logStartOffset: start, abortedTransactions: committed ? [] : null };
  if (p.fetchOffset < start || p.fetchOffset > hw) return { ...base, ...offsets, error: 'OFFSET_OUT_OF_RANGE' };
  const end = committed ? lso : hw;
  const limit = Math.min(p.maxBytes, Math.max(budget, 0));
  // Nothing to read: at the end (a consumer of many quiet partitions asks this of most), or no budget left past the first partition.
  if (p.fetchOffset >= end || (limit <= 0 && i > 0)) return { ...base, ...offsets, error: 'NONE' };
  try {
    const r = engine.read(tp, p.fetchOffset, Math.max(limit, 1), end < hw ? { maxOffset: end } : undefined);
    const aborted = committed ? txns.abortedIn(key, p.fetchOffset, end) : null;
    return { ...base, ...offsets, error: 'NONE', abortedTransactions: aborted, regions: r.regions, bytes: r.bytes };
  } catch (err) {
    if (err instanceof StorageError) return { ...base, ...offsets, error: err.code };
    throw err;
  }
}
