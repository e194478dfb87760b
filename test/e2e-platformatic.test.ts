// @platformatic/kafka against a real broker on loopback: a maintained
// client that speaks only Kafka's flexible versions (Metadata 9+, Fetch 12+,
// JoinGroup 6+, OffsetCommit 8+, CreateTopics 7, …) and refused to start
// against mqlab before they were served. Admin, an idempotent producer, a
// two-member group that commits, and after a broker restart a member that
// resumes exactly where the group left off; both engines.
import { Admin, Consumer, MessagesStreamFallbackModes, MessagesStreamModes, Producer, stringDeserializers, stringSerializers } from '@platformatic/kafka';
import { afterEach, describe, expect, it } from 'vitest';
import { committedToEnd, startTestBroker, type TestBroker } from './helpers/broker.js';
import { Progress } from './helpers/until.js';

const progress = new Progress();

type StringConsumer = Consumer<string, string, string, string>;

interface Seen {
  partition: number;
  offset: bigint;
  value: string;
}

/** Closes a consumer and its streams (`force`: close(true) is typed as the callback overload, so the callback is passed). */
const closeConsumer = (c: StringConsumer): Promise<void> => new Promise((resolve, reject) => c.close(true, (err) => (err ? reject(err) : resolve())));

const base = (b: TestBroker, clientId: string) => ({ clientId, bootstrapBrokers: [b.bootstrap], retries: 8, retryDelay: 100 });

/** A group member that records what it sees and commits each message once it has (the waits check again after each commit). */
async function member(b: TestBroker, groupId: string, topic: string, seen: Seen[], failures: unknown[]): Promise<StringConsumer> {
  const consumer: StringConsumer = new Consumer({ ...base(b, `member-${seen.length}`), groupId, deserializers: stringDeserializers, sessionTimeout: 10_000, rebalanceTimeout: 10_000, heartbeatInterval: 300, maxWaitTime: 100 });
  const stream = await consumer.consume({ topics: [topic], mode: MessagesStreamModes.COMMITTED, fallbackMode: MessagesStreamFallbackModes.EARLIEST, autocommit: false });
  stream.on('data', (m) => {
    seen.push({ partition: m.partition, offset: m.offset, value: m.value });
    (m.commit() as Promise<void>).then(
      () => progress.made(),
      (err: Error) => failures.push(err),
    );
  });
  return consumer;
}

async function produce(b: TestBroker, topic: string, from: number, to: number): Promise<void> {
  const producer = new Producer({ ...base(b, 'producer'), serializers: stringSerializers, idempotent: true });
  try {
    for (let i = from; i < to; i += 50) {
      await producer.send({ messages: Array.from({ length: Math.min(50, to - i) }, (_, j) => ({ topic, key: `k${(i + j) % 7}`, value: `v${i + j}` })) });
    }
  } finally {
    await producer.close();
  }
}

const CASES = [
  ['segmented', 'sendfile'],
  ['commitlog', 'copy'],
] as const;

describe('@platformatic/kafka (flexible versions only)', () => {
  let broker: TestBroker | undefined;
  const consumers: StringConsumer[] = [];
  afterEach(async () => {
    for (const c of consumers.splice(0)) await closeConsumer(c).catch(() => undefined);
    await broker?.destroy();
    broker = undefined;
  });

  it.each(CASES)('creates a topic, produces, consumes in a group, commits, and resumes after a restart (%s, %s)', async (engine, transfer) => {
    broker = await startTestBroker({ 'mqlab.storage.engine': engine, 'transfer.strategy': transfer });
    const admin = new Admin(base(broker, 'admin'));
    try {
      await admin.createTopics({ topics: ['orders'], partitions: 3, replicas: 1 });
      const meta = await admin.metadata({ topics: ['orders'] });
      const topic = meta.topics.get('orders')!;
      expect(topic.partitionsCount).toBe(3);
      expect(topic.id).toBe(broker.broker.topics.get('orders')!.id);
    } finally {
      await admin.close();
    }
    await produce(broker, 'orders', 0, 300);

    const seen: Seen[] = [];
    const failures: unknown[] = [];
    for (let i = 0; i < 2; i++) consumers.push(await member(broker, 'g', 'orders', seen, failures));
    await progress.until('300 messages, committed to the end', () => new Set(seen.map((s) => s.value)).size >= 300 && committedToEnd(broker!, 'g', 'orders', 3));
    for (const c of consumers.splice(0)) await closeConsumer(c);
    expect(new Set(seen.map((s) => s.value)).size).toBe(300);
    // Its consumer asks to open a fetch session with every fetch (SessionId 0, SessionEpoch 0) and never
    // fetches incrementally: each opened one, as Kafka's broker would open it, within the cache's bound.
    expect(broker.broker.fetchSessions.size).toBeGreaterThan(0);
    expect(broker.broker.fetchSessions.size).toBeLessThanOrEqual(1000);

    broker = await broker.restart();
    await produce(broker, 'orders', 300, 350);
    const after: Seen[] = [];
    consumers.push(await member(broker, 'g', 'orders', after, failures));
    // Once its commits reach the end it has delivered all it will of those
    // offsets: a resume from too early would have shown as old values first.
    await progress.until('the 50 new messages, committed', () => after.length >= 50 && committedToEnd(broker!, 'g', 'orders', 3));
    expect(after.map((s) => s.value).sort()).toEqual(Array.from({ length: 50 }, (_, i) => `v${300 + i}`).sort());
    expect(failures).toEqual([]);
    const all = [...seen, ...after];
    for (let p = 0; p < 3; p++) {
      const offsets = [...new Set(all.filter((s) => s.partition === p).map((s) => Number(s.offset)))].sort((x, y) => x - y);
      expect(offsets).toEqual(offsets.map((_, i) => i));
    }

    const admin2 = new Admin(base(broker, 'admin-after'));
    try {
      const groups = await admin2.listGroups();
      expect([...groups.keys()]).toContain('g');
      await admin2.deleteTopics({ topics: ['orders'] });
      expect(broker.broker.topics.get('orders')).toBeUndefined();
    } finally {
      await admin2.close();
    }
  });
});
