// The coordinator's groups of KIP-848's consumer protocol, beside the
// classic ones (coordinator.ts), which share their ids: an id is a group of
// one protocol at a time. ConsumerGroupHeartbeat creates a consumer group
// (epoch 0), taking over the id of a classic group with no members (its
// committed offsets stay); a classic group with members keeps its id
// (GROUP_ID_NOT_FOUND, "not a consumer group", as Kafka answers when it
// does not migrate a group online).
import { randomBytes } from 'node:crypto';
import type { GroupClock } from './clock.js';
import { toList } from './assignment.js';
import { SERVER_ASSIGNORS } from './assignors/index.js';
import { BrokerError } from '../errors.js';
import { ConsumerGroup, type ConsumerGroupSettings, type TopicsView } from './consumer-group.js';
import { checkHeartbeat, GroupError, LEAVE_GROUP_MEMBER_EPOCH, LEAVE_GROUP_STATIC_MEMBER_EPOCH, type HeartbeatAnswer, type HeartbeatInput } from './consumer-member.js';
import type { ErrorName } from '../../protocol/kafka/error-codes.js';

export const DEFAULT_CONSUMER_GROUP_SETTINGS: ConsumerGroupSettings = {
  sessionTimeoutMs: 45_000,
  heartbeatIntervalMs: 5_000,
  maxSize: 1_000,
  assignors: ['uniform', 'range'],
};

/** What the consumer groups need of the classic side. */
export interface ClassicGroups {
  /** Whether a classic group holds the id: members, pending ones, or committed offsets. */
  has(groupId: string): boolean;
  /** Whether it has members (then it keeps the id). */
  hasMembers(groupId: string): boolean;
  /** Forgets the classic group object (its committed offsets stay). */
  drop(groupId: string): void;
  /** Groups of both protocols, against the coordinator's maxGroups. */
  count(): number;
  maxGroups: number;
}

export type HeartbeatResult = ({ ok: true } & HeartbeatAnswer) | { ok: false; error: ErrorName; message: string };

export interface DescribedMember {
  memberId: string;
  instanceId: string | null;
  rackId: string | null;
  memberEpoch: number;
  clientId: string;
  clientHost: string;
  subscribedTopicNames: string[];
  subscribedTopicRegex: string | null;
  assignment: { topicId: string; topicName: string; partitions: number[] }[];
  targetAssignment: { topicId: string; topicName: string; partitions: number[] }[];
}

/** Kafka's form of a member id: 16 random bytes, URL-safe base64 without padding (Uuid.toString). */
export function newConsumerMemberId(): string {
  return randomBytes(16).toString('base64url');
}

export class ConsumerGroups {
  readonly groups = new Map<string, ConsumerGroup>();

  constructor(
    readonly settings: ConsumerGroupSettings,
    private readonly topics: TopicsView,
    private readonly clock: GroupClock,
    private readonly classic: ClassicGroups,
    /** Told when a group has no members left (the coordinator drops it unless it has offsets). */
    private readonly onEmpty: (g: ConsumerGroup) => void,
  ) {
    // Kafka's own startup check: a member told to heartbeat no sooner than its session ends would be removed between heartbeats.
    if (settings.heartbeatIntervalMs >= settings.sessionTimeoutMs) {
      throw new BrokerError('INVALID_CONFIG', `group.consumer.heartbeat.interval.ms (${settings.heartbeatIntervalMs}) must be less than group.consumer.session.timeout.ms (${settings.sessionTimeoutMs})`);
    }
    if (settings.assignors.length === 0 || settings.assignors.some((a) => !SERVER_ASSIGNORS.has(a))) {
      throw new BrokerError('INVALID_CONFIG', `group.consumer.assignors must name uniform and/or range, got ${settings.assignors.join(',')}`);
    }
  }

  heartbeat(r: HeartbeatInput): HeartbeatResult {
    try {
      checkHeartbeat(r, this.settings.assignors);
      if (r.memberEpoch === LEAVE_GROUP_MEMBER_EPOCH || r.memberEpoch === LEAVE_GROUP_STATIC_MEMBER_EPOCH) {
        return { ok: true, ...this.existing(r.groupId, r.memberId, 'UNKNOWN_MEMBER_ID').leave(r.memberId, r.instanceId, r.memberEpoch) };
      }
      const g = r.memberEpoch === 0 ? this.getOrCreate(r.groupId) : this.existing(r.groupId, r.memberId, 'FENCED_MEMBER_EPOCH');
      if (g.members.size >= this.settings.maxSize && (r.memberId === '' || !g.members.has(r.memberId))) {
        throw new GroupError('GROUP_MAX_SIZE_REACHED', `The consumer group has reached its maximum capacity of ${this.settings.maxSize} members.`);
      }
      try {
        return { ok: true, ...g.heartbeat({ ...r, memberId: r.memberId || newConsumerMemberId() }) };
      } finally {
        // A group created for a join that was refused holds nothing: it goes again.
        if (g.members.size === 0) this.onEmpty(g);
      }
    } catch (err) {
      if (err instanceof GroupError) return { ok: false, error: err.error, message: err.message };
      throw err;
    }
  }

  /**
   * The consumer group a member of it heartbeats or leaves. Membership is
   * not kept across restarts, so a group not here is most likely one the
   * broker forgot. Kafka, which keeps groups, answers GROUP_ID_NOT_FOUND,
   * which clients take as fatal; a heartbeat is answered FENCED_MEMBER_EPOCH
   * instead, which every KIP-848 client answers by giving up its partitions
   * and rejoining at epoch 0 (some do the same for UNKNOWN_MEMBER_ID, not
   * all); a leave, UNKNOWN_MEMBER_ID.
   */
  private existing(groupId: string, memberId: string, unknown: 'FENCED_MEMBER_EPOCH' | 'UNKNOWN_MEMBER_ID'): ConsumerGroup {
    const g = this.groups.get(groupId);
    if (g) return g;
    if (this.classic.has(groupId) && this.classic.hasMembers(groupId)) throw new GroupError('GROUP_ID_NOT_FOUND', `Group ${groupId} is not a consumer group.`);
    throw new GroupError(unknown, `Member ${memberId} is not a member of group ${groupId}: the group does not exist (membership does not survive a broker restart); rejoin with epoch 0.`);
  }

  private getOrCreate(groupId: string): ConsumerGroup {
    const existing = this.groups.get(groupId);
    if (existing) return existing;
    if (this.classic.has(groupId)) {
      if (this.classic.hasMembers(groupId)) throw new GroupError('GROUP_ID_NOT_FOUND', `Group ${groupId} is not a consumer group.`);
      this.classic.drop(groupId);
    }
    // Counted after the empty classic group is gone: taking over its id adds no group, taking a new id (or one known by offsets alone) does.
    if (this.classic.count() >= this.classic.maxGroups) {
      throw new GroupError('COORDINATOR_NOT_AVAILABLE', `The coordinator holds its maximum of ${this.classic.maxGroups} groups.`);
    }
    const g: ConsumerGroup = new ConsumerGroup(groupId, { topics: this.topics, clock: this.clock, settings: this.settings, onEmpty: () => this.onEmpty(g) });
    this.groups.set(groupId, g);
    return g;
  }

  /** ConsumerGroupDescribe of one group; null if no consumer group has the id. */
  describe(groupId: string): { state: string; groupEpoch: number; assignmentEpoch: number; assignorName: string; members: DescribedMember[] } | null {
    const g = this.groups.get(groupId);
    if (!g) return null;
    const named = (a: Parameters<typeof toList>[0]) =>
      toList(a).flatMap((t) => {
        const topic = this.topics.byId(t.topicId);
        // A deleted topic's partitions are still in the assignment until revoked; Kafka leaves them out of the description.
        return topic ? [{ topicId: t.topicId, topicName: topic.name, partitions: t.partitions }] : [];
      });
    return {
      state: g.state,
      groupEpoch: g.groupEpoch,
      assignmentEpoch: g.assignmentEpoch,
      assignorName: g.assignorName,
      members: [...g.members.values()].map((m) => ({
        memberId: m.memberId,
        instanceId: m.instanceId,
        rackId: m.rackId,
        memberEpoch: m.memberEpoch,
        clientId: m.clientId,
        clientHost: m.clientHost,
        subscribedTopicNames: m.subscribedTopicNames,
        subscribedTopicRegex: m.subscribedTopicRegex,
        assignment: named(m.assigned),
        targetAssignment: named(g.targetOf(m.memberId)),
      })),
    };
  }

  drop(groupId: string): void {
    this.groups.get(groupId)?.shutdown();
    this.groups.delete(groupId);
  }

  shutdown(): void {
    for (const g of this.groups.values()) g.shutdown();
  }
}
