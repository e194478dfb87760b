// Fetch and ListOffsets. A fetch response is built here field by field,
// but each partition's records are file regions: the codec writes their
// length and the transfer strategy sends the bytes from the log file, so no
// record byte passes through JavaScript.
import type { FetchPartition } from '../../broker/broker.js';
import { errorCode, type ApiKeys, type RequestBody, type ResponseInput } from '../../protocol/kafka/index.js';
import type { HandlerContext, RequestMeta } from './context.js';

type FetchRequest = RequestBody<typeof ApiKeys.Fetch>;
type FetchResponse = ResponseInput<typeof ApiKeys.Fetch>;

/** Longest a fetch may wait, whatever the client asks (bounded like every other limit). */
const MAX_WAIT_MS = 30_000;
/** The session epochs of a full fetch: -1 without a session, 0 to open one (KIP-227). */
const FINAL_EPOCH = -1;
const INITIAL_EPOCH = 0;
/** Fetch v13 names topics by id (KIP-516). */
const TOPIC_IDS_VERSION = 13;

/**
 * Every fetch is sessionless: a request to open a session is answered with
 * session id 0, which tells the client none was opened, so it goes on
 * sending full requests (as with a Kafka broker whose session cache is
 * full). An incremental request names a session this broker never gave.
 */
export async function fetch(ctx: HandlerContext, req: FetchRequest, meta: RequestMeta): Promise<FetchResponse> {
  const { apiVersion } = meta;
  if (apiVersion >= 7 && req.sessionEpoch !== FINAL_EPOCH && req.sessionEpoch !== INITIAL_EPOCH) {
    return { throttleTimeMs: 0, errorCode: errorCode('FETCH_SESSION_ID_NOT_FOUND'), sessionId: 0, responses: [] };
  }
  const byId = apiVersion >= TOPIC_IDS_VERSION;
  const wanted = req.topics.flatMap((t) => {
    // The name only finds the partitions to read and wait on; reading checks the id again.
    const topic: Pick<FetchPartition, 'topic' | 'topicId'> = byId ? { topic: ctx.broker.topics.byId(t.topicId)?.name ?? '', topicId: t.topicId } : { topic: t.topic };
    return t.partitions.map((p) => ({ ...topic, partition: p.partition, fetchOffset: p.fetchOffset, maxBytes: p.partitionMaxBytes }));
  });
  const maxBytes = apiVersion >= 3 && req.maxBytes > 0 ? req.maxBytes : 0x7fffffff;
  const results = await ctx.broker.fetch(wanted, Math.min(Math.max(req.maxWaitMs, 0), MAX_WAIT_MS), req.minBytes, maxBytes);
  meta.fetched = results;
  let i = 0;
  const responses = req.topics.map((t) => ({
    ...(byId ? { topicId: t.topicId } : { topic: t.topic }),
    partitions: t.partitions.map(() => {
      const r = results[i++]!;
      return {
        partitionIndex: r.partition,
        errorCode: errorCode(r.error),
        highWatermark: r.highWatermark,
        // No transactions yet: every offset below the high watermark is stable.
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

/**
 * A special timestamp or a time per partition (list-offset.ts). Both
 * isolation levels get the same answer: without transactions, the last
 * stable offset is the high watermark. TimeoutMs (v10) bounds lookups in
 * remote storage, which this broker has none of. Every version answers the
 * same offset; v1+ also carries that record's timestamp.
 */
export function listOffsets(ctx: HandlerContext, req: RequestBody<typeof ApiKeys.ListOffsets>, apiVersion: number): ResponseInput<typeof ApiKeys.ListOffsets> {
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
          // Batches are stored as producers stamp them, with no leader epoch (-1): a client
          // given none skips the epoch validation (OffsetsForLeaderEpoch) this broker does not serve.
          leaderEpoch: -1,
        };
      }),
    })),
  };
}
