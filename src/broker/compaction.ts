// What the broker does for cleanup.policy: each partition's retention
// under delete, which partitions the engine's cleaner compacts and with
// what settings (topic configs over the broker's log.cleaner.*), the roll
// settings that make compaction reach a log at all (only closed segments
// are cleaned), the refusal of configs an engine cannot honour, and the produce-time rule that a compacted topic
// takes only keyed records (Kafka's LogValidator).
import { decodeBatch, isControl, LOG_OVERHEAD_BYTES, readBatchHeader, RecordBatchError } from '../records/index.js';
import type { CompactionPolicy, LogCleanerControl, RetentionPolicy, RollPolicy, StorageEngine, TopicPartition } from '../storage/types.js';
import type { BrokerConfigs } from './broker-configs.js';
import { BrokerError } from './errors.js';
import type { TopicRegistry } from './topics.js';

export const CLEANUP_POLICY = 'cleanup.policy';

/** Topic configs that only an engine keeping files per partition can honour. */
const PER_PARTITION_FILE_CONFIGS = ['retention.ms', 'retention.bytes', 'segment.bytes', 'segment.ms'];

export function isCompacted(configs: Record<string, string>): boolean {
  // Asked on every produce: no split. The config's check admits only the words compact and delete.
  return configs[CLEANUP_POLICY]?.includes('compact') ?? false;
}

/** Whether retention (time and size) applies: not under compact alone, as in Kafka. */
export function retentionApplies(configs: Record<string, string>): boolean {
  return (configs[CLEANUP_POLICY] ?? 'delete').split(',').includes('delete');
}

/** A partition's retention: its topic's retention.ms/retention.bytes, else the broker's; none under compact alone (the cleaner's, not retention's). */
export function retentionPolicyOf(configs: BrokerConfigs, topics: TopicRegistry): (tp: TopicPartition) => RetentionPolicy {
  const broker: RetentionPolicy = { retentionMs: Number(configs.get('log.retention.ms')), retentionBytes: Number(configs.get('log.retention.bytes')) };
  return (tp) => {
    const c = topics.get(tp.topic)?.configs ?? {};
    if (!retentionApplies(c)) return { retentionMs: -1, retentionBytes: -1 };
    return {
      retentionMs: c['retention.ms'] !== undefined ? Number(c['retention.ms']) : broker.retentionMs,
      retentionBytes: c['retention.bytes'] !== undefined ? Number(c['retention.bytes']) : broker.retentionBytes,
    };
  };
}

/** Refuses, with INVALID_CONFIG, what the engine cannot do per topic. */
export function checkEngineCanHonour(engine: StorageEngine, name: string, value: string | null): void {
  if (value === null) return;
  if (PER_PARTITION_FILE_CONFIGS.includes(name) && !engine.perPartitionRetention) {
    throw new BrokerError('INVALID_CONFIG', `${name} per topic is not possible on the ${engine.kind} engine: all topics share one log, whose settings are the broker's (log.retention.*, log.segment.bytes)`);
  }
  if (name === CLEANUP_POLICY && isCompacted({ [name]: value }) && !engine.startCleaner) {
    throw new BrokerError(
      'INVALID_CONFIG',
      `${CLEANUP_POLICY}=${value} is not possible on the ${engine.kind} engine: every topic's records share one commit log (as in RocketMQ, which has no compaction), so no topic's old values can be removed from it; use the segmented engine for compacted topics`,
    );
  }
}

export function compactionPolicyOf(configs: BrokerConfigs, overrides: Record<string, string>): CompactionPolicy | null {
  if (!isCompacted(overrides)) return null;
  const n = (name: string): number => Number(configs.topicValue(name, overrides));
  return {
    deleteRetentionMs: n('delete.retention.ms'),
    minCleanableDirtyRatio: n('min.cleanable.dirty.ratio'),
    minCompactionLagMs: n('min.compaction.lag.ms'),
    maxCompactionLagMs: n('max.compaction.lag.ms'),
  };
}

export function rollPolicyOf(configs: BrokerConfigs, overrides: Record<string, string>): RollPolicy {
  return {
    segmentBytes: overrides['segment.bytes'] !== undefined ? Number(overrides['segment.bytes']) : null,
    segmentMs: Number(configs.topicValue('segment.ms', overrides)),
  };
}

/** Starts the engine's cleaner if it has one and log.cleaner.enable says so; null otherwise. */
export function startCleaner(engine: StorageEngine, configs: BrokerConfigs, topics: TopicRegistry): LogCleanerControl | null {
  if (!engine.startCleaner || configs.get('log.cleaner.enable') !== 'true') return null;
  const policyFor = (tp: TopicPartition): CompactionPolicy | null => {
    const t = topics.get(tp.topic);
    return t ? compactionPolicyOf(configs, t.configs) : null;
  };
  return engine.startCleaner(
    {
      ioBytesPerSecond: Number(configs.get('log.cleaner.io.max.bytes.per.second')),
      backoffMs: Number(configs.get('log.cleaner.backoff.ms')),
      dedupeBufferBytes: Number(configs.get('log.cleaner.dedupe.buffer.size')),
    },
    policyFor,
  );
}

/**
 * Why a produce to a compacted topic is refused (a record without a key,
 * or records the cleaner could not read back), or null. Looks inside the
 * batches (decompressing them): a cost only compacted topics pay, as in
 * Kafka, whose LogValidator does the same.
 */
export function compactedProduceError(records: Buffer): { error: 'INVALID_RECORD' | 'CORRUPT_MESSAGE'; message: string } | null {
  let at = 0;
  while (at + 61 <= records.length) {
    const h = readBatchHeader(records, at);
    const size = h.batchLength + LOG_OVERHEAD_BYTES;
    if (size < 61 || at + size > records.length) return null; // the engine's validation reports it
    if (!isControl(h.attributes)) {
      try {
        if (decodeBatch(records, at).records.some((r) => r.key === null)) return { error: 'INVALID_RECORD', message: 'Compacted topic cannot accept message without key' };
      } catch (err) {
        if (!(err instanceof RecordBatchError)) throw err;
        return { error: err.code === 'CORRUPT_MESSAGE' ? 'CORRUPT_MESSAGE' : 'INVALID_RECORD', message: `a compacted topic's records must be readable by its cleaner: ${err.message}` };
      }
    }
    at += size;
  }
  return null;
}
