// Fetch and ListOffsets. A fetch response is built here field by field,
// but each partition's records are file regions: the codec writes their
// length and the transfer strategy sends the bytes from the log file, so no
// record byte passes through JavaScript.
import { errorCode } from '../../protocol/kafka/index.js';
import type { HandlerContext, RequestMeta } from './context.js';

interface FetchRequest {
  replicaId: number;
  maxWaitMs: number;
  minBytes: number;
  /** v3+; before that, only per-partition limits. */
  maxBytes: number;
  topics: { topic: string; partitions: { partition: number; fetchOffset: bigint; partitionMaxBytes: number }[] }[];
}

/** Longest a fetch may wait, whatever the client asks (bounded like every other limit). */
const MAX_WAIT_MS = 30_000;

export async function fetch(ctx: HandlerContext, req: FetchRequest, meta: RequestMeta): Promise<object> {
  const apiVersion = meta.apiVersion;
  const wanted = req.topics.flatMap((t) => t.partitions.map((p) => ({ topic: t.topic, partition: p.partition, fetchOffset: p.fetchOffset, maxBytes: p.partitionMaxBytes })));
  const maxBytes = apiVersion >= 3 && req.maxBytes > 0 ? req.maxBytes : 0x7fffffff;
  const results = await ctx.broker.fetch(wanted, Math.min(Math.max(req.maxWaitMs, 0), MAX_WAIT_MS), req.minBytes, maxBytes);
  meta.fetched = results;
  let i = 0;
  const responses = req.topics.map((t) => ({
    topic: t.topic,
    partitions: t.partitions.map(() => {
      const r = results[i++]!;
      return {
        partitionIndex: r.partition,
        errorCode: errorCode(r.error),
        highWatermark: r.highWatermark,
        lastStableOffset: r.highWatermark,
        logStartOffset: r.logStartOffset,
        abortedTransactions: [],
        preferredReadReplica: -1,
        records: { length: r.bytes, regions: r.regions },
      };
    }),
  }));
  return { throttleTimeMs: 0, errorCode: 0, sessionId: 0, responses };
}

interface ListOffsetsRequest {
  topics: { name: string; partitions: { partitionIndex: number; timestamp: bigint; maxNumOffsets: number }[] }[];
}

/**
 * Latest (-1), earliest (-2) or, for a time, the first record whose
 * timestamp is at or after it: replay from a timestamp. Every version
 * answers the same offset; v1+ also carries that record's timestamp.
 */
export function listOffsets(ctx: HandlerContext, req: ListOffsetsRequest, apiVersion: number): object {
  return {
    throttleTimeMs: 0,
    topics: req.topics.map((t) => ({
      name: t.name,
      partitions: t.partitions.map((p) => {
        const r = ctx.broker.listOffset(t.name, p.partitionIndex, p.timestamp);
        const found = r.error === 'NONE' && r.offset >= 0n;
        return {
          partitionIndex: p.partitionIndex,
          errorCode: errorCode(r.error),
          // v0 answers a list of offsets (the newest first); one is all a client needs.
          oldStyleOffsets: apiVersion === 0 && found ? [r.offset] : [],
          // v1+ answers one offset and its timestamp; v0 has neither field.
          timestamp: apiVersion === 0 ? -1n : r.timestamp,
          offset: apiVersion === 0 ? -1n : r.offset,
          leaderEpoch: -1,
        };
      }),
    })),
  };
}
