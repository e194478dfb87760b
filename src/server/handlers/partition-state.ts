// What the broker holds per partition, for admin tools: DescribeProducers
// (the idempotent producers' state, producer-state.ts) and DescribeLogDirs
// (the data directory and each partition's size).
import { errorCode, type ApiKeys, type RequestBody, type ResponseInput } from '../../protocol/kafka/index.js';
import { tpKey } from '../../storage/types.js';
import type { HandlerContext } from './context.js';

/**
 * Per partition asked for: its producers, by id, with their epoch, last
 * sequence and the last batch's max timestamp. Transactions are not served,
 * so CoordinatorEpoch and CurrentTxnStartOffset are always -1. The state is
 * what idempotence checks against: producers whose batches DeleteRecords
 * removed are gone from it, as from Kafka's.
 */
export function describeProducers(ctx: HandlerContext, req: RequestBody<typeof ApiKeys.DescribeProducers>): ResponseInput<typeof ApiKeys.DescribeProducers> {
  const { broker } = ctx;
  return {
    throttleTimeMs: 0,
    topics: req.topics.map((t) => {
      const info = broker.topics.get(t.name);
      return {
        name: t.name,
        partitions: t.partitionIndexes.map((partitionIndex) => {
          if (!info || partitionIndex < 0 || partitionIndex >= info.partitions) {
            return { partitionIndex, errorCode: errorCode('UNKNOWN_TOPIC_OR_PARTITION'), errorMessage: `no partition ${t.name}-${partitionIndex}`, activeProducers: [] };
          }
          const activeProducers = broker.producers.producers(tpKey({ topic: t.name, partition: partitionIndex })).map((p) => ({
            producerId: p.producerId,
            producerEpoch: p.epoch,
            lastSequence: p.lastSequence,
            lastTimestamp: p.lastTimestamp,
            coordinatorEpoch: -1,
            currentTxnStartOffset: -1n,
          }));
          return { partitionIndex, errorCode: 0, errorMessage: null, activeProducers };
        }),
      };
    }),
  };
}
