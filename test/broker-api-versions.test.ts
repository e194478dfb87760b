// Every advertised version of every API, against a running broker: clients
// pick different versions (older clients old ones), so each must be
// answered correctly, not only the newest.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { KafkaConnection } from '../src/client/connection.js';
import { KAFKA_APIS, ZERO_UUID, type ApiKey } from '../src/protocol/kafka/index.js';
import { startTestBroker, type TestBroker } from './helpers/broker.js';
import { numberedBatch } from './helpers/batches.js';

const versionsOf = (key: number): number[] => {
  const api = KAFKA_APIS.find((a) => a.apiKey === key)!;
  return Array.from({ length: api.maxVersion - api.minVersion + 1 }, (_, i) => api.minVersion + i);
};

const cases = KAFKA_APIS.flatMap((api) => versionsOf(api.apiKey).map((v) => [api.name, api.apiKey, v] as const));

describe('every advertised API version against a running broker', () => {
  let broker: TestBroker;
  let conn: KafkaConnection;
  // Loosely typed on purpose: one exercise per API for all of its versions.
  const call = (key: number, v: number, body: object): Promise<any> => conn.request(key as ApiKey, v, body as never);

  beforeAll(async () => {
    broker = await startTestBroker({ 'num.partitions': '2' });
    broker.broker.topics.create('t', 2);
    for (let i = 0; i < 3; i++) await broker.broker.produce('t', 0, numberedBatch(`seed${i}`, 2));
  });
  afterAll(async () => {
    await broker.destroy();
  });

  /** Joins a one-member group at these versions; returns its id and generation. */
  async function join(group: string, joinV: number): Promise<{ memberId: string; generationId: number }> {
    const body = { groupId: group, sessionTimeoutMs: 10_000, rebalanceTimeoutMs: 10_000, memberId: '', protocolType: 'consumer', protocols: [{ name: 'range', metadata: Buffer.from([0, 0, 0, 0, 0, 0, 0, 0]) }] };
    if (joinV === 0) delete (body as Partial<typeof body>).rebalanceTimeoutMs;
    let r = await call(11, joinV, body);
    if (joinV >= 4) {
      expect(r.errorCode).toBe(79); // MEMBER_ID_REQUIRED, with the id to come back with
      r = await call(11, joinV, { ...body, memberId: r.memberId });
    }
    expect(r.errorCode).toBe(0);
    expect(r.leader).toBe(r.memberId);
    return { memberId: r.memberId, generationId: r.generationId };
  }

  const exercises: Record<number, (v: number) => Promise<void>> = {
    18: async (v) => {
      const r = await call(18, v, v >= 3 ? { clientSoftwareName: 'test', clientSoftwareVersion: '1' } : {});
      expect(r.errorCode).toBe(0);
      expect(r.apiKeys.map((a: { apiKey: number }) => a.apiKey)).toEqual(KAFKA_APIS.map((a) => a.apiKey).sort((a, b) => a - b));
    },
    3: async (v) => {
      const r = await call(3, v, { topics: [{ name: 't' }] });
      expect(r.topics[0].errorCode).toBe(0);
      expect(r.topics[0].partitions.map((p: { partitionIndex: number; leaderId: number }) => [p.partitionIndex, p.leaderId])).toEqual([[0, 0], [1, 0]]);
      expect(r.brokers[0].port).toBe(broker.port);
      const all = await call(3, v, { topics: v === 0 ? [] : null });
      expect(all.topics.map((t: { name: string }) => t.name)).toContain('t');
    },
    0: async (v) => {
      const before = broker.broker.engine.highWatermark({ topic: 't', partition: 1 });
      const r = await call(0, v, { transactionalId: null, acks: -1, timeoutMs: 5000, topicData: [{ name: 't', partitionData: [{ index: 1, records: numberedBatch(`p${v}`, 2) }] }] });
      const p = r.responses[0].partitionResponses[0];
      expect(p.errorCode).toBe(0);
      expect(p.baseOffset).toBe(before);
    },
    1: async (v) => {
      const r = await call(1, v, { replicaId: -1, maxWaitMs: 0, minBytes: 0, maxBytes: 1 << 20, isolationLevel: 0, topics: [{ topic: 't', partitions: [{ partition: 0, fetchOffset: 2n, partitionMaxBytes: 1 << 20 }] }] });
      const p = r.responses[0].partitions[0];
      expect(p.errorCode).toBe(0);
      expect(p.highWatermark).toBe(6n);
      expect(p.records.readBigInt64BE(0)).toBe(2n); // the batch holding offset 2 starts at 2
    },
    2: async (v) => {
      const r = await call(2, v, { replicaId: -1, isolationLevel: 0, topics: [{ name: 't', partitions: [{ partitionIndex: 0, timestamp: -1n }] }] });
      const p = r.topics[0].partitions[0];
      expect(p.errorCode).toBe(0);
      if (v === 0) expect(p.oldStyleOffsets).toEqual([6n]);
      else expect(p.offset).toBe(6n);
    },
    10: async (v) => {
      const r = await call(10, v, { key: 'g', keyType: 0 });
      expect([r.errorCode, r.nodeId, r.port]).toEqual([0, 0, broker.port]);
    },
    11: async (v) => {
      await join(`join${v}`, v);
    },
    14: async (v) => {
      const m = await join(`sync${v}`, 5);
      const r = await call(14, v, { groupId: `sync${v}`, generationId: m.generationId, memberId: m.memberId, assignments: [{ memberId: m.memberId, assignment: Buffer.from('mine') }] });
      expect(r.errorCode).toBe(0);
      expect(r.assignment.toString()).toBe('mine');
    },
    12: async (v) => {
      const m = await join(`hb${v}`, 5);
      await call(14, 3, { groupId: `hb${v}`, generationId: m.generationId, memberId: m.memberId, assignments: [{ memberId: m.memberId, assignment: Buffer.alloc(0) }] });
      expect((await call(12, v, { groupId: `hb${v}`, generationId: m.generationId, memberId: m.memberId })).errorCode).toBe(0);
      expect((await call(12, v, { groupId: `hb${v}`, generationId: m.generationId + 1, memberId: m.memberId })).errorCode).toBe(22); // ILLEGAL_GENERATION
    },
    13: async (v) => {
      const m = await join(`leave${v}`, 5);
      expect((await call(13, v, { groupId: `leave${v}`, memberId: m.memberId })).errorCode).toBe(0);
      expect((await call(13, v, { groupId: `leave${v}`, memberId: m.memberId })).errorCode).toBe(25); // UNKNOWN_MEMBER_ID
    },
    8: async (v) => {
      const body = { groupId: `commit${v}`, generationId: -1, memberId: '', topics: [{ name: 't', partitions: [{ partitionIndex: 0, committedOffset: BigInt(v + 1), committedMetadata: 'm' }] }] };
      const r = await call(8, v, body);
      expect(r.topics[0].partitions[0].errorCode).toBe(0);
      expect(broker.broker.coordinator.committed(`commit${v}`, 't', 0).offset).toBe(BigInt(v + 1));
    },
    9: async (v) => {
      await broker.broker.coordinator.commit(`fetch${v}`, '', -1, [{ topic: 't', partition: 1, offset: 4n, metadata: null }]);
      const r = await call(9, v, { groupId: `fetch${v}`, topics: [{ name: 't', partitionIndexes: [0, 1] }] });
      expect(r.topics[0].partitions.map((p: { committedOffset: bigint }) => p.committedOffset)).toEqual([-1n, 4n]);
      if (v >= 2) {
        const all = await call(9, v, { groupId: `fetch${v}`, topics: null });
        expect(all.topics).toHaveLength(1);
      }
    },
    15: async (v) => {
      const m = await join(`describe${v}`, 5);
      const r = await call(15, v, { groups: [`describe${v}`] });
      expect(r.groups[0].errorCode).toBe(0);
      expect(r.groups[0].members.map((x: { memberId: string }) => x.memberId)).toEqual([m.memberId]);
    },
    16: async (v) => {
      await join(`list${v}`, 5);
      const r = await call(16, v, {});
      expect(r.errorCode).toBe(0);
      expect(r.groups.map((g: { groupId: string }) => g.groupId)).toContain(`list${v}`);
    },
    19: async (v) => {
      const topic = (name: string, numPartitions: number, configs: { name: string; value: string }[] = []) => ({ name, numPartitions, replicationFactor: v >= 4 ? -1 : 1, assignments: [], configs });
      const dry = await call(19, v, { topics: [topic(`dry${v}`, 2)], timeoutMs: 5000, validateOnly: v >= 1 });
      if (v >= 1) {
        expect(dry.topics[0].errorCode).toBe(0);
        expect(broker.broker.topics.get(`dry${v}`)).toBeUndefined(); // validated, not created
      }
      const r = await call(19, v, { topics: [topic(`created${v}`, v >= 4 ? -1 : 3, [{ name: 'retention.ms', value: '60000' }])], timeoutMs: 5000, validateOnly: false });
      const t = r.topics[0];
      expect(t.errorCode).toBe(0);
      const made = broker.broker.topics.get(`created${v}`)!;
      expect(made.partitions).toBe(v >= 4 ? 2 : 3); // -1: num.partitions
      expect(made.configs).toEqual({ 'retention.ms': '60000' });
      if (v >= 5) {
        expect([t.numPartitions, t.replicationFactor]).toEqual([made.partitions, 1]);
        expect(t.configs.find((c: { name: string }) => c.name === 'retention.ms')).toEqual({ name: 'retention.ms', value: '60000', readOnly: false, configSource: 1, isSensitive: false });
      }
      expect(t.topicId).toBe(v >= 7 ? made.id : ZERO_UUID); // the default where the version lacks it
      const again = await call(19, v, { topics: [topic(`created${v}`, 3)], timeoutMs: 5000, validateOnly: false });
      expect(again.topics[0].errorCode).toBe(36); // TOPIC_ALREADY_EXISTS
      if (v >= 1) expect(again.topics[0].errorMessage).toMatch(/already exists/);
    },
    20: async (v) => {
      const doomed = broker.broker.topics.create(`doomed${v}`, 1);
      const body = v >= 6 ? { topics: [{ name: `doomed${v}`, topicId: ZERO_UUID }, { name: 'never-was', topicId: ZERO_UUID }] } : { topicNames: [`doomed${v}`, 'never-was'] };
      const r = await call(20, v, { ...body, timeoutMs: 5000 });
      expect(r.responses.map((x: { errorCode: number }) => x.errorCode)).toEqual([0, 3]);
      expect(broker.broker.topics.get(`doomed${v}`)).toBeUndefined();
      expect(r.responses[1].errorMessage).toBe(v >= 5 ? 'no topic "never-was"' : null);
      if (v < 6) return;
      expect(r.responses[0].topicId).toBe(doomed.id);
      const byId = broker.broker.topics.create(`by-id${v}`, 1);
      const unknown = '0b8b1a9e-5f4c-4d0e-9a7e-3f2d1c0b9a88';
      const r2 = await call(20, v, {
        topics: [{ name: null, topicId: byId.id }, { name: null, topicId: unknown }, { name: 't', topicId: byId.id }, { name: null, topicId: ZERO_UUID }],
        timeoutMs: 5000,
      });
      expect(r2.responses.map((x: { name: string | null; topicId: string; errorCode: number }) => [x.name, x.topicId, x.errorCode])).toEqual([
        [`by-id${v}`, byId.id, 0],
        [null, unknown, 100], // UNKNOWN_TOPIC_ID
        ['t', byId.id, 42], // INVALID_REQUEST: both
        [null, ZERO_UUID, 42], // INVALID_REQUEST: neither
      ]);
      expect(broker.broker.topics.get(`by-id${v}`)).toBeUndefined();
      expect(broker.broker.topics.get('t')).toBeDefined();
    },
    22: async (v) => {
      const r = await call(22, v, { transactionalId: null, transactionTimeoutMs: 60_000 });
      expect(r.errorCode).toBe(0);
      expect(r.producerId).toBeGreaterThanOrEqual(0n);
      expect(r.producerEpoch).toBe(0);
      // Transactions are not served.
      const tx = await call(22, v, { transactionalId: 'tx', transactionTimeoutMs: 60_000 });
      expect([tx.errorCode, tx.producerId]).toEqual([53, -1n]); // TRANSACTIONAL_ID_AUTHORIZATION_FAILED
      if (v < 3) return;
      // An idempotent producer sending its id and epoch gets a new id, as from Kafka.
      const again = await call(22, v, { transactionalId: null, transactionTimeoutMs: 60_000, producerId: r.producerId, producerEpoch: 0 });
      expect([again.errorCode, again.producerEpoch]).toEqual([0, 0]);
      expect(again.producerId).toBeGreaterThan(r.producerId);
      const half = await call(22, v, { transactionalId: null, transactionTimeoutMs: 60_000, producerId: r.producerId, producerEpoch: -1 });
      expect(half.errorCode).toBe(42); // INVALID_REQUEST
    },
    32: async (v) => {
      const r = await call(32, v, { resources: [{ resourceType: 4, resourceName: '0', configurationKeys: ['num.partitions'] }], includeSynoyms: v >= 1, includeDocumentation: v >= 3 });
      expect(r.results[0].errorCode).toBe(0);
      const c = r.results[0].configs[0];
      expect([c.name, c.value, c.readOnly]).toEqual(['num.partitions', '2', false]);
      if (v === 0) expect(c.isDefault).toBe(false);
      if (v >= 1) {
        expect(c.configSource).toBe(4); // STATIC_BROKER_CONFIG
        expect(c.synonyms).toEqual([
          { name: 'num.partitions', value: '2', source: 4 },
          { name: 'num.partitions', value: '1', source: 5 }, // DEFAULT_CONFIG, overridden
        ]);
      }
      if (v >= 3) expect([c.configType, c.documentation]).toEqual([3, 'partitions of an auto-created topic']); // INT
      const topic = await call(32, v, { resources: [{ resourceType: 2, resourceName: 't', configurationKeys: null }], includeSynoyms: false, includeDocumentation: false });
      const retention = topic.results[0].configs.find((x: { name: string }) => x.name === 'retention.ms');
      expect(retention.value).toBe(String(7 * 24 * 3600 * 1000));
      // Inherited from the broker's log.retention.ms, set at startup (STATIC_BROKER_CONFIG); no synonyms unless asked.
      if (v >= 1) expect([retention.configSource, retention.synonyms]).toEqual([4, []]);
      if (v >= 3) expect([retention.configType, retention.documentation]).toEqual([5, null]); // LONG
    },
    33: async (v) => {
      const r = await call(33, v, { resources: [{ resourceType: 4, resourceName: '0', configs: [{ name: 'auto.create.topics.enable', value: v % 2 ? 'false' : 'true' }] }], validateOnly: false });
      expect(r.responses[0].errorCode).toBe(0);
      expect(broker.broker.configs.get('auto.create.topics.enable')).toBe(v % 2 ? 'false' : 'true');
      const bad = await call(33, v, { resources: [{ resourceType: 4, resourceName: '0', configs: [{ name: 'log.segment.bytes', value: '2048' }] }], validateOnly: false });
      expect(bad.responses[0].errorCode).toBe(40); // INVALID_CONFIG
      expect(bad.responses[0].errorMessage).toMatch(/read-only/);
      // The whole set is replaced: what was set and is not named reverts.
      await call(33, v, { resources: [{ resourceType: 4, resourceName: '0', configs: [] }], validateOnly: false });
      expect(broker.broker.configs.get('auto.create.topics.enable')).toBe('true');
    },
    44: async (v) => {
      const r = await call(44, v, { resources: [{ resourceType: 4, resourceName: '0', configs: [{ name: 'transfer.strategy', configOperation: 0, value: 'copy' }] }], validateOnly: false });
      expect(r.responses[0].errorCode).toBe(0);
      expect(broker.broker.transfer.name).toBe('copy');
      await call(44, v, { resources: [{ resourceType: 4, resourceName: '0', configs: [{ name: 'transfer.strategy', configOperation: 1, value: null }] }], validateOnly: false });
      expect(broker.broker.transfer.name).toBe('sendfile');
    },
  };

  afterEach(() => conn.close());

  it.each(cases)('%s (key %i) v%i', async (_name, key, v) => {
    conn = await KafkaConnection.open('127.0.0.1', broker.port, 'versions');
    const exercise = exercises[key];
    expect(exercise, `no exercise for api key ${key}`).toBeDefined();
    await exercise!(v);
  });
});
