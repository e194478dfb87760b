// Committed offsets: OffsetCommit and OffsetFetch, for groups of both
// protocols. OffsetCommit v9's GenerationIdOrMemberEpoch is a generation for
// a classic group and a member epoch for a KIP-848 consumer group
// (STALE_MEMBER_EPOCH when it is not the member's); OffsetFetch v9's
// MemberId and MemberEpoch are checked for consumer groups only, as Kafka
// does. RequireStable (v7+, KIP-447): a partition whose offset an open
// transaction will commit answers UNSTABLE_OFFSET_COMMIT (retriable) until
// the transaction ends, as Kafka's.
import { errorCode, type ApiKeys, type ErrorName, type RequestBody, type ResponseInput } from '../../protocol/kafka/index.js';
import type { Access } from './access.js';
import { partitionKey } from '../../broker/txn/txn-log.js';
import { firstIndexes } from './duplicates.js';
import type { HandlerContext, RequestMeta } from './context.js';

type CommitRequest = RequestBody<typeof ApiKeys.OffsetCommit>;
type FetchRequest = RequestBody<typeof ApiKeys.OffsetFetch>;
type FetchAnswer = ResponseInput<typeof ApiKeys.OffsetFetch>;
/** One group's part of an OffsetFetch, as v8+ asks it (earlier versions ask for one group the same way). */
type GroupFetch = FetchRequest['groups'][number];
type GroupAnswer = NonNullable<FetchAnswer['groups']>[number];

/** READ on the group (every partition refused without), then READ on each topic, as Kafka. */
export async function offsetCommit(ctx: HandlerContext, req: CommitRequest, meta: RequestMeta): Promise<ResponseInput<typeof ApiKeys.OffsetCommit>> {
  const { broker } = ctx;
  const groupDenied = !meta.access.can('READ', 'GROUP', req.groupId);
  const readable = new Map(req.topics.map((t) => [t.name, meta.access.can('READ', 'TOPIC', t.name)]));
  const known = (topic: string, p: number): boolean => {
    const t = broker.topics.get(topic);
    return !groupDenied && readable.get(topic) === true && t !== undefined && p >= 0 && p < t.partitions;
  };
  const refusal = (topic: string): ErrorName => (groupDenied ? 'GROUP_AUTHORIZATION_FAILED' : readable.get(topic) ? 'UNKNOWN_TOPIC_OR_PARTITION' : 'TOPIC_AUTHORIZATION_FAILED');
  const entries = req.topics.flatMap((t) =>
    t.partitions
      .filter((p) => known(t.name, p.partitionIndex))
      .map((p) => ({ topic: t.name, partition: p.partitionIndex, offset: p.committedOffset, metadata: p.committedMetadata, leaderEpoch: p.committedLeaderEpoch })),
  );
  // v0 has no generation: a commit from outside any group, as Kafka treats it.
  const generationId = meta.apiVersion >= 1 ? req.generationId : -1;
  const memberId = meta.apiVersion >= 1 ? req.memberId : '';
  const error = entries.length > 0 ? await broker.coordinator.commit(req.groupId, memberId, generationId, entries, req.groupInstanceId, meta.apiVersion) : 'NONE';
  return {
    throttleTimeMs: 0,
    topics: req.topics.map((t) => ({
      name: t.name,
      partitions: t.partitions.map((p) => ({
        partitionIndex: p.partitionIndex,
        errorCode: errorCode(known(t.name, p.partitionIndex) ? error : refusal(t.name)),
      })),
    })),
  };
}

/** v0-7 ask for one group, v8+ for many, each answered on its own. */
export function offsetFetch(ctx: HandlerContext, req: FetchRequest, meta: RequestMeta): FetchAnswer {
  const v = meta.apiVersion;
  if (v < 8) {
    const one = fetchGroup(ctx, meta.access, { groupId: req.groupId, memberId: null, memberEpoch: -1, topics: req.topics }, v >= 7 && req.requireStable);
    // v0-1 carry no top-level error: the group's refusal goes to each partition.
    const topics = v < 2 && one.errorCode !== 0 ? (req.topics ?? []).map((t) => ({ name: t.name, partitions: t.partitionIndexes.map((p) => ({ partitionIndex: p, committedOffset: -1n, committedLeaderEpoch: -1, metadata: '', errorCode: one.errorCode })) })) : one.topics;
    return { throttleTimeMs: 0, topics, errorCode: one.errorCode, groups: [] };
  }
  // A group with a null topic list answers with its every offset: like
  // DescribeGroups, a repeat is refused so the answer stays near the request's size.
  const firstOf = firstIndexes(req.groups.map((g) => g.groupId));
  return {
    throttleTimeMs: 0,
    topics: [],
    groups: req.groups.map((g, i) => (firstOf.get(g.groupId) === i ? fetchGroup(ctx, meta.access, g, req.requireStable) : { groupId: g.groupId, topics: [], errorCode: errorCode('INVALID_REQUEST') })),
  };
}

/**
 * Null topics (v2+): every partition the group has committed, those of
 * topics the principal may DESCRIBE. Partitions never committed answer -1.
 * DESCRIBE on the group first, as Kafka.
 */
function fetchGroup(ctx: HandlerContext, access: Access, g: GroupFetch, requireStable = false): GroupAnswer {
  const c = ctx.broker.coordinator;
  if (!access.can('DESCRIBE', 'GROUP', g.groupId)) return { groupId: g.groupId, topics: [], errorCode: errorCode('GROUP_AUTHORIZATION_FAILED') };
  const refused = c.validateFetch(g.groupId, g.memberId, g.memberEpoch);
  if (refused) return { groupId: g.groupId, topics: [], errorCode: errorCode(refused) };
  const pending = requireStable ? ctx.broker.transactions.coordinator.pendingOffsets(g.groupId) : null;
  const wanted = g.topics ?? groupByTopic(c.committedAll(g.groupId)).filter((t) => access.shows('DESCRIBE', 'TOPIC', t.name));
  return {
    groupId: g.groupId,
    topics: wanted.map((t) => ({
      name: t.name,
      partitions: t.partitionIndexes.map((p) => {
        if (!access.can('DESCRIBE', 'TOPIC', t.name)) return { partitionIndex: p, committedOffset: -1n, committedLeaderEpoch: -1, metadata: '', errorCode: errorCode('TOPIC_AUTHORIZATION_FAILED') };
        if (pending?.has(partitionKey(t.name, p))) return { partitionIndex: p, committedOffset: -1n, committedLeaderEpoch: -1, metadata: '', errorCode: errorCode('UNSTABLE_OFFSET_COMMIT') };
        const o = c.committed(g.groupId, t.name, p);
        return { partitionIndex: p, committedOffset: o.offset, committedLeaderEpoch: o.leaderEpoch, metadata: o.metadata ?? '', errorCode: 0 };
      }),
    })),
    errorCode: 0,
  };
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
