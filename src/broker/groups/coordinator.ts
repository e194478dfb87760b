// The group coordinator of a single broker: every group is ours. Thin over
// Group (membership) and OffsetStore (committed offsets); answers in Kafka
// error names, which the protocol layer turns into codes.
import { systemClock, type GroupClock } from './clock.js';
import { Group, joinError, type JoinResult, type Protocol, type SyncResult } from './group.js';
import type { OffsetCommitEntry, OffsetStore } from './offset-store.js';

export interface CoordinatorSettings {
  /** group.min.session.timeout.ms / group.max.session.timeout.ms */
  minSessionTimeoutMs: number;
  maxSessionTimeoutMs: number;
  /** group.initial.rebalance.delay.ms */
  initialRebalanceDelayMs: number;
  /** Groups at most (an explicit limit; Kafka has none). */
  maxGroups: number;
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
  clientId: string;
  clientHost: string;
  sessionTimeoutMs: number;
  rebalanceTimeoutMs: number;
  protocolType: string;
  protocols: Protocol[];
  /** JoinGroup v4+: an unknown member first gets MEMBER_ID_REQUIRED and an id to rejoin with (KIP-394). */
  requireKnownMemberId: boolean;
}

export interface GroupDescription {
  groupId: string;
  state: string;
  protocolType: string;
  protocol: string;
  members: { memberId: string; clientId: string; clientHost: string; metadata: Buffer; assignment: Buffer }[];
}

/** Told of each offset commit once it is stored. */
export type CommitListener = (groupId: string, entries: readonly OffsetCommitEntry[]) => void;

export class GroupCoordinator {
  private readonly groups = new Map<string, Group>();
  private readonly commitListeners = new Set<CommitListener>();

  constructor(
    private readonly offsets: OffsetStore,
    private readonly settings: CoordinatorSettings = DEFAULT_COORDINATOR_SETTINGS,
    private readonly clock: GroupClock = systemClock,
  ) {}

  private group(groupId: string, create: boolean): Group | undefined {
    let g = this.groups.get(groupId);
    if (!g && create && this.groups.size < this.settings.maxGroups) {
      g = new Group(groupId, this.settings.initialRebalanceDelayMs, this.clock);
      this.groups.set(groupId, g);
    }
    return g;
  }

  async join(r: JoinRequest): Promise<JoinResult> {
    const fail = (error: string, memberId = r.memberId): JoinResult => joinError(memberId, error);
    if (!r.groupId) return fail('INVALID_GROUP_ID');
    if (r.sessionTimeoutMs < this.settings.minSessionTimeoutMs || r.sessionTimeoutMs > this.settings.maxSessionTimeoutMs) return fail('INVALID_SESSION_TIMEOUT');
    const g = this.group(r.groupId, true);
    if (!g) return fail('COORDINATOR_NOT_AVAILABLE');
    if (!g.accepts(r.protocolType, r.protocols)) return fail('INCONSISTENT_GROUP_PROTOCOL');
    let memberId = r.memberId;
    if (!memberId) {
      memberId = g.newMemberId(r.clientId);
      if (r.requireKnownMemberId) return fail('MEMBER_ID_REQUIRED', memberId);
    } else if (!g.members.has(memberId) && !r.requireKnownMemberId) {
      return fail('UNKNOWN_MEMBER_ID');
    }
    return g.join({
      memberId,
      clientId: r.clientId,
      clientHost: r.clientHost,
      sessionTimeoutMs: r.sessionTimeoutMs,
      rebalanceTimeoutMs: r.rebalanceTimeoutMs,
      protocolType: r.protocolType,
      protocols: r.protocols,
    });
  }

  async sync(groupId: string, memberId: string, generationId: number, assignments: Map<string, Buffer> | null): Promise<SyncResult> {
    const g = this.group(groupId, false);
    if (!g) return { error: 'UNKNOWN_MEMBER_ID', protocolType: null, protocolName: null, assignment: Buffer.alloc(0) };
    return g.sync(memberId, generationId, assignments);
  }

  heartbeat(groupId: string, memberId: string, generationId: number): string {
    return this.group(groupId, false)?.heartbeat(memberId, generationId) ?? 'UNKNOWN_MEMBER_ID';
  }

  leave(groupId: string, memberId: string): string {
    return this.group(groupId, false)?.leave(memberId) ?? 'UNKNOWN_MEMBER_ID';
  }

  /** Checks the committer (generation -1 with no member: a consumer outside any group), then stores. */
  async commit(groupId: string, memberId: string, generationId: number, entries: readonly OffsetCommitEntry[]): Promise<string> {
    if (!groupId) return 'INVALID_GROUP_ID';
    const g = this.group(groupId, false);
    if (generationId >= 0 || memberId) {
      if (!g || !g.members.has(memberId)) return 'UNKNOWN_MEMBER_ID';
      if (generationId !== g.generationId) return 'ILLEGAL_GENERATION';
      if (g.state === 'PreparingRebalance' || g.state === 'CompletingRebalance') return 'REBALANCE_IN_PROGRESS';
    } else if (g && g.members.size > 0) {
      return 'UNKNOWN_MEMBER_ID'; // a group with members takes commits from them only
    }
    await this.offsets.commit(groupId, entries);
    for (const l of this.commitListeners) l(groupId, entries);
    return 'NONE';
  }

  /** Hears of every offset commit once stored, whoever made it (a Kafka client, RocketMQ acks); returns how to stop. */
  onCommit(listener: CommitListener): () => void {
    this.commitListeners.add(listener);
    return () => this.commitListeners.delete(listener);
  }

  committed(groupId: string, topic: string, partition: number): { offset: bigint; metadata: string | null } {
    const c = this.offsets.fetch(groupId, topic, partition);
    return c ? { offset: c.offset, metadata: c.metadata } : { offset: -1n, metadata: null };
  }

  committedAll(groupId: string): { topic: string; partition: number; offset: bigint; metadata: string | null }[] {
    return this.offsets.groupOffsets(groupId).map((o) => ({ topic: o.topic, partition: o.partition, offset: o.committed.offset, metadata: o.committed.metadata }));
  }

  describe(groupId: string): GroupDescription {
    const g = this.group(groupId, false);
    if (!g) return { groupId, state: this.offsets.groups().includes(groupId) ? 'Empty' : 'Dead', protocolType: '', protocol: '', members: [] };
    return {
      groupId,
      state: g.state,
      protocolType: g.protocolType ?? '',
      protocol: g.protocolName ?? '',
      members: [...g.members.values()].map((m) => ({
        memberId: m.memberId,
        clientId: m.clientId,
        clientHost: m.clientHost,
        metadata: m.protocols.find((p) => p.name === g.protocolName)?.metadata ?? Buffer.alloc(0),
        assignment: m.assignment,
      })),
    };
  }

  list(): { groupId: string; protocolType: string; state: string }[] {
    const ids = new Set([...this.groups.keys(), ...this.offsets.groups()]);
    return [...ids].map((groupId) => {
      const g = this.groups.get(groupId);
      return { groupId, protocolType: g?.protocolType ?? 'consumer', state: g?.state ?? 'Empty' };
    });
  }

  shutdown(): void {
    for (const g of this.groups.values()) g.shutdown();
  }
}
