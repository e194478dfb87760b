// A member of a KIP-848 consumer group, the heartbeat it sends, and the
// checks Kafka makes of one before anything changes (the request's shape,
// then the member's epoch).
import type { Cancel } from './clock.js';
import type { Assignment, TopicPartitionsList } from './assignment.js';
import type { MemberAssignmentState } from './reconcile.js';
import type { ErrorName } from '../../protocol/kafka/error-codes.js';
import { compileIdPattern } from '../id-pattern.js';

/** memberEpoch -1: leave the group; -2: a static member leaves for now and will be back (its partitions wait for it). */
export const LEAVE_GROUP_MEMBER_EPOCH = -1;
export const LEAVE_GROUP_STATIC_MEMBER_EPOCH = -2;

/** A refusal, with the message Kafka's coordinator gives for it. */
export class GroupError extends Error {
  constructor(
    readonly error: ErrorName,
    message: string,
  ) {
    super(message);
  }
}

export interface ConsumerMember extends MemberAssignmentState {
  readonly memberId: string;
  instanceId: string | null;
  rackId: string | null;
  clientId: string;
  clientHost: string;
  rebalanceTimeoutMs: number;
  /** Sorted, without repeats. */
  subscribedTopicNames: string[];
  /** RE2 syntax, matching whole topic names (v1+, KIP-848); null: none. */
  subscribedTopicRegex: string | null;
  /** Whether the member's principal may DESCRIBE a topic: a regex brings it only the topics it may see. */
  mayDescribe: (topic: string) => boolean;
  serverAssignor: string | null;
  cancelSession?: Cancel;
  cancelRebalance?: Cancel;
}

/** A ConsumerGroupHeartbeat as the group sees it; null fields: "unchanged since the last heartbeat". */
export interface HeartbeatInput {
  apiVersion: number;
  groupId: string;
  memberId: string;
  memberEpoch: number;
  instanceId: string | null;
  rackId: string | null;
  rebalanceTimeoutMs: number;
  subscribedTopicNames: string[] | null;
  subscribedTopicRegex: string | null;
  serverAssignor: string | null;
  ownedTopicPartitions: TopicPartitionsList[] | null;
  clientId: string;
  clientHost: string;
  mayDescribe: (topic: string) => boolean;
}

export interface HeartbeatAnswer {
  memberId: string;
  memberEpoch: number;
  /** Null: unchanged, the member keeps what it has. */
  assignment: TopicPartitionsList[] | null;
}

export function newMember(memberId: string): ConsumerMember {
  return {
    memberId,
    instanceId: null,
    rackId: null,
    clientId: '',
    clientHost: '',
    rebalanceTimeoutMs: -1,
    subscribedTopicNames: [],
    subscribedTopicRegex: null,
    mayDescribe: () => true,
    serverAssignor: null,
    state: 'STABLE',
    memberEpoch: 0,
    previousMemberEpoch: 0,
    assigned: new Map(),
    pendingRevocation: new Map(),
  };
}

/**
 * Kafka's throwIfConsumerGroupHeartbeatRequestIsInvalid, plus one check of
 * mqlab's: a rebalance timeout below -1 would fire at once (Kafka takes it).
 * From v1 the member makes its own id (KIP-1082), so every heartbeat has one.
 */
export function checkHeartbeat(r: HeartbeatInput, assignors: readonly string[]): void {
  const invalid = (message: string): never => {
    throw new GroupError('INVALID_REQUEST', message);
  };
  if (r.groupId === '') invalid("GroupId can't be empty.");
  if (r.apiVersion >= 1 && r.memberId === '') invalid("MemberId can't be empty.");
  if (r.instanceId === '') invalid("InstanceId can't be empty.");
  if (r.rackId === '') invalid("RackId can't be empty.");
  if (r.subscribedTopicRegex !== null && r.subscribedTopicRegex !== '') {
    const compiled = compileIdPattern(r.subscribedTopicRegex);
    if (compiled instanceof Error) {
      throw new GroupError('INVALID_REGULAR_EXPRESSION', `SubscribedTopicRegex \`${r.subscribedTopicRegex}\` is not a valid regular expression: ${compiled.message}.`);
    }
  }
  if (r.rebalanceTimeoutMs < -1) invalid('RebalanceTimeoutMs must be -1 (unchanged) or at least 0.');
  if (r.memberEpoch > 0 || r.memberEpoch === LEAVE_GROUP_MEMBER_EPOCH) {
    if (r.memberId === '') invalid("MemberId can't be empty.");
  } else if (r.memberEpoch === 0) {
    if (r.rebalanceTimeoutMs === -1) invalid('RebalanceTimeoutMs must be provided in first request.');
    if (r.ownedTopicPartitions === null || r.ownedTopicPartitions.length > 0) invalid('TopicPartitions must be empty when (re-)joining.');
    const byNames = r.subscribedTopicNames !== null && r.subscribedTopicNames.length > 0;
    const byRegex = r.subscribedTopicRegex !== null && r.subscribedTopicRegex !== '';
    if (!byNames && !byRegex) invalid('SubscribedTopicNames or SubscribedTopicRegex must be set in first request.');
  } else if (r.memberEpoch === LEAVE_GROUP_STATIC_MEMBER_EPOCH) {
    if (r.memberId === '') invalid("MemberId can't be empty.");
    if (r.instanceId === null) invalid("InstanceId can't be null.");
  } else {
    invalid('MemberEpoch is invalid.');
  }
  if (r.serverAssignor !== null && !assignors.includes(r.serverAssignor)) {
    throw new GroupError('UNSUPPORTED_ASSIGNOR', `ServerAssignor ${r.serverAssignor} is not supported. Supported assignors: ${assignors.join(', ')}.`);
  }
}

/** Whether every partition the member reports is one it is assigned. */
function isSubset(owned: readonly TopicPartitionsList[] | null, assigned: Assignment): boolean {
  if (owned === null) return false;
  return owned.every((t) => t.partitions.every((p) => assigned.get(t.topicId)?.has(p) === true));
}

/**
 * Kafka's throwIfConsumerGroupMemberEpochIsInvalid. An epoch ahead of the
 * coordinator's is fenced; one behind too, except the previous epoch with
 * partitions all still assigned (the answer that bumped it may have been
 * lost). Epoch 0 is a rejoin and always taken, as since KAFKA-19233: a
 * fenced member rejoins with its member id and epoch 0 (before that fix
 * Kafka fenced it again until its session ran out).
 */
export function checkEpoch(m: ConsumerMember, received: number, owned: readonly TopicPartitionsList[] | null): void {
  if (received === 0) return;
  if (received > m.memberEpoch) {
    throw new GroupError(
      'FENCED_MEMBER_EPOCH',
      `The consumer group member has a greater member epoch (${received}) than the one known by the group coordinator (${m.memberEpoch}). The member must abandon all its partitions and rejoin.`,
    );
  }
  if (received < m.memberEpoch && (received !== m.previousMemberEpoch || !isSubset(owned, m.assigned))) {
    throw new GroupError(
      'FENCED_MEMBER_EPOCH',
      `The consumer group member has a smaller member epoch (${received}) than the one known by the group coordinator (${m.memberEpoch}). The member must abandon all its partitions and rejoin.`,
    );
  }
}

/** Sorted and without repeats: subscriptions compare as sets. */
export function topicSet(names: readonly string[]): string[] {
  return [...new Set(names)].sort();
}
