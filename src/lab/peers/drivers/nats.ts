// NATS JetStream through the maintained `nats` client (nats.js 2.x). A
// topic is one stream capturing one subject of the same name; a
// subscription is one durable pull consumer, and every lab consumer of that
// subscription pulls from the same durable, so they share its messages. The
// persistence mode is the stream's storage type.
import {
  AckPolicy,
  DeliverPolicy,
  DiscardPolicy,
  NatsError,
  RetentionPolicy,
  StorageType,
  connect,
  type ConsumerMessages,
  type JetStreamManager,
  type NatsConnection,
} from 'nats';
import type { ConsumerCallback, DriverFactory, PeerConsumer, PeerDriver, PeerProducer } from '../driver.js';
import type { PersistenceSpec } from '../systems.js';

export const NATS_MODES: PersistenceSpec[] = [
  {
    id: 'on',
    label:
      'file storage: each message is written to the stream\'s block file before the PubAck, but NATS 2.9 does not fsync it then; ' +
      'its file store fsyncs in the background every 2 minutes (hard-coded for streams; sync_interval is 2.10+)',
  },
  { id: 'off', label: 'memory storage: the stream lives in the server\'s memory only' },
];

/** Messages a consume() keeps requested from the server; it asks for more once 75% of them arrived. */
const PULL_BATCH = 1000;
/**
 * Delivered-but-unacked messages the server allows per durable (2.9's
 * default is 1000), across all of its pullers: above two full pulls per
 * lab consumer, so acks lagging a batch never stall delivery.
 */
const MAX_ACK_PENDING = 20_000;
/** PubAcks and API replies may wait behind many in-flight sends. */
const JS_TIMEOUT_MS = 30_000;

// JetStream's names may not hold '.', '*', '>', path separators or spaces; a topic doubles as a subject, so keep both simple.
const NAME = /^[A-Za-z0-9_-]+$/;
const STREAM_NOT_FOUND = 10059;
const CONSUMER_NOT_FOUND = 10014;

function apiErrCode(err: unknown): number | undefined {
  return err instanceof NatsError ? err.api_error?.err_code : undefined;
}

function checkName(kind: string, name: string): void {
  if (!NAME.test(name)) throw new Error(`nats: ${kind} "${name}" must match ${NAME} to be a JetStream name and a subject`);
}

export const natsDriver: DriverFactory = async (o) => {
  const storage = o.mode === 'on' ? StorageType.File : o.mode === 'off' ? StorageType.Memory : null;
  if (!storage) throw new Error(`nats: unknown persistence mode "${o.mode}" (known: ${NATS_MODES.map((m) => m.id).join(', ')})`);
  const servers = [o.endpoint, ...(o.endpoint.more ?? [])].map((e) => `${e.host}:${e.port}`);
  // Each producer and consumer gets a connection of its own, as a Kafka
  // client would; this one is for stream and consumer administration.
  const open = (name: string): Promise<NatsConnection> => connect({ servers, name: `mqlab-${name}`, maxReconnectAttempts: 0 });
  const admin = await open('admin');
  const maxPayload = admin.info?.max_payload ?? Infinity;
  if (o.messageSize > maxPayload) {
    await admin.close();
    throw new Error(`nats: ${o.messageSize}-byte messages exceed the server's max_payload of ${maxPayload} bytes`);
  }
  let jsm: JetStreamManager;
  try {
    jsm = await admin.jetstreamManager({ timeout: JS_TIMEOUT_MS });
  } catch (err) {
    await admin.close();
    throw new Error(`nats: JetStream is not available at ${servers.join(', ')}: ${(err as Error).message}`);
  }

  const created = new Set<string>();
  const durables = new Map<string, Promise<void>>();
  const connections = new Set<NatsConnection>();
  const closeConnection = async (nc: NatsConnection): Promise<void> => {
    connections.delete(nc);
    if (!nc.isClosed()) await nc.drain();
  };

  const ensureDurable = (topic: string, subscription: string): Promise<void> => {
    const id = `${topic}\0${subscription}`;
    let p = durables.get(id);
    if (!p) {
      p = (async () => {
        try {
          await jsm.consumers.info(topic, subscription);
        } catch (err) {
          if (apiErrCode(err) !== CONSUMER_NOT_FOUND) throw err;
          await jsm.consumers.add(topic, {
            durable_name: subscription,
            ack_policy: AckPolicy.Explicit,
            // What is published from now on, like a Redis group at '$': created before any send, it sees them all.
            deliver_policy: DeliverPolicy.New,
            max_ack_pending: MAX_ACK_PENDING,
          });
        }
      })();
      durables.set(id, p);
      p.catch(() => durables.delete(id));
    }
    return p;
  };

  const driver: PeerDriver = {
    name: 'nats',
    notes: [
      `mode ${o.mode}: ${NATS_MODES.find((m) => m.id === o.mode)!.label}`,
      'partitions: a JetStream stream has none; each topic is one stream on one subject (the topic name), whatever the partition count',
      'keys: not sent (JetStream has no message key); a stream is totally ordered',
      'retention: limits with no limits set, so the stream keeps every message until deleteTopics (as a Kafka log does); memory storage grows with the run',
      `subscriptions: one durable pull consumer each (explicit acks, deliver new, max_ack_pending ${MAX_ACK_PENDING}); every lab consumer of a subscription pulls from that durable with consume(max_messages ${PULL_BATCH})`,
      'sendAsync resolves on the PubAck (the stream stored the message); publishTimestamp is the stream\'s timestamp of the message',
    ],

    async createTopic(topic) {
      checkName('topic', topic);
      if (created.has(topic)) return;
      const existing = await jsm.streams.info(topic).catch((err: unknown) => {
        if (apiErrCode(err) === STREAM_NOT_FOUND) return null;
        throw err;
      });
      if (existing) {
        // Not ours: its storage may not be this mode's and deleteTopics must leave it alone.
        throw new Error(`nats: stream "${topic}" already exists (${existing.config.storage} storage, ${existing.state.messages} messages) and was not created by this driver`);
      }
      await jsm.streams.add({
        name: topic,
        subjects: [topic],
        storage,
        num_replicas: 1,
        retention: RetentionPolicy.Limits,
        discard: DiscardPolicy.Old,
      });
      created.add(topic);
    },

    async createProducer(topic) {
      checkName('topic', topic);
      const nc = await open(`producer-${topic}`);
      connections.add(nc);
      const js = nc.jetstream({ timeout: JS_TIMEOUT_MS });
      const producer: PeerProducer = {
        async sendAsync(_key, payload) {
          await js.publish(topic, payload);
        },
        close: () => closeConnection(nc),
      };
      return producer;
    },

    async createConsumer(topic, subscription, onMessage: ConsumerCallback) {
      checkName('topic', topic);
      checkName('subscription', subscription);
      await ensureDurable(topic, subscription);
      const nc = await open(`consumer-${topic}-${subscription}`);
      connections.add(nc);
      // A callback's own error, kept where it is thrown: whatever close() races with, it is this consumer's failure.
      let callbackError: Error | null = null;
      let messages: ConsumerMessages;
      try {
        const consumer = await nc.jetstream({ timeout: JS_TIMEOUT_MS }).consumers.get(topic, subscription);
        messages = await consumer.consume({
          max_messages: PULL_BATCH,
          callback: (m) => {
            // A view of the frame nats.js parsed; nothing rewrites it.
            try {
              onMessage(Buffer.from(m.data.buffer, m.data.byteOffset, m.data.byteLength), m.info.timestampNanos / 1e6);
            } catch (err) {
              callbackError ??= err as Error;
              throw err;
            }
            m.ack();
          },
        });
      } catch (err) {
        await closeConnection(nc);
        throw err;
      }
      // consume() stops on an error (a callback that throws, a vanished
      // consumer) and only says so through closed(): keep it for close().
      let failure: Error | null = null;
      let closing = false;
      void messages.closed().then((e) => {
        if (e && !closing) failure = e;
      });
      const consumer: PeerConsumer = {
        async close() {
          closing = true;
          await messages.close();
          await closeConnection(nc);
          const why = callbackError ?? failure;
          if (why) throw new Error(`nats: consumer of ${topic}/${subscription} stopped early: ${why.message}`);
        },
      };
      return consumer;
    },

    async deleteTopics() {
      for (const topic of created) {
        try {
          await jsm.streams.delete(topic);
        } catch (err) {
          if (apiErrCode(err) !== STREAM_NOT_FOUND) throw err;
        }
        created.delete(topic);
        for (const id of durables.keys()) if (id.startsWith(`${topic}\0`)) durables.delete(id);
      }
    },

    async close() {
      for (const nc of [...connections]) await closeConnection(nc);
      await closeConnection(admin);
    },
  };
  return driver;
};
