// Fetch sessions (KIP-227) against a real broker, with mqlab's own client:
// a session opened by a full fetch, incremental fetches that name only what
// changed and are answered only what is new, the epoch and id checks,
// closing, the bounds of the cache and Kafka's eviction, a long poll on an
// incremental fetch, at v7 and v12 (topics by name) and v13+ (by id).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KafkaConnection } from '../src/client/connection.js';
import type { ApiKey } from '../src/protocol/kafka/index.js';
import { sharedFileStats } from '../src/transfer/index.js';
import { numberedBatch } from './helpers/batches.js';
import { startTestBroker, type TestBroker } from './helpers/broker.js';
import { fetchWaiting } from './helpers/broker-events.js';
import { until } from './helpers/until.js';

const FETCH_SESSION_ID_NOT_FOUND = 70;
const INVALID_FETCH_SESSION_EPOCH = 71;
const FETCH_SESSION_TOPIC_ID_ERROR = 106;
const UNKNOWN_TOPIC_OR_PARTITION = 3;
const UNKNOWN_TOPIC_ID = 100;

interface Ask {
  sessionId?: number;
  sessionEpoch: number;
  /** [topic, partition, fetch offset, max bytes?] */
  parts?: [string, number, bigint, number?][];
  forget?: [string, number[]][];
  maxWaitMs?: number;
  minBytes?: number;
}

/** A partition of an answer: [topic, partition, error, high watermark, offset of its first batch or null]. */
type Seen = [string, number, number, bigint, bigint | null];

/** A client of one Fetch version, naming topics as that version does. */
function client(broker: TestBroker, v: number, conn: () => KafkaConnection) {
  const byId = v >= 13;
  const ref = (name: string): object => (byId ? { topicId: broker.broker.topics.get(name)?.id ?? ids.get(name) } : { topic: name });
  // Ids of topics since deleted, to keep naming them.
  const ids = new Map<string, string>();
  const nameOf = (t: { topic?: string; topicId?: string }): string => (byId ? ([...ids].find(([, id]) => id === t.topicId)?.[0] ?? broker.broker.topics.byId(t.topicId!)?.name ?? '?') : t.topic!);
  const remember = (name: string): void => void ids.set(name, broker.broker.topics.get(name)!.id);
  async function fetch(a: Ask): Promise<{ errorCode: number; sessionId: number; seen: Seen[] }> {
    // Grouped by topic in order of first mention.
    const topics = new Map<string, object[]>();
    for (const [t, partition, fetchOffset, maxBytes] of a.parts ?? []) {
      if (!topics.has(t)) topics.set(t, []);
      topics.get(t)!.push({ partition, fetchOffset, partitionMaxBytes: maxBytes ?? 1 << 20 });
    }
    const body = {
      replicaId: -1,
      maxWaitMs: a.maxWaitMs ?? 0,
      minBytes: a.minBytes ?? 0,
      maxBytes: 1 << 20,
      isolationLevel: 0,
      sessionId: a.sessionId ?? 0,
      sessionEpoch: a.sessionEpoch,
      topics: [...topics].map(([t, partitions]) => ({ ...ref(t), partitions })),
      forgottenTopicsData: (a.forget ?? []).map(([t, partitions]) => ({ ...ref(t), partitions })),
    };
    const r: any = await conn().request(1 as ApiKey, v, body as never);
    const seen: Seen[] = r.responses.flatMap((t: { topic?: string; topicId?: string; partitions: any[] }) =>
      t.partitions.map((p): Seen => [nameOf(t), p.partitionIndex, p.errorCode, p.highWatermark, p.records?.length ? p.records.readBigInt64BE(0) : null]),
    );
    return { errorCode: r.errorCode, sessionId: r.sessionId, seen };
  }
  return { fetch, remember };
}

describe.each([7, 12, 13, 17])('fetch sessions at v%i', (v) => {
  let broker: TestBroker;
  let conn: KafkaConnection;
  let c: ReturnType<typeof client>;
  const produce = (topic: string, partition: number, n: number) => broker.broker.produce(topic, partition, numberedBatch(`${topic}${partition}`, n));

  beforeAll(async () => {
    broker = await startTestBroker({ 'auto.create.topics.enable': 'false' });
    broker.broker.topics.create('a', 3);
    broker.broker.topics.create('b', 1);
    await produce('a', 0, 2);
    await produce('a', 2, 1);
    conn = await KafkaConnection.open('127.0.0.1', broker.port);
    c = client(broker, v, () => conn);
  });
  afterAll(async () => {
    conn.close();
    await broker.destroy();
  });

  it('opens a session, then answers incremental fetches with what changed: added, changed and forgotten partitions', async () => {
    const opened = await c.fetch({ sessionEpoch: 0, parts: [['a', 0, 0n], ['a', 1, 0n], ['a', 2, 0n]] });
    expect(opened.errorCode).toBe(0);
    expect(opened.sessionId).toBeGreaterThan(0);
    // A full answer: every partition asked for.
    expect(opened.seen).toEqual([['a', 0, 0, 2n, 0n], ['a', 1, 0, 0n, null], ['a', 2, 0, 1n, 0n]]);
    const id = opened.sessionId;
    // The client moves its offsets on (changed partitions); nothing is new: an empty answer.
    expect(await c.fetch({ sessionId: id, sessionEpoch: 1, parts: [['a', 0, 2n], ['a', 2, 1n]] })).toEqual({ errorCode: 0, sessionId: id, seen: [] });
    // An added partition is answered once (its high watermark is news), then not.
    expect((await c.fetch({ sessionId: id, sessionEpoch: 2, parts: [['b', 0, 0n]] })).seen).toEqual([['b', 0, 0, 0n, null]]);
    expect((await c.fetch({ sessionId: id, sessionEpoch: 3 })).seen).toEqual([]);
    // Records on one partition: only it is answered.
    await produce('a', 1, 3);
    expect((await c.fetch({ sessionId: id, sessionEpoch: 4 })).seen).toEqual([['a', 1, 0, 3n, 0n]]);
    // The session keeps the offset the client last named: until it names another, the same records come again.
    expect((await c.fetch({ sessionId: id, sessionEpoch: 5 })).seen).toEqual([['a', 1, 0, 3n, 0n]]);
    // Forgotten: records there are no longer answered.
    expect((await c.fetch({ sessionId: id, sessionEpoch: 6, forget: [['a', [1]]] })).seen).toEqual([]);
    await produce('a', 1, 1);
    expect((await c.fetch({ sessionId: id, sessionEpoch: 7 })).seen).toEqual([]);
    const session = broker.broker.fetchSessions.get(id)!;
    expect([...session.partitions.values()].map((p) => [p.topic, p.partition, p.fetchOffset])).toEqual([['a', 0, 2n], ['a', 2, 1n], ['b', 0, 0n]]);
    // A changed max bytes and an offset moved back: the partition answers again, with records from there.
    expect((await c.fetch({ sessionId: id, sessionEpoch: 8, parts: [['a', 0, 0n, 4096]] })).seen).toEqual([['a', 0, 0, 2n, 0n]]);
    // A partition that returned records goes to the end of the session's fetch order (fairness, as Kafka does).
    expect([...session.partitions.values()].map((p) => [p.topic, p.partition, p.maxBytes])).toEqual([['a', 2, 1 << 20], ['b', 0, 1 << 20], ['a', 0, 4096]]);
    // Epoch -1 closes it: the answer is full and sessionless.
    const closed = await c.fetch({ sessionId: id, sessionEpoch: -1, parts: [['a', 2, 1n]] });
    expect(closed).toEqual({ errorCode: 0, sessionId: 0, seen: [['a', 2, 0, 1n, null]] });
    expect(broker.broker.fetchSessions.get(id)).toBeUndefined();
    expect((await c.fetch({ sessionId: id, sessionEpoch: 9 })).errorCode).toBe(FETCH_SESSION_ID_NOT_FOUND);
  });

  it('refuses a wrong epoch and an unknown id, and the session goes on at its epoch', async () => {
    const { sessionId: id } = await c.fetch({ sessionEpoch: 0, parts: [['a', 0, 2n]] });
    expect(await c.fetch({ sessionId: id, sessionEpoch: 2 })).toEqual({ errorCode: INVALID_FETCH_SESSION_EPOCH, sessionId: 0, seen: [] });
    expect(await c.fetch({ sessionId: id, sessionEpoch: 0x7fffffff })).toEqual({ errorCode: INVALID_FETCH_SESSION_EPOCH, sessionId: 0, seen: [] });
    const unknown = id === 0x7fffffff ? 1 : id + 1;
    expect(await c.fetch({ sessionId: unknown, sessionEpoch: 1 })).toEqual({ errorCode: FETCH_SESSION_ID_NOT_FOUND, sessionId: 0, seen: [] });
    // Id 0 with an incremental epoch names no session.
    expect((await c.fetch({ sessionId: 0, sessionEpoch: 1 })).errorCode).toBe(FETCH_SESSION_ID_NOT_FOUND);
    expect(await c.fetch({ sessionId: id, sessionEpoch: 1 })).toEqual({ errorCode: 0, sessionId: id, seen: [] });
    // Epoch -1 with id 0 is sessionless: no session opened.
    const before = broker.broker.fetchSessions.size;
    expect((await c.fetch({ sessionEpoch: -1, parts: [['a', 0, 2n]] })).sessionId).toBe(0);
    expect(broker.broker.fetchSessions.size).toBe(before);
    // Epoch 0 naming a session closes it and opens another.
    const again = await c.fetch({ sessionId: id, sessionEpoch: 0, parts: [['a', 0, 2n]] });
    expect(again.sessionId).toBeGreaterThan(0);
    expect(again.sessionId).not.toBe(id);
    expect(broker.broker.fetchSessions.get(id)).toBeUndefined();
    expect(broker.broker.fetchSessions.size).toBe(before);
  });

  it('keeps a session across connections (broker-wide, as Kafka)', async () => {
    const { sessionId: id } = await c.fetch({ sessionEpoch: 0, parts: [['a', 0, 2n]] });
    conn.close();
    conn = await KafkaConnection.open('127.0.0.1', broker.port);
    expect(await c.fetch({ sessionId: id, sessionEpoch: 1 })).toEqual({ errorCode: 0, sessionId: id, seen: [] });
  });

  it('ends a session whose partitions are all forgotten, answering sessionless (at once, though asked to wait)', async () => {
    const { sessionId: id } = await c.fetch({ sessionEpoch: 0, parts: [['a', 0, 2n]] });
    expect(await c.fetch({ sessionId: id, sessionEpoch: 1, forget: [['a', [0]]], maxWaitMs: 30_000, minBytes: 1 })).toEqual({ errorCode: 0, sessionId: 0, seen: [] });
    expect(broker.broker.fetchSessions.get(id)).toBeUndefined();
    // Named and forgotten at once: the partition is read and answered, sessionless.
    const again = (await c.fetch({ sessionEpoch: 0, parts: [['a', 0, 2n]] })).sessionId;
    expect(await c.fetch({ sessionId: again, sessionEpoch: 1, parts: [['a', 0, 0n]], forget: [['a', [0]]] })).toEqual({ errorCode: 0, sessionId: 0, seen: [['a', 0, 0, 2n, 0n]] });
    expect(broker.broker.fetchSessions.get(again)).toBeUndefined();
  });

  it('long-polls an incremental fetch until a produce wakes it', async () => {
    const topic = `poll${v}`;
    broker.broker.topics.create(topic, 2);
    const { sessionId: id, seen } = await c.fetch({ sessionEpoch: 0, parts: [[topic, 0, 0n], [topic, 1, 0n]] });
    expect(seen).toHaveLength(2);
    const waiting = fetchWaiting(broker.broker, topic);
    const polled = c.fetch({ sessionId: id, sessionEpoch: 1, maxWaitMs: 20_000, minBytes: 1 });
    await waiting;
    await produce(topic, 1, 2);
    expect((await polled).seen).toEqual([[topic, 1, 0, 2n, 0n]]);
  });

  it('refuses a duplicate of a waiting incremental fetch; a waiting fetch overtaken by the next epoch is answered stale', async () => {
    const topic = `dup${v}`;
    broker.broker.topics.create(topic, 1);
    const { sessionId: id } = await c.fetch({ sessionEpoch: 0, parts: [[topic, 0, 0n]] });
    const other = await KafkaConnection.open('127.0.0.1', broker.port);
    try {
      const o = client(broker, v, () => other);
      const waiting = fetchWaiting(broker.broker, topic);
      const polled = c.fetch({ sessionId: id, sessionEpoch: 1, maxWaitMs: 20_000, minBytes: 1 });
      await waiting;
      // The same epoch again (a retry, say): the session has moved on.
      expect((await o.fetch({ sessionId: id, sessionEpoch: 1 })).errorCode).toBe(INVALID_FETCH_SESSION_EPOCH);
      // The next epoch is served; the first fetch, once woken, is stale.
      expect(await o.fetch({ sessionId: id, sessionEpoch: 2 })).toEqual({ errorCode: 0, sessionId: id, seen: [] });
      await produce(topic, 0, 1);
      expect(await polled).toEqual({ errorCode: INVALID_FETCH_SESSION_EPOCH, sessionId: id, seen: [] });
    } finally {
      other.close();
    }
  });

  it(`answers a deleted topic's partitions with ${v >= 13 ? 'UNKNOWN_TOPIC_ID' : 'UNKNOWN_TOPIC_OR_PARTITION'}, every time`, async () => {
    const topic = `gone${v}`;
    broker.broker.topics.create(topic, 1);
    c.remember(topic);
    const { sessionId: id } = await c.fetch({ sessionEpoch: 0, parts: [[topic, 0, 0n], ['a', 0, 2n]] });
    await broker.broker.deleteTopic(topic);
    const error = v >= 13 ? UNKNOWN_TOPIC_ID : UNKNOWN_TOPIC_OR_PARTITION;
    expect((await c.fetch({ sessionId: id, sessionEpoch: 1 })).seen).toEqual([[topic, 0, error, -1n, null]]);
    expect((await c.fetch({ sessionId: id, sessionEpoch: 2 })).seen).toEqual([[topic, 0, error, -1n, null]]);
    // Forgotten, it is quiet again.
    expect((await c.fetch({ sessionId: id, sessionEpoch: 3, forget: [[topic, [0]]] })).seen).toEqual([]);
  });

  it('gives back every file lease: answers sent, partitions left out, stale answers', async () => {
    await until('the leases are released', () => sharedFileStats().leases === 0);
  });

  if (v === 12 || v === 13) {
    it('refuses a session opened with topic ids at a version without, and the other way round', async () => {
      const { sessionId: id } = await c.fetch({ sessionEpoch: 0, parts: [['a', 0, 2n]] });
      const other = client(broker, v === 13 ? 12 : 13, () => conn);
      expect(await other.fetch({ sessionId: id, sessionEpoch: 1 })).toEqual({ errorCode: FETCH_SESSION_TOPIC_ID_ERROR, sessionId: 0, seen: [] });
    });
  }
});

describe('the fetch session cache bounds', () => {
  let now = 0;
  const clock = () => now;

  async function withBroker(configs: Record<string, string>, body: (b: TestBroker, c: ReturnType<typeof client>) => Promise<void>): Promise<void> {
    now = 1_000_000;
    const broker = await startTestBroker({ 'auto.create.topics.enable': 'false', ...configs }, { fetchSessionClock: clock });
    const conn = await KafkaConnection.open('127.0.0.1', broker.port);
    try {
      broker.broker.topics.create('t', 8);
      await body(broker, client(broker, 12, () => conn));
    } finally {
      conn.close();
      await broker.destroy();
    }
  }
  const parts = (n: number, from = 0): [string, number, bigint][] => Array.from({ length: n }, (_, i) => ['t', from + i, 0n]);

  it('opens at most max.incremental.fetch.session.cache.slots sessions; a new one evicts as Kafka does', async () => {
    await withBroker({ 'max.incremental.fetch.session.cache.slots': '2' }, async (b, c) => {
      const s1 = (await c.fetch({ sessionEpoch: 0, parts: parts(1) })).sessionId;
      const s2 = (await c.fetch({ sessionEpoch: 0, parts: parts(2) })).sessionId;
      expect([s1 > 0, s2 > 0]).toEqual([true, true]);
      // Full, and both sessions younger than the eviction time (120 s): even a larger one is refused.
      const young = await c.fetch({ sessionEpoch: 0, parts: parts(3) });
      expect(young.sessionId).toBe(0);
      expect(young.seen).toHaveLength(3); // still answered in full, sessionless
      expect(b.broker.fetchSessions.size).toBe(2);
      // Both in use, and now older than 120 s: they may be evicted by a larger session, never a smaller or equal one.
      now += 100_000;
      await c.fetch({ sessionId: s1, sessionEpoch: 1 });
      await c.fetch({ sessionId: s2, sessionEpoch: 1 });
      now += 30_000;
      await c.fetch({ sessionId: s1, sessionEpoch: 2 });
      await c.fetch({ sessionId: s2, sessionEpoch: 2 });
      expect((await c.fetch({ sessionEpoch: 0, parts: parts(1) })).sessionId).toBe(0);
      const s3 = (await c.fetch({ sessionEpoch: 0, parts: parts(2) })).sessionId;
      expect(s3).toBeGreaterThan(0);
      // The smallest one went.
      expect(b.broker.fetchSessions.get(s1)).toBeUndefined();
      expect((await c.fetch({ sessionId: s1, sessionEpoch: 3 })).errorCode).toBe(FETCH_SESSION_ID_NOT_FOUND);
      expect((await c.fetch({ sessionId: s2, sessionEpoch: 3 })).errorCode).toBe(0);
      // s3 is in use; s2 is left idle past 120 s: stale, it goes for any new session, however small.
      now += 60_000;
      await c.fetch({ sessionId: s3, sessionEpoch: 1 });
      now += 60_001;
      const s4 = (await c.fetch({ sessionEpoch: 0, parts: parts(1) })).sessionId;
      expect(s4).toBeGreaterThan(0);
      expect(b.broker.fetchSessions.get(s2)).toBeUndefined();
      expect(b.broker.fetchSessions.get(s3)).toBeDefined();
      expect(b.broker.fetchSessions.size).toBe(2);
      expect(b.broker.fetchSessions.evictions).toBe(2);
    });
  });

  it('opens none with max.incremental.fetch.session.cache.slots=0', async () => {
    await withBroker({ 'max.incremental.fetch.session.cache.slots': '0' }, async (b, c) => {
      expect((await c.fetch({ sessionEpoch: 0, parts: parts(1) })).sessionId).toBe(0);
      expect(b.broker.fetchSessions.size).toBe(0);
    });
  });

  it('bounds the partitions of a session (mqlab.fetch.session.max.partitions)', async () => {
    await withBroker({ 'mqlab.fetch.session.max.partitions': '3' }, async (b, c) => {
      // Too many for a session: answered in full, sessionless.
      const big = await c.fetch({ sessionEpoch: 0, parts: parts(4) });
      expect([big.sessionId, big.seen.length]).toEqual([0, 4]);
      const id = (await c.fetch({ sessionEpoch: 0, parts: parts(2) })).sessionId;
      expect(id).toBeGreaterThan(0);
      // Up to the bound; swapping one for another at the bound is fine.
      expect((await c.fetch({ sessionId: id, sessionEpoch: 1, parts: parts(1, 2) })).errorCode).toBe(0);
      expect((await c.fetch({ sessionId: id, sessionEpoch: 2, parts: parts(1, 3), forget: [['t', [0]]] })).errorCode).toBe(0);
      expect(b.broker.fetchSessions.get(id)!.partitions.size).toBe(3);
      // Past it: the session ends; the client starts over with a full fetch.
      expect(await c.fetch({ sessionId: id, sessionEpoch: 3, parts: parts(1, 4) })).toEqual({ errorCode: FETCH_SESSION_ID_NOT_FOUND, sessionId: 0, seen: [] });
      expect(b.broker.fetchSessions.size).toBe(0);
    });
  });

  it('bounds the partitions of all sessions (mqlab.fetch.session.cache.max.partitions)', async () => {
    await withBroker({ 'mqlab.fetch.session.cache.max.partitions': '5' }, async (b, c) => {
      const a = (await c.fetch({ sessionEpoch: 0, parts: parts(3) })).sessionId;
      expect(a).toBeGreaterThan(0);
      // 3 + 3 > 5, and the first is too young to evict.
      expect((await c.fetch({ sessionEpoch: 0, parts: parts(3) })).sessionId).toBe(0);
      const d = (await c.fetch({ sessionEpoch: 0, parts: parts(2) })).sessionId;
      expect(d).toBeGreaterThan(0);
      expect(b.broker.fetchSessions.totalPartitions).toBe(5);
      expect((await c.fetch({ sessionId: d, sessionEpoch: 1, parts: parts(1, 5) })).errorCode).toBe(FETCH_SESSION_ID_NOT_FOUND);
      expect(b.broker.fetchSessions.totalPartitions).toBe(3);
      // Stale after 120 s idle: a new session that needs the room evicts it.
      now += 120_001;
      const e = (await c.fetch({ sessionEpoch: 0, parts: parts(4) })).sessionId;
      expect(e).toBeGreaterThan(0);
      expect(b.broker.fetchSessions.get(a)).toBeUndefined();
      expect(b.broker.fetchSessions.totalPartitions).toBe(4);
    });
  });
});
