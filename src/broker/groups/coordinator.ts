// The group coordinator of a single broker: every group is ours. Thin over
// Group (classic membership), ConsumerGroups (KIP-848's consumer protocol)
// and OffsetStore (committed offsets, shared by both); answers in Kafka
// error names, which the protocol layer turns into codes.
import { systemClock, type GroupClock } from './clock.js';
import type { ConsumerGroupSettings, TopicsView } from './consumer-group.js';
import { ConsumerGroups, DEFAULT_CONSUMER_GROUP_SETTINGS } from './consumer-groups.js';
import { Group } from './group.js';
import { joinError, newMemberId, type JoinResult, type Protocol, type SyncResult } from './members.js';
import type { OffsetCommitEntry, OffsetStore } from './offset-store.js';
import { consumesTopic } from './subscription.js';
import type { ErrorName } from '../../protocol/kafka/error-codes.js';

export interface CoordinatorSettings {
  /** group.min.session.timeout.ms / group.max.session.timeout.ms */
  minSessionTimeoutMs: number;
  maxSessionTimeoutMs: number;
  /** group.initial.rebalance.delay.ms */
  initialRebalanceDelayMs: number;
  /** Groups at most, of both protocols (an explicit limit; Kafka has none). */
  maxGroups: number;
  /** KIP-848's consumer groups (group.consumer.*); Kafka's defaults if absent. */
  consumer?: ConsumerGroupSettings;
}

export const DEFAULT_COORDINATOR_SETTINGS: CoordinatorSettings = {
  minSessionTimeoutMs: 6_000,
  maxSessionTimeoutMs: 1_800_000,
  initialRebalanceDelayMs: 3_000,
  maxGroups: 10_000,
};

export interface JoinRequest {
  groupId: string;
  memberId: string;
  /** JoinGroup v5+: static membership (KIP-345). */
  groupInstanceId: string | null;
  clientId: string;
  clientHost: string;
  sessionTimeoutMs: number;
  rebalanceTimeoutMs: number;
  protocolType: string;
  protocols: Protocol[];
  /** JoinGroup v4+ without an instance id: an unknown member first gets MEMBER_ID_REQUIRED and an id to rejoin with (KIP-394). */
  requireKnownMemberId: boolean;
  /** JoinGroup v9+: a static leader rejoining a stable group may be told to skip the assignment (KIP-814). */
  supportSkippingAssignment: boolean;
}

/** SyncGroup's optional parts: the static member's instance id, and v5's protocol, checked against the group's. */
export interface SyncOptions {
  groupInstanceId?: string | null;
  protocolType?: string | null;
  protocolName?: string | null;
}

export interface GroupDescription {
  groupId: string;
  state: string;
  /** Why a Dead group is not described, in Kafka's words (DescribeGroups v6 answers it with GROUP_ID_NOT_FOUND); else null. */
  notFound: string | null;
  protocolType: string;
  protocol: string;
  members: { memberId: string; groupInstanceId: string | null; clientId: string; clientHost: string; metadata: Buffer; assignment: Buffer }[];
}

/** Told of each offset commit once it is stored. */
export type CommitListener = (groupId: string, entries: readonly OffsetCommitEntry[]) => void;

export class GroupCoordinator {
  private readonly groups = new Map<string, Group>();
  private readonly commitListeners = new Set<CommitListener>();
  /** KIP-848's consumer groups; an id is in `groups` or here, never both. */
  readonly consumer: ConsumerGroups;

  constructor(
    private readonly offsets: OffsetStore,
    private readonly settings: CoordinatorSettings = DEFAULT_COORDINATOR_SETTINGS,
    private readonly clock: GroupClock = systemClock,
    topics: TopicsView = { get: () => undefined, byId: () => undefined, list: () => [], revision: 0 },
  ) {
    this.consumer = new ConsumerGroups(
      settings.consumer ?? DEFAULT_CONSUMER_GROUP_SETTINGS,
      topics,
      clock,
      {
        has: (id) => this.groups.has(id) || this.offsets.groupOffsets(id).length > 0,
        hasMembers: (id) => this.groups.get(id)?.idle === false,
        drop: (id) => {
          this.groups.get(id)?.shutdown();
          this.groups.delete(id);
        },
        count: () => this.groups.size + this.consumer.groups.size,
        maxGroups: settings.maxGroups,
      },
      (g) => {
        if (this.consumer.groups.get(g.groupId) === g && g.members.size === 0 && this.offsets.groupOffsets(g.groupId).length === 0) this.consumer.drop(g.groupId);
      },
    );
  }

  private group(groupId: string, create: boolean): Group | undefined {
    let g = this.groups.get(groupId);
    if (!g && create && this.groups.size + this.consumer.groups.size < this.settings.maxGroups) {
      const created = new Group(groupId, this.settings.initialRebalanceDelayMs, this.clock, () => this.dropIfIdle(created));
      this.groups.set(groupId, (g = created));
    }
    return g;
  }

  /**
   * A group with no members, no pending member ids and no committed offsets
   * is forgotten, so that groups do not pile up to maxGroups (Kafka removes
   * such groups in its periodic cleanup).
   */
  private dropIfIdle(g: Group): void {
    if (this.groups.get(g.groupId) !== g || !g.idle || this.offsets.groupOffsets(g.groupId).length > 0) return;
    g.shutdown();
    this.groups.delete(g.groupId);
  }

  async join(r: JoinRequest): Promise<JoinResult> {
    const fail = (error: ErrorName, memberId = r.memberId): JoinResult => joinError(memberId, error);
    if (!r.groupId) return fail('INVALID_GROUP_ID');
    if (r.sessionTimeoutMs < this.settings.minSessionTimeoutMs || r.sessionTimeoutMs > this.settings.maxSessionTimeoutMs) return fail('INVALID_SESSION_TIMEOUT');
    // A consumer group's id: an empty one turns classic (Kafka converts it); one with members refuses classic members
    // (Kafka would take them into the consumer group, an online migration mqlab does not do).
    const consumerGroup = this.consumer.groups.get(r.groupId);
    if (consumerGroup) {
      if (consumerGroup.members.size > 0) return fail('INCONSISTENT_GROUP_PROTOCOL');
      this.consumer.drop(r.groupId);
    }
    // Only a new member (empty member id) creates a group, as in Kafka.
    const g = this.group(r.groupId, !r.memberId);
    if (!g) return fail(r.memberId ? 'UNKNOWN_MEMBER_ID' : 'COORDINATOR_NOT_AVAILABLE');
    if (!g.accepts(r.protocolType, r.protocols)) {
      this.dropIfIdle(g);
      return fail('INCONSISTENT_GROUP_PROTOCOL');
    }
    const instanceId = r.groupInstanceId;
    const member = (memberId: string) => ({
      memberId,
      groupInstanceId: instanceId,
      clientId: r.clientId,
      clientHost: r.clientHost,
      sessionTimeoutMs: r.sessionTimeoutMs,
      rebalanceTimeoutMs: r.rebalanceTimeoutMs,
      protocolType: r.protocolType,
      protocols: r.protocols,
    });
    if (!r.memberId) {
      // Kafka's form for a static member: the instance id, then a UUID.
      const memberId = newMemberId(instanceId ?? r.clientId);
      if (instanceId !== null && g.staticMemberId(instanceId) !== undefined) return g.rejoinStatic({ ...member(memberId), groupInstanceId: instanceId }, r.supportSkippingAssignment);
      if (r.requireKnownMemberId) {
        g.addPending(memberId, r.sessionTimeoutMs);
        return fail('MEMBER_ID_REQUIRED', memberId);
      }
      return g.join(member(memberId));
    }
    // A member id handed out with MEMBER_ID_REQUIRED joins now; any other must be a member's.
    if (instanceId === null && g.isPending(r.memberId)) return g.join(member(r.memberId));
    const error = g.validateMember(r.memberId, instanceId);
    return error ? fail(error) : g.join(member(r.memberId));
  }

  async sync(groupId: string, memberId: string, generationId: number, assignments: Map<string, Buffer> | null, o: SyncOptions = {}): Promise<SyncResult> {
    const g = this.group(groupId, false);
    if (!g) return { error: 'UNKNOWN_MEMBER_ID', protocolType: null, protocolName: null, assignment: Buffer.alloc(0) };
    return g.sync(memberId, o.groupInstanceId ?? null, generationId, { type: o.protocolType ?? null, name: o.protocolName ?? null }, assignments);
  }

  heartbeat(groupId: string, memberId: string, generationId: number, groupInstanceId: string | null = null): ErrorName {
    return this.group(groupId, false)?.heartbeat(memberId, groupInstanceId, generationId) ?? 'UNKNOWN_MEMBER_ID';
  }

  /** Whether a group exists: with members, or with committed offsets (an Empty one), of either protocol. */
  has(groupId: string): boolean {
    return this.groups.has(groupId) || this.consumer.groups.has(groupId) || this.offsets.groupOffsets(groupId).length > 0;
  }

  leave(groupId: string, memberId: string, groupInstanceId: string | null = null): ErrorName {
    return this.group(groupId, false)?.leave(memberId, groupInstanceId) ?? 'UNKNOWN_MEMBER_ID';
  }

  /**
   * Checks the committer (Group.validateCommit), then stores. Generation -1:
   * a consumer outside any group (or RocketMQ's acks). A group known only
   * by its offsets is an empty one; to a group not known at all, a member
   * gets ILLEGAL_GENERATION before OffsetCommit v9 and GROUP_ID_NOT_FOUND
   * from v9, as from Kafka.
   */
  async commit(groupId: string, memberId: string, generationId: number, entries: readonly OffsetCommitEntry[], groupInstanceId: string | null = null, apiVersion = 9): Promise<ErrorName> {
    if (!groupId) return 'INVALID_GROUP_ID';
    const g = this.group(groupId, false);
    const cg = this.consumer.groups.get(groupId);
    let error: ErrorName | null = null;
    // A consumer group's commit carries a member epoch where the classic one has a generation (OffsetCommit v9's GenerationIdOrMemberEpoch).
    if (cg) error = cg.validateCommit(memberId, generationId, apiVersion)?.error ?? null;
    else if (g) error = g.validateCommit(memberId, groupInstanceId, generationId);
    else if (generationId >= 0) error = this.has(groupId) ? 'UNKNOWN_MEMBER_ID' : apiVersion >= 9 ? 'GROUP_ID_NOT_FOUND' : 'ILLEGAL_GENERATION';
    if (error) return error;
    await this.offsets.commit(groupId, entries);
    for (const l of this.commitListeners) l(groupId, entries);
    return 'NONE';
  }

  /**
   * TxnOffsetCommit (v3+ names the consumer, KIP-447): checked as each
   * protocol's group checks a transactional commit (a consumer group's
   * member epoch where a classic group has a generation). Null if it may
   * commit.
   */
  validateTxnCommit(groupId: string, memberId: string, generationId: number, groupInstanceId: string | null, apiVersion: number): ErrorName | null {
    if (!groupId) return 'INVALID_GROUP_ID';
    const cg = this.consumer.groups.get(groupId);
    if (cg) return cg.validateCommit(memberId, generationId, apiVersion, true)?.error ?? null;
    const g = this.group(groupId, false);
    if (g) return g.validateCommit(memberId, groupInstanceId, generationId, true);
    return generationId >= 0 ? 'ILLEGAL_GENERATION' : null;
  }

  /** Offsets a transaction committed: stored as a commit is, with no member to check (it was checked when they were sent). */
  async commitTransactional(groupId: string, entries: readonly OffsetCommitEntry[]): Promise<void> {
    await this.offsets.commit(groupId, entries);
    for (const l of this.commitListeners) l(groupId, entries);
  }

  /**
   * OffsetFetch v9's member id and epoch, checked for a consumer group only
   * (Kafka's ClassicGroup takes any): null, or why not.
   */
  validateFetch(groupId: string, memberId: string | null, memberEpoch: number): ErrorName | null {
    return this.consumer.groups.get(groupId)?.validateFetch(memberId, memberEpoch) ?? null;
  }

  /** A topic was deleted: its committed offsets go, and with them groups that had nothing else. */
  async deleteTopicOffsets(topic: string): Promise<void> {
    await this.offsets.deleteTopic(topic);
    for (const g of [...this.groups.values()]) this.dropIfIdle(g);
    for (const g of [...this.consumer.groups.values()]) if (g.members.size === 0 && this.offsets.groupOffsets(g.groupId).length === 0) this.consumer.drop(g.groupId);
  }

  /** Hears of every offset commit once stored, whoever made it (a Kafka client, RocketMQ acks); returns how to stop. */
  onCommit(listener: CommitListener): () => void {
    this.commitListeners.add(listener);
    return () => this.commitListeners.delete(listener);
  }

  committed(groupId: string, topic: string, partition: number): { offset: bigint; metadata: string | null; leaderEpoch: number } {
    const c = this.offsets.fetch(groupId, topic, partition);
    return c ? { offset: c.offset, metadata: c.metadata, leaderEpoch: c.leaderEpoch } : { offset: -1n, metadata: null, leaderEpoch: -1 };
  }

  committedAll(groupId: string): { topic: string; partition: number; offset: bigint; metadata: string | null }[] {
    return this.offsets.groupOffsets(groupId).map((o) => ({ topic: o.topic, partition: o.partition, offset: o.committed.offset, metadata: o.committed.metadata }));
  }

  /**
   * DescribeGroups is of classic groups: a consumer group is Dead to it, as
   * to Kafka's. A group known only by its committed offsets is Empty.
   */
  describe(groupId: string): GroupDescription {
    const dead = (notFound: string): GroupDescription => ({ groupId, state: 'Dead', notFound, protocolType: '', protocol: '', members: [] });
    if (this.consumer.groups.has(groupId)) return dead(`Group ${groupId} is not a classic group.`);
    const g = this.group(groupId, false);
    if (!g) {
      if (this.offsets.groups().includes(groupId)) return { groupId, state: 'Empty', notFound: null, protocolType: '', protocol: '', members: [] };
      return dead(`Group ${groupId} not found.`);
    }
    return {
      groupId,
      state: g.state,
      notFound: null,
      protocolType: g.protocolType ?? '',
      protocol: g.protocolName ?? '',
      members: [...g.members.values()].map((m) => ({
        memberId: m.memberId,
        groupInstanceId: m.groupInstanceId,
        clientId: m.clientId,
        clientHost: m.clientHost,
        metadata: g.selectedMetadata(m),
        assignment: m.assignment,
      })),
    };
  }

  /**
   * Every group, or only those in one of `states` and of one of `types`
   * (ListGroups v4+ and v5+; empty: any). Kafka compares both ignoring case;
   * an unknown type matches no group. A group known only by its offsets is
   * a classic one, as in Kafka.
   */
  list(filter: { states?: readonly string[]; types?: readonly string[] } = {}): { groupId: string; protocolType: string; state: string; type: 'classic' | 'consumer' }[] {
    const wanted = (values: readonly string[] | undefined) => new Set(values?.map((v) => v.trim().toLowerCase()));
    const states = wanted(filter.states);
    const types = wanted(filter.types);
    const ids = new Set([...this.groups.keys(), ...this.consumer.groups.keys(), ...this.offsets.groups()]);
    return [...ids]
      .map((groupId) => {
        const cg = this.consumer.groups.get(groupId);
        if (cg) return { groupId, protocolType: 'consumer', state: cg.state, type: 'consumer' as const };
        const g = this.groups.get(groupId);
        return { groupId, protocolType: g?.protocolType ?? 'consumer', state: g?.state ?? 'Empty', type: 'classic' as const };
      })
      .filter((g) => (states.size === 0 || states.has(g.state.toLowerCase())) && (types.size === 0 || types.has(g.type)));
  }

  /**
   * DeleteGroups, one group: only an empty one (no members), with its
   * committed offsets (tombstoned: the deletion survives a restart).
   * GROUP_ID_NOT_FOUND if there is no such group, members or offsets.
   */
  async deleteGroup(groupId: string): Promise<ErrorName> {
    if (!groupId) return 'INVALID_GROUP_ID';
    const cg = this.consumer.groups.get(groupId);
    if (cg) {
      if (cg.state !== 'Empty') return 'NON_EMPTY_GROUP';
      await this.offsets.delete(groupId);
      if (this.consumer.groups.get(groupId)?.members.size === 0) this.consumer.drop(groupId);
      return 'NONE';
    }
    const g = this.groups.get(groupId);
    if (g && g.members.size > 0) return 'NON_EMPTY_GROUP';
    if (!g && !this.offsets.groups().includes(groupId)) return 'GROUP_ID_NOT_FOUND';
    await this.offsets.delete(groupId);
    // A member may have joined while the tombstones were stored: the group stays, without offsets.
    if (this.groups.get(groupId)?.members.size === 0) {
      this.groups.get(groupId)!.shutdown();
      this.groups.delete(groupId);
    }
    return 'NONE';
  }

  /**
   * OffsetDelete: the group's committed offsets of these partitions, except
   * those of topics a live member consumes (GROUP_SUBSCRIBED_TO_TOPIC, per
   * partition). The group-level error, if any, comes first, as Kafka's:
   * GROUP_ID_NOT_FOUND for no such group, NON_EMPTY_GROUP for members of
   * another protocol than Kafka's consumer (whose subscriptions cannot be
   * read). Returns the error per partition, in order.
   */
  async deleteOffsets(groupId: string, partitions: readonly { topic: string; partition: number }[]): Promise<{ error: ErrorName; partitions: ErrorName[] }> {
    if (!groupId) return { error: 'INVALID_GROUP_ID', partitions: [] };
    const g = this.groups.get(groupId);
    const cg = this.consumer.groups.get(groupId);
    if (!g && !cg && !this.offsets.groups().includes(groupId)) return { error: 'GROUP_ID_NOT_FOUND', partitions: [] };
    if (g && g.members.size > 0 && g.protocolType !== 'consumer') return { error: 'NON_EMPTY_GROUP', partitions: [] };
    const subscribed = (topic: string): boolean => (g !== undefined && consumesTopic(g, topic)) || (cg !== undefined && cg.subscribesTo(topic));
    const errors = partitions.map((p) => (subscribed(p.topic) ? 'GROUP_SUBSCRIBED_TO_TOPIC' : 'NONE'));
    await this.offsets.delete(
      groupId,
      partitions.filter((_, i) => errors[i] === 'NONE'),
    );
    // A group object left with no members and now no offsets is forgotten, as one emptied otherwise is.
    const left = this.groups.get(groupId);
    if (left) this.dropIfIdle(left);
    const leftConsumer = this.consumer.groups.get(groupId);
    if (leftConsumer && leftConsumer.members.size === 0 && this.offsets.groupOffsets(groupId).length === 0) this.consumer.drop(groupId);
    return { error: 'NONE', partitions: errors };
  }

  shutdown(): void {
    for (const g of this.groups.values()) g.shutdown();
    this.consumer.shutdown();
  }
}
