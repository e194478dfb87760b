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
import { KafkaConnection } from '../../../client/connection.js';
import { partitionForKey } from '../../../client/partitioner.js';
import { errorName } from '../../../protocol/kafka/index.js';
import { BATCH_HEADER_BYTES, encodeBatch, type RecordInput } from '../../../records/index.js';
import type { ConsumerCallback, DriverEndpoint, DriverFactory, PeerConsumer, PeerDriver, PeerProducer } from '../driver.js';
import { KafkaCluster, STALE_METADATA, type BrokerAddress, type TopicLayout } from './kafka-cluster.js';
import { GroupConsumer } from './kafka-consumer.js';
import { OpenSet } from './open-set.js';

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
  private readonly open = new OpenSet();
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
    return this.open.track(p);
  }

  async createConsumer(topic: string, subscription: string, onMessage: ConsumerCallback): Promise<PeerConsumer> {
    const c = await GroupConsumer.start(this.cluster, topic, subscription, onMessage, this.s, `mqlab-peers-${++this.nextClient}`);
    return this.open.track(c);
  }

  async deleteTopics(): Promise<void> {
    await this.cluster.deleteTopics(this.created.splice(0));
  }

  async close(): Promise<void> {
    await this.open.closeAll();
    this.cluster.close();
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
