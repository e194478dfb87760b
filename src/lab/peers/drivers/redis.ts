// Redis Streams through the maintained `ioredis` client. A topic is one
// stream key; a subscription is one consumer group on it, created at '$'
// before the lab's consumer resolves, and each lab consumer is a consumer
// of that group reading with XREADGROUP on a connection of its own (the
// read blocks the connection). The persistence mode is the server's AOF
// setting, so the driver only checks that the server it speaks to has it.
import { Redis } from 'ioredis';
import type { ConsumerCallback, DriverFactory, PeerConsumer, PeerDriver, PeerProducer } from '../driver.js';
import type { PersistenceSpec } from '../systems.js';

export interface RedisMode extends PersistenceSpec {
  /** The server settings that make this mode (the server's config file, CONFIG GET on a target). */
  appendonly: 'yes' | 'no';
  appendfsync: 'always' | 'everysec' | null;
}

export const REDIS_MODES: RedisMode[] = [
  {
    id: 'on',
    label:
      'AOF with appendfsync always: each event-loop pass writes and fdatasyncs the AOF before it sends the replies of the commands it ran ' +
      '(one fdatasync covers every XADD of the pass, a group commit), so an acknowledged XADD is on disk',
    appendonly: 'yes',
    appendfsync: 'always',
  },
  {
    id: 'everysec',
    label:
      'AOF with appendfsync everysec: the AOF is written before replies but fdatasynced by a background thread about once a second, ' +
      'so a power loss can take the last second or two of acknowledged XADDs',
    appendonly: 'yes',
    appendfsync: 'everysec',
  },
  {
    id: 'off',
    label: 'no AOF and no RDB snapshots: streams live in memory only and a restart loses them',
    appendonly: 'no',
    appendfsync: null,
  },
];

/** Entries one XREADGROUP may return. */
const READ_COUNT = 500;
/** The one field each entry carries. */
const FIELD = 'p';
/** A group made only so that MKSTREAM creates the key, then destroyed. */
const CREATE_GROUP = 'mqlab-create';

export function redisMode(id: string): RedisMode {
  const mode = REDIS_MODES.find((m) => m.id === id);
  if (!mode) throw new Error(`redis: unknown persistence mode "${id}" (known: ${REDIS_MODES.map((m) => m.id).join(', ')})`);
  return mode;
}

/** [entry id, payload] pairs of an XREADGROUP reply over one stream (RESP2 shape), or [] when the block timed out. */
function entries(reply: unknown, key: string): [string, Buffer][] {
  if (reply === null) return [];
  const streams = reply as [Buffer, [Buffer, Buffer[] | null][]][];
  const out: [string, Buffer][] = [];
  for (const [k, items] of streams) {
    if (k.toString() !== key) throw new Error(`redis: XREADGROUP answered for stream "${k.toString()}", not "${key}"`);
    for (const [id, fields] of items) {
      // A null field list is an entry deleted while pending; a group read with '>' never gets one.
      const at = fields ? fields.findIndex((f, i) => i % 2 === 0 && f.toString() === FIELD) : -1;
      if (at < 0) throw new Error(`redis: entry ${id.toString()} of "${key}" has no "${FIELD}" field`);
      out.push([id.toString(), fields![at + 1]!]);
    }
  }
  return out;
}

export const redisDriver: DriverFactory = async (o) => {
  const mode = redisMode(o.mode);
  const open = async (name: string, autoPipeline: boolean): Promise<Redis> => {
    const r = new Redis({
      host: o.endpoint.host,
      port: o.endpoint.port,
      connectionName: `mqlab-${name}`,
      // ioredis 6 speaks RESP3 by default and maps XREADGROUP's reply to a flat [key, entries] list; RESP2's is the documented shape.
      protocol: 2,
      enableAutoPipelining: autoPipeline,
      lazyConnect: true,
      // A lost server is an error the run reports, not something to wait out and replay.
      retryStrategy: () => null,
      maxRetriesPerRequest: 0,
    });
    await r.connect();
    return r;
  };
  const admin = await open('admin', false);
  const notes: string[] = [];
  const config = await Promise.all([admin.call('CONFIG', 'GET', 'appendonly'), admin.call('CONFIG', 'GET', 'appendfsync')]).then(
    ([a, f]) => ({ appendonly: (a as string[])[1], appendfsync: (f as string[])[1] }),
    (err: Error) => {
      // A managed Redis may refuse CONFIG: run, but say the mode is the target's word, not checked.
      notes.push(`mode not verified: CONFIG GET failed (${err.message})`);
      return null;
    },
  );
  if (config && (config.appendonly !== mode.appendonly || (mode.appendfsync && config.appendfsync !== mode.appendfsync))) {
    admin.disconnect();
    throw new Error(
      `redis: mode ${mode.id} needs appendonly ${mode.appendonly}${mode.appendfsync ? ` and appendfsync ${mode.appendfsync}` : ''}, ` +
        `but the server has appendonly ${config.appendonly}, appendfsync ${config.appendfsync}`,
    );
  }

  const created = new Set<string>();
  const connections = new Set<Redis>();
  const closers = new Set<() => Promise<void>>();
  let consumerCount = 0;

  const driver: PeerDriver = {
    name: 'redis',
    notes: [
      `mode ${mode.id}: ${mode.label}`,
      'partitions: Redis Streams have none; each topic is one stream key (the topic name), whatever the partition count',
      `keys: not sent; an entry carries only the payload, in field "${FIELD}"`,
      'retention: no MAXLEN trimming, so the stream keeps every entry in memory until deleteTopics (trimming could drop entries a slow group has not read)',
      `subscriptions: one consumer group each, created at '$' (what is added from then on); each lab consumer is a consumer of the group, XREADGROUP COUNT ${READ_COUNT} BLOCK 0 on its own connection, XACK of a batch after its callbacks`,
      'sendAsync is XADD and resolves with the entry id; producers auto-pipeline (the XADDs of one tick go out in one write)',
      'publishTimestamp is the millisecond part of the entry id (the server\'s clock at XADD)',
      ...notes,
    ],

    async createTopic(topic) {
      if (created.has(topic)) return;
      if ((await admin.exists(topic)) > 0) {
        // Not ours: deleteTopics must leave it alone, and its entries would reach no new group anyway.
        throw new Error(`redis: key "${topic}" already exists (type ${await admin.type(topic)}) and was not created by this driver`);
      }
      // Made now, empty, so that the key is there (and ours) before any producer or group.
      await admin.call('XGROUP', 'CREATE', topic, CREATE_GROUP, '$', 'MKSTREAM');
      await admin.call('XGROUP', 'DESTROY', topic, CREATE_GROUP);
      created.add(topic);
    },

    async createProducer(topic) {
      const conn = await open(`producer-${topic}`, true);
      connections.add(conn);
      const producer: PeerProducer = {
        async sendAsync(_key, payload) {
          await conn.xaddBuffer(topic, '*', FIELD, payload);
        },
        async close() {
          connections.delete(conn);
          await conn.quit();
        },
      };
      return producer;
    },

    async createConsumer(topic, subscription, onMessage: ConsumerCallback) {
      try {
        await admin.call('XGROUP', 'CREATE', topic, subscription, '$', 'MKSTREAM');
      } catch (err) {
        // The group exists: this consumer joins it and shares its entries.
        if (!/BUSYGROUP/.test((err as Error).message)) throw err;
      }
      const name = `c${process.pid}-${++consumerCount}`;
      const conn = await open(`consumer-${topic}-${subscription}-${name}`, false);
      connections.add(conn);
      let closing = false;
      // A callback's own error, kept where it is thrown: whatever close() races with, it is this consumer's failure.
      let callbackError: Error | null = null;
      const loop = (async () => {
        // Settles without rejecting, so an XACK cut short by close() is no unhandled rejection.
        let acked: Promise<Error | null> = Promise.resolve(null);
        while (!closing) {
          // The previous batch's XACK goes out ahead of this read on the same connection: one round trip per batch.
          const reply = await conn.callBuffer('XREADGROUP', 'GROUP', subscription, name, 'COUNT', READ_COUNT, 'BLOCK', 0, 'STREAMS', topic, '>');
          const ackFailure = await acked;
          if (ackFailure) throw ackFailure;
          const batch = entries(reply, topic);
          try {
            for (const [id, payload] of batch) onMessage(payload, Number(id.slice(0, id.indexOf('-'))));
          } catch (err) {
            callbackError = err as Error;
            throw err;
          }
          if (batch.length) {
            acked = conn.xack(topic, subscription, ...batch.map(([id]) => id)).then(
              () => null,
              (err: Error) => err,
            );
          }
        }
      })();
      // Closing disconnects the blocked read, which rejects: only an error before that is the consumer's failure.
      const ended = loop.then(
        () => null,
        (err: Error) => callbackError ?? (closing ? null : err),
      );
      const close = async (): Promise<void> => {
        closers.delete(close);
        closing = true;
        connections.delete(conn);
        conn.disconnect();
        const failure = await ended;
        if (failure) throw new Error(`redis: consumer ${name} of ${topic}/${subscription} stopped early: ${failure.message}`);
      };
      closers.add(close);
      const consumer: PeerConsumer = { close };
      return consumer;
    },

    async deleteTopics() {
      if (created.size) await admin.del(...created);
      created.clear();
    },

    async close() {
      for (const close of [...closers]) await close().catch(() => undefined);
      for (const conn of [...connections]) conn.disconnect();
      connections.clear();
      await admin.quit();
    },
  };
  return driver;
};
