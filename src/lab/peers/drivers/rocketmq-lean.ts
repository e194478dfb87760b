// The peers' second RocketMQ driver: mqlab's lean gRPC client (its own
// HTTP/2 framing, client/load/h2-client.ts; protobuf walked by hand on the
// way in), for mqlab as
// RocketMQ only. The official client sends one message per SendMessage and
// acks one message per AckMessage, and spends about twice the broker's CPU
// per message doing it: on two shared cores it, not the broker, sets the
// pace. This driver does what RocketMQ's API allows and that client does
// not: SendMessageRequest carries many messages (batched per queue as
// Kafka's producer batches per partition: linger 1 ms or 32 messages,
// keyed messages to the queue their key's hash picks, as RocketMQ's
// SelectMessageQueueByHash), and one AckMessage acks a whole receive. As
// the mqlab Kafka client beside kafkajs, it shows the broker's side of the
// figure; the official client's row shows what an application sees.
//
// No Telemetry settings, no heartbeats: a real RocketMQ proxy wants both
// before it serves a consumer, so --target rocketmq keeps the official
// client; topics are created and deleted through the broker's Kafka listener.
import type { ConsumerCallback, DriverFactory, PeerConsumer, PeerDriver, PeerProducer } from '../driver.js';
import { messagingService } from '../../../protocol/rocketmq/proto.js';
import { forEachField, GrpcSession, statusCode } from '../../../client/load/grpc-wire.js';
import { ackRequest, ackRequestHead, readReceived, type Delivery } from '../../../client/load/received.js';
import { formatAddress } from '../targets.js';
import { AdminTopics } from './admin-topics.js';
import { OpenSet } from './open-set.js';

const CODE_OK = 20000;
const CODE_MESSAGE_NOT_FOUND = 40401;
/** Messages of one queue sent in one SendMessage at most. */
const BATCH_MESSAGES = 32;
/** How long a queue's first message waits for more before its batch is sent. */
const LINGER_MS = 1;
/** SendMessage calls in flight per producer (mqlab refuses more than 100 streams on a connection). */
const MAX_IN_FLIGHT = 16;
/** Receive loops per queue per consumer. */
const LOOPS_PER_QUEUE = 1;
const RECEIVE_BATCH = 32;
const LONG_POLL_MS = 500;
const INVISIBLE_S = 30;
const CALL_TIMEOUT_MS = 30_000;
const ERROR_PAUSE_MS = 200;

/* eslint-disable @typescript-eslint/no-explicit-any -- proto-loader's plain objects */
const encode = (method: string, request: Record<string, any>): Buffer => messagingService()[method]!.requestSerialize(request);

/** Java's String.hashCode: RocketMQ's SelectMessageQueueByHash takes the absolute value of it modulo the queue count. */
export function javaStringHash(s: string): number {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (Math.imul(h, 31) + s.charCodeAt(i)) | 0;
  return h;
}

let producers = 0;

export const rocketmqLeanDriver: DriverFactory = async (o) => {
  const admin = await AdminTopics.connect(o.endpoint);
  if (!admin) throw new Error('the lean RocketMQ driver runs against mqlab only (it creates topics through mqlab\'s Kafka listener, and sends no Telemetry settings a RocketMQ proxy would want): use the official client for an external cluster');
  return new LeanDriver(formatAddress(o.endpoint), admin);
};

class LeanDriver implements PeerDriver {
  readonly name = 'mqlab-lean-grpc';
  readonly notes = [
    `mqlab's lean gRPC client (its own HTTP/2 framing, no grpc-js); NORMAL messages; persistence is mqlab's flush policy`,
    `producer: up to ${BATCH_MESSAGES} messages of one queue per SendMessage (linger ${LINGER_MS} ms), ${MAX_IN_FLIGHT} calls in flight; keys pick the queue by their hash (RocketMQ's SelectMessageQueueByHash), unkeyed messages stay on one queue until its batch is sent`,
    `subscriptions are consumer groups; each consumer pops every queue (${LOOPS_PER_QUEUE} receive loop per queue, up to ${RECEIVE_BATCH} messages a receive, ${LONG_POLL_MS} ms long polling) and acks each receive with one AckMessage`,
    'topics created and deleted through the broker\'s Kafka listener; a new group reads from the topic\'s start',
  ];
  private readonly open = new OpenSet();

  constructor(
    private readonly endpoint: string,
    private readonly admin: AdminTopics,
  ) {}

  createTopic(topic: string, partitions: number): Promise<void> {
    return this.admin.create(topic, partitions);
  }

  async createProducer(topic: string): Promise<PeerProducer> {
    const queues = await this.admin.admin.partitions(topic);
    return this.open.track(new LeanProducer(await GrpcSession.connect(this.endpoint), topic, queues, ++producers));
  }

  async createConsumer(topic: string, subscription: string, onMessage: ConsumerCallback): Promise<PeerConsumer> {
    const queues = await this.admin.admin.partitions(topic);
    const c = new LeanConsumer(await GrpcSession.connect(this.endpoint), topic, subscription, onMessage);
    c.start(queues);
    return this.open.track(c);
  }

  deleteTopics(): Promise<void> {
    return this.admin.deleteCreated();
  }

  async close(): Promise<void> {
    await this.open.closeAll();
    this.admin.close();
  }
}

interface Pending {
  key: string | null;
  payload: Buffer;
  resolve: () => void;
  reject: (err: Error) => void;
}

class LeanProducer implements PeerProducer {
  private readonly open = new Map<number, Pending[]>();
  private readonly ready: { queue: number; messages: Pending[] }[] = [];
  private inFlight = 0;
  private sticky = 0;
  private linger: NodeJS.Timeout | null = null;
  private sequence = 0;
  private pending = 0;
  private idle: (() => void)[] = [];
  private closed = false;
  private readonly idPrefix: string;

  constructor(
    private readonly session: GrpcSession,
    private readonly topic: string,
    private readonly queues: number,
    producerNumber: number,
  ) {
    this.idPrefix = `01${(process.pid * 65536 + producerNumber).toString(16).padStart(16, '0').slice(-16)}`;
  }

  sendAsync(key: string | null, payload: Buffer): Promise<void> {
    if (this.closed) return Promise.reject(new Error('the producer is closed'));
    const queue = key === null ? this.sticky : Math.abs(javaStringHash(key) % this.queues);
    let batch = this.open.get(queue);
    if (!batch) this.open.set(queue, (batch = []));
    this.pending++;
    const done = new Promise<void>((resolve, reject) => batch!.push({ key, payload, resolve, reject }));
    if (batch.length >= BATCH_MESSAGES) this.seal(queue);
    else this.linger ??= setTimeout(() => this.sealAll(), LINGER_MS);
    return done;
  }

  async close(): Promise<void> {
    this.closed = true;
    this.sealAll();
    if (this.pending > 0) await new Promise<void>((resolve) => this.idle.push(resolve));
    this.session.close();
  }

  private sealAll(): void {
    if (this.linger) clearTimeout(this.linger);
    this.linger = null;
    for (const q of [...this.open.keys()]) this.seal(q);
  }

  private seal(queue: number): void {
    const messages = this.open.get(queue);
    if (!messages) return;
    this.open.delete(queue);
    if (queue === this.sticky) this.sticky = (this.sticky + 1) % this.queues;
    this.ready.push({ queue, messages });
    this.drain();
  }

  private drain(): void {
    while (this.inFlight < MAX_IN_FLIGHT && this.ready.length > 0) {
      const b = this.ready.shift()!;
      this.inFlight++;
      void this.send(b.queue, b.messages).finally(() => {
        this.inFlight--;
        this.pending -= b.messages.length;
        if (this.pending === 0) for (const resolve of this.idle.splice(0)) resolve();
        this.drain();
      });
    }
  }

  private async send(queue: number, batch: Pending[]): Promise<void> {
    const born = Date.now();
    const bornTimestamp = { seconds: String(Math.floor(born / 1000)), nanos: (born % 1000) * 1e6 };
    const request = encode('SendMessage', {
      messages: batch.map((m) => ({
        topic: { name: this.topic },
        systemProperties: {
          messageId: `${this.idPrefix}${(this.sequence++).toString(16).padStart(16, '0')}`,
          keys: m.key === null ? [] : [m.key],
          messageType: 'NORMAL',
          bodyEncoding: 'IDENTITY',
          bornTimestamp,
          bornHost: '127.0.0.1',
          queueId: queue,
        },
        body: m.payload,
      })),
    });
    try {
      const [answer] = await this.session.call('SendMessage', request, CALL_TIMEOUT_MS);
      const entries: number[] = [];
      if (answer) forEachField(answer, (f, w, v) => f === 2 && w === 2 && entries.push(statusCode(v as Buffer)));
      const code = answer ? statusCode(answer) : -1;
      batch.forEach((m, i) => {
        const c = entries[i] ?? code;
        if (c === CODE_OK) m.resolve();
        else m.reject(new Error(`SendMessage to ${this.topic} queue ${queue} answered status ${c}`));
      });
    } catch (err) {
      for (const m of batch) m.reject(err as Error);
    }
  }
}

class LeanConsumer implements PeerConsumer {
  private running = true;
  private loops: Promise<void>[] = [];
  private errors = 0;
  private firstError: string | null = null;

  constructor(
    private readonly session: GrpcSession,
    private readonly topic: string,
    private readonly group: string,
    private readonly onMessage: ConsumerCallback,
  ) {}

  /** A new group starts at the log's start on mqlab: subscribed as soon as the loops run. */
  start(queues: number): void {
    for (let q = 0; q < queues; q++) for (let i = 0; i < LOOPS_PER_QUEUE; i++) this.loops.push(this.loop(q));
  }

  /** Stops the loops once their long polls are answered; what was received and not acked comes back after its invisible time. */
  async close(): Promise<void> {
    this.running = false;
    await Promise.all(this.loops);
    this.session.close();
    if (this.firstError) throw new Error(`RocketMQ consumer of group ${this.group}: ${this.errors} error(s), the first: ${this.firstError}`);
  }

  private fail(message: string): void {
    this.errors++;
    this.firstError ??= message;
  }

  private async loop(queue: number): Promise<void> {
    const receive = encode('ReceiveMessage', {
      group: { name: this.group },
      messageQueue: { topic: { name: this.topic }, id: queue, permission: 'READ_WRITE' },
      filterExpression: { type: 'TAG', expression: '*' },
      batchSize: RECEIVE_BATCH,
      invisibleDuration: { seconds: String(INVISIBLE_S), nanos: 0 },
      autoRenew: false,
      longPollingTimeout: { seconds: '0', nanos: LONG_POLL_MS * 1e6 },
    });
    const ackHead = ackRequestHead(this.group, this.topic);
    while (this.running) {
      try {
        const answers = await this.session.call('ReceiveMessage', receive, LONG_POLL_MS + CALL_TIMEOUT_MS);
        const { deliveries, code } = this.deliver(answers);
        if (code !== CODE_OK && code !== CODE_MESSAGE_NOT_FOUND) throw new Error(`ReceiveMessage answered status ${code}`);
        if (deliveries.length === 0) continue;
        const [ack] = await this.session.call('AckMessage', ackRequest(ackHead, deliveries), CALL_TIMEOUT_MS);
        const acked = ack ? statusCode(ack) : -1;
        if (acked !== CODE_OK) throw new Error(`AckMessage answered status ${acked}`);
      } catch (err) {
        // A failed call does not end the loop: the broker may answer the next one, after a pause.
        if (!this.running) return;
        this.fail((err as Error).message);
        await new Promise((resolve) => setTimeout(resolve, ERROR_PAUSE_MS));
      }
    }
  }

  /** Hands each received message to the callback; returns what the ack needs. */
  private deliver(answers: Buffer[]): { deliveries: Delivery[]; code: number } {
    return readReceived(answers, (body, system) => {
      if (!body) return;
      let bornMs = NaN;
      if (system) forEachField(system, (sf, sw, sv) => sf === 7 && sw === 2 && (bornMs = timestampMs(sv as Buffer)));
      try {
        this.onMessage(body, bornMs);
      } catch (err) {
        this.fail((err as Error).message);
      }
    });
  }
}

/** A google.protobuf.Timestamp's milliseconds. */
function timestampMs(ts: Buffer): number {
  let seconds = 0;
  let nanos = 0;
  forEachField(ts, (f, w, v) => {
    if (w !== 0) return;
    if (f === 1) seconds = v as number;
    else if (f === 2) nanos = v as number;
  });
  return seconds * 1000 + Math.floor(nanos / 1e6);
}
