// The APIs that name topics by id (KIP-516), together against a running
// broker on each engine, as a client of Kafka 4.x uses them: the id from
// CreateTopics, Produce v13 to it, Fetch v17 back from it, OffsetCommit v10
// and OffsetFetch v10 by it, and what an id that names nothing answers
// (UNKNOWN_TOPIC_ID, error 100) — an id of a deleted topic included, when
// a topic of the same name exists again. Then the same under an authorizer:
// what the principal may do is decided on the topic's name.
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { KafkaConnection } from '../src/client/connection.js';
import { ApiKeys, ZERO_UUID } from '../src/protocol/kafka/index.js';
import { decodeBatch } from '../src/records/index.js';
import { startTestBroker, type TestBroker } from './helpers/broker.js';
import { numberedBatch } from './helpers/batches.js';
import { batchesIn } from './helpers/regions.js';
import { testRandom } from './helpers/seed.js';

const UNKNOWN_TOPIC_ID = 100;
const TOPIC_AUTHORIZATION_FAILED = 29;
const ENGINES = ['segmented', 'commitlog'] as const;
const random = testRandom('kafka-topic-ids');

/** Requests by id at the newest versions, and the same by name at older ones, on one connection. */
function client(conn: KafkaConnection) {
  return {
    async createTopic(name: string, partitions: number): Promise<string> {
      const r = await conn.request(ApiKeys.CreateTopics, 7, { topics: [{ name, numPartitions: partitions, replicationFactor: -1, assignments: [], configs: [] }], timeoutMs: 5000, validateOnly: false });
      expect(r.topics[0]!.errorCode).toBe(0);
      return r.topics[0]!.topicId;
    },
    async deleteTopic(topicId: string): Promise<void> {
      const r = await conn.request(ApiKeys.DeleteTopics, 6, { topics: [{ name: null, topicId }], timeoutMs: 5000 });
      expect(r.responses[0]!.errorCode).toBe(0);
    },
    /** Produce v13: [error, base offset, error message] per partition, and the ids the answer echoes. */
    async produce(topicId: string, batches: ReadonlyMap<number, Buffer>) {
      const partitionData = [...batches].map(([index, records]) => ({ index, records }));
      const r = await conn.request(ApiKeys.Produce, 13, { transactionalId: null, acks: -1, timeoutMs: 5000, topicData: [{ topicId, partitionData }] });
      expect(r.responses.map((t) => [t.topicId, t.name])).toEqual([[topicId, '']]);
      return r.responses[0]!.partitionResponses.map((p) => ({ index: p.index, errorCode: p.errorCode, baseOffset: p.baseOffset, errorMessage: p.errorMessage }));
    },
    /** Fetch v17 of one partition from `offset`: the error, the high watermark, and each record as [offset, value]. */
    async fetch(topicId: string, partition: number, offset: bigint) {
      const r = await conn.request(ApiKeys.Fetch, 17, {
        replicaId: -1,
        maxWaitMs: 0,
        minBytes: 0,
        maxBytes: 1 << 20,
        isolationLevel: 0,
        sessionId: 0,
        sessionEpoch: -1,
        topics: [{ topicId, partitions: [{ partition, fetchOffset: offset, partitionMaxBytes: 1 << 20 }] }],
        forgottenTopicsData: [],
        rackId: '',
      });
      expect(r.responses[0]!.topicId).toBe(topicId);
      const p = r.responses[0]!.partitions[0]!;
      const records = batchesIn(p.records ?? Buffer.alloc(0)).flatMap((b) => {
        const batch = decodeBatch(b.bytes);
        return batch.records.map((x) => [batch.header.baseOffset + BigInt(x.offsetDelta), x.value!.toString()] as const);
      });
      return { errorCode: p.errorCode, highWatermark: p.highWatermark, records: records.filter(([o]) => o >= offset) };
    },
    /** OffsetCommit v10 (`byId`) or v8 (by name): each partition's error, by the key the answer names the topic with. */
    async commit(group: string, topic: { topicId: string } | { name: string }, offsets: ReadonlyMap<number, bigint>, byId = 'topicId' in topic) {
      const partitions = [...offsets].map(([partitionIndex, committedOffset]) => ({ partitionIndex, committedOffset, committedLeaderEpoch: -1, committedMetadata: `at ${committedOffset}` }));
      const r = await conn.request(ApiKeys.OffsetCommit, byId ? 10 : 8, { groupId: group, generationId: -1, memberId: '', groupInstanceId: null, topics: [{ ...topic, partitions }] });
      return r.topics.map((t) => [byId ? t.topicId : t.name, t.partitions.map((p) => [p.partitionIndex, p.errorCode])]);
    },
    /**
     * OffsetFetch v10 by id (null: every topic of the group), or v9 / v7 by
     * name: the group's error, and [topic, partition, offset, metadata, error]
     * rows, the topic as the answer names it.
     */
    async offsets(group: string, version: 7 | 9 | 10, topics: { key: string; partitionIndexes: number[] }[] | null) {
      const asked = topics?.map((t) => ({ ...(version >= 10 ? { topicId: t.key } : { name: t.key }), partitionIndexes: t.partitionIndexes })) ?? null;
      type Row = [string, number, bigint, string | null, number];
      if (version === 7) {
        const r = await conn.request(ApiKeys.OffsetFetch, 7, { groupId: group, topics: asked, requireStable: false });
        return { errorCode: r.errorCode, rows: r.topics.flatMap((t) => t.partitions.map((p): Row => [t.name, p.partitionIndex, p.committedOffset, p.metadata, p.errorCode])) };
      }
      const r = await conn.request(ApiKeys.OffsetFetch, version, { groups: [{ groupId: group, memberId: null, memberEpoch: -1, topics: asked }], requireStable: false });
      const g = r.groups[0]!;
      return { errorCode: g.errorCode, rows: g.topics.flatMap((t) => t.partitions.map((p): Row => [version >= 10 ? t.topicId : t.name, p.partitionIndex, p.committedOffset, p.metadata, p.errorCode])) };
    },
  };
}

describe.each(ENGINES)('topics by id (%s engine)', (engine) => {
  let broker: TestBroker;
  let conn: KafkaConnection;
  let c: ReturnType<typeof client>;

  beforeEach(async () => {
    broker = await startTestBroker({ 'mqlab.storage.engine': engine, 'auto.create.topics.enable': 'true' });
    conn = await KafkaConnection.open('127.0.0.1', broker.port, 'topic-ids');
    c = client(conn);
  });
  afterEach(async () => {
    conn.close();
    await broker.destroy();
  });

  it('Produce v13 appends where the id says, at the offsets Fetch v17 reads back by the same id, also after a restart', async () => {
    const id = await c.createTopic('orders', 3);
    const sent = new Map<number, string[]>([0, 1, 2].map((p) => [p, []]));
    const produceRound = async (round: number) => {
      // Records per partition drawn from the seed; a partition may be left out of a request.
      const batches = new Map<number, Buffer>();
      for (const p of [0, 1, 2]) {
        const n = random.int(0, 4);
        if (n > 0) batches.set(p, numberedBatch(`r${round}p${p}`, n));
      }
      if (batches.size === 0) batches.set(0, numberedBatch(`r${round}p0`, 1));
      const answers = await c.produce(id, batches);
      for (const a of answers) {
        const values = decodeBatch(batches.get(a.index)!).records.map((r) => r.value!.toString());
        expect(a).toEqual({ index: a.index, errorCode: 0, baseOffset: BigInt(sent.get(a.index)!.length), errorMessage: null });
        sent.get(a.index)!.push(...values);
      }
    };
    for (let round = 0; round < 4; round++) await produceRound(round);
    broker = await broker.restart();
    conn.close();
    conn = await KafkaConnection.open('127.0.0.1', broker.port, 'topic-ids');
    c = client(conn);
    await produceRound(4);
    for (const p of [0, 1, 2]) {
      const want = sent.get(p)!;
      const got = await c.fetch(id, p, 0n);
      expect(got.errorCode).toBe(0);
      expect(got.highWatermark).toBe(BigInt(want.length));
      expect(got.records).toEqual(want.map((v, i) => [BigInt(i), v]));
      expect(broker.broker.engine.highWatermark({ topic: 'orders', partition: p })).toBe(BigInt(want.length));
    }
  });

  it('an id naming no topic is UNKNOWN_TOPIC_ID for each partition, to every API, and nothing is created, written or committed', async () => {
    const id = await c.createTopic('kept', 2);
    for (const unknown of ['7d4d4e9a-1c1b-4f0e-9a55-0123456789ab', ZERO_UUID]) {
      const produced = await c.produce(unknown, new Map([0, 1].map((p) => [p, numberedBatch('lost', 2)])));
      expect(produced).toEqual([0, 1].map((index) => ({ index, errorCode: UNKNOWN_TOPIC_ID, baseOffset: -1n, errorMessage: null })));
      expect(await c.commit('g', { topicId: unknown }, new Map([[0, 5n], [1, 6n]]))).toEqual([[unknown, [[0, UNKNOWN_TOPIC_ID], [1, UNKNOWN_TOPIC_ID]]]]);
      const fetched = await c.offsets('g', 10, [{ key: unknown, partitionIndexes: [0, 1] }]);
      expect(fetched).toEqual({ errorCode: 0, rows: [[unknown, 0, -1n, '', UNKNOWN_TOPIC_ID], [unknown, 1, -1n, '', UNKNOWN_TOPIC_ID]] });
      expect((await c.fetch(unknown, 0, 0n)).errorCode).toBe(UNKNOWN_TOPIC_ID);
    }
    // Auto-creation is by name only; the topic that exists is untouched.
    expect(broker.broker.topics.list().filter((t) => !t.internal).map((t) => t.name)).toEqual(['kept']);
    expect(broker.broker.topics.get('kept')!.id).toBe(id);
    expect([0, 1].map((partition) => broker.broker.engine.highWatermark({ topic: 'kept', partition }))).toEqual([0n, 0n]);
    expect(broker.broker.coordinator.committedAll('g')).toEqual([]);
  });

  it('Produce v13 with acks=0 is not answered, by a known id or an unknown one; the next request on the connection is', async () => {
    const id = await c.createTopic('quiet', 1);
    const silent = (topicId: string, prefix: string) =>
      conn.send(ApiKeys.Produce, 13, { transactionalId: null, acks: 0, timeoutMs: 5000, topicData: [{ topicId, partitionData: [{ index: 0, records: numberedBatch(prefix, 2) }] }] }, false);
    await silent(id, 'quiet');
    await silent('7d4d4e9a-1c1b-4f0e-9a55-0000000000a0', 'lost');
    // Answers come in request order: one to either acks=0 produce would reach this request (a correlation id mismatch).
    const [next] = await c.produce(id, new Map([[0, numberedBatch('loud', 1)]]));
    expect(next).toMatchObject({ errorCode: 0, baseOffset: 2n });
    expect((await c.fetch(id, 0, 0n)).records).toEqual([[0n, 'quiet-0'], [1n, 'quiet-1'], [2n, 'loud-0']]);
  });

  it('a topic deleted and created again under its name: the old id names nothing, never the new topic', async () => {
    const old = await c.createTopic('reborn', 1);
    expect((await c.produce(old, new Map([[0, numberedBatch('old', 3)]])))[0]!.baseOffset).toBe(0n);
    expect(await c.commit('g', { topicId: old }, new Map([[0, 3n]]))).toEqual([[old, [[0, 0]]]]);
    await c.deleteTopic(old);
    const fresh = await c.createTopic('reborn', 1);
    expect(fresh).not.toBe(old);

    expect((await c.produce(old, new Map([[0, numberedBatch('stale', 2)]])))[0]!.errorCode).toBe(UNKNOWN_TOPIC_ID);
    expect(await c.commit('g', { topicId: old }, new Map([[0, 9n]]))).toEqual([[old, [[0, UNKNOWN_TOPIC_ID]]]]);
    expect(await c.offsets('g', 10, [{ key: old, partitionIndexes: [0] }])).toEqual({ errorCode: 0, rows: [[old, 0, -1n, '', UNKNOWN_TOPIC_ID]] });
    expect((await c.fetch(old, 0, 0n)).errorCode).toBe(UNKNOWN_TOPIC_ID);
    // The new topic has none of it: no records, and the old offsets went with the old topic.
    expect(broker.broker.engine.highWatermark({ topic: 'reborn', partition: 0 })).toBe(0n);
    expect(await c.offsets('g', 10, [{ key: fresh, partitionIndexes: [0] }])).toEqual({ errorCode: 0, rows: [[fresh, 0, -1n, '', 0]] });

    expect((await c.produce(fresh, new Map([[0, numberedBatch('new', 2)]])))[0]).toMatchObject({ errorCode: 0, baseOffset: 0n });
    expect((await c.fetch(fresh, 0, 0n)).records).toEqual([[0n, 'new-0'], [1n, 'new-1']]);
  });

  it('OffsetCommit v10 by id, and OffsetFetch v10 by id, v9 and v7 by name, see the same offsets', async () => {
    const a = await c.createTopic('a', 3);
    const b = await c.createTopic('b', 1);
    const committed = new Map([0, 1, 2].map((p) => [p, BigInt(random.int(0, 1000))]));
    expect(await c.commit('same', { topicId: a }, committed)).toEqual([[a, [[0, 0], [1, 0], [2, 0]]]]);
    // Committed by name (v8), read back by id.
    expect(await c.commit('same', { name: 'b' }, new Map([[0, 42n]]))).toEqual([['b', [[0, 0]]]]);
    const rowsOf = (key: (name: string) => string) => [
      ...[0, 1, 2].map((p) => [key('a'), p, committed.get(p)!, `at ${committed.get(p)!}`, 0]),
      [key('b'), 0, 42n, 'at 42', 0],
    ];
    const ids = new Map([['a', a], ['b', b]]);
    expect(await c.offsets('same', 10, [{ key: a, partitionIndexes: [0, 1, 2] }, { key: b, partitionIndexes: [0] }])).toEqual({ errorCode: 0, rows: rowsOf((n) => ids.get(n)!) });
    for (const v of [9, 7] as const) {
      expect(await c.offsets('same', v, [{ key: 'a', partitionIndexes: [0, 1, 2] }, { key: 'b', partitionIndexes: [0] }])).toEqual({ errorCode: 0, rows: rowsOf((n) => n) });
    }
    // Null: every topic the group committed, by id at v10, by name before.
    const sorted = (x: { errorCode: number; rows: unknown[][] }) => ({ ...x, rows: [...x.rows].sort((p, q) => String(p[0]).localeCompare(String(q[0])) || Number(p[1]) - Number(q[1])) });
    const byIdRows = rowsOf((n) => ids.get(n)!).sort((p, q) => String(p[0]).localeCompare(String(q[0])) || Number(p[1]) - Number(q[1]));
    expect(sorted(await c.offsets('same', 10, null))).toEqual({ errorCode: 0, rows: byIdRows });
    expect(sorted(await c.offsets('same', 9, null))).toEqual({ errorCode: 0, rows: rowsOf((n) => n) });
  });

  it('OffsetFetch v10 of every topic leaves out offsets of a topic that no longer exists: no id to answer them by', async () => {
    const kept = await c.createTopic('kept', 1);
    expect(await c.commit('left', { topicId: kept }, new Map([[0, 7n]]))).toEqual([[kept, [[0, 0]]]]);
    // Offsets under a name no topic has (what a deletion still under way leaves for a moment).
    expect(await broker.broker.coordinator.commit('left', '', -1, [{ topic: 'gone', partition: 0, offset: 3n, metadata: null }])).toBe('NONE');
    expect(await c.offsets('left', 10, null)).toEqual({ errorCode: 0, rows: [[kept, 0, 7n, 'at 7', 0]] });
    // By name they are still answered.
    expect((await c.offsets('left', 9, null)).rows.map((r) => r[0]).sort()).toEqual(['gone', 'kept']);
  });
});

describe('topics by id under an authorizer: decided on the name, never quoting it', () => {
  let broker: TestBroker;
  let conn: KafkaConnection;
  let c: ReturnType<typeof client>;
  let open: string;
  let secret: string;
  const unknown = '7d4d4e9a-1c1b-4f0e-9a55-00000000a11c';

  beforeAll(async () => {
    broker = await startTestBroker({ 'authorizer.class.name': 'mqlab', 'auto.create.topics.enable': 'false' });
    open = broker.broker.topics.create('open', 1).id;
    secret = broker.broker.topics.create('secret', 1).id;
    const allow = (resourceType: 'TOPIC' | 'GROUP', resourceName: string, operation: 'READ' | 'WRITE') =>
      ({ resourceType, resourceName, patternType: 'LITERAL', principal: 'User:ANONYMOUS', host: '*', operation, permission: 'ALLOW' }) as const;
    // READ implies DESCRIBE; nothing at all on "secret".
    broker.acls.create([allow('TOPIC', 'open', 'WRITE'), allow('TOPIC', 'open', 'READ'), allow('GROUP', 'g', 'READ')]);
    await broker.broker.coordinator.commit('g', '', -1, [{ topic: 'secret', partition: 0, offset: 4n, metadata: null }]);
    conn = await KafkaConnection.open('127.0.0.1', broker.port, 'topic-ids-acl');
    c = client(conn);
  });
  afterAll(async () => {
    conn.close();
    await broker.destroy();
  });

  it('Produce v13: WRITE on the topic the id names; a refusal quotes the id, an unknown id is UNKNOWN_TOPIC_ID as for Fetch', async () => {
    expect((await c.produce(open, new Map([[0, numberedBatch('ok', 1)]])))[0]).toMatchObject({ errorCode: 0, baseOffset: 0n });
    const [refused] = await c.produce(secret, new Map([[0, numberedBatch('no', 1)]]));
    expect(refused).toEqual({ index: 0, errorCode: TOPIC_AUTHORIZATION_FAILED, baseOffset: -1n, errorMessage: `User:ANONYMOUS may not write to topic id ${secret}` });
    expect((await c.produce(unknown, new Map([[0, numberedBatch('no', 1)]])))[0]!.errorCode).toBe(UNKNOWN_TOPIC_ID);
    expect(broker.broker.engine.highWatermark({ topic: 'secret', partition: 0 })).toBe(0n);
    // Fetch v17 tells the same ids apart the same way.
    expect([(await c.fetch(secret, 0, 0n)).errorCode, (await c.fetch(unknown, 0, 0n)).errorCode]).toEqual([TOPIC_AUTHORIZATION_FAILED, UNKNOWN_TOPIC_ID]);
  });

  it('OffsetCommit v10 and OffsetFetch v10: READ and DESCRIBE on the named topic; every-topic answers leave out what may not be seen', async () => {
    for (const [topicId, error] of [[open, 0], [secret, TOPIC_AUTHORIZATION_FAILED], [unknown, UNKNOWN_TOPIC_ID]] as const) {
      expect(await c.commit('g', { topicId }, new Map([[0, 1n]]))).toEqual([[topicId, [[0, error]]]]);
    }
    const asked = await c.offsets('g', 10, [open, secret, unknown].map((key) => ({ key, partitionIndexes: [0] })));
    expect(asked).toEqual({
      errorCode: 0,
      rows: [
        [open, 0, 1n, 'at 1', 0],
        [secret, 0, -1n, '', TOPIC_AUTHORIZATION_FAILED],
        [unknown, 0, -1n, '', UNKNOWN_TOPIC_ID],
      ],
    });
    expect(await c.offsets('g', 10, null)).toEqual({ errorCode: 0, rows: [[open, 0, 1n, 'at 1', 0]] });
    expect(broker.broker.coordinator.committed('g', 'secret', 0).offset).toBe(4n);
  });
});
