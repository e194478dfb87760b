// Consumer groups: membership (JoinGroup, SyncGroup, Heartbeat, LeaveGroup),
// committed offsets (OffsetCommit, OffsetFetch) and the admin views
// (DescribeGroups, ListGroups). The group leader (a client) chooses the
// assignment; the coordinator only passes it on, as Kafka's does.
import { errorCode } from '../../protocol/kafka/index.js';
import { firstIndexes } from './duplicates.js';
import type { HandlerContext, RequestMeta } from './context.js';

interface JoinGroupRequest {
  groupId: string;
  sessionTimeoutMs: number;
  rebalanceTimeoutMs: number;
  memberId: string;
  protocolType: string;
  protocols: { name: string; metadata: Buffer }[];
}

export async function joinGroup(ctx: HandlerContext, req: JoinGroupRequest, meta: RequestMeta): Promise<object> {
  const r = await ctx.broker.coordinator.join({
    groupId: req.groupId,
    memberId: req.memberId,
    clientId: meta.clientId,
    clientHost: meta.clientHost,
    sessionTimeoutMs: req.sessionTimeoutMs,
    // v0 has no rebalance timeout: Kafka uses the session timeout.
    rebalanceTimeoutMs: meta.apiVersion >= 1 ? req.rebalanceTimeoutMs : req.sessionTimeoutMs,
    protocolType: req.protocolType,
    protocols: req.protocols,
    requireKnownMemberId: meta.apiVersion >= 4,
  });
  return {
    throttleTimeMs: 0,
    errorCode: errorCode(r.error),
    generationId: r.generationId,
    protocolName: r.protocolName ?? '',
    leader: r.leader,
    memberId: r.memberId,
    members: r.members.map((m) => ({ memberId: m.memberId, groupInstanceId: null, metadata: m.metadata })),
  };
}

interface SyncGroupRequest {
  groupId: string;
  generationId: number;
  memberId: string;
  assignments: { memberId: string; assignment: Buffer }[];
}

export async function syncGroup(ctx: HandlerContext, req: SyncGroupRequest): Promise<object> {
  const assignments = req.assignments.length > 0 ? new Map(req.assignments.map((a) => [a.memberId, a.assignment])) : null;
  const r = await ctx.broker.coordinator.sync(req.groupId, req.memberId, req.generationId, assignments);
  return { throttleTimeMs: 0, errorCode: errorCode(r.error), assignment: r.assignment };
}

interface HeartbeatRequest {
  groupId: string;
  generationId: number;
  memberId: string;
}

export function heartbeat(ctx: HandlerContext, req: HeartbeatRequest): object {
  return { throttleTimeMs: 0, errorCode: errorCode(ctx.broker.coordinator.heartbeat(req.groupId, req.memberId, req.generationId)) };
}

interface LeaveGroupRequest {
  groupId: string;
  memberId: string;
}

export function leaveGroup(ctx: HandlerContext, req: LeaveGroupRequest): object {
  return { throttleTimeMs: 0, errorCode: errorCode(ctx.broker.coordinator.leave(req.groupId, req.memberId)) };
}

interface OffsetCommitRequest {
  groupId: string;
  generationId: number;
  memberId: string;
  topics: { name: string; partitions: { partitionIndex: number; committedOffset: bigint; committedMetadata: string | null }[] }[];
}

export async function offsetCommit(ctx: HandlerContext, req: OffsetCommitRequest, meta: RequestMeta): Promise<object> {
  const { broker } = ctx;
  const known = (topic: string, p: number): boolean => {
    const t = broker.topics.get(topic);
    return t !== undefined && p >= 0 && p < t.partitions;
  };
  const entries = req.topics.flatMap((t) =>
    t.partitions.filter((p) => known(t.name, p.partitionIndex)).map((p) => ({ topic: t.name, partition: p.partitionIndex, offset: p.committedOffset, metadata: p.committedMetadata })),
  );
  // v0 has no generation: a commit from outside any group, as Kafka treats it.
  const generationId = meta.apiVersion >= 1 ? req.generationId : -1;
  const memberId = meta.apiVersion >= 1 ? req.memberId : '';
  const error = entries.length > 0 ? await broker.coordinator.commit(req.groupId, memberId, generationId, entries) : 'NONE';
  return {
    throttleTimeMs: 0,
    topics: req.topics.map((t) => ({
      name: t.name,
      partitions: t.partitions.map((p) => ({
        partitionIndex: p.partitionIndex,
        errorCode: errorCode(known(t.name, p.partitionIndex) ? error : 'UNKNOWN_TOPIC_OR_PARTITION'),
      })),
    })),
  };
}

interface OffsetFetchRequest {
  groupId: string;
  /** null (v2+): every partition the group has committed. */
  topics: { name: string; partitionIndexes: number[] }[] | null;
}

export function offsetFetch(ctx: HandlerContext, req: OffsetFetchRequest): object {
  const c = ctx.broker.coordinator;
  const wanted = req.topics ?? groupByTopic(c.committedAll(req.groupId));
  return {
    throttleTimeMs: 0,
    topics: wanted.map((t) => ({
      name: t.name,
      partitions: t.partitionIndexes.map((p) => {
        const o = c.committed(req.groupId, t.name, p);
        return { partitionIndex: p, committedOffset: o.offset, committedLeaderEpoch: -1, metadata: o.metadata ?? '', errorCode: 0 };
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

interface DescribeGroupsRequest {
  groups: string[];
}

export function describeGroups(ctx: HandlerContext, req: DescribeGroupsRequest): object {
  // A group answers with all its members from a few bytes of request: repeated, it would make one
  // request cost its members times the repeats. A repeat gets INVALID_REQUEST and no members.
  const firstOf = firstIndexes(req.groups);
  return {
    throttleTimeMs: 0,
    groups: req.groups.map((id, i) => {
      if (firstOf.get(id) !== i) return { errorCode: errorCode('INVALID_REQUEST'), groupId: id, groupState: '', protocolType: '', protocolData: '', members: [], authorizedOperations: -2147483648 };
      const d = ctx.broker.coordinator.describe(id);
      return {
        errorCode: 0,
        groupId: d.groupId,
        groupState: d.state,
        protocolType: d.protocolType,
        protocolData: d.protocol,
        members: d.members.map((m) => ({
          memberId: m.memberId,
          groupInstanceId: null,
          clientId: m.clientId,
          clientHost: m.clientHost,
          memberMetadata: m.metadata,
          memberAssignment: m.assignment,
        })),
        authorizedOperations: -2147483648,
      };
    }),
  };
}

export function listGroups(ctx: HandlerContext): object {
  return {
    throttleTimeMs: 0,
    errorCode: 0,
    groups: ctx.broker.coordinator.list().map((g) => ({ groupId: g.groupId, protocolType: g.protocolType, groupState: g.state })),
  };
}
