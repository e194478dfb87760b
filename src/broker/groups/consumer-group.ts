// One consumer group of KIP-848's protocol, as Kafka's GroupMetadataManager
// and ConsumerGroup run it. The coordinator, not a member, assigns; members
// only heartbeat. Three epochs:
//
//  - the group epoch, bumped when the group changes: a member joins, leaves,
//    changes its subscription, or a subscribed topic is created, deleted or
//    grows partitions (for a regex subscription: a topic it matches);
//  - the assignment epoch, the group epoch a target assignment (every
//    member's partitions, from the server-side assignor) was computed for;
//  - each member's epoch, reaching the assignment epoch as the member
//    reconciles (reconcile.ts) towards its target.
//
// State: Empty (no members), Assigning (the group epoch is ahead of the
// assignment), Reconciling (some member is not at its target yet), Stable.
//
// Membership is in memory: a restart forgets the group (its committed
// offsets stay, in the offset store), and its members rejoin at epoch 0.
import type { GroupClock } from './clock.js';
import { type Assignment, sameAssignment, toList, type TopicPartitionsList } from './assignment.js';
import { SERVER_ASSIGNORS, type AssignorMember } from './assignors/index.js';
import {
  checkEpoch,
  GroupError,
  LEAVE_GROUP_STATIC_MEMBER_EPOCH,
  newMember,
  topicSet,
  type ConsumerMember,
  type HeartbeatAnswer,
  type HeartbeatInput,
} from './consumer-member.js';
import { reconcile, type MemberAssignmentState } from './reconcile.js';
import { RegexSubscriptions } from './regex-subscriptions.js';
import type { ErrorName } from '../../protocol/kafka/error-codes.js';

export type ConsumerGroupState = 'Empty' | 'Assigning' | 'Reconciling' | 'Stable';

/** The topics as the group needs them (the broker's TopicRegistry is one). */
export interface TopicsView {
  get(name: string): { id: string; partitions: number } | undefined;
  byId(id: string): { name: string; partitions: number } | undefined;
  list(): readonly { name: string; internal: boolean }[];
  /** Changes whenever a topic is created or deleted: regexes are resolved again only then. */
  readonly revision: number;
}

export interface ConsumerGroupSettings {
  /** group.consumer.session.timeout.ms */
  sessionTimeoutMs: number;
  /** group.consumer.heartbeat.interval.ms */
  heartbeatIntervalMs: number;
  /** group.consumer.max.size */
  maxSize: number;
  /** group.consumer.assignors: the names offered; the first is the default. */
  assignors: readonly string[];
}

export interface GroupEnv {
  topics: TopicsView;
  clock: GroupClock;
  settings: ConsumerGroupSettings;
  /** Told when the last member has gone (the coordinator may forget the group). */
  onEmpty: () => void;
}

interface TopicMetadata {
  id: string;
  partitions: number;
}

export class ConsumerGroup {
  groupEpoch = 0;
  assignmentEpoch = 0;
  readonly members = new Map<string, ConsumerMember>();
  /** Instance id -> the member id holding it. */
  private readonly staticMembers = new Map<string, string>();
  private target = new Map<string, Assignment>();
  /** The subscribed topics that exist, by name: a change here bumps the group epoch. */
  private subscription = new Map<string, TopicMetadata>();
  /** Topic name -> members subscribing to it: each heartbeat looks up each name once, not once per member. */
  private readonly subscribers = new Map<string, number>();
  private readonly regexes: RegexSubscriptions;
  /** Topic id -> partition -> epoch of the member holding it (assigned or still revoking). */
  private readonly partitionEpochs = new Map<string, Map<number, number>>();

  constructor(
    readonly groupId: string,
    private readonly env: GroupEnv,
  ) {
    this.regexes = new RegexSubscriptions(env.topics);
  }

  get state(): ConsumerGroupState {
    if (this.members.size === 0) return 'Empty';
    if (this.groupEpoch > this.assignmentEpoch) return 'Assigning';
    for (const m of this.members.values()) if (m.state !== 'STABLE' || m.memberEpoch !== this.assignmentEpoch) return 'Reconciling';
    return 'Stable';
  }

  /** The assignor the group uses: the one most members name, else the configured default. */
  get assignorName(): string {
    const votes = new Map<string, number>();
    for (const m of this.members.values()) if (m.serverAssignor !== null) votes.set(m.serverAssignor, (votes.get(m.serverAssignor) ?? 0) + 1);
    let best: string | null = null;
    for (const [name, n] of votes) if (best === null || n > votes.get(best)!) best = name;
    return best ?? this.env.settings.assignors[0]!;
  }

  targetOf(memberId: string): Assignment {
    return this.target.get(memberId) ?? new Map();
  }

  /** Whether a member subscribes to the topic (OffsetDelete refuses its offsets then). */
  subscribesTo(topic: string): boolean {
    return this.subscribers.has(topic) || this.regexes.topics().has(topic);
  }

  /** The topics a member subscribes to: by name, and those its regex matches that its principal may see. */
  private topicsOf(m: ConsumerMember): readonly string[] {
    if (m.subscribedTopicRegex === null) return m.subscribedTopicNames;
    const matched = [...this.regexes.matches(m.subscribedTopicRegex)].filter((t) => m.mayDescribe(t));
    return m.subscribedTopicNames.length === 0 ? matched : [...new Set([...m.subscribedTopicNames, ...matched])];
  }

  /** A heartbeat of a member in the group, or joining it (epoch 0); the caller has checked its shape. */
  heartbeat(r: HeartbeatInput): HeartbeatAnswer {
    const { member, replaced } = this.memberFor(r);
    const updated: ConsumerMember = {
      ...member,
      instanceId: r.instanceId ?? member.instanceId,
      rackId: r.rackId ?? member.rackId,
      rebalanceTimeoutMs: r.rebalanceTimeoutMs !== -1 ? r.rebalanceTimeoutMs : member.rebalanceTimeoutMs,
      serverAssignor: r.serverAssignor ?? member.serverAssignor,
      subscribedTopicNames: r.subscribedTopicNames !== null ? topicSet(r.subscribedTopicNames) : member.subscribedTopicNames,
      // An empty regex ends a regex subscription; null leaves it as it was.
      subscribedTopicRegex: r.subscribedTopicRegex === null ? member.subscribedTopicRegex : r.subscribedTopicRegex || null,
      mayDescribe: r.mayDescribe,
      clientId: r.clientId,
      clientHost: r.clientHost,
    };
    // A new member, or a changed subscription, changes the group; a static member back under a new id does not by itself.
    const before = replaced ?? member;
    let bump =
      !this.members.has(before.memberId) ||
      updated.subscribedTopicNames.join('\0') !== before.subscribedTopicNames.join('\0') ||
      updated.subscribedTopicRegex !== before.subscribedTopicRegex;
    if (replaced) {
      // Its place, assignment and target pass to the new member id.
      const target = this.target.get(replaced.memberId);
      this.detach(replaced);
      this.target.delete(replaced.memberId);
      if (target) this.target.set(updated.memberId, target);
    }
    this.put(updated, member);
    if (this.refreshSubscription()) bump = true;
    if (bump) this.groupEpoch++;
    if (this.groupEpoch > this.assignmentEpoch) this.computeTarget();
    const reconciled = this.reconcileMember(updated, r.ownedTopicPartitions);
    this.touch(reconciled);
    // The assignment goes in full to a member that sent everything (joining, or after an error), else only when it changed.
    const full = r.memberEpoch === 0 || (r.rebalanceTimeoutMs !== -1 && (r.subscribedTopicNames !== null || r.subscribedTopicRegex !== null) && r.ownedTopicPartitions !== null);
    const changed = !sameAssignment(member.assigned, reconciled.assigned);
    return { memberId: reconciled.memberId, memberEpoch: reconciled.memberEpoch, assignment: full || changed ? toList(reconciled.assigned) : null };
  }

  /** The member a heartbeat is from (Kafka's getOrMaybeSubscribe{Dynamic,Static}ConsumerGroupMember). */
  private memberFor(r: HeartbeatInput): { member: ConsumerMember; replaced?: ConsumerMember } {
    const joining = r.memberEpoch === 0;
    if (r.instanceId === null) {
      const existing = this.members.get(r.memberId);
      if (!existing) {
        if (!joining) throw new GroupError('UNKNOWN_MEMBER_ID', `Member ${r.memberId} is not a member of group ${this.groupId}.`);
        return { member: newMember(r.memberId) };
      }
      checkEpoch(existing, r.memberEpoch, r.ownedTopicPartitions);
      return { member: existing };
    }
    const holderId = this.staticMembers.get(r.instanceId);
    const holder = holderId === undefined ? undefined : this.members.get(holderId);
    if (joining) {
      if (!holder) return { member: this.members.get(r.memberId) ?? newMember(r.memberId) };
      if (holder.memberEpoch !== LEAVE_GROUP_STATIC_MEMBER_EPOCH) {
        throw new GroupError(
          'UNRELEASED_INSTANCE_ID',
          `Static member ${r.memberId} with instance id ${r.instanceId} cannot join the group because the instance id is owned by ${holder.memberId} member.`,
        );
      }
      // A copy under the new member id, at epoch 0, with the partitions it had.
      const copy: ConsumerMember = { ...holder, memberId: r.memberId, memberEpoch: 0, previousMemberEpoch: 0, cancelSession: undefined, cancelRebalance: undefined };
      return { member: copy, replaced: holder };
    }
    if (!holder) throw new GroupError('UNKNOWN_MEMBER_ID', `Instance id ${r.instanceId} is unknown.`);
    if (holder.memberId !== r.memberId) {
      throw new GroupError('FENCED_INSTANCE_ID', `Static member ${r.memberId} with instance id ${r.instanceId} was fenced by member ${holder.memberId}.`);
    }
    checkEpoch(holder, r.memberEpoch, r.ownedTopicPartitions);
    return { member: holder };
  }

  /**
   * A member leaves: -1 for good (its partitions go to the others at the
   * next assignment), -2 a static member for now (its partitions wait,
   * held at epoch -2, until it rejoins or its session runs out).
   */
  leave(memberId: string, instanceId: string | null, memberEpoch: number): HeartbeatAnswer {
    let member: ConsumerMember | undefined;
    if (instanceId === null) {
      member = this.members.get(memberId);
      if (!member) throw new GroupError('UNKNOWN_MEMBER_ID', `Member ${memberId} is not a member of group ${this.groupId}.`);
    } else {
      const holderId = this.staticMembers.get(instanceId);
      member = holderId === undefined ? undefined : this.members.get(holderId);
      if (!member) throw new GroupError('UNKNOWN_MEMBER_ID', `Instance id ${instanceId} is unknown.`);
      if (member.memberId !== memberId) throw new GroupError('FENCED_INSTANCE_ID', `Static member ${memberId} with instance id ${instanceId} was fenced by member ${member.memberId}.`);
      if (memberEpoch === LEAVE_GROUP_STATIC_MEMBER_EPOCH) {
        // Its session timer keeps running: not back within it, the member is removed.
        member.cancelRebalance?.();
        this.put({ ...member, memberEpoch: LEAVE_GROUP_STATIC_MEMBER_EPOCH, pendingRevocation: new Map() }, member);
        return { memberId: member.memberId, memberEpoch: LEAVE_GROUP_STATIC_MEMBER_EPOCH, assignment: null };
      }
    }
    this.fence(member);
    return { memberId, memberEpoch, assignment: null };
  }

  /** Removes a member (leave, session or rebalance timeout): the group epoch moves on, a new assignment follows. */
  fence(member: ConsumerMember): void {
    if (this.members.get(member.memberId) !== member) return;
    this.detach(member);
    this.target.delete(member.memberId);
    this.refreshSubscription();
    this.groupEpoch++;
    if (this.members.size === 0) this.env.onEmpty();
  }

  /**
   * OffsetCommit (or, `transactional`, TxnOffsetCommit) by a member of this
   * group (Kafka's ConsumerGroup.validateOffsetCommit).
   */
  validateCommit(memberId: string, memberEpoch: number, apiVersion: number, transactional = false): { error: ErrorName; message: string } | null {
    // A negative epoch is an admin or a consumer outside the group: allowed while nobody is in it.
    if (memberEpoch < 0 && this.members.size === 0) return null;
    // TxnOffsetCommit's member fields are optional: checked only when given.
    if (transactional && memberEpoch < 0 && memberId === '') return null;
    const m = this.members.get(memberId);
    if (!m) return { error: 'UNKNOWN_MEMBER_ID', message: `Member ${memberId} is not a member of group ${this.groupId}.` };
    if (apiVersion < 9 && !transactional) return { error: 'UNSUPPORTED_VERSION', message: 'OffsetCommit version 9 or above must be used by members using the modern group protocol' };
    if (memberEpoch !== m.memberEpoch) return { error: 'STALE_MEMBER_EPOCH', message: `The received member epoch ${memberEpoch} does not match the expected member epoch ${m.memberEpoch}.` };
    return null;
  }

  /** OffsetFetch v9 with a member id and epoch (Kafka's ConsumerGroup.validateOffsetFetch). */
  validateFetch(memberId: string | null, memberEpoch: number): ErrorName | null {
    if (memberId === null && memberEpoch < 0) return null;
    const m = memberId === null ? undefined : this.members.get(memberId);
    if (!m) return 'UNKNOWN_MEMBER_ID';
    return memberEpoch === m.memberEpoch ? null : 'STALE_MEMBER_EPOCH';
  }

  shutdown(): void {
    for (const m of this.members.values()) {
      m.cancelSession?.();
      m.cancelRebalance?.();
    }
  }

  /** Puts a member's new version in place of the old, with the partition epochs of what it holds. */
  private put(updated: ConsumerMember, old: ConsumerMember): void {
    if (this.members.get(old.memberId) === old) {
      this.setPartitionEpochs(old, -1);
      this.count(old, -1);
    }
    this.count(updated, 1);
    this.members.set(updated.memberId, updated);
    if (updated.instanceId !== null) this.staticMembers.set(updated.instanceId, updated.memberId);
    this.setPartitionEpochs(updated, updated.memberEpoch);
  }

  /** Takes a member out: its partitions are free from now on. */
  private detach(m: ConsumerMember): void {
    m.cancelSession?.();
    m.cancelRebalance?.();
    this.setPartitionEpochs(m, -1);
    this.count(m, -1);
    this.members.delete(m.memberId);
    if (m.instanceId !== null && this.staticMembers.get(m.instanceId) === m.memberId) this.staticMembers.delete(m.instanceId);
  }

  private count(m: ConsumerMember, by: 1 | -1): void {
    for (const name of m.subscribedTopicNames) {
      const n = (this.subscribers.get(name) ?? 0) + by;
      if (n > 0) this.subscribers.set(name, n);
      else this.subscribers.delete(name);
    }
    if (m.subscribedTopicRegex !== null) this.regexes.count(m.subscribedTopicRegex, by);
  }

  private setPartitionEpochs(m: MemberAssignmentState, epoch: number): void {
    for (const a of [m.assigned, m.pendingRevocation]) {
      for (const [topicId, ps] of a) {
        let byPartition = this.partitionEpochs.get(topicId);
        if (!byPartition) this.partitionEpochs.set(topicId, (byPartition = new Map()));
        for (const p of ps) {
          if (epoch === -1) byPartition.delete(p);
          else byPartition.set(p, epoch);
        }
        if (byPartition.size === 0) this.partitionEpochs.delete(topicId);
      }
    }
  }

  /** Which existing topics members subscribe to, and their ids and sizes; true if that changed. */
  private refreshSubscription(): boolean {
    const next = new Map<string, TopicMetadata>();
    for (const name of [...this.subscribers.keys(), ...this.regexes.topics()]) {
      const t = this.env.topics.get(name);
      if (t) next.set(name, { id: t.id, partitions: t.partitions });
    }
    const same = next.size === this.subscription.size && [...next].every(([name, t]) => this.subscription.get(name)?.id === t.id && this.subscription.get(name)?.partitions === t.partitions);
    this.subscription = next;
    return !same;
  }

  /** A new target assignment for the group epoch, from the group's assignor. */
  private computeTarget(): void {
    const partitions = new Map([...this.subscription.values()].map((t) => [t.id, t.partitions]));
    const members: AssignorMember[] = [...this.members.values()].map((m) => ({
      memberId: m.memberId,
      instanceId: m.instanceId,
      subscribedTopicIds: new Set(this.topicsOf(m).flatMap((name) => this.subscription.get(name)?.id ?? [])),
    }));
    const assignor = SERVER_ASSIGNORS.get(this.assignorName)!;
    this.target = assignor.assign({ members, partitionCount: (id) => partitions.get(id) ?? 0, current: this.target });
    this.assignmentEpoch = this.groupEpoch;
  }

  /** Moves a member towards its target; starts its rebalance timeout when it must revoke partitions. */
  private reconcileMember(m: ConsumerMember, owned: readonly TopicPartitionsList[] | null): ConsumerMember {
    if (m.state === 'STABLE' && m.memberEpoch === this.assignmentEpoch) return m;
    const epochOf = (topicId: string, p: number): number => this.partitionEpochs.get(topicId)?.get(p) ?? -1;
    const next = reconcile(m, this.assignmentEpoch, this.targetOf(m.memberId), epochOf, owned);
    if (next === m) return m;
    const updated: ConsumerMember = { ...m, ...next };
    this.put(updated, m);
    m.cancelRebalance?.();
    updated.cancelRebalance = undefined;
    if (updated.state === 'UNREVOKED_PARTITIONS') {
      const epoch = updated.memberEpoch;
      updated.cancelRebalance = this.env.clock.after(Math.max(updated.rebalanceTimeoutMs, 0), () => {
        const now = this.members.get(updated.memberId);
        if (now && now.memberEpoch === epoch && now.state === 'UNREVOKED_PARTITIONS') this.fence(now);
      });
    }
    return updated;
  }

  /** The session timeout starts again with every heartbeat. */
  private touch(m: ConsumerMember): void {
    m.cancelSession?.();
    m.cancelSession = this.env.clock.after(this.env.settings.sessionTimeoutMs, () => {
      const now = this.members.get(m.memberId);
      if (now) this.fence(now);
    });
  }
}
