// What the broker holds per partition, for admin tools: DescribeProducers
// (the idempotent and transactional producers' state, producer-state.ts) and DescribeLogDirs
// (the data directory and each partition's size).
import { statfsSync } from 'node:fs';
import { resolve } from 'node:path';
import { errorCode, type ApiKeys, type RequestBody, type ResponseInput } from '../../protocol/kafka/index.js';
import { StorageError } from '../../storage/errors.js';
import { tpKey } from '../../storage/types.js';
import { CLUSTER } from './access.js';
import type { HandlerContext, RequestMeta } from './context.js';
import { errorMessage } from './error-message.js';

/**
 * Per partition asked for: its producers, by id, with their epoch, last
 * sequence and the last batch's max timestamp; a transactional one with
 * coordinator epoch 0 (one coordinator, never moved) and the first offset
 * of its transaction open here (-1 if none); an idempotent one with -1 for
 * both. The state is
 * what idempotence checks against: producers whose batches DeleteRecords
 * removed are gone from it, as from Kafka's.
 */
export function describeProducers(ctx: HandlerContext, req: RequestBody<typeof ApiKeys.DescribeProducers>, meta: RequestMeta): ResponseInput<typeof ApiKeys.DescribeProducers> {
  const { broker } = ctx;
  return {
    throttleTimeMs: 0,
    topics: req.topics.map((t) => {
      const info = broker.topics.get(t.name);
      // READ on the topic, as Kafka asks.
      const allowed = meta.access.can('READ', 'TOPIC', t.name);
      return {
        name: t.name,
        partitions: t.partitionIndexes.map((partitionIndex) => {
          if (!allowed) return { partitionIndex, errorCode: errorCode('TOPIC_AUTHORIZATION_FAILED'), errorMessage: errorMessage(`${meta.session.principal} may not read topic ${t.name}`), activeProducers: [] };
          if (!info || partitionIndex < 0 || partitionIndex >= info.partitions) {
            return { partitionIndex, errorCode: errorCode('UNKNOWN_TOPIC_OR_PARTITION'), errorMessage: errorMessage(`no partition ${t.name}-${partitionIndex}`), activeProducers: [] };
          }
          if (!broker.topics.leads(info, partitionIndex)) {
            return { partitionIndex, errorCode: errorCode('NOT_LEADER_OR_FOLLOWER'), errorMessage: errorMessage(`${t.name}-${partitionIndex} is led by another node`), activeProducers: [] };
          }
          const key = tpKey({ topic: t.name, partition: partitionIndex });
          const activeProducers = broker.producers.producers(key).map((p) => ({
            producerId: p.producerId,
            producerEpoch: p.epoch,
            lastSequence: p.lastSequence,
            lastTimestamp: p.lastTimestamp,
            coordinatorEpoch: broker.transactions.coordinator.ofProducer(p.producerId) ? 0 : -1,
            currentTxnStartOffset: broker.transactions.partitions.openSince(key, p.producerId),
          }));
          return { partitionIndex, errorCode: 0, errorMessage: null, activeProducers };
        }),
      };
    }),
  };
}

/**
 * One log directory, the broker's data directory (log.dirs), with every
 * partition asked for (null: all, the internal offsets topic included)
 * that exists; partitions that do not are left out, as by Kafka. Sizes
 * come from the engine (partitionBytes: the commitlog engine's are its
 * batches in the shared log). OffsetLag is 0: the log end is the high
 * watermark, with no replicas. v4's volume sizes come from statfs of the
 * directory (-1 if that fails).
 */
export function describeLogDirs(ctx: HandlerContext, req: RequestBody<typeof ApiKeys.DescribeLogDirs>, meta: RequestMeta): ResponseInput<typeof ApiKeys.DescribeLogDirs> {
  const { broker } = ctx;
  // DESCRIBE on the cluster: without it Kafka answers CLUSTER_AUTHORIZATION_FAILED and no directory.
  if (!meta.access.can('DESCRIBE', 'CLUSTER', CLUSTER)) return { throttleTimeMs: 0, errorCode: errorCode('CLUSTER_AUTHORIZATION_FAILED'), results: [] };
  const wanted = req.topics === null ? broker.topics.list().map((t) => ({ topic: t.name, partitions: Array.from({ length: t.partitions }, (_, p) => p) })) : req.topics;
  const bySize = new Map<string, { partitionIndex: number; partitionSize: bigint; offsetLag: bigint; isFutureKey: boolean }[]>();
  for (const w of wanted) {
    const t = broker.topics.get(w.topic);
    if (!t) continue;
    for (const p of new Set(w.partitions)) {
      // Under mqlab.workers a node holds only the partitions it leads (the others' files are empty).
      if (p < 0 || p >= t.partitions || !broker.topics.leads(t, p)) continue;
      let size: number;
      try {
        size = broker.engine.partitionBytes({ topic: t.name, partition: p });
      } catch (err) {
        if (err instanceof StorageError) continue; // being deleted right now
        throw err;
      }
      const list = bySize.get(t.name) ?? [];
      list.push({ partitionIndex: p, partitionSize: BigInt(size), offsetLag: 0n, isFutureKey: false });
      bySize.set(t.name, list);
    }
  }
  const dir = resolve(broker.config.dataDir);
  let totalBytes = -1n;
  let usableBytes = -1n;
  try {
    const s = statfsSync(dir, { bigint: true });
    totalBytes = s.blocks * s.bsize;
    usableBytes = s.bavail * s.bsize;
  } catch {
    // left at -1, which the schema defines as unknown
  }
  return {
    throttleTimeMs: 0,
    errorCode: 0,
    results: [{ errorCode: 0, logDir: dir, topics: [...bySize].map(([name, partitions]) => ({ name, partitions })), totalBytes, usableBytes }],
  };
}
