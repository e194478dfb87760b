// @platformatic/kafka's transactional producer against a real broker on
// loopback, both engines: a maintained client that negotiates the newest
// version it implements of each API (InitProducerId 5, AddPartitionsToTxn 5,
// AddOffsetsToTxn 4, TxnOffsetCommit 4, EndTxn 4, Produce 11, Fetch 17; the
// versions are read off the library's own diagnostics channel). Begin, send,
// commit; begin, send, abort; a read_committed consumer sees only committed
// records and nothing past an open transaction, a read_uncommitted one sees
// everything; a consume-transform-produce loop whose transactions carry the
// consumer's offsets (addConsumer, addOffset) moves the group's offsets only
// when they commit.
import {
  connectionsApiChannel,
  ConnectionStatuses,
  Consumer,
  FetchIsolationLevels,
  MessagesStreamModes,
  Producer,
  stringDeserializers,
  stringSerializers,
  type Connection,
  type Message,
} from '@platformatic/kafka';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { releaseFetched } from '../src/broker/broker.js';
import { startTestBroker, type TestBroker } from './helpers/broker.js';
import { Progress } from './helpers/until.js';

const progress = new Progress();

type StringConsumer = Consumer<string, string, string, string>;
type StringProducer = Producer<string, string, string, string>;
type StringMessage = Message<string, string, string, string>;

// Kafka's API keys.
const PRODUCE = 0;
const FETCH = 1;
const INIT_PRODUCER_ID = 22;
const ADD_PARTITIONS_TO_TXN = 24;
const ADD_OFFSETS_TO_TXN = 25;
const END_TXN = 26;
const TXN_OFFSET_COMMIT = 28;

/** Every request the library sends in this process, as api key -> versions; and the fetches answered, per connection. */
const sent = new Map<number, Set<number>>();
const fetchesAnswered = new Map<Connection, number>();
const onStart = (m: unknown): void => {
  const { apiKey, apiVersion } = m as { apiKey: number; apiVersion: number };
  if (!sent.has(apiKey)) sent.set(apiKey, new Set());
  sent.get(apiKey)!.add(apiVersion);
};
const onEnd = (m: unknown): void => {
  const { apiKey, connection } = m as { apiKey: number; connection: Connection };
  if (apiKey === FETCH) fetchesAnswered.set(connection, (fetchesAnswered.get(connection) ?? 0) + 1);
  progress.made();
};

const closeConsumer = (c: StringConsumer): Promise<void> => new Promise((resolve, reject) => c.close(true, (err) => (err ? reject(err) : resolve())));

const base = (b: TestBroker, clientId: string) => ({ clientId, bootstrapBrokers: [b.bootstrap], retries: 8, retryDelay: 100 });

interface Seen {
  partition: number;
  offset: bigint;
  value: string;
}

describe.each(['segmented', 'commitlog'])('@platformatic/kafka transactions (%s)', (engine) => {
  let broker: TestBroker;
  const consumers: StringConsumer[] = [];
  const producers: StringProducer[] = [];

  beforeAll(async () => {
    connectionsApiChannel.start.subscribe(onStart);
    connectionsApiChannel.asyncEnd.subscribe(onEnd);
    broker = await startTestBroker({ 'mqlab.storage.engine': engine });
  });
  afterEach(async () => {
    for (const c of consumers.splice(0)) await closeConsumer(c).catch(() => undefined);
    for (const p of producers.splice(0)) await p.close().catch(() => undefined);
  });
  afterAll(async () => {
    connectionsApiChannel.start.unsubscribe(onStart);
    connectionsApiChannel.asyncEnd.unsubscribe(onEnd);
    await broker.destroy();
  });

  const producer = (clientId: string, transactionalId?: string): StringProducer => {
    // `timeout` is also the transaction timeout the library asks for in InitProducerId.
    const p: StringProducer = new Producer({ ...base(broker, clientId), serializers: stringSerializers, idempotent: true, timeout: 60_000, ...(transactionalId ? { transactionalId } : {}) });
    producers.push(p);
    return p;
  };

  /** A consumer that records what it sees; progress is made on every message. */
  async function reader(groupId: string, topic: string, isolationLevel: number, seen: Seen[]): Promise<StringConsumer> {
    const consumer: StringConsumer = new Consumer({ ...base(broker, groupId), groupId, isolationLevel, deserializers: stringDeserializers, maxWaitTime: 50, heartbeatInterval: 500, sessionTimeout: 20_000, rebalanceTimeout: 20_000 });
    consumers.push(consumer);
    const stream = await consumer.consume({ topics: [topic], mode: MessagesStreamModes.EARLIEST, autocommit: false });
    stream.on('data', (m: StringMessage) => {
      seen.push({ partition: m.partition, offset: m.offset, value: m.value });
      progress.made();
    });
    return consumer;
  }

  const values = (seen: Seen[]) => seen.map((s) => s.value).sort();
  /**
   * Two more fetches answered on every open connection that fetches (each
   * consumer's): whatever a consumer was going to see of the log as it is
   * now, it has seen.
   */
  const twoMoreFetches = async (): Promise<void> => {
    const from = [...fetchesAnswered].filter(([c]) => c.status === ConnectionStatuses.CONNECTED);
    expect(from.length).toBeGreaterThan(0);
    await progress.until('two more fetches on every consumer connection', () => from.every(([c, n]) => fetchesAnswered.get(c)! >= n + 2));
  };

  it('begin, send, commit; begin, send, abort: read_committed sees the committed records only, and nothing past an open transaction', async () => {
    broker.broker.topics.create('orders', 2);
    const p = producer('txn-producer', `orders-${engine}`);
    const msgs = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => ({ topic: 'orders', key: `k${i}`, value: `${prefix}${i}`, partition: i % 2 }));

    const t1 = await p.beginTransaction();
    await t1.send({ messages: msgs('c', 6) });
    const id = `orders-${engine}`;
    expect(broker.broker.transactions.coordinator.describe(id)).toMatchObject({ state: 'Ongoing', producerId: p.producerId, producerEpoch: p.producerEpoch, timeoutMs: 60_000 });
    await t1.commit();
    expect(t1.completed).toBe(true);
    expect(broker.broker.transactions.coordinator.describe(id)!.state).toBe('CompleteCommit');

    // One aborted transaction per producer id in a fetch: @platformatic/kafka 1.35's read_committed filter
    // (Consumer #filterUncommittedMessages) keeps one aborted range per producer id, so with two of the same
    // producer in one answer it delivers the first one's records (the broker lists both).
    const t2 = await p.beginTransaction();
    await t2.send({ messages: msgs('a', 4) });
    await t2.abort();
    expect(broker.broker.transactions.coordinator.describe(id)!.state).toBe('CompleteAbort');

    // A third, left open, and a plain producer's records behind it: stable only once it ends.
    const t3 = await p.beginTransaction();
    await t3.send({ messages: msgs('o', 2) });
    const plain = producer('plain-producer');
    await plain.send({ messages: [{ topic: 'orders', value: 'p0', partition: 0 }, { topic: 'orders', value: 'p1', partition: 1 }] });
    // Per partition: c at 0-2, the commit marker at 3, a at 4-5, the abort marker at 6, o at 7 (open), p at 8.
    for (const partition of [0, 1]) {
      const [r] = await broker.broker.fetch([{ topic: 'orders', partition, fetchOffset: 0n, maxBytes: 1 << 20 }], 0, 0, 1 << 20, 'committed');
      expect([r!.highWatermark, r!.lastStableOffset]).toEqual([9n, 7n]);
      releaseFetched([r!]);
    }

    const committed: Seen[] = [];
    const everything: Seen[] = [];
    await reader(`rc-${engine}`, 'orders', FetchIsolationLevels.READ_COMMITTED, committed);
    await reader(`ru-${engine}`, 'orders', FetchIsolationLevels.READ_UNCOMMITTED, everything);
    const cs = msgs('c', 6).map((m) => m.value);
    await progress.until('the committed records, read_committed', () => committed.length >= 6);
    await progress.until('every record, read_uncommitted', () => everything.length >= 14);
    await twoMoreFetches();
    expect(values(committed)).toEqual(cs.sort());
    expect(values(everything)).toEqual([...cs, 'a0', 'a1', 'a2', 'a3', 'o0', 'o1', 'p0', 'p1'].sort());

    await t3.commit();
    await progress.until('the third transaction and the plain records, read_committed', () => committed.length >= 10);
    await twoMoreFetches();
    expect(values(committed)).toEqual([...cs, 'o0', 'o1', 'p0', 'p1'].sort());
    for (const partition of [0, 1]) {
      expect(committed.filter((s) => s.partition === partition).map((s) => s.offset)).toEqual([0n, 1n, 2n, 7n, 8n]);
    }
    expect(everything).toHaveLength(14);
  });

  it('consume-transform-produce: each transaction carries the consumer group offset (addConsumer, addOffset); an aborted one moves nothing', async () => {
    broker.broker.topics.create('in', 2);
    broker.broker.topics.create('out', 1);
    const source = producer('source');
    await source.send({ messages: Array.from({ length: 6 }, (_, i) => ({ topic: 'in', value: `m${i}`, partition: i % 2 })) });

    const group = `relay-${engine}`;
    const consumer: StringConsumer = new Consumer({ ...base(broker, group), groupId: group, isolationLevel: FetchIsolationLevels.READ_COMMITTED, deserializers: stringDeserializers, maxWaitTime: 50, heartbeatInterval: 500, sessionTimeout: 20_000, rebalanceTimeout: 20_000 });
    consumers.push(consumer);
    const stream = await consumer.consume({ topics: ['in'], mode: MessagesStreamModes.EARLIEST, autocommit: false });
    const relay = producer('relay', `relay-${engine}`);
    const id = `relay-${engine}`;
    const committedOffsets = () => [0, 1].map((p) => broker.broker.coordinator.committed(group, 'in', p).offset);

    let handled = 0;
    for await (const m of stream as AsyncIterable<StringMessage>) {
      const t = await relay.beginTransaction();
      await t.addConsumer(consumer);
      await t.send({ messages: [{ topic: 'out', value: m.value.toUpperCase() }] });
      await t.addOffset(m);
      const txn = broker.broker.transactions.coordinator.describe(id)!;
      expect(txn.groups).toEqual(new Set([group]));
      expect(txn.offsets).toEqual([expect.objectContaining({ group, topic: 'in', partition: m.partition, offset: m.offset + 1n })]);
      const before = committedOffsets();
      if (m.value === 'm2') {
        await t.abort();
        expect(committedOffsets()).toEqual(before);
      } else {
        await t.commit();
        expect(broker.broker.coordinator.committed(group, 'in', m.partition).offset).toBe(m.offset + 1n);
      }
      if (++handled === 6) break;
    }
    expect(committedOffsets()).toEqual([3n, 3n]);

    const out: Seen[] = [];
    await reader(`out-reader-${engine}`, 'out', FetchIsolationLevels.READ_COMMITTED, out);
    await progress.until('the five committed records of out', () => out.length >= 5);
    await twoMoreFetches();
    expect(values(out)).toEqual(['M0', 'M1', 'M3', 'M4', 'M5']);
  });

  it('negotiated the flexible versions of every transaction API', () => {
    // The newest each side has: the library's newest below mqlab's advertised ranges.
    expect(sent.get(INIT_PRODUCER_ID)).toEqual(new Set([5]));
    expect(sent.get(ADD_PARTITIONS_TO_TXN)).toEqual(new Set([5]));
    expect(sent.get(ADD_OFFSETS_TO_TXN)).toEqual(new Set([4]));
    expect(sent.get(TXN_OFFSET_COMMIT)).toEqual(new Set([4]));
    expect(sent.get(END_TXN)).toEqual(new Set([4]));
    expect(sent.get(PRODUCE)).toEqual(new Set([11]));
    expect(sent.get(FETCH)).toEqual(new Set([17]));
  });
});
