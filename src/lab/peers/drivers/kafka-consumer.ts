// The peers' Kafka driver's consumer (mqlab's own client): a member of
// the subscription's consumer group (GroupMember: range assignment,
// heartbeats on its own connection), reading its partitions from their
// leaders with one long-polling fetch per leader at a time, and committing
// its positions after every fetch that returned records (as OMB's Kafka
// consumer commits after each poll), before it rejoins and on close.
import { check } from '../../../client/admin.js';
import { KafkaConnection } from '../../../client/connection.js';
import { GroupMember } from '../../../client/group-member.js';
import { errorName } from '../../../protocol/kafka/index.js';
import { BATCH_HEADER_BYTES, decodeBatch, isControl, LOG_OVERHEAD_BYTES, readBatchHeader, recordTimestamp } from '../../../records/index.js';
import type { ConsumerCallback, PeerConsumer } from '../driver.js';
import { STALE_METADATA, type KafkaCluster, type TopicLayout } from './kafka-cluster.js';
import type { KafkaDriverSettings } from './kafka.js';

/** Errors a fetch answers for a partition after which the consumer reads the metadata again and goes on. */
function isRetriable(name: string): boolean {
  return STALE_METADATA.has(name) || name === 'OFFSET_NOT_AVAILABLE';
}

export class GroupConsumer implements PeerConsumer {
  private running = true;
  private layout: TopicLayout = { leaders: new Map() };
  private assigned: number[] = [];
  private readonly positions = new Map<number, bigint>();
  private readonly fetchConns = new Map<number, Promise<KafkaConnection>>();
  private committing: Promise<void> | null = null;
  private commitAgain = false;
  private loop: Promise<void> = Promise.resolve();
  private firstError: Error | null = null;
  private errors = 0;
  private wake: (() => void) | null = null;

  private constructor(
    private readonly cluster: KafkaCluster,
    private readonly member: GroupMember,
    private readonly topic: string,
    private readonly onMessage: ConsumerCallback,
    private readonly s: KafkaDriverSettings,
    private readonly clientId: string,
  ) {}

  /** Joins the group and has its assignment (and every assigned partition's start) before it resolves. */
  static async start(cluster: KafkaCluster, topic: string, group: string, onMessage: ConsumerCallback, s: KafkaDriverSettings, clientId: string): Promise<GroupConsumer> {
    const coordinator = await cluster.coordinator(group);
    const partitionsOf = async (t: string): Promise<number> => (await cluster.layout(t)).leaders.size;
    const member = await GroupMember.open(coordinator.host, coordinator.port, group, [topic], partitionsOf, { heartbeatIntervalMs: s.heartbeatIntervalMs });
    const c = new GroupConsumer(cluster, member, topic, onMessage, s, clientId);
    try {
      await c.assign();
    } catch (err) {
      await member.leave();
      throw err;
    }
    c.loop = c.run();
    return c;
  }

  async close(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.wake?.();
    // A fetch waiting on the broker ends at once with its connection; what it would have brought is neither delivered nor committed.
    for (const c of this.fetchConns.values()) void c.then((x) => x.close(), () => undefined);
    await this.loop;
    await this.committing;
    await this.commit().catch((err: Error) => this.fail(err));
    await this.member.leave();
    if (this.firstError) throw new Error(`consumer ${this.clientId} of group ${this.member.groupId}: ${this.errors} error(s), the first: ${this.firstError.message}`);
  }

  private fail(err: Error): void {
    this.errors++;
    this.firstError ??= err;
  }

  private async assign(): Promise<void> {
    const a = await this.member.join();
    this.assigned = [...(a.get(this.topic) ?? [])].sort((x, y) => x - y);
    this.positions.clear();
    if (this.assigned.length === 0) return;
    this.layout = await this.cluster.layout(this.topic);
    const committed = await this.member.committed(new Map([[this.topic, this.assigned]]));
    const fresh: number[] = [];
    for (const p of this.assigned) {
      const c = committed.get(`${this.topic}:${p}`) ?? -1n;
      if (c >= 0n) this.positions.set(p, c);
      else fresh.push(p);
    }
    // auto.offset.reset=earliest: the run created the topic, so its first record is the first sent.
    if (fresh.length > 0) for (const [p, off] of await this.cluster.offsets(this.topic, this.layout, fresh, -2n)) this.positions.set(p, off);
  }

  private async run(): Promise<void> {
    while (this.running) {
      try {
        if (this.member.rejoinNeeded) {
          await this.committing;
          await this.commit();
          await this.assign();
          continue;
        }
        // No partitions (more consumers than partitions): wait to hear of a rebalance from the heartbeats.
        if (this.assigned.length === 0) await this.pause(this.s.heartbeatIntervalMs);
        else await this.fetchRound();
      } catch (err) {
        if (!this.running) break;
        this.fail(err as Error);
        // Back off a little, then read the metadata again: a leader may have moved.
        await this.pause(100);
        this.layout = await this.cluster.layout(this.topic).catch(() => this.layout);
      }
    }
  }

  /** Waits `ms`, or less if the consumer is closed meanwhile. */
  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.wake = null;
        resolve();
      }, ms);
      this.wake = () => {
        clearTimeout(t);
        this.wake = null;
        resolve();
      };
    });
  }

  /** One fetch to each leader of the assigned partitions, in parallel; records delivered as each answers. */
  private async fetchRound(): Promise<void> {
    const byLeader = new Map<number, number[]>();
    for (const p of this.assigned) {
      const leader = this.layout.leaders.get(p);
      if (leader === undefined) throw new Error(`${this.topic}-${p} has no leader`);
      byLeader.set(leader, [...(byLeader.get(leader) ?? []), p]);
    }
    const delivered = await Promise.all([...byLeader].map(([leader, ps]) => this.fetchFrom(leader, ps)));
    if (delivered.some((n) => n > 0)) this.commitSoon();
  }

  private async fetchFrom(leader: number, partitions: number[]): Promise<number> {
    let conn = this.fetchConns.get(leader);
    if (!conn) {
      const a = this.cluster.node(leader);
      conn = KafkaConnection.open(a.host, a.port, this.clientId);
      this.fetchConns.set(leader, conn);
    }
    const request = async (c: KafkaConnection) =>
      c.request(1, 11, {
        replicaId: -1,
        maxWaitMs: this.s.fetchMaxWaitMs,
        minBytes: 1,
        maxBytes: 50 * 1024 * 1024,
        isolationLevel: 0,
        topics: [{ topic: this.topic, partitions: partitions.map((partition) => ({ partition, fetchOffset: this.positions.get(partition) ?? 0n, partitionMaxBytes: this.s.partitionFetchBytes })) }],
      });
    let r: Awaited<ReturnType<typeof request>>;
    try {
      r = await request(await conn);
    } catch (err) {
      this.fetchConns.delete(leader);
      throw err;
    }
    if (!this.running) return 0;
    let delivered = 0;
    let stale = false;
    for (const t of r.responses) {
      for (const p of t.partitions) {
        const name = errorName(p.errorCode);
        if (name === 'OFFSET_OUT_OF_RANGE') {
          for (const [q, off] of await this.cluster.offsets(this.topic, this.layout, [p.partitionIndex], -2n)) this.positions.set(q, off);
          continue;
        }
        if (isRetriable(name)) {
          stale = true;
          continue;
        }
        check(p.errorCode, `fetching ${this.topic}-${p.partitionIndex}`);
        if (p.records && p.records.length > 0) delivered += this.deliver(p.partitionIndex, p.records);
      }
    }
    if (stale) this.layout = await this.cluster.layout(this.topic);
    return delivered;
  }

  /** Hands each record at or past the position to the callback; moves the position past every whole batch. */
  private deliver(partition: number, records: Buffer): number {
    let position = this.positions.get(partition) ?? 0n;
    let delivered = 0;
    for (let at = 0; at + BATCH_HEADER_BYTES <= records.length; ) {
      const h = readBatchHeader(records, at);
      const size = h.batchLength + LOG_OVERHEAD_BYTES;
      if (at + size > records.length) break; // a partial batch at the end: fetched again from its start
      const next = h.baseOffset + BigInt(h.lastOffsetDelta) + 1n;
      if (!isControl(h.attributes) && next > position) {
        const batch = decodeBatch(records, at);
        for (const rec of batch.records) {
          const offset = h.baseOffset + BigInt(rec.offsetDelta);
          if (offset < position) continue; // the first batch may begin before the position
          position = offset + 1n;
          this.positions.set(partition, position);
          delivered++;
          try {
            this.onMessage(rec.value ?? Buffer.alloc(0), Number(recordTimestamp(batch.header, rec)));
          } catch (err) {
            this.fail(err as Error);
          }
        }
      }
      if (next > position) position = next;
      at += size;
    }
    this.positions.set(partition, position);
    return delivered;
  }

  /** A commit of the positions now, after the one in flight (commits coalesce: one at a time, the latest positions). */
  private commitSoon(): void {
    if (this.committing) {
      this.commitAgain = true;
      return;
    }
    this.committing = this.commit()
      .catch((err: Error) => this.fail(err))
      .finally(() => {
        this.committing = null;
        if (this.commitAgain && this.running) {
          this.commitAgain = false;
          this.commitSoon();
        }
      });
  }

  private async commit(): Promise<void> {
    if (this.positions.size === 0) return;
    await this.member.commit(new Map([[this.topic, new Map(this.positions)]]));
  }
}
