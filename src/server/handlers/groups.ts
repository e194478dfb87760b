// Consumer groups: membership (JoinGroup, SyncGroup, Heartbeat, LeaveGroup)
// and the admin views (DescribeGroups, ListGroups); committed offsets are in
// group-offsets.ts. The group leader (a client) chooses the assignment; the
// coordinator only passes it on, as Kafka's does. Reasons (JoinGroup v8+,
// LeaveGroup v5+) are only for Kafka's logs, and are not kept.
import { errorCode, type ApiKeys, type RequestBody, type ResponseInput } from '../../protocol/kafka/index.js';
import { allOperations, CLUSTER } from './access.js';
import { firstIndexes } from './duplicates.js';
import { errorMessage } from './error-message.js';
import type { HandlerContext, RequestMeta } from './context.js';

type Body<K extends keyof typeof ApiKeys> = RequestBody<(typeof ApiKeys)[K]>;
type Answer<K extends keyof typeof ApiKeys> = ResponseInput<(typeof ApiKeys)[K]>;

/** Kafka's value for "not asked for" (DescribeGroups v3+). */
export const OPERATIONS_NOT_ASKED = -2147483648;
/** Every operation Kafka defines on a group (READ, DELETE, DESCRIBE, as bits of their AclOperation codes 3, 6, 8). */
export const GROUP_OPERATIONS = allOperations('GROUP');

/** Membership takes READ on the group (GROUP_AUTHORIZATION_FAILED without), as in Kafka. */
const mayJoin = (meta: RequestMeta, groupId: string): boolean => meta.access.can('READ', 'GROUP', groupId);

export async function joinGroup(ctx: HandlerContext, req: Body<'JoinGroup'>, meta: RequestMeta): Promise<Answer<'JoinGroup'>> {
  const v = meta.apiVersion;
  if (!mayJoin(meta, req.groupId)) {
    return { throttleTimeMs: 0, errorCode: errorCode('GROUP_AUTHORIZATION_FAILED'), generationId: -1, protocolType: null, protocolName: v >= 7 ? null : '', leader: '', skipAssignment: false, memberId: '', members: [] };
  }
  const r = await ctx.broker.coordinator.join({
    groupId: req.groupId,
    memberId: req.memberId,
    groupInstanceId: req.groupInstanceId,
    clientId: meta.clientId,
    clientHost: meta.clientHost,
    sessionTimeoutMs: req.sessionTimeoutMs,
    // v0 has no rebalance timeout: Kafka uses the session timeout.
    rebalanceTimeoutMs: v >= 1 ? req.rebalanceTimeoutMs : req.sessionTimeoutMs,
    protocolType: req.protocolType,
    protocols: req.protocols,
    // A static member needs no second round: its instance id identifies it (Kafka's rule).
    requireKnownMemberId: v >= 4 && req.groupInstanceId === null,
    supportSkippingAssignment: v >= 9,
  });
  return {
    throttleTimeMs: 0,
    errorCode: errorCode(r.error),
    generationId: r.generationId,
    protocolType: r.protocolType,
    // Nullable from v7; before, Kafka sends an empty name.
    protocolName: v >= 7 ? r.protocolName : (r.protocolName ?? ''),
    leader: r.leader,
    skipAssignment: r.skipAssignment,
    memberId: r.memberId,
    members: r.members,
  };
}

export async function syncGroup(ctx: HandlerContext, req: Body<'SyncGroup'>, meta: RequestMeta): Promise<Answer<'SyncGroup'>> {
  if (!mayJoin(meta, req.groupId)) return { throttleTimeMs: 0, errorCode: errorCode('GROUP_AUTHORIZATION_FAILED'), protocolType: null, protocolName: null, assignment: Buffer.alloc(0) };
  const assignments = req.assignments.length > 0 ? new Map(req.assignments.map((a) => [a.memberId, a.assignment])) : null;
  const r = await ctx.broker.coordinator.sync(req.groupId, req.memberId, req.generationId, assignments, req);
  return { throttleTimeMs: 0, errorCode: errorCode(r.error), protocolType: r.protocolType, protocolName: r.protocolName, assignment: r.assignment };
}

export function heartbeat(ctx: HandlerContext, req: Body<'Heartbeat'>, meta: RequestMeta): Answer<'Heartbeat'> {
  if (!mayJoin(meta, req.groupId)) return { throttleTimeMs: 0, errorCode: errorCode('GROUP_AUTHORIZATION_FAILED') };
  return { throttleTimeMs: 0, errorCode: errorCode(ctx.broker.coordinator.heartbeat(req.groupId, req.memberId, req.generationId, req.groupInstanceId)) };
}

/** v0-2 name one member and answer in the top-level error; v3+ a batch, each member answered on its own (an unknown group as a whole). */
export function leaveGroup(ctx: HandlerContext, req: Body<'LeaveGroup'>, meta: RequestMeta): Answer<'LeaveGroup'> {
  const v = meta.apiVersion;
  const c = ctx.broker.coordinator;
  if (!mayJoin(meta, req.groupId)) return { throttleTimeMs: 0, errorCode: errorCode('GROUP_AUTHORIZATION_FAILED'), members: [] };
  if (v < 3) return { throttleTimeMs: 0, errorCode: errorCode(c.leave(req.groupId, req.memberId)), members: [] };
  // Kafka answers a batch for a group it does not have as a whole.
  if (!c.has(req.groupId)) return { throttleTimeMs: 0, errorCode: errorCode('UNKNOWN_MEMBER_ID'), members: [] };
  return {
    throttleTimeMs: 0,
    errorCode: 0,
    members: req.members.map((m) => ({ memberId: m.memberId, groupInstanceId: m.groupInstanceId, errorCode: errorCode(c.leave(req.groupId, m.memberId, m.groupInstanceId)) })),
  };
}

export function describeGroups(ctx: HandlerContext, req: Body<'DescribeGroups'>, meta: RequestMeta): Answer<'DescribeGroups'> {
  const v = meta.apiVersion;
  const asked = v >= 3 && req.includeAuthorizedOperations;
  const authorizedOperations = (id: string): number => (asked ? meta.access.operations('GROUP', id) : OPERATIONS_NOT_ASKED);
  // A group answers with all its members from a few bytes of request: repeated, it would make one
  // request cost its members times the repeats. A repeat gets INVALID_REQUEST and no members.
  const firstOf = firstIndexes(req.groups);
  return {
    throttleTimeMs: 0,
    groups: req.groups.map((id, i) => {
      if (firstOf.get(id) !== i) return { errorCode: errorCode('INVALID_REQUEST'), groupId: id, groupState: '', protocolType: '', protocolData: '', members: [], authorizedOperations: authorizedOperations(id) };
      if (!meta.access.can('DESCRIBE', 'GROUP', id)) return { errorCode: errorCode('GROUP_AUTHORIZATION_FAILED'), groupId: id, groupState: '', protocolType: '', protocolData: '', members: [], authorizedOperations: OPERATIONS_NOT_ASKED };
      const d = ctx.broker.coordinator.describe(id);
      // Before v6 a group that is not there is described as Dead, without an error (KIP-1043).
      const missing = v >= 6 && d.notFound !== null;
      return {
        errorCode: missing ? errorCode('GROUP_ID_NOT_FOUND') : 0,
        // It quotes the group id, which may be as long as a string can be: cut to fit.
        errorMessage: missing ? errorMessage(d.notFound) : null,
        groupId: d.groupId,
        groupState: d.state,
        protocolType: d.protocolType,
        protocolData: d.protocol,
        members: d.members.map((m) => ({
          memberId: m.memberId,
          groupInstanceId: m.groupInstanceId,
          clientId: m.clientId,
          clientHost: m.clientHost,
          memberMetadata: m.metadata,
          memberAssignment: m.assignment,
        })),
        authorizedOperations: authorizedOperations(id),
      };
    }),
  };
}

/** DESCRIBE on the cluster lists every group; without it, the groups the principal may DESCRIBE (Kafka's rule). */
export function listGroups(ctx: HandlerContext, req: Body<'ListGroups'>, meta: RequestMeta): Answer<'ListGroups'> {
  const everyGroup = meta.access.shows('DESCRIBE', 'CLUSTER', CLUSTER);
  const groups = ctx.broker.coordinator.list({ states: req.statesFilter, types: req.typesFilter }).filter((g) => everyGroup || meta.access.shows('DESCRIBE', 'GROUP', g.groupId));
  return {
    throttleTimeMs: 0,
    errorCode: 0,
    groups: groups.map((g) => ({ groupId: g.groupId, protocolType: g.protocolType, groupState: g.state, groupType: g.type })),
  };
}
