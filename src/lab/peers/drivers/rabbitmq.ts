// RabbitMQ through amqplib (AMQP 0-9-1), in the shape of OpenMessaging
// Benchmark's RabbitMQ driver: a topic is a fanout exchange, a subscription
// is one queue bound to it, the consumers of a subscription compete on that
// queue (manual acks, a prefetch), and every send waits for its publisher
// confirm. One connection per producer and per consumer (the broker runs
// each connection's reader, writer and channel as their own processes), and
// one more for declaring and deleting.
import amqp, { type Channel, type ChannelModel, type ConfirmChannel, type ConsumeMessage, type Options } from 'amqplib';
import type { ConsumerCallback, DriverFactory, DriverOptions, PeerConsumer, PeerDriver, PeerProducer } from '../driver.js';
import type { PersistenceSpec } from '../systems.js';
import { prefetchFor } from './prefetch.js';

export const RABBITMQ_MODES: PersistenceSpec[] = [
  { id: 'on', label: 'durable exchanges and classic queues, persistent messages (delivery mode 2), publisher confirms' },
  { id: 'off', label: 'transient exchanges and queues, transient messages (delivery mode 1), publisher confirms' },
];

const queueName = (topic: string, subscription: string): string => `${topic}/${subscription}`;

/** AMQP 0-9-1 short strings (exchange and queue names) hold 255 bytes. */
function checkName(what: string, name: string): string {
  if (Buffer.byteLength(name) > 255) throw new Error(`rabbitmq: ${what} name "${name.slice(0, 40)}…" is longer than AMQP's 255 bytes`);
  if (name.startsWith('amq.')) throw new Error(`rabbitmq: ${what} name "${name}" starts with "amq.", which RabbitMQ reserves`);
  return name;
}

async function connect(o: DriverOptions, role: string): Promise<ChannelModel> {
  const conn = await amqp.connect(
    { protocol: 'amqp', hostname: o.endpoint.host, port: o.endpoint.port, username: 'guest', password: 'guest', heartbeat: 0 },
    { clientProperties: { connection_name: `mqlab ${role}` }, noDelay: true },
  );
  // An 'error' with no listener would throw from the emitter; the failed call's promise says what went wrong.
  conn.on('error', () => undefined);
  return conn;
}

class RabbitProducer implements PeerProducer {
  private drained: Promise<void> | null = null;

  constructor(
    private readonly conn: ChannelModel,
    private readonly channel: ConfirmChannel,
    private readonly exchange: string,
    private readonly publish: Options.Publish,
  ) {}

  async sendAsync(key: string | null, payload: Buffer): Promise<void> {
    // publish() returning false means the socket's buffer is full: later sends wait for 'drain'.
    while (this.drained) await this.drained;
    return new Promise<void>((resolve, reject) => {
      const ok = this.channel.publish(this.exchange, key ?? '', payload, this.publish, (err) => (err ? reject(new Error(`rabbitmq: publish not confirmed: ${String(err)}`)) : resolve()));
      if (!ok && !this.drained) {
        // A channel that closes instead of draining lets the waiting sends through to fail on it.
        this.drained = new Promise<void>((release) => {
          const done = (): void => {
            this.channel.off('drain', done);
            this.channel.off('close', done);
            this.drained = null;
            release();
          };
          this.channel.on('drain', done);
          this.channel.on('close', done);
        });
      }
    });
  }

  async close(): Promise<void> {
    // A send still unconfirmed when the channel closes fails (amqplib calls its callback with an error).
    await this.channel.close().catch(() => undefined);
    await this.conn.close().catch(() => undefined);
  }
}

class RabbitConsumer implements PeerConsumer {
  constructor(
    private readonly conn: ChannelModel,
    private readonly channel: Channel,
    private readonly tag: string,
  ) {}

  async close(): Promise<void> {
    // Cancel first: deliveries already on the way are still handed over and acked before the channel closes.
    await this.channel.cancel(this.tag).catch(() => undefined);
    await this.channel.close().catch(() => undefined);
    await this.conn.close().catch(() => undefined);
  }
}

class RabbitDriver implements PeerDriver {
  readonly name = 'rabbitmq';
  readonly notes: string[];
  private admin: Channel | null = null;
  private readonly topics = new Set<string>();
  private readonly queues = new Set<string>();
  private readonly open = new Set<ChannelModel>();
  private readonly durable: boolean;

  constructor(
    private readonly o: DriverOptions,
    private readonly adminConn: ChannelModel,
  ) {
    this.durable = o.mode === 'on';
    this.notes = [
      'topic: a fanout exchange; subscription: one queue bound to it, shared by its consumers (competing consumers, manual ack of each message, prefetch ' +
        `${prefetchFor(o.messageSize)})`,
      'partitions: RabbitMQ has none; each subscription is one queue whatever the partition count (the consistent-hash exchange that could spread a topic over queues is a plugin, not enabled)',
      'keys: sent as the routing key, which a fanout exchange ignores; order is the queue\'s, not per key, once a subscription has several consumers',
      this.durable
        ? 'mode on: durable exchange and classic queues, persistent messages; a send resolves on its publisher confirm, which RabbitMQ sends once the message is on disk in every queue it reached (or already consumed and acknowledged there, which spares the write)'
        : 'mode off: transient exchange and queues, transient messages (kept in memory, paged out only under memory pressure, lost on restart); a send still resolves on its publisher confirm, so it means the broker took the message',
      'publish time: RabbitMQ records none (AMQP 0-9-1\'s timestamp property is the publisher\'s, in whole seconds); the driver sets none and reports NaN, latency comes from the payload\'s stamp',
      'connections: one per producer and per consumer, one more for declarations',
    ];
  }

  /** The declaring channel; a channel error (a redeclaration that does not match) closes it, so a new one replaces it. */
  private async adminChannel(): Promise<Channel> {
    if (!this.admin) {
      const ch = await this.adminConn.createChannel();
      ch.on('error', () => undefined);
      ch.on('close', () => {
        if (this.admin === ch) this.admin = null;
      });
      this.admin = ch;
    }
    return this.admin;
  }

  async createTopic(topic: string, _partitions: number): Promise<void> {
    const ch = await this.adminChannel();
    await ch.assertExchange(checkName('exchange', topic), 'fanout', { durable: this.durable, autoDelete: false });
    this.topics.add(topic);
  }

  async createProducer(topic: string): Promise<PeerProducer> {
    const conn = await connect(this.o, `producer ${topic}`);
    this.open.add(conn);
    conn.once('close', () => this.open.delete(conn));
    const ch = await conn.createConfirmChannel();
    ch.on('error', () => undefined);
    return new RabbitProducer(conn, ch, topic, { persistent: this.durable, contentType: 'application/octet-stream' });
  }

  async createConsumer(topic: string, subscription: string, onMessage: ConsumerCallback): Promise<PeerConsumer> {
    const queue = checkName('queue', queueName(topic, subscription));
    // Declared and bound before consuming, so the subscription receives everything sent once this resolves.
    const admin = await this.adminChannel();
    await admin.assertQueue(queue, { durable: this.durable, exclusive: false, autoDelete: false });
    await admin.bindQueue(queue, topic, '');
    this.queues.add(queue);
    const conn = await connect(this.o, `consumer ${subscription}`);
    this.open.add(conn);
    conn.once('close', () => this.open.delete(conn));
    const ch = await conn.createChannel();
    ch.on('error', () => undefined);
    await ch.prefetch(prefetchFor(this.o.messageSize));
    const { consumerTag } = await ch.consume(
      queue,
      (m: ConsumeMessage | null) => {
        // null: the broker cancelled the consumer (its queue was deleted).
        if (!m) return;
        onMessage(m.content, NaN);
        ch.ack(m);
      },
      { noAck: false },
    );
    return new RabbitConsumer(conn, ch, consumerTag);
  }

  async deleteTopics(): Promise<void> {
    const ch = await this.adminChannel();
    for (const q of this.queues) await ch.deleteQueue(q);
    for (const t of this.topics) await ch.deleteExchange(t);
    this.queues.clear();
    this.topics.clear();
  }

  async close(): Promise<void> {
    for (const conn of [...this.open]) await conn.close().catch(() => undefined);
    await this.adminConn.close().catch(() => undefined);
  }
}

export const rabbitmqDriver: DriverFactory = async (o) => {
  if (!RABBITMQ_MODES.some((m) => m.id === o.mode)) throw new Error(`rabbitmq: unknown persistence mode "${o.mode}" (${RABBITMQ_MODES.map((m) => m.id).join(', ')})`);
  return new RabbitDriver(o, await connect(o, 'admin'));
};
