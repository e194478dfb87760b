// Committed offsets: OffsetCommit and OffsetFetch, for groups of both
// protocols. OffsetCommit v9's GenerationIdOrMemberEpoch is a generation for
// a classic group and a member epoch for a KIP-848 consumer group
// (STALE_MEMBER_EPOCH when it is not the member's); OffsetFetch v9's
// MemberId and MemberEpoch are checked for consumer groups only, as Kafka
// does. RequireStable (v7+, KIP-447): a partition whose offset an open
// transaction will commit answers UNSTABLE_OFFSET_COMMIT (retriable) until
// the transaction ends, as Kafka's.
//
// OffsetCommit v10 and OffsetFetch v10 name topics by id. Offsets are kept
// by topic name: an id is resolved to its topic's name, and one naming no
// topic answers UNKNOWN_TOPIC_ID for each partition asked about, the id
// echoed. A topic deleted and created again under its name has another id:
// the old one names nothing.
import { errorCode, type ApiKeys, type ErrorName, type RequestBody, type ResponseInput } from '../../protocol/kafka/index.js';
import type { Access } from './access.js';
import { partitionKey } from '../../broker/txn/txn-log.js';
import { firstIndexes } from './duplicates.js';
import type { HandlerContext, RequestMeta } from './context.js';

type CommitRequest = RequestBody<typeof ApiKeys.OffsetCommit>;
type FetchRequest = RequestBody<typeof ApiKeys.OffsetFetch>;
type FetchAnswer = ResponseInput<typeof ApiKeys.OffsetFetch>;
/** One group's part of an OffsetFetch, as v8+ asks it (earlier versions ask for one group the same way, by topic name). */
type GroupFetch = Omit<FetchRequest['groups'][number], 'topics'> & { topics: readonly TopicFetch[] | null };
type TopicFetch = { name: string; topicId?: string; partitionIndexes: readonly number[] };
type GroupAnswer = NonNullable<FetchAnswer['groups']>[number];

/** OffsetCommit v10 and OffsetFetch v10 name topics by id (KIP-848). */
const TOPIC_IDS_VERSION = 10;

/** READ on the group (every partition refused without), then READ on each topic, as Kafka. */
export async function offsetCommit(ctx: HandlerContext, req: CommitRequest, meta: RequestMeta): Promise<ResponseInput<typeof ApiKeys.OffsetCommit>> {
  const { broker } = ctx;
  const byId = meta.apiVersion >= TOPIC_IDS_VERSION;
  const groupDenied = !meta.access.can('READ', 'GROUP', req.groupId);
  // By id: '' for an id naming no topic, which no authorizer is asked about.
  const names = req.topics.map((t) => (byId ? broker.topics.nameById(t.topicId) : t.name));
  const unknownId = (topic: string): boolean => byId && topic === '';
  const readable = new Map(names.map((n) => [n, !unknownId(n) && meta.access.can('READ', 'TOPIC', n)]));
  const known = (topic: string, p: number): boolean => {
    const t = broker.topics.get(topic);
    return !groupDenied && readable.get(topic) === true && t !== undefined && p >= 0 && p < t.partitions;
  };
  const refusal = (topic: string): ErrorName => {
    if (groupDenied) return 'GROUP_AUTHORIZATION_FAILED';
    if (unknownId(topic)) return 'UNKNOWN_TOPIC_ID';
    return readable.get(topic) ? 'UNKNOWN_TOPIC_OR_PARTITION' : 'TOPIC_AUTHORIZATION_FAILED';
  };
  const entries = req.topics.flatMap((t, i) =>
    t.partitions
      .filter((p) => known(names[i]!, p.partitionIndex))
      .map((p) => ({ topic: names[i]!, partition: p.partitionIndex, offset: p.committedOffset, metadata: p.committedMetadata, leaderEpoch: p.committedLeaderEpoch })),
  );
  // v0 has no generation: a commit from outside any group, as Kafka treats it.
  const generationId = meta.apiVersion >= 1 ? req.generationId : -1;
  const memberId = meta.apiVersion >= 1 ? req.memberId : '';
  const error = entries.length > 0 ? await broker.coordinator.commit(req.groupId, memberId, generationId, entries, req.groupInstanceId, meta.apiVersion) : 'NONE';
  return {
    throttleTimeMs: 0,
    topics: req.topics.map((t, i) => ({
      ...(byId ? { topicId: t.topicId } : { name: t.name }),
      partitions: t.partitions.map((p) => ({
        partitionIndex: p.partitionIndex,
        errorCode: errorCode(known(names[i]!, p.partitionIndex) ? error : refusal(names[i]!)),
      })),
    })),
  };
}

/** v0-7 ask for one group, v8+ for many, each answered on its own. */
export function offsetFetch(ctx: HandlerContext, req: FetchRequest, meta: RequestMeta): FetchAnswer {
  const v = meta.apiVersion;
  if (v < 8) {
    const one = fetchGroup(ctx, meta.access, { groupId: req.groupId, memberId: null, memberEpoch: -1, topics: req.topics }, v >= 7 && req.requireStable);
    const code = one.errorCode ?? 0;
    // v0-1 carry no top-level error: the group's refusal goes to each partition.
    const topics = v < 2 && code !== 0 ? (req.topics ?? []).map((t) => ({ name: t.name, partitions: t.partitionIndexes.map((p) => unanswered(p, code)) })) : one.topics;
    return { throttleTimeMs: 0, topics, errorCode: code, groups: [] };
  }
  const byId = v >= TOPIC_IDS_VERSION;
  // By id: each topic's name, '' for an id naming no topic.
  const named = (g: FetchRequest['groups'][number]): GroupFetch => (byId && g.topics !== null ? { ...g, topics: g.topics.map((t) => ({ ...t, name: ctx.broker.topics.nameById(t.topicId) })) } : g);
  // A group with a null topic list answers with its every offset: like
  // DescribeGroups, a repeat is refused so the answer stays near the request's size.
  const firstOf = firstIndexes(req.groups.map((g) => g.groupId));
  return {
    throttleTimeMs: 0,
    topics: [],
    groups: req.groups.map((g, i) => (firstOf.get(g.groupId) === i ? fetchGroup(ctx, meta.access, named(g), req.requireStable, byId) : { groupId: g.groupId, topics: [], errorCode: errorCode('INVALID_REQUEST') })),
  };
}

/**
 * Null topics (v2+): every partition the group has committed, those of
 * topics the principal may DESCRIBE. Partitions never committed answer -1.
 * DESCRIBE on the group first, as Kafka. `byId` (v10): topics are answered
 * by id, and one asked for by an id naming no topic ('' its name) is
 * UNKNOWN_TOPIC_ID.
 */
function fetchGroup(ctx: HandlerContext, access: Access, g: GroupFetch, requireStable = false, byId = false): GroupAnswer {
  const c = ctx.broker.coordinator;
  if (!access.can('DESCRIBE', 'GROUP', g.groupId)) return { groupId: g.groupId, topics: [], errorCode: errorCode('GROUP_AUTHORIZATION_FAILED') };
  const refused = c.validateFetch(g.groupId, g.memberId, g.memberEpoch);
  if (refused) return { groupId: g.groupId, topics: [], errorCode: errorCode(refused) };
  const pending = requireStable ? ctx.broker.transactions.coordinator.pendingOffsets(g.groupId) : null;
  const wanted = g.topics ?? committedTopics(ctx, access, g.groupId, byId);
  return {
    groupId: g.groupId,
    topics: wanted.map((t) => ({
      ...(byId ? { topicId: t.topicId } : { name: t.name }),
      partitions: t.partitionIndexes.map((p) => {
        if (byId && t.name === '') return unanswered(p, errorCode('UNKNOWN_TOPIC_ID'));
        if (!access.can('DESCRIBE', 'TOPIC', t.name)) return unanswered(p, errorCode('TOPIC_AUTHORIZATION_FAILED'));
        if (pending?.has(partitionKey(t.name, p))) return unanswered(p, errorCode('UNSTABLE_OFFSET_COMMIT'));
        const o = c.committed(g.groupId, t.name, p);
        return { partitionIndex: p, committedOffset: o.offset, committedLeaderEpoch: o.leaderEpoch, metadata: o.metadata ?? '', errorCode: 0 };
      }),
    })),
    errorCode: 0,
  };
}

/**
 * The topics the group has offsets in that the principal may DESCRIBE. By
 * id, only topics that exist: offsets left of one deleted (its deletion
 * still under way) have no id to be answered with, and are left out, as
 * Kafka leaves them.
 */
function committedTopics(ctx: HandlerContext, access: Access, groupId: string, byId: boolean): TopicFetch[] {
  const all = groupByTopic(ctx.broker.coordinator.committedAll(groupId)).filter((t) => access.shows('DESCRIBE', 'TOPIC', t.name));
  if (!byId) return all;
  return all.flatMap((t) => {
    const topicId = ctx.broker.topics.get(t.name)?.id;
    return topicId === undefined ? [] : [{ ...t, topicId }];
  });
}

/** A partition answered with an error (or a v0-1 group's refusal): no offset. */
function unanswered(partitionIndex: number, code: number) {
  return { partitionIndex, committedOffset: -1n, committedLeaderEpoch: -1, metadata: '', errorCode: code };
}

function groupByTopic(offsets: readonly { topic: string; partition: number }[]): { name: string; partitionIndexes: number[] }[] {
  const byTopic = new Map<string, number[]>();
  for (const o of offsets) {
    const list = byTopic.get(o.topic) ?? [];
    list.push(o.partition);
    byTopic.set(o.topic, list);
  }
  return [...byTopic].map(([name, partitionIndexes]) => ({ name, partitionIndexes }));
}
