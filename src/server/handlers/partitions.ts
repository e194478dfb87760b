// Partition-level admin: CreatePartitions (growing a topic), DeleteRecords
// (moving a log start forward) and OffsetForLeaderEpoch (the end offset of
// an epoch; one broker, every partition at epoch 0 since its creation).
import { BrokerError } from '../../broker/errors.js';
import { StorageError } from '../../storage/errors.js';
import { errorCode, type ApiKeys, type RequestBody, type ResponseInput, type ErrorName } from '../../protocol/kafka/index.js';
import type { HandlerContext, RequestMeta } from './context.js';
import { firstIndexes } from './duplicates.js';
import { refusal } from './error-message.js';

export async function createPartitions(ctx: HandlerContext, req: RequestBody<typeof ApiKeys.CreatePartitions>, meta: RequestMeta): Promise<ResponseInput<typeof ApiKeys.CreatePartitions>> {
  const { broker } = ctx;
  // Kafka refuses every entry of a name given twice: which count was meant is unknown.
  const firstOf = firstIndexes(req.topics.map((t) => t.name));
  const repeated = new Set(req.topics.filter((t, i) => firstOf.get(t.name) !== i).map((t) => t.name));
  const results = [];
  for (const t of req.topics) {
    try {
      if (repeated.has(t.name)) throw new BrokerError('INVALID_REQUEST', `topic "${t.name}" is named more than once in the request`);
      if (!meta.access.can('ALTER', 'TOPIC', t.name)) throw new BrokerError('TOPIC_AUTHORIZATION_FAILED', `${meta.session.principal} may not alter topic ${t.name}`);
      const current = broker.topics.get(t.name)?.partitions;
      if (current !== undefined && t.assignments !== null) {
        const adding = t.count - current;
        if (adding > 0 && t.assignments.length !== adding) {
          throw new BrokerError('INVALID_REPLICA_ASSIGNMENT', `increasing the number of partitions by ${adding} but ${t.assignments.length} assignments given`);
        }
        if (ctx.cluster.size > 1 && t.assignments.length > 0) throw new BrokerError('INVALID_REPLICA_ASSIGNMENT', `with mqlab.workers=${ctx.cluster.size} the leaders go round the nodes by the topic's id: give a count, not an assignment`);
        const wrong = t.assignments.findIndex((a) => a.brokerIds.length !== 1 || a.brokerIds[0] !== ctx.nodeId);
        if (wrong >= 0) {
          throw new BrokerError('INVALID_REPLICA_ASSIGNMENT', `new partition ${current + wrong} is assigned to brokers [${t.assignments[wrong]!.brokerIds.join(', ')}]: the only broker is ${ctx.nodeId}, with one replica`);
        }
      }
      await broker.createPartitions(t.name, t.count, req.validateOnly);
      results.push({ name: t.name, errorCode: 0, errorMessage: null });
    } catch (err) {
      results.push({ name: t.name, ...refusal(err) });
    }
  }
  return { throttleTimeMs: 0, results };
}

/** Each partition on its own: -1 is the high watermark; a failed one answers low watermark -1. */
export async function deleteRecords(ctx: HandlerContext, req: RequestBody<typeof ApiKeys.DeleteRecords>, meta: RequestMeta): Promise<ResponseInput<typeof ApiKeys.DeleteRecords>> {
  const topics = [];
  for (const t of req.topics) {
    const partitions = [];
    const allowed = meta.access.can('DELETE', 'TOPIC', t.name);
    for (const p of t.partitions) {
      try {
        if (!allowed) throw new BrokerError('TOPIC_AUTHORIZATION_FAILED', `${meta.session.principal} may not delete records of topic ${t.name}`);
        const lowWatermark = await ctx.broker.deleteRecords(t.name, p.partitionIndex, p.offset);
        partitions.push({ partitionIndex: p.partitionIndex, lowWatermark, errorCode: 0 });
      } catch (err) {
        partitions.push({ partitionIndex: p.partitionIndex, lowWatermark: -1n, errorCode: refusal(err).errorCode });
      }
    }
    topics.push({ name: t.name, partitions });
  }
  return { throttleTimeMs: 0, topics };
}

/** The one leader epoch every partition has had: Metadata says 0. */
const LEADER_EPOCH = 0;
const UNDEFINED_EPOCH = -1;
const UNDEFINED_OFFSET = -1n;

/**
 * Kafka's leader answers: for its current epoch, the log end offset (here
 * the high watermark; consumers check their position against it after a
 * leader change, KIP-320); for an epoch it never had, above it or -1 (a
 * client that knows none), epoch and offset -1. There are no older epochs.
 * CurrentLeaderEpoch (v2+) fences: above 0 is UNKNOWN_LEADER_EPOCH (the
 * client knows a newer leader than there is); -1 skips the check; none is
 * older than 0, so FENCED_LEADER_EPOCH never applies.
 */
export function offsetForLeaderEpoch(ctx: HandlerContext, req: RequestBody<typeof ApiKeys.OffsetForLeaderEpoch>, meta: RequestMeta): ResponseInput<typeof ApiKeys.OffsetForLeaderEpoch> {
  const { broker } = ctx;
  return {
    throttleTimeMs: 0,
    topics: req.topics.map((t) => ({
      topic: t.topic,
      partitions: t.partitions.map((p) => {
        const fail = (name: ErrorName) => ({ errorCode: errorCode(name), partition: p.partition, leaderEpoch: UNDEFINED_EPOCH, endOffset: UNDEFINED_OFFSET });
        if (!meta.access.can('DESCRIBE', 'TOPIC', t.topic)) return fail('TOPIC_AUTHORIZATION_FAILED');
        const info = broker.topics.get(t.topic);
        if (!info || p.partition < 0 || p.partition >= info.partitions) return fail('UNKNOWN_TOPIC_OR_PARTITION');
        if (!broker.topics.leads(info, p.partition)) return fail('NOT_LEADER_OR_FOLLOWER');
        if (p.currentLeaderEpoch > LEADER_EPOCH) return fail('UNKNOWN_LEADER_EPOCH');
        if (p.leaderEpoch !== LEADER_EPOCH) return { errorCode: 0, partition: p.partition, leaderEpoch: UNDEFINED_EPOCH, endOffset: UNDEFINED_OFFSET };
        try {
          return { errorCode: 0, partition: p.partition, leaderEpoch: LEADER_EPOCH, endOffset: broker.engine.highWatermark({ topic: t.topic, partition: p.partition }) };
        } catch (err) {
          // A topic whose partitions are being deleted right now.
          if (err instanceof StorageError) return fail(err.code);
          throw err;
        }
      }),
    })),
  };
}
