// Fetch and ListOffsets. A fetch response is built here field by field,
// but each partition's records are file regions: the codec writes their
// length and the transfer strategy sends the bytes from the log file, so no
// record byte passes through JavaScript.
import type { FetchPartition, FetchResult, Isolation } from '../../broker/broker.js';
import { FINAL_EPOCH, INITIAL_EPOCH, INVALID_SESSION_ID, nextEpoch, type FetchSession, type SessionPartition } from '../../broker/fetch-sessions.js';
import { errorCode, type ApiKeys, type RequestBody, type ResponseInput, type ErrorName } from '../../protocol/kafka/index.js';
import { LEADER_EPOCH } from '../../storage/prepare-append.js';
import { releaseRegions } from '../../transfer/index.js';
import { CLUSTER } from './access.js';
import type { HandlerContext, RequestMeta } from './context.js';

type FetchRequest = RequestBody<typeof ApiKeys.Fetch>;
type FetchResponse = ResponseInput<typeof ApiKeys.Fetch>;
type TopicResponse = NonNullable<FetchResponse['responses']>[number];

/** Longest a fetch may wait, whatever the client asks (bounded like every other limit). */
const MAX_WAIT_MS = 30_000;
/** Fetch v7 brings sessions (KIP-227). */
const SESSIONS_VERSION = 7;
/** Fetch v13 names topics by id (KIP-516). */
const TOPIC_IDS_VERSION = 13;

/**
 * Fetch, with sessions from v7 as Kafka's FetchManager serves them
 * (broker/fetch-sessions.ts):
 * - epoch 0 or -1 is a full request, which first closes the session it
 *   names (if any); epoch 0 then opens a new one if the cache has room
 *   (its id in the answer, else 0: the client goes on with full requests),
 *   epoch -1 stays sessionless;
 * - any other epoch is incremental: the session's next epoch, or
 *   INVALID_FETCH_SESSION_EPOCH; an unknown id, FETCH_SESSION_ID_NOT_FOUND.
 *   The request names only partitions added or changed and those to
 *   forget; every partition of the session is read (and waited on), and
 *   the answer carries only those with records, a new high watermark or
 *   log start offset, or an error.
 */
export async function fetch(ctx: HandlerContext, req: FetchRequest, meta: RequestMeta): Promise<FetchResponse> {
  const { apiVersion } = meta;
  const byId = apiVersion >= TOPIC_IDS_VERSION;
  const maxWaitMs = Math.min(Math.max(req.maxWaitMs, 0), MAX_WAIT_MS);
  const maxBytes = apiVersion >= 3 && req.maxBytes > 0 ? req.maxBytes : 0x7fffffff;
  const cache = ctx.broker.fetchSessions;
  const named = requested(ctx, req, byId);
  // A follower's fetch (replica id >= 0) is a broker's: CLUSTER_ACTION, as Kafka asks; refused, every partition says so.
  if (isFollower(req, apiVersion) && !meta.access.can('CLUSTER_ACTION', 'CLUSTER', CLUSTER)) {
    return { throttleTimeMs: 0, errorCode: 0, sessionId: INVALID_SESSION_ID, responses: req.topics.map((t) => ({ topic: t.topic, topicId: t.topicId, partitions: t.partitions.map((p) => partitionData({ topic: '', partition: p.partition, error: 'TOPIC_AUTHORIZATION_FAILED', highWatermark: -1n, lastStableOffset: -1n, logStartOffset: -1n, abortedTransactions: null, regions: [], bytes: 0 })) })) };
  }
  if (apiVersion >= SESSIONS_VERSION && req.sessionEpoch !== FINAL_EPOCH && req.sessionEpoch !== INITIAL_EPOCH) {
    // Null: the request forgot every partition of its session, which ends; what it names is answered sessionless, as Kafka does.
    return (await incremental(ctx, req, meta, named, maxWaitMs, maxBytes)) ?? full(ctx, req, meta, named, maxWaitMs, maxBytes, false);
  }
  // A full request: any session it names ends.
  if (apiVersion >= SESSIONS_VERSION && req.sessionId !== INVALID_SESSION_ID) cache.remove(req.sessionId);
  return full(ctx, req, meta, named, maxWaitMs, maxBytes, apiVersion >= SESSIONS_VERSION && req.sessionEpoch === INITIAL_EPOCH);
}

/** Every partition named, answered; `open`: then a session of them is opened if the cache has room. */
async function full(ctx: HandlerContext, req: FetchRequest, meta: RequestMeta, named: FetchPartition[], maxWaitMs: number, maxBytes: number, open: boolean): Promise<FetchResponse> {
  const { apiVersion } = meta;
  const byId = apiVersion >= TOPIC_IDS_VERSION;
  const cache = ctx.broker.fetchSessions;
  const results = await readAllowed(ctx, meta, named, maxWaitMs, req.minBytes, maxBytes, isolationOf(req, apiVersion));
  meta.fetched = results;
  let sessionId = INVALID_SESSION_ID;
  if (open) {
    const partitions = named.map((p, i): SessionPartition => ({ ...p, highWatermark: results[i]!.highWatermark, logStartOffset: results[i]!.logStartOffset }));
    sessionId = cache.create(isFollower(req, apiVersion), byId, partitions)?.id ?? INVALID_SESSION_ID;
  }
  let i = 0;
  // One object shape for every version (the encoder writes the fields its version has), as in produce.ts.
  const responses = req.topics.map((t) => ({ topic: t.topic, topicId: t.topicId, partitions: t.partitions.map(() => partitionData(results[i++]!)) }));
  return { throttleTimeMs: 0, errorCode: 0, sessionId, responses };
}

async function incremental(ctx: HandlerContext, req: FetchRequest, meta: RequestMeta, named: FetchPartition[], maxWaitMs: number, maxBytes: number): Promise<FetchResponse | null> {
  const cache = ctx.broker.fetchSessions;
  const byId = meta.apiVersion >= TOPIC_IDS_VERSION;
  const refuse = (error: ErrorName, sessionId = INVALID_SESSION_ID): FetchResponse => ({ throttleTimeMs: 0, errorCode: errorCode(error), sessionId, responses: [] });
  const session = cache.get(req.sessionId);
  if (!session) return refuse('FETCH_SESSION_ID_NOT_FOUND');
  if (session.epoch !== req.sessionEpoch) return refuse('INVALID_FETCH_SESSION_EPOCH');
  if (session.usesTopicIds !== byId) return refuse('FETCH_SESSION_TOPIC_ID_ERROR');
  const forgotten = req.forgottenTopicsData.flatMap((f) => {
    const topic = byId ? '' : f.topic;
    const topicId = byId ? f.topicId : undefined;
    return f.partitions.map((partition) => ({ topic, topicId, partition }));
  });
  if (!cache.update(session, named, forgotten)) {
    // Past a bound: the session ends, and the client starts again with a full request (which opens none that large).
    cache.remove(session.id);
    return refuse('FETCH_SESSION_ID_NOT_FOUND');
  }
  if (session.partitions.size === 0) {
    cache.remove(session.id);
    return null;
  }
  cache.touch(session);
  session.epoch = nextEpoch(session.epoch);
  const expected = session.epoch;
  const partitions = [...session.partitions.values()];
  if (byId) for (const p of partitions) p.topic = ctx.broker.topics.nameById(p.topicId!);
  const results = await readAllowed(ctx, meta, partitions, maxWaitMs, req.minBytes, maxBytes, isolationOf(req, meta.apiVersion));
  if (session.epoch !== expected) {
    // Another request of this session came in meanwhile (a duplicate): this answer is stale.
    releaseAll(results);
    return refuse('INVALID_FETCH_SESSION_EPOCH', session.id);
  }
  const { responses, sent } = incrementalResponses(session, partitions, results, byId);
  meta.fetched = sent;
  return { throttleTimeMs: 0, errorCode: 0, sessionId: session.id, responses };
}

/**
 * The partitions an incremental answer carries (Kafka's
 * CachedPartition.maybeUpdateResponseData), consecutive ones of a topic
 * under one topic entry; a partition that returned records moves to the
 * end of the session, so the next fetch's budget goes to the others first.
 */
function incrementalResponses(session: FetchSession, partitions: SessionPartition[], results: FetchResult[], byId: boolean): { responses: TopicResponse[]; sent: FetchResult[] } {
  const responses: TopicResponse[] = [];
  const sent: FetchResult[] = [];
  let current: { partitions: ReturnType<typeof partitionData>[] } | null = null;
  let currentKey: string | undefined;
  for (let i = 0; i < partitions.length; i++) {
    const p = partitions[i]!;
    const r = results[i]!;
    let must = r.bytes > 0;
    if (p.highWatermark !== r.highWatermark) {
      must = true;
      p.highWatermark = r.highWatermark;
    }
    if (p.logStartOffset !== r.logStartOffset) {
      must = true;
      p.logStartOffset = r.logStartOffset;
    }
    if (r.error !== 'NONE') {
      // Answered until the error goes away, and once more after.
      must = true;
      p.highWatermark = -1n;
    }
    if (!must) {
      releaseRegions(r.regions);
      continue;
    }
    if (r.bytes > 0) {
      const k = session.key(p);
      if (session.partitions.get(k) === p) {
        session.partitions.delete(k);
        session.partitions.set(k, p);
      }
    }
    const key = byId ? p.topicId! : p.topic;
    if (current === null || key !== currentKey) {
      current = { partitions: [] };
      currentKey = key;
      responses.push({ topic: p.topic, topicId: p.topicId, partitions: current.partitions });
    }
    current.partitions.push(partitionData(r));
    sent.push(r);
  }
  return { responses, sent };
}

/**
 * Reads the partitions whose topic the principal may READ; each of the
 * others answers TOPIC_AUTHORIZATION_FAILED in its place, and is not
 * waited on. A session's partitions are checked at every fetch, as Kafka
 * does: an ACL removed meanwhile takes effect at once.
 */
async function readAllowed(ctx: HandlerContext, meta: RequestMeta, partitions: readonly FetchPartition[], maxWaitMs: number, minBytes: number, maxBytes: number, isolation: Isolation): Promise<FetchResult[]> {
  if (!meta.access.enforced) return ctx.broker.fetch(partitions, maxWaitMs, minBytes, maxBytes, isolation);
  // A topic id that names nothing ('') is the broker's to answer (UNKNOWN_TOPIC_ID).
  const allowed = partitions.map((p) => p.topic === '' || meta.access.can('READ', 'TOPIC', p.topic));
  const read = allowed.some(Boolean) ? await ctx.broker.fetch(partitions.filter((_, i) => allowed[i]), maxWaitMs, minBytes, maxBytes, isolation) : [];
  let next = 0;
  return partitions.map((p, i) =>
    allowed[i]
      ? read[next++]!
      : { topic: p.topic, partition: p.partition, error: 'TOPIC_AUTHORIZATION_FAILED', highWatermark: -1n, lastStableOffset: -1n, logStartOffset: -1n, abortedTransactions: null, regions: [], bytes: 0 },
  );
}

function releaseAll(results: readonly FetchResult[]): void {
  for (const r of results) releaseRegions(r.regions);
}

/** The partitions a request names, in its order (a v13+ topic id found by name to read and wait on; reading checks the id again). */
function requested(ctx: HandlerContext, req: FetchRequest, byId: boolean): FetchPartition[] {
  return req.topics.flatMap((t) => {
    // One literal shape (not a spread of one of two): these objects are every fetch's, and live on in its session.
    const topic = byId ? ctx.broker.topics.nameById(t.topicId) : t.topic;
    const topicId = byId ? t.topicId : undefined;
    return t.partitions.map((p): FetchPartition => ({ topic, topicId, partition: p.partition, fetchOffset: p.fetchOffset, maxBytes: p.partitionMaxBytes }));
  });
}

/** IsolationLevel is v4+ (0 read_uncommitted, 1 read_committed); older fetches read everything. */
function isolationOf(req: { isolationLevel: number }, apiVersion: number): Isolation {
  return apiVersion >= 4 && req.isolationLevel === 1 ? 'committed' : 'uncommitted';
}

/** A follower's fetch (a replica id >= 0) opens a privileged session, as in Kafka. */
function isFollower(req: FetchRequest, apiVersion: number): boolean {
  return (apiVersion >= 15 ? (req.replicaState?.replicaId ?? -1) : req.replicaId) >= 0;
}

function partitionData(r: FetchResult) {
  return {
    partitionIndex: r.partition,
    errorCode: errorCode(r.error),
    highWatermark: r.highWatermark,
    lastStableOffset: r.lastStableOffset,
    logStartOffset: r.logStartOffset,
    abortedTransactions: r.abortedTransactions?.map((a) => ({ producerId: a.producerId, firstOffset: a.firstOffset })) ?? null,
    preferredReadReplica: -1,
    records: { length: r.bytes, regions: r.regions },
  };
}

/**
 * A special timestamp or a time per partition (list-offset.ts); under
 * read_committed (v2+) the latest offset is the last stable one, and a time
 * finds only records below it. TimeoutMs (v10) bounds lookups in
 * remote storage, which this broker has none of. Every version answers the
 * same offset; v1+ also carries that record's timestamp.
 */
export function listOffsets(ctx: HandlerContext, req: RequestBody<typeof ApiKeys.ListOffsets>, meta: RequestMeta): ResponseInput<typeof ApiKeys.ListOffsets> {
  const { apiVersion } = meta;
  // IsolationLevel is v2+ here.
  const isolation: Isolation = apiVersion >= 2 && req.isolationLevel === 1 ? 'committed' : 'uncommitted';
  return {
    throttleTimeMs: 0,
    topics: req.topics.map((t) => ({
      name: t.name,
      partitions: t.partitions.map((p) => {
        const r = meta.access.can('DESCRIBE', 'TOPIC', t.name) ? ctx.broker.listOffset(t.name, p.partitionIndex, p.timestamp, isolation) : { error: 'TOPIC_AUTHORIZATION_FAILED' as const, offset: -1n, timestamp: -1n };
        const found = r.error === 'NONE' && r.offset >= 0n;
        return {
          partitionIndex: p.partitionIndex,
          errorCode: errorCode(r.error),
          // v0 answers a list of offsets (the newest first); one is all a client needs.
          oldStyleOffsets: apiVersion === 0 && found ? [r.offset] : [],
          // v1+ answers one offset and its timestamp; v0 has neither field.
          timestamp: apiVersion === 0 ? -1n : r.timestamp,
          offset: apiVersion === 0 ? -1n : r.offset,
          // The one leader's epoch, which every appended batch carries (-1 with no offset found).
          leaderEpoch: found && apiVersion >= 4 ? LEADER_EPOCH : -1,
        };
      }),
    })),
  };
}
