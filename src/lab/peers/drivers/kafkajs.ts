// The peers' Kafka driver on kafkajs (a dev dependency, loaded when a run
// asks for it): for mqlab serving Kafka and any Kafka cluster given with
// --target. kafkajs puts into one Produce request only what one send()
// call carries (it has no linger), while OMB's Kafka driver relies on the
// Java producer's linger.ms to batch: so the driver collects the sends of
// 1 ms (OMB's linger) into one send() call, up to 1 MiB, with at most 5
// calls in flight (the Java client's max.in.flight.requests.per.connection).
// A subscription is a consumer group; a consumer is subscribed once kafkajs
// reports its first GROUP_JOIN (after SyncGroup: it has its assignment).
import type { Consumer, Kafka, Producer } from 'kafkajs';
import type { ConsumerCallback, DriverFactory, PeerConsumer, PeerDriver, PeerProducer } from '../driver.js';
import { formatAddress } from '../targets.js';
import { OpenSet } from './open-set.js';

type KafkaJs = typeof import('kafkajs');

/** kafkajs, or an error that says how to get it. */
export async function loadKafkajs(): Promise<KafkaJs> {
  try {
    return await import('kafkajs');
  } catch (err) {
    throw new Error(`kafkajs is not installed (${(err as Error).message.split('\n')[0]}): it is a dev dependency of mqlab; npm install (with dev dependencies) adds it`);
  }
}

const LINGER_MS = 1;
const MAX_CALL_BYTES = 1024 * 1024;
const MAX_CALLS_IN_FLIGHT = 5;
/** How long a consumer may take to join its group and get an assignment. */
const JOIN_WITHIN_MS = 60_000;

export const kafkajsDriver: DriverFactory = async (o) => {
  const k = await loadKafkajs();
  const brokers = [o.endpoint, ...(o.endpoint.more ?? [])].map(formatAddress);
  const kafka = new k.Kafka({ clientId: 'mqlab-peers-kafkajs', brokers, logLevel: k.logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  return new KafkajsDriver(k, kafka, admin);
};

class KafkajsDriver implements PeerDriver {
  readonly name = 'kafkajs';
  readonly notes = [
    'kafkajs; acks=-1 whatever the mode (the mode is the broker\'s setting: mqlab\'s flush policy, an external cluster\'s own); not idempotent',
    `kafkajs batches only what one send() carries: the driver collects ${LINGER_MS} ms of sends (OMB's linger.ms) into one call of up to ${MAX_CALL_BYTES / 1024 / 1024} MiB, ${MAX_CALLS_IN_FLIGHT} calls in flight`,
    'kafkajs\'s default partitioner: keys by murmur2 as Java\'s; unkeyed messages round-robin per message (not sticky per batch)',
    'consumers: a consumer group per subscription, fromBeginning (the run\'s topics are new), kafkajs\'s auto-commit; heartbeat 300 ms and fetch wait 500 ms (Java\'s fetch.max.wait.ms) so a rebalance is heard of quickly',
  ];
  private readonly created: string[] = [];
  private readonly open = new OpenSet();

  constructor(
    private readonly k: KafkaJs,
    private readonly kafka: Kafka,
    private readonly admin: ReturnType<Kafka['admin']>,
  ) {}

  async createTopic(topic: string, partitions: number): Promise<void> {
    const made = await this.admin.createTopics({ topics: [{ topic, numPartitions: partitions }], waitForLeaders: true });
    if (!made && !this.created.includes(topic)) throw new Error(`topic ${topic} exists already and was not created by this run: refusing to use (or later delete) it`);
    if (made) this.created.push(topic);
  }

  async createProducer(topic: string): Promise<PeerProducer> {
    const producer = this.kafka.producer({ createPartitioner: this.k.Partitioners.DefaultPartitioner, allowAutoTopicCreation: false, idempotent: false });
    await producer.connect();
    return this.open.track(new LingeringProducer(producer, topic));
  }

  async createConsumer(topic: string, subscription: string, onMessage: ConsumerCallback): Promise<PeerConsumer> {
    const consumer = this.kafka.consumer({ groupId: subscription, heartbeatInterval: 300, maxWaitTimeInMs: 500, sessionTimeout: 10_000, rebalanceTimeout: 10_000, allowAutoTopicCreation: false });
    const c = new JsConsumer(consumer, subscription);
    const joined = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`kafkajs consumer of group ${subscription} got no assignment within ${JOIN_WITHIN_MS / 1000} s`)), JOIN_WITHIN_MS);
      consumer.on(consumer.events.GROUP_JOIN, () => {
        clearTimeout(timer);
        resolve();
      });
      consumer.on(consumer.events.CRASH, (e) => {
        clearTimeout(timer);
        reject(e.payload.error);
      });
    });
    joined.catch(() => undefined);
    try {
      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: true });
      await consumer.run({
        eachBatch: async ({ batch }) => {
          for (const m of batch.messages) c.deliver(onMessage, m.value ?? Buffer.alloc(0), Number(m.timestamp));
        },
      });
      await joined;
    } catch (err) {
      await consumer.disconnect().catch(() => undefined);
      throw err;
    }
    return this.open.track(c);
  }

  async deleteTopics(): Promise<void> {
    const topics = this.created.splice(0);
    if (topics.length > 0) await this.admin.deleteTopics({ topics });
  }

  async close(): Promise<void> {
    await this.open.closeAll();
    await this.admin.disconnect();
  }
}

interface Queued {
  key: string | null;
  value: Buffer;
  resolve: () => void;
  reject: (err: Error) => void;
}

class LingeringProducer implements PeerProducer {
  private queue: Queued[] = [];
  private queuedBytes = 0;
  private timer: NodeJS.Timeout | null = null;
  private inFlight = 0;
  private idle: (() => void)[] = [];
  private closed = false;

  constructor(
    private readonly producer: Producer,
    private readonly topic: string,
  ) {}

  sendAsync(key: string | null, payload: Buffer): Promise<void> {
    if (this.closed) return Promise.reject(new Error('the producer is closed'));
    return new Promise((resolve, reject) => {
      this.queue.push({ key, value: payload, resolve, reject });
      this.queuedBytes += payload.length;
      if (this.queuedBytes >= MAX_CALL_BYTES) this.flush();
      else this.timer ??= setTimeout(() => this.flush(), LINGER_MS);
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    this.flush();
    if (this.inFlight > 0 || this.queue.length > 0) await new Promise<void>((resolve) => this.idle.push(resolve));
    await this.producer.disconnect();
  }

  /** Sends what is queued, in calls of up to MAX_CALL_BYTES, while there is room for calls. */
  private flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    while (this.inFlight < MAX_CALLS_IN_FLIGHT && this.queue.length > 0) {
      let n = 0;
      let bytes = 0;
      while (n < this.queue.length && (n === 0 || bytes + this.queue[n]!.value.length <= MAX_CALL_BYTES)) bytes += this.queue[n++]!.value.length;
      const call = this.queue.splice(0, n);
      this.queuedBytes -= bytes;
      this.inFlight++;
      this.producer
        .send({ topic: this.topic, acks: -1, messages: call.map((m) => ({ key: m.key, value: m.value })) })
        .then(
          () => {
            for (const m of call) m.resolve();
          },
          (err: Error) => {
            for (const m of call) m.reject(err);
          },
        )
        .finally(() => {
          this.inFlight--;
          if (this.queue.length > 0) this.flush();
          else if (this.inFlight === 0) for (const resolve of this.idle.splice(0)) resolve();
        });
    }
  }
}

class JsConsumer implements PeerConsumer {
  private firstError: Error | null = null;
  private errors = 0;

  constructor(
    private readonly consumer: Consumer,
    private readonly group: string,
  ) {}

  /** The callback's errors are kept for close(): thrown into kafkajs, they would have it fetch the batch again. */
  deliver(onMessage: ConsumerCallback, value: Buffer, timestampMs: number): void {
    try {
      onMessage(value, timestampMs);
    } catch (err) {
      this.errors++;
      this.firstError ??= err as Error;
    }
  }

  async close(): Promise<void> {
    await this.consumer.disconnect();
    if (this.firstError) throw new Error(`kafkajs consumer of group ${this.group}: ${this.errors} error(s), the first: ${this.firstError.message}`);
  }
}
