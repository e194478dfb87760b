// ListOffsets for one partition: the special timestamps Kafka defines, and
// lookups by time. Answers carry Kafka error names.
import { StorageError } from '../storage/errors.js';
import { tpKey, type OffsetAndTimestamp, type StorageEngine } from '../storage/types.js';
import type { TopicRegistry } from './topics.js';
import type { PartitionTxns } from './txn/partition-txns.js';
import type { ErrorName } from '../protocol/kafka/error-codes.js';

const NONE = -1n;

/** The timestamps ListOffsets treats as queries rather than times (Kafka's ListOffsetsRequest). */
export const LATEST_TIMESTAMP = -1n;
export const EARLIEST_TIMESTAMP = -2n;
/** v7+, KIP-734. */
export const MAX_TIMESTAMP = -3n;
/** v8+, KIP-405. */
export const EARLIEST_LOCAL_TIMESTAMP = -4n;
/** v9+, KIP-1005. */
export const LATEST_TIERED_TIMESTAMP = -5n;
/** v11+, KIP-1023. */
export const EARLIEST_PENDING_UPLOAD_TIMESTAMP = -6n;

export interface ListedOffset {
  error: ErrorName;
  offset: bigint;
  timestamp: bigint;
}

/**
 * Latest and earliest answer timestamp -1, as Kafka does; latest is the
 * last stable offset when `committed` (read_committed) is given. Earliest local is
 * earliest: every record is local (no tiered storage). Latest tiered and
 * earliest pending upload are -1 and -1, what Kafka answers for a topic
 * without tiered storage (nothing is tiered, nothing waits to be). Max
 * timestamp is the first record stamped with the partition's largest
 * timestamp, as Kafka 3.8+ answers it (KAFKA-16310), or -1 and -1 if it holds
 * none. Any other time: the first record whose timestamp is at or after it.
 */
export function listOffset(engine: StorageEngine, topics: TopicRegistry, topic: string, partition: number, timestampMs: bigint, committed: PartitionTxns | null = null): ListedOffset {
  const t = topics.get(topic);
  if (!t || partition < 0 || partition >= t.partitions) return { error: 'UNKNOWN_TOPIC_OR_PARTITION', offset: NONE, timestamp: NONE };
  if (!topics.leads(t, partition)) return { error: 'NOT_LEADER_OR_FOLLOWER', offset: NONE, timestamp: NONE };
  const tp = { topic, partition };
  const at = (offset: bigint): ListedOffset => ({ error: 'NONE', offset, timestamp: NONE });
  // read_committed finds by time only below the last stable offset, as Kafka's fetchOffsetForTimestamp.
  const stable = (r: ListedOffset): ListedOffset => (committed && r.offset >= committed.lastStableOffset(tpKey(tp), engine.highWatermark(tp)) ? at(NONE) : r);
  try {
    switch (timestampMs) {
      case LATEST_TIMESTAMP:
        return at(committed ? committed.lastStableOffset(tpKey(tp), engine.highWatermark(tp)) : engine.highWatermark(tp));
      case EARLIEST_TIMESTAMP:
      case EARLIEST_LOCAL_TIMESTAMP:
        return at(engine.logStartOffset(tp));
      case LATEST_TIERED_TIMESTAMP:
      case EARLIEST_PENDING_UPLOAD_TIMESTAMP:
        return at(NONE);
      case MAX_TIMESTAMP: {
        const max = engine.maxTimestamp(tp);
        return max < 0n ? at(NONE) : stable(byTime(engine.offsetForTime(tp, max), engine.logStartOffset(tp)));
      }
      default:
        return stable(byTime(engine.offsetForTime(tp, timestampMs), engine.logStartOffset(tp)));
    }
  } catch (err) {
    if (err instanceof StorageError) return { error: err.code, offset: NONE, timestamp: NONE };
    throw err;
  }
}

/**
 * A record found below the log start (DeleteRecords moved it inside a
 * segment, whose time index still covers the deleted records) is answered
 * with the start: with timestamps that rise, the first record left is the
 * first at or after the time. Its own timestamp is not read (-1).
 */
function byTime(found: OffsetAndTimestamp | null, logStart: bigint): ListedOffset {
  if (found !== null && found.offset < logStart) return { error: 'NONE', offset: logStart, timestamp: NONE };
  return { error: 'NONE', offset: found?.offset ?? NONE, timestamp: found?.timestamp ?? NONE };
}
