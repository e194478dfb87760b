// What the Kafka listener fuzzer found (test/fuzz-kafka.test.ts), one test
// each, named by the seed and plan that found it. Each request is valid as
// far as the protocol goes; each used to get its connection closed,
// because the broker's answer could not be encoded or its handler threw.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KafkaConnection } from '../src/client/connection.js';
import { ApiKeys, bytesOf, decodeResponse, encodeRequest, errorCode } from '../src/protocol/kafka/index.js';
import { MAX_ERROR_MESSAGE_CHARS } from '../src/server/handlers/error-message.js';
import { encodeSubscription } from '../src/client/consumer-protocol.js';
import { encodeBatch, readBatchHeader } from '../src/records/index.js';
import { numberedBatch } from './helpers/batches.js';
import { startTestBroker, type TestBroker } from './helpers/broker.js';
import { RawClient } from './helpers/raw-client.js';

/** The longest string a request may carry. */
const LONGEST = 'z'.repeat(0x7fff);

describe('requests the fuzzer found closing their connection', () => {
  let broker: TestBroker;
  let conn: KafkaConnection;

  beforeAll(async () => {
    broker = await startTestBroker({ 'group.min.session.timeout.ms': '100' });
    conn = await KafkaConnection.open('127.0.0.1', broker.port, 'findings');
    await conn.request(ApiKeys.CreateTopics, 3, { topics: [{ name: 'fz-a', numPartitions: 1, replicationFactor: 1 }], timeoutMs: 5000, validateOnly: false });
  });
  afterAll(async () => {
    conn.close();
    await broker.destroy();
  });

  it('seed 1, plan 764: JoinGroup from a client id of 32,767 bytes gets a member id that fits a response', async () => {
    const long = await KafkaConnection.open('127.0.0.1', broker.port, LONGEST);
    try {
      const join = { groupId: 'fz-long-client', sessionTimeoutMs: 1000, rebalanceTimeoutMs: 1000, memberId: '', protocolType: 'consumer', protocols: [{ name: 'range', metadata: encodeSubscription(['fz-a']) }] };
      const r = await long.request(ApiKeys.JoinGroup, 1, join);
      expect(r.errorCode).toBe(0);
      expect(r.memberId).toMatch(/^z{200}-[0-9a-f-]{36}$/);
      // The id is the member's: its next join is recognised.
      expect((await long.request(ApiKeys.JoinGroup, 1, { ...join, memberId: r.memberId })).memberId).toBe(r.memberId);
    } finally {
      long.close();
    }
  });

  it('seed 1, plans 2071 and 2879: IncrementalAlterConfigs of a 32,767-byte config gets its error, the message cut', async () => {
    const r = await conn.request(ApiKeys.IncrementalAlterConfigs, 0, {
      resources: [{ resourceType: 2, resourceName: 'fz-a', configs: [{ name: LONGEST, configOperation: 0, value: LONGEST }] }],
      validateOnly: false,
    });
    expect(r.responses[0]!.errorCode).toBe(40); // INVALID_CONFIG
    expect(r.responses[0]!.errorMessage!.length).toBeLessThanOrEqual(MAX_ERROR_MESSAGE_CHARS);
    expect(r.responses[0]!.errorMessage).toMatch(/^unknown or unsupported topic config "zzz/);
  });

  it('seed 1, plan 2186: AlterConfigs of a 32,767-byte value gets its error, the message cut', async () => {
    const r = await conn.request(ApiKeys.AlterConfigs, 1, {
      resources: [{ resourceType: 4, resourceName: '0', configs: [{ name: 'num.partitions', value: LONGEST }] }],
      validateOnly: false,
    });
    expect(r.responses[0]!.errorCode).toBe(40);
    expect(r.responses[0]!.errorMessage!.length).toBeLessThanOrEqual(MAX_ERROR_MESSAGE_CHARS);
  });

  it('seed 1, plan 3886: CreateTopics and Produce naming a topic of 32,767 bytes get INVALID_TOPIC_EXCEPTION', async () => {
    const created = await conn.request(ApiKeys.CreateTopics, 3, { topics: [{ name: LONGEST, numPartitions: 1, replicationFactor: 1 }], timeoutMs: 5000, validateOnly: false });
    expect(created.topics[0]!.errorCode).toBe(17);
    expect(created.topics[0]!.errorMessage!.length).toBeLessThanOrEqual(MAX_ERROR_MESSAGE_CHARS);
    const produced = await conn.request(ApiKeys.Produce, 7, { transactionalId: null, acks: 1, timeoutMs: 5000, topicData: [{ name: LONGEST, partitionData: [{ index: 0, records: numberedBatch('x', 1) }] }] });
    expect(produced.responses[0]!.partitionResponses[0]!.errorCode).not.toBe(0);
    expect(produced.responses[0]!.partitionResponses[0]!.errorMessage?.length ?? 0).toBeLessThanOrEqual(MAX_ERROR_MESSAGE_CHARS);
  });

  it('seed 1712210520, plan 792: a topic produced to while DeleteTopics deletes its partitions is not recreated on the half-deleted ones', async () => {
    const own = await startTestBroker({ 'num.partitions': '3' });
    const c = await KafkaConnection.open('127.0.0.1', own.port, 'findings');
    const produceTo1 = (records: Buffer) => ({ acks: 1, timeoutMs: 5000, topicData: [{ name: 'fz-race', partitionData: [{ index: 1, records }] }] });
    try {
      expect((await c.request(ApiKeys.Produce, 7, produceTo1(numberedBatch('old', 5)))).responses[0]!.partitionResponses[0]!.errorCode).toBe(0);
      // One write: requests of a connection run concurrently, so the produce runs while the deletion
      // waits between partitions (it used to auto-create the topic on the partitions not deleted yet,
      // old data and all, which the deletion then removed from under it: every later request naming
      // them closed its connection).
      const raw = await RawClient.connect(own.port);
      const frames = [encodeRequest(ApiKeys.DeleteTopics, 3, 1, 'race', { topicNames: ['fz-race'], timeoutMs: 5000 }), encodeRequest(ApiKeys.Produce, 7, 2, 'race', produceTo1(numberedBatch('racing', 1)))];
      raw.send(Buffer.concat(frames.map(bytesOf).flatMap((f) => [Buffer.from(Uint32Array.of(f.length).buffer).reverse(), f])));
      expect(decodeResponse(ApiKeys.DeleteTopics, 3, (await raw.next())!).body.responses[0]!.errorCode).toBe(0);
      expect(decodeResponse(ApiKeys.Produce, 7, (await raw.next())!).body.responses[0]!.partitionResponses[0]!.errorCode).toBe(errorCode('UNKNOWN_TOPIC_OR_PARTITION'));
      raw.close();
      // Deleted: the next produce creates the topic afresh, its partitions empty.
      const again = await c.request(ApiKeys.Produce, 7, produceTo1(numberedBatch('new', 1)));
      expect(again.responses[0]!.partitionResponses[0]).toMatchObject({ errorCode: 0, baseOffset: 0n });
    } finally {
      c.close();
      await own.destroy();
    }
  });

  it('seed 3, plan 11092: a batch stamped with the largest int64 leaves its topic deletable and the broker closable', async () => {
    const batch = encodeBatch({ baseTimestamp: 2n ** 63n - 1n, records: [{ key: null, value: Buffer.from('late'), headers: [], timestamp: 2n ** 63n - 1n }] });
    expect(readBatchHeader(batch, 0).maxTimestamp).toBe(2n ** 63n - 1n);
    // Its own broker: it restarts it.
    let own = await startTestBroker();
    let c = await KafkaConnection.open('127.0.0.1', own.port, 'findings');
    // The time index takes an entry per 4 KiB of log: the late batch comes after more than that.
    for (const records of [numberedBatch('x'.repeat(100), 50), batch]) {
      const produced = await c.request(ApiKeys.Produce, 7, { transactionalId: null, acks: -1, timeoutMs: 5000, topicData: [{ name: 'fz-late', partitionData: [{ index: 0, records }] }] });
      expect(produced.responses[0]!.partitionResponses[0]!.errorCode).toBe(0);
    }
    // A clean restart persists the time index (where 2^63 - 1, held as a Number, became 2^63) and reads it back.
    c.close();
    own = await own.restart();
    c = await KafkaConnection.open('127.0.0.1', own.port, 'findings');
    try {
      const deleted = await c.request(ApiKeys.DeleteTopics, 3, { topicNames: ['fz-late'], timeoutMs: 5000 });
      expect(deleted.responses[0]!.errorCode).toBe(0);
    } finally {
      c.close();
      await own.destroy();
    }
  });

  it.each(['segmented', 'commitlog'])('seed 12, plans 27386 and 7 more: ListOffsets by time reaching a batch stamped with the largest int64 answers it (%s)', async (engine) => {
    const own = await startTestBroker({ 'mqlab.storage.engine': engine });
    const c = await KafkaConnection.open('127.0.0.1', own.port, 'findings');
    try {
      const late = encodeBatch({ baseTimestamp: 2n ** 63n - 1n, records: [{ key: null, value: Buffer.from('late'), headers: [], timestamp: 2n ** 63n - 1n }] });
      for (const records of [numberedBatch('early', 3), late]) {
        const produced = await c.request(ApiKeys.Produce, 7, { transactionalId: null, acks: -1, timeoutMs: 5000, topicData: [{ name: 'fz-late-lookup', partitionData: [{ index: 0, records }] }] });
        expect(produced.responses[0]!.partitionResponses[0]!.errorCode).toBe(0);
      }
      // Used to close the connection: the answer's timestamp, 2^63 as a Number, did not encode as an int64.
      const r = await c.request(ApiKeys.ListOffsets, 2, { replicaId: -1, isolationLevel: 0, topics: [{ name: 'fz-late-lookup', partitions: [{ partitionIndex: 0, timestamp: 2n ** 62n }] }] });
      expect(r.topics[0]!.partitions[0]).toMatchObject({ errorCode: 0, offset: 3n, timestamp: 2n ** 63n - 1n });
    } finally {
      c.close();
      await own.destroy();
    }
  });

  it('seed 1026149885, plans 34061 and 40875: DescribeProducers of a 32,767-byte topic gets UNKNOWN_TOPIC_OR_PARTITION, the message cut', async () => {
    const r = await conn.request(ApiKeys.DescribeProducers, 0, { topics: [{ name: LONGEST, partitionIndexes: [0] }] });
    const p = r.topics[0]!.partitions[0]!;
    expect(p.errorCode).toBe(3);
    expect(p.errorMessage!.length).toBeLessThanOrEqual(MAX_ERROR_MESSAGE_CHARS);
  });

  it('CreatePartitions of a 32,767-byte topic gets its error, the message cut', async () => {
    const r = await conn.request(ApiKeys.CreatePartitions, 3, { topics: [{ name: LONGEST, count: 2, assignments: null }], timeoutMs: 5000, validateOnly: false });
    expect(r.results[0]!.errorCode).toBe(3);
    expect(r.results[0]!.errorMessage!.length).toBeLessThanOrEqual(MAX_ERROR_MESSAGE_CHARS);
  });
});
