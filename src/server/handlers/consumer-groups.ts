// KIP-848's consumer group protocol: ConsumerGroupHeartbeat (joining,
// heartbeating, leaving, all in one) and ConsumerGroupDescribe. The
// coordinator assigns (src/broker/groups/consumer-group.ts); committed
// offsets go through OffsetCommit/OffsetFetch as for classic groups
// (group-offsets.ts).
import { errorCode, type ApiKeys, type RequestBody, type ResponseInput } from '../../protocol/kafka/index.js';
import { firstIndexes } from './duplicates.js';
import { errorMessage } from './error-message.js';
import type { HandlerContext, RequestMeta } from './context.js';
import { OPERATIONS_NOT_ASKED } from './groups.js';

/** ConsumerGroupDescribe v1's MemberType of a member that joined by ConsumerGroupHeartbeat (KIP-1099). */
const CONSUMER_MEMBER = 1;

type Body<K extends keyof typeof ApiKeys> = RequestBody<(typeof ApiKeys)[K]>;
type Answer<K extends keyof typeof ApiKeys> = ResponseInput<(typeof ApiKeys)[K]>;

const describes =
  (access: RequestMeta['access']) =>
  (topic: string): boolean =>
    access.shows('DESCRIBE', 'TOPIC', topic);

export function consumerGroupHeartbeat(ctx: HandlerContext, req: Body<'ConsumerGroupHeartbeat'>, meta: RequestMeta): Answer<'ConsumerGroupHeartbeat'> {
  const consumer = ctx.broker.coordinator.consumer;
  // READ on the group, and DESCRIBE on each topic subscribed to by name (Kafka's rules); a regex
  // brings a member only the topics its principal may DESCRIBE (mayDescribe below).
  const denied = !meta.access.can('READ', 'GROUP', req.groupId)
    ? { error: 'GROUP_AUTHORIZATION_FAILED' as const, message: `${meta.session.principal} may not read group ${req.groupId}` }
    : (req.subscribedTopicNames ?? []).some((t) => !meta.access.can('DESCRIBE', 'TOPIC', t))
      ? { error: 'TOPIC_AUTHORIZATION_FAILED' as const, message: `${meta.session.principal} may not describe every topic subscribed to` }
      : null;
  if (denied) return { throttleTimeMs: 0, errorCode: errorCode(denied.error), errorMessage: errorMessage(denied.message), memberId: null, memberEpoch: 0, heartbeatIntervalMs: 0, assignment: null };
  const r = consumer.heartbeat({
    apiVersion: meta.apiVersion,
    groupId: req.groupId,
    memberId: req.memberId,
    memberEpoch: req.memberEpoch,
    instanceId: req.instanceId,
    rackId: req.rackId,
    rebalanceTimeoutMs: req.rebalanceTimeoutMs,
    subscribedTopicNames: req.subscribedTopicNames,
    subscribedTopicRegex: req.subscribedTopicRegex,
    serverAssignor: req.serverAssignor,
    ownedTopicPartitions: req.topicPartitions,
    clientId: meta.clientId,
    clientHost: meta.clientHost,
    // A filter, not a refusal: not counted or logged as a denial (Kafka's logIfDenied=false). The
    // member keeps it: it holds the access rules only, not the request.
    mayDescribe: describes(meta.access),
  });
  if (!r.ok) {
    return { throttleTimeMs: 0, errorCode: errorCode(r.error), errorMessage: errorMessage(r.message), memberId: null, memberEpoch: 0, heartbeatIntervalMs: 0, assignment: null };
  }
  return {
    throttleTimeMs: 0,
    errorCode: 0,
    errorMessage: null,
    memberId: r.memberId,
    memberEpoch: r.memberEpoch,
    // A member that has left has nothing more to heartbeat about.
    heartbeatIntervalMs: r.memberEpoch < 0 ? 0 : consumer.settings.heartbeatIntervalMs,
    assignment: r.assignment === null ? null : { topicPartitions: r.assignment },
  };
}

/**
 * Each group on its own: INVALID_GROUP_ID for an empty id, GROUP_ID_NOT_FOUND
 * for one that is no consumer group (none, or a classic one: DescribeGroups
 * answers for those). A repeated id gets INVALID_REQUEST, as in
 * DescribeGroups: one small request must not cost the members' answer over and over.
 */
export function consumerGroupDescribe(ctx: HandlerContext, req: Body<'ConsumerGroupDescribe'>, meta: RequestMeta): Answer<'ConsumerGroupDescribe'> {
  const authorizedOperations = (groupId: string): number => (req.includeAuthorizedOperations ? meta.access.operations('GROUP', groupId) : OPERATIONS_NOT_ASKED);
  const firstOf = firstIndexes(req.groupIds);
  const failed = (groupId: string, error: 'INVALID_REQUEST' | 'INVALID_GROUP_ID' | 'GROUP_ID_NOT_FOUND' | 'GROUP_AUTHORIZATION_FAILED', message: string) => ({
    errorCode: errorCode(error),
    // Messages quote the group id, which may be as long as a string can be.
    errorMessage: errorMessage(message),
    groupId,
    groupState: '',
    groupEpoch: 0,
    assignmentEpoch: 0,
    assignorName: '',
    members: [],
    authorizedOperations: OPERATIONS_NOT_ASKED,
  });
  return {
    throttleTimeMs: 0,
    groups: req.groupIds.map((groupId, i) => {
      if (firstOf.get(groupId) !== i) return failed(groupId, 'INVALID_REQUEST', `group ${groupId} is asked for more than once`);
      if (groupId === '') return failed(groupId, 'INVALID_GROUP_ID', 'The group id is empty.');
      if (!meta.access.can('DESCRIBE', 'GROUP', groupId)) return failed(groupId, 'GROUP_AUTHORIZATION_FAILED', `${meta.session.principal} may not describe group ${groupId}`);
      const d = ctx.broker.coordinator.consumer.describe(groupId);
      if (d === null) {
        const message = ctx.broker.coordinator.has(groupId) ? `Group ${groupId} is not a consumer group.` : `Group ${groupId} not found.`;
        return failed(groupId, 'GROUP_ID_NOT_FOUND', message);
      }
      return {
        errorCode: 0,
        errorMessage: null,
        groupId,
        groupState: d.state,
        groupEpoch: d.groupEpoch,
        assignmentEpoch: d.assignmentEpoch,
        assignorName: d.assignorName,
        members: d.members.map((m) => ({
          memberId: m.memberId,
          instanceId: m.instanceId,
          rackId: m.rackId,
          memberEpoch: m.memberEpoch,
          clientId: m.clientId,
          clientHost: m.clientHost,
          subscribedTopicNames: m.subscribedTopicNames,
          subscribedTopicRegex: m.subscribedTopicRegex,
          assignment: { topicPartitions: m.assignment },
          targetAssignment: { topicPartitions: m.targetAssignment },
          memberType: CONSUMER_MEMBER,
        })),
        authorizedOperations: authorizedOperations(groupId),
      };
    }),
  };
}
