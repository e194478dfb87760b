// The peers' RocketMQ driver on the official rocketmq-client-nodejs (a dev
// dependency, loaded when a run asks for it), over RocketMQ 5's gRPC API:
// mqlab serving it, or an external RocketMQ 5 proxy given with --target.
// NORMAL messages through Producer.send (one SendMessage each: the
// client's API has no batching), a SimpleConsumer per consumer in the
// subscription's consumer group, receive loops that ack each message (one
// AckMessage each: again the client's API).
//
// Topics: the gRPC API cannot create them. On mqlab the driver creates
// and deletes its topics through the same broker's Kafka listener
// (endpoint.kafkaAdmin); on an external cluster there is none, so the topic
// must exist (the user creates it with mqadmin and names it in --target),
// createTopic only checks that it does (QueryRoute), and deleteTopics
// removes nothing. Every message carries a tag of this driver instance's
// own and consumers subscribe to that tag only: a pre-created topic may
// hold other runs' messages, which the groups (named by subscription, so
// the same in every run) would otherwise receive.
import * as grpc from '@grpc/grpc-js';
import type { MessageView, Producer, SimpleConsumer } from 'rocketmq-client-nodejs';
import { messagingService } from '../../../protocol/rocketmq/proto.js';
import type { ConsumerCallback, DriverEndpoint, DriverFactory, PeerConsumer, PeerDriver, PeerProducer } from '../driver.js';
import { formatAddress } from '../targets.js';
import { AdminTopics } from './admin-topics.js';
import { OpenSet } from './open-set.js';

type RocketMq = typeof import('rocketmq-client-nodejs');

/** rocketmq-client-nodejs, or an error that says how to get it. */
export async function loadRocketmqClient(): Promise<RocketMq> {
  try {
    return await import('rocketmq-client-nodejs');
  } catch (err) {
    throw new Error(`rocketmq-client-nodejs is not installed (${(err as Error).message.split('\n')[0]}): it is a dev dependency of mqlab; npm install (with dev dependencies) adds it`);
  }
}

/** Receive loops per consumer: each has one ReceiveMessage in flight, then acks what it got. */
const RECEIVE_LOOPS = 4;
/** Messages one receive may bring (RocketMQ's limit is 32). */
const RECEIVE_BATCH = 32;
const INVISIBLE_MS = 30_000;
/**
 * Long polling of a receive. RocketMQ's proxy raises anything shorter to its
 * grpcClientConsumerMinLongPollingTimeoutMillis (5 s) and refuses a call
 * whose deadline (the client's request timeout, 3 s, plus this) leaves less.
 */
const AWAIT_MS = 5_000;
/**
 * Calls one client has in flight at once (sends of a producer, acks of a
 * consumer): mqlab's endpoint takes 100 on a connection
 * (rocketmq.max.concurrent.streams, HTTP/2's SETTINGS_MAX_CONCURRENT_STREAMS)
 * and refuses more, and the client does not queue them.
 */
const MAX_CALLS = 64;

/** Runs at most `max` of its tasks at once, the others in the order they came. */
class Limiter {
  private running = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly max: number) {}

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.running >= this.max) await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.running++;
    try {
      return await task();
    } finally {
      this.running--;
      this.waiting.shift()?.();
    }
  }
}

/**
 * The client's default logger writes to ~/logs/rocketmq: this one drops
 * all but errors, and those too once the client is being closed (a receive
 * still long-polling then fails when the run deletes its topic).
 */
function quietLogger(closing: () => boolean): { info(): void; warn(): void; debug(): void; error(...a: unknown[]): void } {
  return {
    info: () => undefined,
    warn: () => undefined,
    debug: () => undefined,
    error: (...a: unknown[]) => {
      if (!closing()) console.error('[rocketmq-client-nodejs]', ...a);
    },
  };
}

let instances = 0;

export const rocketmqDriver: DriverFactory = async (o) => {
  const client = await loadRocketmqClient();
  return new RocketmqDriver(client, o.endpoint, await AdminTopics.connect(o.endpoint));
};

function endpointsOf(e: DriverEndpoint): string {
  return [e, ...(e.more ?? [])].map(formatAddress).join(';');
}

class RocketmqDriver implements PeerDriver {
  readonly name = 'rocketmq-client-nodejs';
  readonly notes: string[];
  private readonly endpoints: string;
  /** This instance's tag: its producers set it, its consumers subscribe to it alone. */
  private readonly tag = `mqlab-peers-${process.pid}-${Date.now().toString(36)}-${++instances}`;
  private readonly open = new OpenSet();

  constructor(
    private readonly client: RocketMq,
    private readonly endpoint: DriverEndpoint,
    private readonly admin: AdminTopics | null,
  ) {
    this.endpoints = endpointsOf(endpoint);
    this.notes = [
      'rocketmq-client-nodejs; NORMAL messages; persistence is the broker\'s (mqlab\'s flush policy, an external broker\'s flushDiskType)',
      `one SendMessage per message and one AckMessage per received message: the client's API batches neither; at most ${MAX_CALLS} calls in flight per client (mqlab refuses more than 100 streams on a connection, and the client does not queue)`,
      `keys are RocketMQ message keys (an index): they choose no queue; the client publishes to, and a SimpleConsumer receives from, queue 0 of each broker only (its load balancers keep queues whose id is 0, the master broker's id); RocketMQ's proxy pops every queue of a broker, mqlab only the queue asked for`,
      `subscriptions are consumer groups of SimpleConsumers, ${RECEIVE_LOOPS} receive loops each (up to ${RECEIVE_BATCH} messages a receive, ${AWAIT_MS / 1000} s long polling); messages tagged per run and consumers filtered by that tag`,
      admin
        ? 'topics created and deleted through the broker\'s Kafka listener (the gRPC API has none); a new group reads from the topic\'s start'
        : 'external cluster: the topic must exist (mqadmin updateTopic), its own queue count holds, nothing is deleted; a consumer is subscribed once its first receives were answered (a new group starts where the broker is at its first receive)',
    ];
  }

  async createTopic(topic: string, partitions: number): Promise<void> {
    if (!this.admin) return this.checkTopic(topic);
    await this.admin.create(topic, partitions);
  }

  /** QueryRoute: the topic exists and takes NORMAL messages. */
  private async checkTopic(topic: string): Promise<void> {
    /* eslint-disable @typescript-eslint/no-explicit-any -- a client made from a service definition */
    const Client = grpc.makeGenericClientConstructor(messagingService(), 'MessagingService');
    const c = new Client(this.endpoints.split(';')[0]!, grpc.credentials.createInsecure()) as grpc.Client & Record<string, any>;
    const { host, port } = this.endpoint;
    const scheme = /^[\d.]+$/.test(host) ? 'IPv4' : host.includes(':') ? 'IPv6' : 'DOMAIN_NAME';
    try {
      const answer = await new Promise<any>((resolve, reject) =>
        c.QueryRoute({ topic: { name: topic, resourceNamespace: '' }, endpoints: { scheme, addresses: [{ host, port }] } }, { deadline: Date.now() + 10_000 }, (err: Error | null, res: any) => (err ? reject(err) : resolve(res))),
      );
      const code = String(answer.status?.code ?? '');
      if (code === 'TOPIC_NOT_FOUND') {
        throw new Error(
          `topic ${topic} does not exist on the RocketMQ cluster at ${this.endpoints}: RocketMQ 5's gRPC API cannot create topics, so create it first ` +
            `(mqadmin updateTopic -n <nameserver>:9876 -c <cluster> -t ${topic} -r 4 -w 4) and name it in the target (--target rocketmq=${this.endpoints}/${topic})`,
        );
      }
      if (code !== 'OK') throw new Error(`QueryRoute of topic ${topic} at ${this.endpoints}: ${code} ${answer.status?.message ?? ''}`.trim());
      const types = new Set<string>((answer.messageQueues ?? []).flatMap((q: any) => q.acceptMessageTypes ?? []));
      if (types.size > 0 && !types.has('NORMAL')) throw new Error(`topic ${topic} at ${this.endpoints} takes ${[...types].join(', ')} messages, not NORMAL ones: create it with -a +message.type=NORMAL`);
    } finally {
      c.close();
    }
    /* eslint-enable @typescript-eslint/no-explicit-any */
  }

  async createProducer(topic: string): Promise<PeerProducer> {
    const p = new this.client.Producer({ endpoints: this.endpoints, namespace: '', logger: quietLogger(() => false), topics: [topic] });
    await p.startup();
    return this.open.track(new RmqProducer(p, topic, this.tag));
  }

  async createConsumer(topic: string, subscription: string, onMessage: ConsumerCallback): Promise<PeerConsumer> {
    let closing = false;
    const c = new this.client.SimpleConsumer({
      endpoints: this.endpoints,
      namespace: '',
      logger: quietLogger(() => closing),
      consumerGroup: subscription,
      subscriptions: new Map([[topic, this.tag]]),
      awaitDuration: AWAIT_MS,
    });
    await c.startup();
    const consumer = new RmqConsumer(c, subscription, onMessage, () => (closing = true));
    // mqlab starts a new group at the log's start (the run's topic is new);
    // RocketMQ at the queue's end as of the group's first receive, so what
    // is sent before that would be missed: wait for the first receives.
    await consumer.start(this.admin === null);
    return this.open.track(consumer);
  }

  async deleteTopics(): Promise<void> {
    await this.admin?.deleteCreated();
  }

  async close(): Promise<void> {
    await this.open.closeAll();
    this.admin?.close();
  }
}

class RmqProducer implements PeerProducer {
  private readonly calls = new Limiter(MAX_CALLS);

  constructor(
    private readonly p: Producer,
    private readonly topic: string,
    private readonly tag: string,
  ) {}

  async sendAsync(key: string | null, payload: Buffer): Promise<void> {
    await this.calls.run(() => this.p.send({ topic: this.topic, body: payload, tag: this.tag, keys: key === null ? [] : [key] }));
  }

  close(): Promise<void> {
    return this.p.shutdown();
  }
}

class RmqConsumer implements PeerConsumer {
  private running = true;
  private firstError: Error | null = null;
  private errors = 0;
  private readonly wakes = new Set<() => void>();
  private readonly acks = new Limiter(MAX_CALLS - RECEIVE_LOOPS);

  constructor(
    private readonly c: SimpleConsumer,
    private readonly group: string,
    private readonly onMessage: ConsumerCallback,
    private readonly closing: () => void,
  ) {}

  /** Starts the receive loops; with `awaitFirst`, resolves once each loop's first receive has been answered. */
  async start(awaitFirst: boolean): Promise<void> {
    const firsts: Promise<void>[] = [];
    for (let i = 0; i < RECEIVE_LOOPS; i++) {
      let first: () => void = () => undefined;
      firsts.push(new Promise((resolve) => (first = resolve)));
      void this.loop(first);
    }
    if (awaitFirst) await Promise.all(firsts);
  }

  /**
   * Stops the loops and the client. A receive still long-polling is not
   * waited for: its messages are neither delivered nor acked, and come back
   * to the group when their invisible time ends.
   */
  async close(): Promise<void> {
    this.running = false;
    this.closing();
    for (const wake of this.wakes) wake();
    await this.c.shutdown();
    if (this.firstError) throw new Error(`RocketMQ consumer of group ${this.group}: ${this.errors} error(s), the first: ${this.firstError.message}`);
  }

  private fail(err: Error): void {
    if (!this.running) return;
    this.errors++;
    this.firstError ??= err;
  }

  private async loop(first: () => void): Promise<void> {
    while (this.running) {
      let got: MessageView[];
      try {
        got = await this.c.receive(RECEIVE_BATCH, INVISIBLE_MS);
      } catch (err) {
        first();
        this.fail(err as Error);
        if (this.running) await this.pause(200);
        continue;
      }
      first();
      if (!this.running) return;
      for (const m of got) {
        try {
          this.onMessage(m.body, m.bornTimestamp ? m.bornTimestamp.getTime() : NaN);
        } catch (err) {
          this.fail(err as Error);
        }
      }
      await Promise.all(got.map((m) => this.acks.run(() => this.c.ack(m)).catch((err: Error) => this.fail(err))));
    }
  }

  /** Waits `ms` (a back-off after a failed receive), or less if the consumer is closed meanwhile. */
  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = (): void => {
        clearTimeout(t);
        this.wakes.delete(wake);
        resolve();
      };
      const t = setTimeout(wake, ms);
      this.wakes.add(wake);
    });
  }
}
