// Membership of a consumer group, as a Kafka consumer does it: JoinGroup
// (rejoining with the id the broker hands out, KIP-394), the leader
// computing range assignments, SyncGroup, heartbeats on their own
// connection (so a long-polling fetch never delays one past the session
// timeout), offset commits and fetches, LeaveGroup.
import { errorName } from '../protocol/kafka/index.js';
import type { ClientSecurity } from './security.js';
import { KafkaConnection } from './connection.js';
import { decodeAssignment, decodeSubscription, encodeAssignment, encodeSubscription, rangeAssign } from './consumer-protocol.js';

export interface GroupMemberOptions {
  sessionTimeoutMs?: number;
  rebalanceTimeoutMs?: number;
  heartbeatIntervalMs?: number;
}

export class GroupError extends Error {
  constructor(readonly code: string, message: string) {
    super(message);
  }
}

const RETRIABLE = new Set(['REBALANCE_IN_PROGRESS', 'COORDINATOR_LOAD_IN_PROGRESS', 'COORDINATOR_NOT_AVAILABLE', 'NOT_COORDINATOR']);

export class GroupMember {
  memberId = '';
  generationId = -1;
  /** Set by a heartbeat that hears of a rebalance: rejoin before fetching on. */
  rejoinNeeded = false;
  private timer: NodeJS.Timeout | null = null;

  private constructor(
    private readonly conn: KafkaConnection,
    readonly groupId: string,
    readonly topics: readonly string[],
    private readonly partitionsOf: (topic: string) => Promise<number>,
    private readonly o: Required<GroupMemberOptions>,
  ) {}

  static async open(host: string, port: number, groupId: string, topics: readonly string[], partitionsOf: (topic: string) => Promise<number>, o: GroupMemberOptions = {}, security?: ClientSecurity): Promise<GroupMember> {
    const conn = await KafkaConnection.open(host, port, 'mqlab-consumer', security);
    return new GroupMember(conn, groupId, topics, partitionsOf, { sessionTimeoutMs: 10_000, rebalanceTimeoutMs: 10_000, heartbeatIntervalMs: 1_000, ...o });
  }

  /** Joins (or rejoins) and returns this member's partitions, by topic. */
  async join(): Promise<Map<string, number[]>> {
    this.stopHeartbeats();
    for (let attempt = 0; attempt < 20; attempt++) {
      const j = await this.conn.request(11, 5, {
        groupId: this.groupId,
        sessionTimeoutMs: this.o.sessionTimeoutMs,
        rebalanceTimeoutMs: this.o.rebalanceTimeoutMs,
        memberId: this.memberId,
        protocolType: 'consumer',
        protocols: [{ name: 'range', metadata: encodeSubscription(this.topics) }],
      });
      const jerr = errorName(j.errorCode);
      if (jerr === 'MEMBER_ID_REQUIRED') {
        this.memberId = j.memberId;
        continue;
      }
      if (jerr === 'UNKNOWN_MEMBER_ID') {
        this.memberId = '';
        continue;
      }
      if (RETRIABLE.has(jerr)) continue;
      if (jerr !== 'NONE') throw new GroupError(jerr, `joining group ${this.groupId}: ${jerr}`);
      this.memberId = j.memberId;
      this.generationId = j.generationId;
      let assignments: { memberId: string; assignment: Buffer }[] = [];
      if (j.leader === j.memberId) {
        const members = j.members.map((m) => ({ memberId: m.memberId, topics: decodeSubscription(m.metadata) }));
        const counts = new Map<string, number>();
        for (const t of new Set(members.flatMap((m) => m.topics))) counts.set(t, await this.partitionsOf(t));
        const plan = rangeAssign(members, (t) => counts.get(t) ?? 0);
        assignments = [...plan].map(([memberId, a]) => ({ memberId, assignment: encodeAssignment(a) }));
      }
      const s = await this.conn.request(14, 3, { groupId: this.groupId, generationId: this.generationId, memberId: this.memberId, assignments });
      const serr = errorName(s.errorCode);
      if (RETRIABLE.has(serr) || serr === 'ILLEGAL_GENERATION') continue;
      if (serr === 'UNKNOWN_MEMBER_ID') {
        this.memberId = '';
        continue;
      }
      if (serr !== 'NONE') throw new GroupError(serr, `syncing group ${this.groupId}: ${serr}`);
      this.rejoinNeeded = false;
      this.startHeartbeats();
      return decodeAssignment(s.assignment);
    }
    throw new GroupError('REBALANCE_IN_PROGRESS', `group ${this.groupId} did not settle after 20 attempts`);
  }

  /** Committed offsets (-1 where none), by "topic:partition". */
  async committed(assignment: ReadonlyMap<string, readonly number[]>): Promise<Map<string, bigint>> {
    const r = await this.conn.request(9, 4, { groupId: this.groupId, topics: [...assignment].map(([name, partitionIndexes]) => ({ name, partitionIndexes: [...partitionIndexes] })) });
    const out = new Map<string, bigint>();
    for (const t of r.topics) for (const p of t.partitions) out.set(`${t.name}:${p.partitionIndex}`, p.committedOffset);
    return out;
  }

  /** Commits positions (the next offset to read), by topic and partition. */
  async commit(positions: ReadonlyMap<string, ReadonlyMap<number, bigint>>): Promise<void> {
    const topics = [...positions].map(([name, parts]) => ({
      name,
      partitions: [...parts].map(([partitionIndex, committedOffset]) => ({ partitionIndex, committedOffset, committedMetadata: null })),
    }));
    if (topics.length === 0) return;
    const r = await this.conn.request(8, 5, { groupId: this.groupId, generationId: this.generationId, memberId: this.memberId, topics });
    for (const t of r.topics) {
      for (const p of t.partitions) {
        const e = errorName(p.errorCode);
        if (e === 'REBALANCE_IN_PROGRESS' || e === 'ILLEGAL_GENERATION' || e === 'UNKNOWN_MEMBER_ID') this.rejoinNeeded = true;
        else if (e !== 'NONE') throw new GroupError(e, `committing ${t.name}-${p.partitionIndex}: ${e}`);
      }
    }
  }

  /** Stops without a commit or a LeaveGroup, as a killed process would: the coordinator finds out when the session expires. */
  crash(): void {
    this.stopHeartbeats();
    this.conn.close();
  }

  async leave(): Promise<void> {
    this.stopHeartbeats();
    if (this.memberId) await this.conn.request(13, 1, { groupId: this.groupId, memberId: this.memberId }).catch(() => undefined);
    this.conn.close();
  }

  private startHeartbeats(): void {
    this.timer = setInterval(() => {
      this.conn.request(12, 3, { groupId: this.groupId, generationId: this.generationId, memberId: this.memberId }).then(
        (r) => {
          if (r.errorCode !== 0) this.rejoinNeeded = true;
        },
        () => (this.rejoinNeeded = true),
      );
    }, this.o.heartbeatIntervalMs);
    this.timer.unref();
  }

  private stopHeartbeats(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }
}
