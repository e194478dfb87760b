// Every advertised version of every API, against a running broker: clients
// pick different versions (older clients old ones), so each must be
// answered correctly, not only the newest.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { KafkaConnection } from '../src/client/connection.js';
import { KAFKA_APIS, ZERO_UUID, advertisedVersions, type ApiKey } from '../src/protocol/kafka/index.js';
import { CLUSTER_OPERATIONS, TOPIC_OPERATIONS } from '../src/server/handlers/metadata.js';
import { startTestBroker, type TestBroker } from './helpers/broker.js';
import { numberedBatch } from './helpers/batches.js';

const versionsOf = (key: number): number[] => {
  const api = KAFKA_APIS.find((a) => a.apiKey === key)!;
  return Array.from({ length: api.maxVersion - api.minVersion + 1 }, (_, i) => api.minVersion + i);
};

/** Authorized operations a client did not ask for. */
const NOT_REQUESTED = -2147483648;

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
      expect(r.apiKeys).toEqual(advertisedVersions());
    },
    3: async (v) => {
      const t = broker.broker.topics.get('t')!;
      const r = await call(3, v, { topics: [{ name: 't' }] });
      expect(r.topics[0].errorCode).toBe(0);
      expect(r.topics[0].partitions.map((p: { partitionIndex: number; leaderId: number }) => [p.partitionIndex, p.leaderId])).toEqual([[0, 0], [1, 0]]);
      expect(r.brokers).toEqual([{ nodeId: 0, host: '127.0.0.1', port: broker.port, rack: null }]);
      if (v >= 1) expect(r.controllerId).toBe(0);
      if (v >= 2) expect(r.clusterId).toBeTruthy();
      // Fields a version lacks decode as their defaults: what is seen is what was sent.
      expect(r.topics[0].partitions[0]).toMatchObject({ leaderEpoch: v >= 7 ? 0 : -1, replicaNodes: [0], isrNodes: [0], offlineReplicas: [] });
      expect(r.topics[0].topicId).toBe(v >= 10 ? t.id : ZERO_UUID);
      expect([r.topics[0].topicAuthorizedOperations, r.clusterAuthorizedOperations]).toEqual([NOT_REQUESTED, NOT_REQUESTED]);
      const all = await call(3, v, { topics: v === 0 ? [] : null });
      expect(all.topics.map((x: { name: string }) => x.name)).toContain('t');
      if (v >= 4) {
        const none = await call(3, v, { topics: [{ name: `absent${v}` }], allowAutoTopicCreation: false });
        expect(none.topics[0].errorCode).toBe(3); // UNKNOWN_TOPIC_OR_PARTITION
        expect(broker.broker.topics.get(`absent${v}`)).toBeUndefined();
      }
      if (v >= 8) {
        // Asked for, authorized operations are every operation Kafka's ACLs know for the resource: mqlab allows all.
        const ops = await call(3, v, { topics: [{ name: 't' }], includeTopicAuthorizedOperations: true, ...(v <= 10 ? { includeClusterAuthorizedOperations: true } : {}) });
        expect(ops.topics[0].topicAuthorizedOperations).toBe(TOPIC_OPERATIONS);
        expect(ops.clusterAuthorizedOperations).toBe(v <= 10 ? CLUSTER_OPERATIONS : NOT_REQUESTED);
      }
      if (v >= 10) {
        // By id (the name left null): found, or UNKNOWN_TOPIC_ID with the id echoed; never auto-created.
        const unknown = '0123abcd-0000-4000-8000-000000000000';
        const byId = await call(3, v, { topics: [{ topicId: t.id, name: null }, { topicId: unknown, name: null }], allowAutoTopicCreation: true });
        expect(byId.topics.map((x: { errorCode: number; name: string | null; topicId: string }) => [x.errorCode, x.name, x.topicId])).toEqual([
          [0, 't', t.id],
          [100, v >= 12 ? null : '', unknown],
        ]);
        expect(byId.topics[0].partitions).toHaveLength(2);
        expect(broker.broker.topics.byId(unknown)).toBeUndefined();
      }
    },
    0: async (v) => {
      const before = broker.broker.engine.highWatermark({ topic: 't', partition: 1 });
      const body = { transactionalId: null, acks: -1, timeoutMs: 5000, topicData: [{ name: 't', partitionData: [{ index: 1, records: numberedBatch(`p${v}`, 2) }] }] };
      const r = await call(0, v, body);
      const p = r.responses[0].partitionResponses[0];
      expect(p).toMatchObject({ errorCode: 0, baseOffset: before, recordErrors: [], errorMessage: null });
      expect(broker.broker.engine.highWatermark({ topic: 't', partition: 1 })).toBe(before + 2n);
      // Leader hints (v10+) only come with NOT_LEADER_OR_FOLLOWER, which a single node never answers.
      expect([p.currentLeader, r.nodeEndpoints]).toEqual([{ leaderId: -1, leaderEpoch: -1 }, []]);
      // A refused batch says why from v8 (ErrorMessage); its records are not to blame (RecordErrors stays empty).
      const bad = await call(0, v, { ...body, acks: 2 });
      expect(bad.responses[0].partitionResponses[0]).toMatchObject({ errorCode: 21, recordErrors: [], errorMessage: v >= 8 ? 'acks must be 0, 1 or -1, got 2' : null });
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
      const here = { nodeId: 0, host: '127.0.0.1', port: broker.port, errorCode: 0, errorMessage: null };
      // Share groups (key type 2, v6+) are not coordinated here.
      const refused = { nodeId: -1, host: '', port: -1, errorCode: 42, errorMessage: 'unknown key type 2' }; // INVALID_REQUEST
      if (v < 4) {
        const r = await call(10, v, { key: 'g', keyType: 0 });
        expect(r).toMatchObject({ ...here, errorMessage: v >= 1 ? null : '', coordinators: [] }); // v0 has no ErrorMessage: '' as absent
        if (v >= 1) {
          expect(await call(10, v, { key: 'tx', keyType: 1 })).toMatchObject(here);
          expect(await call(10, v, { key: 'sg', keyType: 2 })).toMatchObject(refused);
        }
        return;
      }
      const r = await call(10, v, { keyType: 0, coordinatorKeys: ['g1', 'g2'] });
      expect(r.coordinators).toEqual([{ key: 'g1', ...here }, { key: 'g2', ...here }]);
      expect(r.errorCode).toBe(0); // the v0-v3 fields are absent
      expect((await call(10, v, { keyType: 1, coordinatorKeys: ['tx'] })).coordinators).toEqual([{ key: 'tx', ...here }]);
      expect((await call(10, v, { keyType: 2, coordinatorKeys: ['sg'] })).coordinators).toEqual([{ key: 'sg', ...refused }]);
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
      const r = await call(19, v, { topics: [{ name: `created${v}`, numPartitions: 3, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 5000, validateOnly: false });
      expect(r.topics[0].errorCode).toBe(0);
      expect(broker.broker.topics.get(`created${v}`)?.partitions).toBe(3);
      const again = await call(19, v, { topics: [{ name: `created${v}`, numPartitions: 3, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 5000, validateOnly: false });
      expect(again.topics[0].errorCode).toBe(36); // TOPIC_ALREADY_EXISTS
    },
    20: async (v) => {
      broker.broker.topics.create(`doomed${v}`, 1);
      const r = await call(20, v, { topicNames: [`doomed${v}`, 'never-was'], timeoutMs: 5000 });
      expect(r.responses.map((x: { errorCode: number }) => x.errorCode)).toEqual([0, 3]);
      expect(broker.broker.topics.get(`doomed${v}`)).toBeUndefined();
    },
    22: async (v) => {
      const r = await call(22, v, { transactionalId: null, transactionTimeoutMs: 60_000 });
      expect(r.errorCode).toBe(0);
      expect(r.producerId).toBeGreaterThanOrEqual(0n);
    },
    32: async (v) => {
      const r = await call(32, v, { resources: [{ resourceType: 4, resourceName: '0', configurationKeys: ['transfer.strategy'] }] });
      expect(r.results[0].errorCode).toBe(0);
      expect(r.results[0].configs.map((c: { name: string }) => c.name)).toEqual(['transfer.strategy']);
      const topic = await call(32, v, { resources: [{ resourceType: 2, resourceName: 't', configurationKeys: null }] });
      expect(topic.results[0].configs.map((c: { name: string }) => c.name)).toContain('retention.ms');
    },
    33: async (v) => {
      const r = await call(33, v, { resources: [{ resourceType: 4, resourceName: '0', configs: [{ name: 'num.partitions', value: String(v + 2) }] }], validateOnly: false });
      expect(r.responses[0].errorCode).toBe(0);
      expect(broker.broker.configs.get('num.partitions')).toBe(String(v + 2));
      const bad = await call(33, v, { resources: [{ resourceType: 4, resourceName: '0', configs: [{ name: 'log.segment.bytes', value: '2048' }] }], validateOnly: false });
      expect(bad.responses[0].errorCode).toBe(40); // INVALID_CONFIG
      expect(bad.responses[0].errorMessage).toMatch(/read-only/);
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
