// The peers' Kafka driver on mqlab's own client (src/client): for mqlab
// serving Kafka and for any Kafka cluster given with --target. A producer
// batches per partition as Kafka's Java producer does with OMB's settings
// (linger 1 ms, batch.size 128 KiB, acks=all): keyed messages go to the
// partition murmur2 picks (Kafka's default partitioner), unkeyed ones stick
// to one partition until its batch is sent (KIP-480); each broker gets at
// most 5 Produce requests in flight, each carrying the sealed batches of
// the partitions it leads. A subscription is a consumer group: each
// consumer joins it (GroupMember: range assignment, heartbeats), reads its
// partitions from their leaders with long-polling fetches, and commits its
// positions after every fetch that returned records (as OMB's Kafka
// consumer commits after each poll), before a rebalance and on close.
import { check } from '../../../client/admin.js';
import { KafkaConnection } from '../../../client/connection.js';
import { GroupMember } from '../../../client/group-member.js';
import { partitionForKey } from '../../../client/partitioner.js';
import { errorName } from '../../../protocol/kafka/index.js';
import { decodeBatch, encodeBatch, isControl, LOG_OVERHEAD_BYTES, readBatchHeader, recordTimestamp, BATCH_HEADER_BYTES, type RecordInput } from '../../../records/index.js';
import type { ConsumerCallback, DriverEndpoint, DriverFactory, PeerConsumer, PeerDriver, PeerProducer } from '../driver.js';
import { KafkaCluster, STALE_METADATA, type BrokerAddress, type TopicLayout } from './kafka-cluster.js';

export interface KafkaDriverSettings {
  /** How long a partition's first record waits for more before its batch is sent (linger.ms). */
  lingerMs: number;
  /** A partition's batch is sent once it holds this many bytes (batch.size). */
  batchBytes: number;
  /** Produce requests in flight per broker (max.in.flight.requests.per.connection). */
  maxInFlight: number;
  /** How long a fetch waits for records (fetch.max.wait.ms). */
  fetchMaxWaitMs: number;
  /** Bytes a fetch takes from one partition (max.partition.fetch.bytes). */
  partitionFetchBytes: number;
  /** Group heartbeats: also how soon a member hears of a rebalance. */
  heartbeatIntervalMs: number;
}

/** OMB's driver-kafka/kafka.yaml where it sets something; the Java client's defaults elsewhere, the heartbeat aside. */
export const KAFKA_DRIVER_DEFAULTS: KafkaDriverSettings = {
  lingerMs: 1,
  batchBytes: 128 * 1024,
  maxInFlight: 5,
  fetchMaxWaitMs: 500,
  partitionFetchBytes: 1024 * 1024,
  heartbeatIntervalMs: 300,
};

/** A record's bytes in a batch beyond its key and value (length, attributes, deltas, header count: varints). */
const RECORD_OVERHEAD_BYTES = 21;
/** The most bytes of batches one Produce request carries (max.request.size), unless one batch is larger. */
const MAX_REQUEST_BYTES = 1024 * 1024;

export function bootstrapOf(e: DriverEndpoint): BrokerAddress[] {
  return [{ host: e.host, port: e.port }, ...(e.more ?? [])];
}

export function kafkaDriverWith(settings: Partial<KafkaDriverSettings> = {}): DriverFactory {
  const s = { ...KAFKA_DRIVER_DEFAULTS, ...settings };
  return async (o) => {
    const cluster = new KafkaCluster(bootstrapOf(o.endpoint), 'mqlab-peers');
    await cluster.metadata([]); // fails here, clearly, when nothing answers
    return new KafkaDriver(cluster, s);
  };
}

/** The driver with its defaults. */
export const kafkaDriver: DriverFactory = kafkaDriverWith();

class KafkaDriver implements PeerDriver {
  readonly name = 'mqlab-client';
  readonly notes: string[];
  private readonly created: string[] = [];
  private readonly open = new Set<{ close(): Promise<void> }>();
  private nextClient = 0;

  constructor(
    private readonly cluster: KafkaCluster,
    private readonly s: KafkaDriverSettings,
  ) {
    this.notes = [
      `mqlab's own Kafka client; acks=-1 whatever the mode (the mode is the broker's setting: mqlab's flush policy, an external cluster's own)`,
      `producer: linger ${s.lingerMs} ms or ${s.batchBytes / 1024} KiB per partition batch (OMB's kafka.yaml), ${s.maxInFlight} requests in flight per broker; keys by murmur2, unkeyed messages sticky per batch (KIP-480); not idempotent, no retries: a failed batch fails its sends`,
      `consumers: a consumer group per subscription (range assignor), auto.offset.reset=earliest (the run's topics are new), positions committed after each fetch with records, before a rebalance and on close`,
      'topics: CreateTopics with the cluster default replication factor (-1); on mqlab, 1',
    ];
  }

  async createTopic(topic: string, partitions: number): Promise<void> {
    const made = await this.cluster.createTopic(topic, partitions);
    if (!made && !this.created.includes(topic)) throw new Error(`topic ${topic} exists already and was not created by this run: refusing to use (or later delete) it`);
    if (made) this.created.push(topic);
    await this.cluster.layout(topic);
  }

  async createProducer(topic: string): Promise<PeerProducer> {
    const p = new BatchingProducer(this.cluster, topic, await this.cluster.layout(topic), this.s);
    return this.track(p);
  }

  async createConsumer(topic: string, subscription: string, onMessage: ConsumerCallback): Promise<PeerConsumer> {
    const c = await GroupConsumer.start(this.cluster, topic, subscription, onMessage, this.s, `mqlab-peers-${++this.nextClient}`);
    return this.track(c);
  }

  async deleteTopics(): Promise<void> {
    await this.cluster.deleteTopics(this.created.splice(0));
  }

  async close(): Promise<void> {
    for (const x of [...this.open]) await x.close().catch(() => undefined);
    this.cluster.close();
  }

  private track<T extends { close(): Promise<void> }>(x: T): T {
    this.open.add(x);
    const close = x.close.bind(x);
    x.close = async () => {
      this.open.delete(x);
      await close();
    };
    return x;
  }
}

interface Settle {
  resolve: () => void;
  reject: (err: Error) => void;
}

interface OpenBatch {
  records: RecordInput[];
  settles: Settle[];
  bytes: number;
}

interface SealedBatch {
  partition: number;
  batch: Buffer;
  settles: Settle[];
}

interface NodeQueue {
  ready: SealedBatch[];
  inFlight: number;
  conn: Promise<KafkaConnection> | null;
}

class BatchingProducer implements PeerProducer {
  private readonly partitions: number;
  private readonly open = new Map<number, OpenBatch>();
  private readonly nodes = new Map<number, NodeQueue>();
  private sticky = 0;
  private linger: NodeJS.Timeout | null = null;
  private pending = 0;
  private idle: (() => void)[] = [];
  private closed = false;

  constructor(
    private readonly cluster: KafkaCluster,
    private readonly topic: string,
    private layout: TopicLayout,
    private readonly s: KafkaDriverSettings,
  ) {
    this.partitions = layout.leaders.size;
  }

  sendAsync(key: string | null, payload: Buffer): Promise<void> {
    if (this.closed) return Promise.reject(new Error('the producer is closed'));
    const k = key === null ? null : Buffer.from(key);
    const partition = k ? partitionForKey(k, this.partitions) : this.sticky;
    let b = this.open.get(partition);
    if (!b) this.open.set(partition, (b = { records: [], settles: [], bytes: BATCH_HEADER_BYTES }));
    this.pending++;
    const done = new Promise<void>((resolve, reject) => b!.settles.push({ resolve, reject }));
    b.records.push({ key: k, value: payload, timestamp: BigInt(Date.now()) });
    b.bytes += payload.length + (k?.length ?? 0) + RECORD_OVERHEAD_BYTES;
    if (b.bytes >= this.s.batchBytes) this.seal(partition);
    else this.linger ??= setTimeout(() => this.sealAll(), this.s.lingerMs);
    return done;
  }

  async close(): Promise<void> {
    this.closed = true;
    this.sealAll();
    if (this.pending > 0) await new Promise<void>((resolve) => this.idle.push(resolve));
    for (const n of this.nodes.values()) void n.conn?.then((c) => c.close(), () => undefined);
  }

  private sealAll(): void {
    if (this.linger) clearTimeout(this.linger);
    this.linger = null;
    for (const p of [...this.open.keys()]) this.seal(p);
  }

  private seal(partition: number): void {
    const b = this.open.get(partition);
    if (!b) return;
    this.open.delete(partition);
    if (partition === this.sticky && this.partitions > 1) this.sticky = (this.sticky + 1) % this.partitions;
    const batch = encodeBatch({ baseTimestamp: b.records[0]!.timestamp!, records: b.records });
    const leader = this.layout.leaders.get(partition)!;
    let q = this.nodes.get(leader);
    if (!q) this.nodes.set(leader, (q = { ready: [], inFlight: 0, conn: null }));
    q.ready.push({ partition, batch, settles: b.settles });
    this.drain(leader, q);
  }

  /** Sends what is ready for a node, at most one batch per partition a request, while it has room for requests. */
  private drain(leader: number, q: NodeQueue): void {
    while (q.inFlight < this.s.maxInFlight && q.ready.length > 0) {
      const take: SealedBatch[] = [];
      const rest: SealedBatch[] = [];
      const inRequest = new Set<number>();
      let bytes = 0;
      for (const b of q.ready) {
        if (inRequest.has(b.partition) || (take.length > 0 && bytes + b.batch.length > MAX_REQUEST_BYTES)) rest.push(b);
        else {
          take.push(b);
          inRequest.add(b.partition);
          bytes += b.batch.length;
        }
      }
      q.ready = rest;
      q.inFlight++;
      void this.produce(leader, q, take).finally(() => {
        q.inFlight--;
        this.settled(take);
        this.drain(leader, q);
      });
    }
  }

  private async produce(leader: number, q: NodeQueue, batches: SealedBatch[]): Promise<void> {
    try {
      q.conn ??= KafkaConnection.open(this.cluster.node(leader).host, this.cluster.node(leader).port, this.cluster.clientId);
      const conn = await q.conn;
      const r = await conn.request(0, 7, {
        transactionalId: null,
        acks: -1,
        timeoutMs: 30_000,
        topicData: [{ name: this.topic, partitionData: batches.map((b) => ({ index: b.partition, records: b.batch })) }],
      });
      const answers = new Map<number, { errorCode: number; errorMessage: string | null }>();
      for (const t of r.responses) for (const p of t.partitionResponses) answers.set(p.index, p);
      let stale = false;
      for (const b of batches) {
        const a = answers.get(b.partition);
        const code = a?.errorCode ?? -1;
        if (code === 0) for (const x of b.settles) x.resolve();
        else {
          const err = new Error(`producing to ${this.topic}-${b.partition}: ${a ? errorName(code) : 'no answer for the partition'}${a?.errorMessage ? ` (${a.errorMessage})` : ''}`);
          for (const x of b.settles) x.reject(err);
          if (a && STALE_METADATA.has(errorName(code))) stale = true;
        }
      }
      if (stale) this.layout = await this.cluster.layout(this.topic).catch(() => this.layout);
    } catch (err) {
      q.conn = null;
      for (const b of batches) for (const x of b.settles) x.reject(err as Error);
    }
  }

  private settled(batches: SealedBatch[]): void {
    for (const b of batches) this.pending -= b.settles.length;
    if (this.pending === 0) for (const resolve of this.idle.splice(0)) resolve();
  }
}

/** Errors a fetch answers for a partition after which the consumer reads the metadata again and goes on. */
function isRetriable(name: string): boolean {
  return STALE_METADATA.has(name) || name === 'OFFSET_NOT_AVAILABLE';
}

class GroupConsumer implements PeerConsumer {
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
