// Every advertised version of every API, against a running broker: clients
// pick different versions (older clients old ones), so each must be
// answered correctly, not only the newest.
import { resolve } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { KafkaConnection } from '../src/client/connection.js';
import { KAFKA_APIS, ZERO_UUID, advertisedVersions, type ApiKey } from '../src/protocol/kafka/index.js';
import { CLUSTER_OPERATIONS, TOPIC_OPERATIONS } from '../src/server/handlers/metadata.js';
import { startTestBroker, type TestBroker } from './helpers/broker.js';
import { numberedBatch, timedBatch } from './helpers/batches.js';
import { encodeBatch } from '../src/records/index.js';
import { fetchWaiting } from './helpers/broker-events.js';

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
    // A SASL listener beside the plain one, for the login APIs.
    broker = await startTestBroker({ 'num.partitions': '2', listeners: 'PLAINTEXT://127.0.0.1:0,SASL_PLAINTEXT://127.0.0.1:0' });
    broker.credentials.setPassword('exerciser', 'exerciser-secret', 'SCRAM-SHA-256');
    broker.broker.topics.create('t', 2);
    for (let i = 0; i < 3; i++) await broker.broker.produce('t', 0, numberedBatch(`seed${i}`, 2));
    broker.broker.topics.create('times', 1);
    for (const times of [[1000, 5000, 3000], [2000, 5000], [4000]]) await broker.broker.produce('times', 0, timedBatch(times));
  });
  afterAll(async () => {
    await broker.destroy();
    if (aclBroker) await (await aclBroker).destroy();
  });

  /**
   * The ACL APIs need an authorizer, which the broker above has not (it
   * answers them SECURITY_DISABLED): a second broker has one, its plain
   * listener's principal (User:ANONYMOUS) a super user. Started on first use.
   */
  let aclBroker: Promise<TestBroker> | null = null;
  const withAcls = async (): Promise<{ acls: TestBroker['acls']; call: (key: number, v: number, body: object) => Promise<any> }> => {
    const b = await (aclBroker ??= startTestBroker({ 'authorizer.class.name': 'mqlab', 'super.users': 'User:ANONYMOUS' }));
    const c = await KafkaConnection.open('127.0.0.1', b.port, 'versions-acls');
    aclConnections.push(c);
    return { acls: b.acls, call: (key, v, body) => c.request(key as ApiKey, v, body as never) };
  };
  const aclConnections: KafkaConnection[] = [];
  afterEach(() => {
    for (const c of aclConnections.splice(0)) c.close();
  });
  // LITERAL (3), the only pattern type v0 has: left out of the request, it takes that default.
  const topicAcl = (name: string) => ({ resourceType: 'TOPIC', resourceName: name, patternType: 'LITERAL', principal: 'User:alice', host: '*', operation: 'READ', permission: 'ALLOW' }) as const;
  const topicAclFilter = { resourceType: 'TOPIC', resourceName: null, patternType: 'ANY', principal: null, host: null, operation: 'ANY', permission: 'ANY' } as const;
  const topicFilter = (name: string) => ({ resourceTypeFilter: 2, resourceNameFilter: name, principalFilter: null, hostFilter: null, operation: 1, permissionType: 1 });

  const RANGE = [{ name: 'range', metadata: Buffer.from([0, 0, 0, 0, 0, 0, 0, 0]) }];

  /**
   * Joins a one-member group at this version (v5+ as a static member when
   * given an instance id, which needs no MEMBER_ID_REQUIRED round); returns
   * its id and generation.
   */
  async function join(group: string, joinV: number, groupInstanceId: string | null = null): Promise<{ memberId: string; generationId: number }> {
    const body = { groupId: group, sessionTimeoutMs: 10_000, rebalanceTimeoutMs: 10_000, memberId: '', groupInstanceId, protocolType: 'consumer', protocols: RANGE };
    if (joinV === 0) delete (body as Partial<typeof body>).rebalanceTimeoutMs;
    let r = await call(11, joinV, body);
    if (joinV >= 4 && groupInstanceId === null) {
      expect(r.errorCode).toBe(79); // MEMBER_ID_REQUIRED, with the id to come back with
      r = await call(11, joinV, { ...body, memberId: r.memberId });
    }
    expect(r.errorCode).toBe(0);
    expect(r.leader).toBe(r.memberId);
    if (joinV >= 5) expect(r.members).toEqual([{ memberId: r.memberId, groupInstanceId, metadata: RANGE[0]!.metadata }]);
    if (joinV >= 7) expect([r.protocolType, r.protocolName]).toEqual(['consumer', 'range']);
    if (joinV >= 9) expect(r.skipAssignment).toBe(false);
    return { memberId: r.memberId, generationId: r.generationId };
  }

  /** Joins (static from JoinGroup v5) and syncs a one-member group: Stable. */
  async function stable(group: string, groupInstanceId: string | null = null): Promise<{ memberId: string; generationId: number }> {
    const m = await join(group, 5, groupInstanceId);
    const r = await call(14, 3, { groupId: group, generationId: m.generationId, memberId: m.memberId, groupInstanceId, assignments: [{ memberId: m.memberId, assignment: Buffer.from('mine') }] });
    expect(r.errorCode).toBe(0);
    return m;
  }

  /** A connection of its own to the SASL listener: a login changes (or ends) the connection it runs on. */
  const saslConnection = (): Promise<KafkaConnection> => KafkaConnection.open('127.0.0.1', broker.listeners.find((l) => l.name === 'SASL_PLAINTEXT')!.port, 'versions-sasl');
  const PLAIN_TOKEN = Buffer.from('\0exerciser\0exerciser-secret');

  const exercises: Record<number, (v: number) => Promise<void>> = {
    17: async (v) => {
      const c = await saslConnection();
      try {
        const r = await c.request(17, v, { mechanism: 'PLAIN' });
        expect(r).toEqual({ errorCode: 0, mechanisms: ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512'] });
        // v0 goes on with a bare token, which this client does not send; v1 with SaslAuthenticate.
        if (v === 1) expect((await c.request(36, 0, { authBytes: PLAIN_TOKEN })).errorCode).toBe(0);
        // The plain listener has no SASL: ILLEGAL_SASL_STATE.
        const plain = await KafkaConnection.open('127.0.0.1', broker.port, 'versions-plain');
        expect(await plain.request(17, v, { mechanism: 'PLAIN' })).toEqual({ errorCode: 34, mechanisms: [] });
        plain.close();
      } finally {
        c.close();
      }
    },
    36: async (v) => {
      const c = await saslConnection();
      try {
        await c.request(17, 1, { mechanism: 'PLAIN' });
        const r = await c.request(36, v, { authBytes: PLAIN_TOKEN });
        expect(r).toMatchObject({ errorCode: 0, errorMessage: null, authBytes: Buffer.alloc(0) });
        expect(r.sessionLifetimeMs).toBe(0n);
        const after = await c.request(3, 4, { topics: [{ name: 't' }], allowAutoTopicCreation: false });
        expect(after.topics[0]!.errorCode).toBe(0);
      } finally {
        c.close();
      }
    },
    50: async (v) => {
      const r = await call(50, v, { users: null });
      expect(r.errorCode).toBe(0);
      expect(r.results).toContainEqual({ user: 'exerciser', errorCode: 0, errorMessage: null, credentialInfos: [{ mechanism: 1, iterations: 4096 }] });
      const absent = await call(50, v, { users: [{ name: 'absent' }] });
      expect(absent.results).toEqual([{ user: 'absent', errorCode: 91, errorMessage: expect.stringContaining('absent'), credentialInfos: [] }]);
    },
    51: async (v) => {
      const salted = { salt: Buffer.alloc(32, 7), saltedPassword: Buffer.alloc(64, 9) };
      const r = await call(51, v, { deletions: [], upsertions: [{ name: `added${v}`, mechanism: 2, iterations: 4096, ...salted }] });
      expect(r.results).toEqual([{ user: `added${v}`, errorCode: 0, errorMessage: null }]);
      expect(broker.credentials.get(`added${v}`, 'SCRAM-SHA-512')?.iterations).toBe(4096);
    },
    29: async (v) => {
      expect(await call(29, v, topicFilter('x'))).toEqual({ throttleTimeMs: 0, errorCode: 54, errorMessage: 'No Authorizer is configured on the broker', resources: [] });
      const b = await withAcls();
      b.acls.create([topicAcl(`described${v}`)]);
      const r = await b.call(29, v, topicFilter(`described${v}`));
      expect(r).toMatchObject({ errorCode: 0, errorMessage: null });
      expect(r.resources).toEqual([{ resourceType: 2, resourceName: `described${v}`, patternType: 3, acls: [{ principal: 'User:alice', host: '*', operation: 3, permissionType: 3 }] }]);
    },
    30: async (v) => {
      const creation = { resourceType: 2, resourceName: `created${v}`, principal: 'User:alice', host: '*', operation: 3, permissionType: 3 };
      expect((await call(30, v, { creations: [creation] })).results).toEqual([{ errorCode: 54, errorMessage: 'No Authorizer is configured on the broker' }]);
      const b = await withAcls();
      const r = await b.call(30, v, { creations: [creation, { ...creation, resourceName: '' }] });
      expect(r.results).toEqual([{ errorCode: 0, errorMessage: null }, { errorCode: 42, errorMessage: 'Invalid empty resource name' }]);
      expect(b.acls.describe({ ...topicAclFilter, resourceName: `created${v}` })).toEqual([topicAcl(`created${v}`)]);
    },
    31: async (v) => {
      expect((await call(31, v, { filters: [topicFilter('x')] })).filterResults).toEqual([{ errorCode: 54, errorMessage: 'No Authorizer is configured on the broker', matchingAcls: [] }]);
      const b = await withAcls();
      b.acls.create([topicAcl(`deleted${v}`)]);
      const r = await b.call(31, v, { filters: [topicFilter(`deleted${v}`)] });
      expect(r.filterResults).toEqual([
        { errorCode: 0, errorMessage: null, matchingAcls: [{ errorCode: 0, errorMessage: null, resourceType: 2, resourceName: `deleted${v}`, patternType: 3, principal: 'User:alice', host: '*', operation: 3, permissionType: 3 }] },
      ]);
      expect(b.acls.describe({ ...topicAclFilter, resourceName: `deleted${v}` })).toEqual([]);
    },
    18: async (v) => {
      const r = await call(18, v, v >= 3 ? { clientSoftwareName: 'test', clientSoftwareVersion: '1' } : {});
      expect(r.errorCode).toBe(0);
      expect(r.apiKeys).toEqual(advertisedVersions());
      if (v < 3) return;
      // transaction.version (KIP-890), finalized at the broker's level (2 by default); before v4 a range from 0 is left out (KAFKA-17492).
      expect(r.supportedFeatures).toEqual(v >= 4 ? [{ name: 'transaction.version', minVersion: 0, maxVersion: 2 }] : []);
      expect(r.finalizedFeatures).toEqual([{ name: 'transaction.version', maxVersionLevel: 2, minVersionLevel: 2 }]);
      expect(r.finalizedFeaturesEpoch).toBe(broker.broker.featuresEpoch);
      expect(r.finalizedFeaturesEpoch).toBeGreaterThan(0n);
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
      expect(r.errorCode).toBe(0); // v13's top-level code; its default before
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
      const t = broker.broker.topics.get('t')!;
      const before = broker.broker.engine.highWatermark({ topic: 't', partition: 1 });
      // v13 names the topic by id, in the request and the answer.
      const topic = v >= 13 ? { topicId: t.id } : { name: 't' };
      const body = { transactionalId: null, acks: -1, timeoutMs: 5000, topicData: [{ ...topic, partitionData: [{ index: 1, records: numberedBatch(`p${v}`, 2) }] }] };
      const r = await call(0, v, body);
      expect(r.responses[0]).toMatchObject(v >= 13 ? { name: '', topicId: t.id } : { name: 't', topicId: ZERO_UUID });
      const p = r.responses[0].partitionResponses[0];
      expect(p).toMatchObject({ errorCode: 0, baseOffset: before, recordErrors: [], errorMessage: null });
      expect(broker.broker.engine.highWatermark({ topic: 't', partition: 1 })).toBe(before + 2n);
      // Leader hints (v10+) only come with NOT_LEADER_OR_FOLLOWER, which a single node never answers.
      expect([p.currentLeader, r.nodeEndpoints]).toEqual([{ leaderId: -1, leaderEpoch: -1 }, []]);
      // A refused batch says why from v8 (ErrorMessage); its records are not to blame (RecordErrors stays empty).
      const bad = await call(0, v, { ...body, acks: 2 });
      expect(bad.responses[0].partitionResponses[0]).toMatchObject({ errorCode: 21, recordErrors: [], errorMessage: v >= 8 ? 'acks must be 0, 1 or -1, got 2' : null });
      if (v >= 13) {
        // An id naming no topic (the zero UUID names none): UNKNOWN_TOPIC_ID for each partition, the id echoed; nothing created.
        for (const id of ['5f0c1e2d-0000-4000-8000-00000000000d', ZERO_UUID]) {
          const unknown = await call(0, v, { ...body, topicData: [{ topicId: id, partitionData: [0, 1].map((index) => ({ index, records: numberedBatch('lost', 1) })) }] });
          const refused = (index: number) => ({ index, errorCode: 100, baseOffset: -1n, logAppendTimeMs: -1n, logStartOffset: -1n, recordErrors: [], errorMessage: null, currentLeader: { leaderId: -1, leaderEpoch: -1 } });
          expect(unknown.responses).toEqual([{ name: '', topicId: id, partitionResponses: [refused(0), refused(1)] }]);
        }
        expect(broker.broker.topics.list().map((x) => x.name)).not.toContain('');
        expect(broker.broker.engine.highWatermark({ topic: 't', partition: 1 })).toBe(before + 2n);
      }
      if (v < 3) return;
      // A transactional batch for a partition no AddPartitionsToTxn named: from v12 (transaction.version 2) it joins the transaction, before refused.
      const id = `produce-v${v}`;
      const producer = await call(22, 1, { transactionalId: id, transactionTimeoutMs: 60_000 });
      const batch = encodeBatch({ baseTimestamp: 1n, producerId: producer.producerId, producerEpoch: producer.producerEpoch, baseSequence: 0, transactional: true, records: [{ key: null, value: Buffer.from('txn'), headers: [] }] });
      const t1 = v >= 13 ? { topicId: broker.broker.topics.get('t')!.id } : { name: 't' };
      const txn = await call(0, v, { transactionalId: id, acks: -1, timeoutMs: 5000, topicData: [{ ...t1, partitionData: [{ index: 1, records: batch }] }] });
      expect(txn.responses[0].partitionResponses[0].errorCode).toBe(v >= 12 ? 0 : 48); // INVALID_TXN_STATE
      const state = broker.broker.transactions.coordinator.describe(id)!;
      expect([state.state, [...state.partitions]]).toEqual(v >= 12 ? ['Ongoing', ['t\x001']] : ['Empty', []]);
      if (v >= 12) expect((await call(26, 5, { transactionalId: id, producerId: producer.producerId, producerEpoch: producer.producerEpoch, committed: false })).errorCode).toBe(0);
    },
    1: async (v) => {
      // v13+ names topics by id, in the request and the answer.
      const topic = (name: string): object => (v >= 13 ? { topicId: broker.broker.topics.get(name)!.id } : { topic: name });
      const fetch = (topics: object[], more: object = {}) =>
        call(1, v, { replicaId: -1, maxWaitMs: 0, minBytes: 0, maxBytes: 1 << 20, isolationLevel: 0, sessionId: 0, sessionEpoch: -1, topics, ...more });
      const at = (offset: bigint, more: object = {}) => ({ partition: 0, fetchOffset: offset, partitionMaxBytes: 1 << 20, ...more });
      // v17's ReplicaDirectoryId and v18's HighWatermark (a follower's) are read and need nothing from a consumer's broker.
      const r = await fetch([{ ...topic('t'), partitions: [at(2n, { ...(v >= 17 ? { replicaDirectoryId: '0123abcd-0000-4000-8000-00000000abcd' } : {}), ...(v >= 18 ? { highWatermark: 5n } : {}) })] }]);
      expect(r.errorCode).toBe(0);
      expect(r.sessionId).toBe(0);
      expect(r.responses[0]).toMatchObject(v >= 13 ? { topicId: broker.broker.topics.get('t')!.id, topic: '' } : { topic: 't' });
      const p = r.responses[0].partitions[0];
      expect(p).toMatchObject({ errorCode: 0, highWatermark: 6n, lastStableOffset: v >= 4 ? 6n : -1n, logStartOffset: v >= 5 ? 0n : -1n });
      expect(p.records.readBigInt64BE(0)).toBe(2n); // the batch holding offset 2 starts at 2
      if (v >= 7) {
        // Epoch 0 opens a session (KIP-227): a full answer with its id.
        const opened = await fetch([{ ...topic('t'), partitions: [at(6n)] }], { sessionEpoch: 0 });
        expect(opened.sessionId).toBeGreaterThan(0);
        expect(opened.responses[0].partitions[0]).toMatchObject({ errorCode: 0, highWatermark: 6n });
        // Its next epoch, naming nothing: the partition has nothing new, so the answer is empty.
        expect(await fetch([], { sessionId: opened.sessionId, sessionEpoch: 1 })).toMatchObject({ errorCode: 0, sessionId: opened.sessionId, responses: [] });
        expect(await fetch([], { sessionId: opened.sessionId, sessionEpoch: 1 })).toMatchObject({ errorCode: 71, sessionId: 0, responses: [] }); // INVALID_FETCH_SESSION_EPOCH
        const unknown = await fetch([], { sessionId: opened.sessionId ^ 1, sessionEpoch: 1 });
        expect(unknown).toMatchObject({ errorCode: 70, sessionId: 0, responses: [] }); // FETCH_SESSION_ID_NOT_FOUND
        // Epoch -1 closes it; the answer is full and sessionless.
        const closed = await fetch([{ ...topic('t'), partitions: [at(6n)] }], { sessionId: opened.sessionId, sessionEpoch: -1 });
        expect(closed).toMatchObject({ errorCode: 0, sessionId: 0 });
        expect(closed.responses[0].partitions).toHaveLength(1);
        expect(broker.broker.fetchSessions.get(opened.sessionId)).toBeUndefined();
      }
      if (v >= 13) {
        for (const id of ['9e1cbbb6-4c4f-4a3b-8f0e-2b1b0b1c7a01', ZERO_UUID]) {
          const unknown = await fetch([{ topicId: id, partitions: [at(0n)] }], { maxWaitMs: 10_000, minBytes: 1 });
          expect(unknown.responses[0].topicId).toBe(id);
          expect(unknown.responses[0].partitions[0]).toMatchObject({ errorCode: 100, highWatermark: -1n, logStartOffset: -1n }); // UNKNOWN_TOPIC_ID, at once
        }
      }
      // A long poll at the end of the log waits for the next append, found by name or id.
      const name = `wait-v${v}`;
      broker.broker.topics.create(name, 1);
      const waiting = fetchWaiting(broker.broker, name);
      const polled = fetch([{ ...topic(name), partitions: [at(0n)] }], { maxWaitMs: 20_000, minBytes: 1 });
      await waiting;
      await broker.broker.produce(name, 0, numberedBatch('late', 1));
      const woken = (await polled).responses[0].partitions[0];
      expect(woken.highWatermark).toBe(1n);
      expect(woken.records.length).toBeGreaterThan(0);
    },
    2: async (v) => {
      const list = async (name: string, timestamp: bigint, more: object = {}) => {
        const r = await call(2, v, { replicaId: -1, isolationLevel: 0, timeoutMs: 5000, topics: [{ name, partitions: [{ partitionIndex: 0, currentLeaderEpoch: 0, timestamp }] }], ...more });
        return r.topics[0].partitions[0];
      };
      if (v === 0) {
        expect((await list('t', -1n)).oldStyleOffsets).toEqual([6n]);
        expect((await list('t', -2n)).oldStyleOffsets).toEqual([0n]);
        return;
      }
      // v4+: the leader epoch (0, the only one) with an offset found, -1 without.
      const answer = (offset: bigint, timestamp = -1n) => ({ errorCode: 0, offset, timestamp, ...(v >= 4 ? { leaderEpoch: offset >= 0n ? 0 : -1 } : {}) });
      expect(await list('t', -1n)).toMatchObject(answer(6n));
      expect(await list('t', -2n)).toMatchObject(answer(0n));
      // Records stamped 1000, 5000, 3000 | 2000, 5000 | 4000 (offsets 0-5).
      expect(await list('times', 4500n)).toMatchObject(answer(1n, 5000n));
      expect(await list('times', 5001n)).toMatchObject(answer(-1n));
      expect((await list('nope', -1n)).errorCode).toBe(3); // UNKNOWN_TOPIC_OR_PARTITION
      // No transaction open: read_committed's latest is the high watermark too.
      if (v >= 2) expect(await list('t', -1n, { isolationLevel: 1 })).toMatchObject(answer(6n));
      // The first record stamped with the largest timestamp (KIP-734).
      if (v >= 7) expect(await list('times', -3n)).toMatchObject(answer(1n, 5000n));
      // Earliest local is earliest: no tiered storage (KIP-405).
      if (v >= 8) expect(await list('t', -4n)).toMatchObject(answer(0n));
      // Latest tiered: none, as Kafka answers for a topic without tiered storage (KIP-1005).
      if (v >= 9) expect(await list('t', -5n)).toMatchObject(answer(-1n));
      // Earliest pending upload: none, nothing is tiered or waits to be (KIP-1023).
      if (v >= 11) expect(await list('t', -6n)).toMatchObject(answer(-1n));
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
      const g = `join${v}`;
      await join(g, v);
      if (v < 5) return;
      // Static membership: a restarted member (empty id, same instance id) takes the old one's place.
      const old = await stable(`static${v}`, 'i');
      const back = await call(11, v, { groupId: `static${v}`, sessionTimeoutMs: 10_000, rebalanceTimeoutMs: 10_000, memberId: '', groupInstanceId: 'i', protocolType: 'consumer', protocols: RANGE, reason: 'restarted' });
      expect(back.errorCode).toBe(0);
      expect(back.generationId).toBe(old.generationId); // no rebalance
      expect(back.memberId).not.toBe(old.memberId);
      // A v9 leader is told it leads, and to skip the assignment (KIP-814); before, the old
      // leader id keeps it from assigning.
      expect([back.leader, back.members.length]).toEqual(v >= 9 ? [back.memberId, 1] : [old.memberId, 0]);
      if (v >= 9) expect(back.skipAssignment).toBe(true);
      const hb = (memberId: string) => call(12, 3, { groupId: `static${v}`, generationId: old.generationId, memberId, groupInstanceId: 'i' });
      expect((await hb(old.memberId)).errorCode).toBe(82); // FENCED_INSTANCE_ID
      expect((await hb(back.memberId)).errorCode).toBe(0);
    },
    14: async (v) => {
      const g = `sync${v}`;
      const m = await join(g, 5);
      const body = { groupId: g, generationId: m.generationId, memberId: m.memberId, protocolType: 'consumer', protocolName: 'range', assignments: [{ memberId: m.memberId, assignment: Buffer.from('mine') }] };
      if (v >= 5) expect((await call(14, v, { ...body, protocolName: 'roundrobin' })).errorCode).toBe(23); // INCONSISTENT_GROUP_PROTOCOL
      const r = await call(14, v, v >= 5 ? body : { ...body, protocolType: null, protocolName: null });
      expect(r.errorCode).toBe(0);
      expect(r.assignment.toString()).toBe('mine');
      if (v >= 5) expect([r.protocolType, r.protocolName]).toEqual(['consumer', 'range']);
    },
    12: async (v) => {
      const g = `hb${v}`;
      const instance = v >= 3 ? 'i' : null;
      const m = await stable(g, instance);
      expect((await call(12, v, { groupId: g, generationId: m.generationId, memberId: m.memberId, groupInstanceId: instance })).errorCode).toBe(0);
      expect((await call(12, v, { groupId: g, generationId: m.generationId + 1, memberId: m.memberId, groupInstanceId: instance })).errorCode).toBe(22); // ILLEGAL_GENERATION
      if (v >= 3) expect((await call(12, v, { groupId: g, generationId: m.generationId, memberId: 'impostor', groupInstanceId: 'i' })).errorCode).toBe(82); // FENCED_INSTANCE_ID
    },
    13: async (v) => {
      const g = `leave${v}`;
      if (v < 3) {
        const m = await join(g, 5);
        expect((await call(13, v, { groupId: g, memberId: m.memberId })).errorCode).toBe(0);
        expect((await call(13, v, { groupId: g, memberId: m.memberId })).errorCode).toBe(25); // UNKNOWN_MEMBER_ID
        return;
      }
      // A batch, answered member by member: a static member removed by its instance id alone (as an admin does), and a stranger.
      await stable(g, 'i');
      const members = [
        { memberId: '', groupInstanceId: 'i', reason: 'scaled down' },
        { memberId: 'stranger', groupInstanceId: null, reason: null },
      ];
      const r = await call(13, v, { groupId: g, members });
      expect(r.errorCode).toBe(0);
      expect(r.members).toEqual([
        { memberId: '', groupInstanceId: 'i', errorCode: 0 },
        { memberId: 'stranger', groupInstanceId: null, errorCode: 25 },
      ]);
      expect(broker.broker.coordinator.describe(g).members).toEqual([]);
      // A group that does not exist: Kafka's top-level UNKNOWN_MEMBER_ID, and no member answers.
      expect(await call(13, v, { groupId: `no-group${v}`, members })).toMatchObject({ errorCode: 25, members: [] });
    },
    8: async (v) => {
      // v10 names topics by id, in the request and the answer; offsets are kept by name.
      const t = v >= 10 ? { topicId: broker.broker.topics.get('t')!.id } : { name: 't' };
      const partitions = [{ partitionIndex: 0, committedOffset: BigInt(v + 1), committedLeaderEpoch: 7, committedMetadata: 'm' }];
      const r = await call(8, v, { groupId: `commit${v}`, generationId: -1, memberId: '', topics: [{ ...t, partitions }] });
      expect(r.topics).toEqual([{ name: v >= 10 ? '' : 't', topicId: v >= 10 ? t.topicId : ZERO_UUID, partitions: [{ partitionIndex: 0, errorCode: 0 }] }]);
      // Leader epochs come with v6.
      expect(broker.broker.coordinator.committed(`commit${v}`, 't', 0)).toEqual({ offset: BigInt(v + 1), metadata: 'm', leaderEpoch: v >= 6 ? 7 : -1 });
      if (v >= 1) {
        // A member of a group that does not exist: ILLEGAL_GENERATION before v9, GROUP_ID_NOT_FOUND from v9 (Kafka's answers).
        const none = await call(8, v, { groupId: `no-group${v}`, generationId: 1, memberId: 'm', topics: [{ ...t, partitions }] });
        expect(none.topics[0].partitions[0].errorCode).toBe(v >= 9 ? 69 : 22);
      }
      if (v >= 10) {
        // An id naming no topic: UNKNOWN_TOPIC_ID for each of its partitions, the id echoed; the others commit.
        const unknown = '5f0c1e2d-0000-4000-8000-000000000008';
        const mixed = await call(8, v, { groupId: `commit-mixed${v}`, generationId: -1, memberId: '', topics: [{ topicId: unknown, partitions: [partitions[0], { ...partitions[0], partitionIndex: 1 }] }, { ...t, partitions }] });
        expect(mixed.topics.map((x: any) => [x.topicId, x.partitions.map((p: any) => [p.partitionIndex, p.errorCode])])).toEqual([
          [unknown, [[0, 100], [1, 100]]],
          [t.topicId, [[0, 0]]],
        ]);
        expect(broker.broker.coordinator.committedAll(`commit-mixed${v}`)).toEqual([{ topic: 't', partition: 0, offset: BigInt(v + 1), metadata: 'm' }]);
      }
      if (v < 7) return;
      // A static member commits as itself; its instance id under another member id is fenced.
      const g = `commit-static${v}`;
      const m = await stable(g, 'i');
      const commit = (memberId: string) => call(8, v, { groupId: g, generationId: m.generationId, memberId, groupInstanceId: 'i', topics: [{ ...t, partitions }] });
      expect((await commit(m.memberId)).topics[0].partitions[0].errorCode).toBe(0);
      expect((await commit('impostor')).topics[0].partitions[0].errorCode).toBe(82); // FENCED_INSTANCE_ID
    },
    9: async (v) => {
      const g = `fetch${v}`;
      await broker.broker.coordinator.commit(g, '', -1, [{ topic: 't', partition: 1, offset: 4n, metadata: null, leaderEpoch: 3 }]);
      const epoch = v >= 5 ? 3 : -1;
      if (v < 8) {
        const r = await call(9, v, { groupId: g, topics: [{ name: 't', partitionIndexes: [0, 1] }], requireStable: v >= 7 });
        expect(r.topics[0].partitions.map((p: { committedOffset: bigint; committedLeaderEpoch: number }) => [p.committedOffset, p.committedLeaderEpoch])).toEqual([[-1n, -1], [4n, epoch]]);
        if (v >= 2) {
          const all = await call(9, v, { groupId: g, topics: null });
          expect(all.topics).toHaveLength(1);
        }
        return;
      }
      // Many groups at once, each answered on its own: a group with a topic list, one with null
      // (every partition it committed), a repeat (refused); v9's member id and epoch are not
      // checked for classic groups.
      await broker.broker.coordinator.commit(`${g}b`, '', -1, [{ topic: 't', partition: 0, offset: 9n, metadata: 'b' }]);
      // v10 names topics by id, in the request and the answer (a null list's too).
      const id = broker.broker.topics.get('t')!.id;
      const t = v >= 10 ? { topicId: id } : { name: 't' };
      const groups = [
        { groupId: g, memberId: 'anyone', memberEpoch: 12, topics: [{ ...t, partitionIndexes: [0, 1] }] },
        { groupId: `${g}b`, memberId: null, memberEpoch: -1, topics: null },
        { groupId: g, memberId: null, memberEpoch: -1, topics: null },
      ];
      const r = await call(9, v, { groups, requireStable: true });
      const offsets = (x: { topics: { name: string; topicId: string; partitions: { partitionIndex: number; committedOffset: bigint; metadata: string; errorCode: number }[] }[] }) =>
        x.topics.flatMap((t) => t.partitions.map((p) => [v >= 10 ? t.topicId : t.name, p.partitionIndex, p.committedOffset, p.metadata, p.errorCode]));
      const topic = v >= 10 ? id : 't';
      expect(r.groups.map((x: { groupId: string; errorCode: number }) => [x.groupId, x.errorCode])).toEqual([[g, 0], [`${g}b`, 0], [g, 42]]); // INVALID_REQUEST
      expect(offsets(r.groups[0])).toEqual([[topic, 0, -1n, '', 0], [topic, 1, 4n, '', 0]]);
      expect(offsets(r.groups[1])).toEqual([[topic, 0, 9n, 'b', 0]]);
      if (v < 10) return;
      // An id naming no topic: UNKNOWN_TOPIC_ID for each partition asked about (the group's answer is not refused).
      const unknown = '5f0c1e2d-0000-4000-8000-000000000009';
      const u = await call(9, v, { groups: [{ groupId: g, memberId: null, memberEpoch: -1, topics: [{ topicId: unknown, partitionIndexes: [0, 1] }, { topicId: id, partitionIndexes: [1] }] }], requireStable: false });
      expect(u.groups[0].errorCode).toBe(0);
      expect(offsets(u.groups[0])).toEqual([[unknown, 0, -1n, '', 100], [unknown, 1, -1n, '', 100], [id, 1, 4n, '', 0]]);
    },
    15: async (v) => {
      const g = `describe${v}`;
      const m = await stable(g, 'i');
      // A request before v3 cannot ask.
      const asked = await call(15, v, { groups: [g], includeAuthorizedOperations: v >= 3 });
      const notAsked = await call(15, v, { groups: [g], includeAuthorizedOperations: false });
      expect(asked.groups[0].errorCode).toBe(0);
      expect(asked.groups[0].groupState).toBe('Stable');
      // READ, DELETE and DESCRIBE (no ACLs: everything is allowed), from v3 and when asked.
      // READ, DELETE, DESCRIBE, DESCRIBE_CONFIGS, ALTER_CONFIGS (a group's operations since KIP-848's group configs).
      expect([asked.groups[0].authorizedOperations, notAsked.groups[0].authorizedOperations]).toEqual(v >= 3 ? [(1 << 3) | (1 << 6) | (1 << 8) | (1 << 10) | (1 << 11), -2147483648] : [-2147483648, -2147483648]);
      expect(asked.groups[0].members.map((x: { memberId: string; groupInstanceId: string | null }) => [x.memberId, x.groupInstanceId])).toEqual([[m.memberId, v >= 4 ? 'i' : null]]);
      expect(asked.groups[0].errorMessage).toBeNull();
      // A group that is not there: Dead before v6, GROUP_ID_NOT_FOUND with Kafka's message from v6 (KIP-1043).
      const absent = (await call(15, v, { groups: [`${g}-absent`], includeAuthorizedOperations: false })).groups[0];
      expect([absent.errorCode, absent.groupState, absent.errorMessage]).toEqual(v >= 6 ? [69, 'Dead', `Group ${g}-absent not found.`] : [0, 'Dead', null]);
      // A group id as long as a string may be: the message quoting it is cut to fit, the answer still sent (a fuzz finding).
      const longest = (await call(15, v, { groups: ['g'.repeat(32_767)], includeAuthorizedOperations: false })).groups[0];
      expect([longest.errorCode, longest.groupId.length]).toEqual([v >= 6 ? 69 : 0, 32_767]);
      if (v >= 6) expect(longest.errorMessage.length).toBeLessThanOrEqual(1000);
    },
    16: async (v) => {
      await stable(`list${v}`);
      await broker.broker.coordinator.commit(`list-empty${v}`, '', -1, [{ topic: 't', partition: 0, offset: 1n, metadata: null }]);
      const ids = async (body: object) => {
        const r = await call(16, v, body);
        expect(r.errorCode).toBe(0);
        return r.groups.filter((g: { groupId: string }) => g.groupId.endsWith(`${v}`) && g.groupId.startsWith('list')).map((g: { groupId: string }) => g.groupId);
      };
      expect(await ids({})).toEqual([`list${v}`, `list-empty${v}`]);
      if (v >= 4) {
        expect(await ids({ statesFilter: ['stable'] })).toEqual([`list${v}`]);
        expect(await ids({ statesFilter: ['Empty', 'Dead'] })).toEqual([`list-empty${v}`]);
      }
      if (v >= 5) {
        expect(await ids({ typesFilter: ['consumer'] })).toEqual([]); // no KIP-848 groups here
        expect(await ids({ typesFilter: ['Classic'], statesFilter: ['Stable'] })).toEqual([`list${v}`]);
        const r = await call(16, v, {});
        expect(new Set(r.groups.map((g: { groupType: string }) => g.groupType))).toEqual(new Set(['classic']));
      }
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
      // A null config value has no meaning for a new topic: INVALID_CONFIG, and nothing created.
      const nullValue = await call(19, v, { topics: [{ ...topic(`null-config${v}`, 1), configs: [{ name: 'retention.ms', value: null }] }], timeoutMs: 5000, validateOnly: false });
      expect(nullValue.topics[0].errorCode).toBe(40);
      expect(broker.broker.topics.get(`null-config${v}`)).toBeUndefined();
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
      // A transactional id keeps its producer id; each call bumps the epoch.
      const id = `init-v${v}`;
      const tx = await call(22, v, { transactionalId: id, transactionTimeoutMs: 60_000 });
      expect([tx.errorCode, tx.producerEpoch]).toEqual([0, 0]);
      const tx2 = await call(22, v, { transactionalId: id, transactionTimeoutMs: 60_000 });
      expect([tx2.errorCode, tx2.producerId, tx2.producerEpoch]).toEqual([0, tx.producerId, 1]);
      expect((await call(22, v, { transactionalId: id, transactionTimeoutMs: 0 })).errorCode).toBe(50); // INVALID_TRANSACTION_TIMEOUT
      expect((await call(22, v, { transactionalId: id, transactionTimeoutMs: 900_001 })).errorCode).toBe(50);
      expect((await call(22, v, { transactionalId: '', transactionTimeoutMs: 60_000 })).errorCode).toBe(42); // INVALID_REQUEST
      if (v < 3) return;
      // KIP-360: resuming with a stale epoch is fenced (PRODUCER_FENCED from v4, INVALID_PRODUCER_EPOCH before).
      const stale = await call(22, v, { transactionalId: id, transactionTimeoutMs: 60_000, producerId: tx.producerId, producerEpoch: 0 });
      expect(stale.errorCode).toBe(v >= 4 ? 90 : 47);
      const resumed = await call(22, v, { transactionalId: id, transactionTimeoutMs: 60_000, producerId: tx.producerId, producerEpoch: 1 });
      expect([resumed.errorCode, resumed.producerEpoch]).toEqual([0, 2]);
      // An idempotent producer sending its id and epoch gets a new id, as from Kafka.
      const again = await call(22, v, { transactionalId: null, transactionTimeoutMs: 60_000, producerId: r.producerId, producerEpoch: 0 });
      expect([again.errorCode, again.producerEpoch]).toEqual([0, 0]);
      expect(again.producerId).toBeGreaterThan(r.producerId);
      const half = await call(22, v, { transactionalId: null, transactionTimeoutMs: 60_000, producerId: r.producerId, producerEpoch: -1 });
      expect(half.errorCode).toBe(42); // INVALID_REQUEST
    },
    24: async (v) => {
      const id = `add-v${v}`;
      const p = await call(22, 1, { transactionalId: id, transactionTimeoutMs: 60_000 });
      const add = (topics: object[], epoch = p.producerEpoch, verifyOnly = false) =>
        v <= 3
          ? call(24, v, { v3AndBelowTransactionalId: id, v3AndBelowProducerId: p.producerId, v3AndBelowProducerEpoch: epoch, v3AndBelowTopics: topics })
          : call(24, v, { transactions: [{ transactionalId: id, producerId: p.producerId, producerEpoch: epoch, verifyOnly, topics }] });
      const results = (r: any) => (v <= 3 ? r.resultsByTopicV3AndBelow : r.resultsByTransaction[0].topicResults);
      expect(results(await add([{ name: 't', partitions: [0, 1] }]))).toEqual([{ name: 't', resultsByPartition: [{ partitionIndex: 0, partitionErrorCode: 0 }, { partitionIndex: 1, partitionErrorCode: 0 }] }]);
      // One unknown partition: none is added, the others OPERATION_NOT_ATTEMPTED.
      expect(results(await add([{ name: 't', partitions: [0, 7] }]))[0].resultsByPartition.map((x: any) => x.partitionErrorCode)).toEqual([55, 3]);
      // A stale epoch: PRODUCER_FENCED from v2, INVALID_PRODUCER_EPOCH before.
      expect(results(await add([{ name: 't', partitions: [0] }], p.producerEpoch - 1))[0].resultsByPartition[0].partitionErrorCode).toBe(v >= 2 ? 90 : 47);
      const open = broker.broker.transactions.coordinator.describe(id)!;
      expect([open.state, [...open.partitions].sort()]).toEqual(['Ongoing', ['t\x000', 't\x001']]);
      if (v < 4) return;
      // v4 VerifyOnly (KIP-890): partitions in the transaction answer NONE, others INVALID_TXN_STATE, nothing is added.
      const verified = results(await add([{ name: 't', partitions: [1] }, { name: 'times', partitions: [0] }], p.producerEpoch, true));
      expect(verified.map((x: any) => x.resultsByPartition[0].partitionErrorCode)).toEqual([0, 48]);
    },
    25: async (v) => {
      const id = `offsets-v${v}`;
      const p = await call(22, 1, { transactionalId: id, transactionTimeoutMs: 60_000 });
      expect((await call(25, v, { transactionalId: id, producerId: p.producerId, producerEpoch: p.producerEpoch, groupId: 'txn-group' })).errorCode).toBe(0);
      expect([...broker.broker.transactions.coordinator.describe(id)!.groups]).toEqual(['txn-group']);
      expect((await call(25, v, { transactionalId: id, producerId: p.producerId + 1000n, producerEpoch: p.producerEpoch, groupId: 'g' })).errorCode).toBe(49); // INVALID_PRODUCER_ID_MAPPING
      expect((await call(25, v, { transactionalId: id, producerId: p.producerId, producerEpoch: 99, groupId: 'g' })).errorCode).toBe(v >= 2 ? 90 : 47);
    },
    26: async (v) => {
      const id = `end-v${v}`;
      const topic = `end${v}`;
      broker.broker.topics.create(topic, 1);
      const p = await call(22, 1, { transactionalId: id, transactionTimeoutMs: 60_000 });
      await call(24, 1, { v3AndBelowTransactionalId: id, v3AndBelowProducerId: p.producerId, v3AndBelowProducerEpoch: p.producerEpoch, v3AndBelowTopics: [{ name: topic, partitions: [0] }] });
      const batch = encodeBatch({ baseTimestamp: 1n, producerId: p.producerId, producerEpoch: p.producerEpoch, baseSequence: 0, transactional: true, records: [{ key: null, value: Buffer.from('in txn'), headers: [] }] });
      expect((await broker.broker.produce(topic, 0, batch, -1, id)).error).toBe('NONE');
      const key = `${topic}-0`;
      expect(broker.broker.transactions.lastStableOffset(key, 1n)).toBe(0n);
      const end = (committed: boolean, epoch = p.producerEpoch) => call(26, v, { transactionalId: id, producerId: p.producerId, producerEpoch: epoch, committed });
      expect((await end(true, p.producerEpoch + 1)).errorCode).toBe(v >= 2 ? 90 : 47);
      const committed = await end(true);
      expect(committed.errorCode).toBe(0);
      // The commit marker took offset 1; everything is stable.
      expect(broker.broker.engine.highWatermark({ topic, partition: 0 })).toBe(2n);
      expect(broker.broker.transactions.lastStableOffset(key, 2n)).toBe(2n);
      // v5 (transaction.version 2): the epoch went up with the end, and the answer says so; the marker carries the new one.
      const next = v >= 5 ? p.producerEpoch + 1 : p.producerEpoch;
      if (v >= 5) expect([committed.producerId, committed.producerEpoch]).toEqual([p.producerId, next]);
      expect(broker.broker.producers.producers(key)).toMatchObject([{ producerId: p.producerId, epoch: next }]);
      const retry = await end(true); // a retry, with the epoch it was sent with
      expect(retry.errorCode).toBe(0);
      if (v >= 5) expect([retry.producerId, retry.producerEpoch]).toEqual([p.producerId, next]);
      expect((await end(false)).errorCode).toBe(48); // INVALID_TXN_STATE: it was committed
      if (v < 5) return;
      // The epoch before is fenced from anything new; ending at the new one with no transaction open too (Kafka's TV2 check).
      const stale = await call(24, 3, { v3AndBelowTransactionalId: id, v3AndBelowProducerId: p.producerId, v3AndBelowProducerEpoch: p.producerEpoch, v3AndBelowTopics: [{ name: topic, partitions: [0] }] });
      expect(stale.resultsByTopicV3AndBelow[0].resultsByPartition[0].partitionErrorCode).toBe(90); // PRODUCER_FENCED
      expect((await end(true, next)).errorCode).toBe(90);
    },
    28: async (v) => {
      const id = `txn-commit-v${v}`;
      const group = `txn-commit-group-v${v}`;
      const p = await call(22, 1, { transactionalId: id, transactionTimeoutMs: 60_000 });
      const commit = (more: object = {}) =>
        call(28, v, { transactionalId: id, groupId: group, producerId: p.producerId, producerEpoch: p.producerEpoch, topics: [{ name: 't', partitions: [{ partitionIndex: 1, committedOffset: 2n, committedLeaderEpoch: -1, committedMetadata: 'm' }] }], ...more });
      // Before AddOffsetsToTxn for the group: INVALID_TXN_STATE; from v5 (transaction.version 2) the commit adds the group itself.
      expect((await commit()).topics[0].partitions[0].errorCode).toBe(v >= 5 ? 0 : 48);
      if (v >= 5) expect([...broker.broker.transactions.coordinator.describe(id)!.groups]).toEqual([group]);
      await call(25, 1, { transactionalId: id, producerId: p.producerId, producerEpoch: p.producerEpoch, groupId: group });
      expect((await commit()).topics).toEqual([{ name: 't', partitions: [{ partitionIndex: 1, errorCode: 0 }] }]);
      if (v >= 3) {
        expect((await commit({ generationId: 4, memberId: 'nobody' })).topics[0].partitions[0].errorCode).toBe(22); // ILLEGAL_GENERATION: no such group
        // A KIP-848 consumer group's member commits with its member epoch as the generation.
        const cgroup = `txn-cg-v${v}`;
        const member = await call(68, 0, { groupId: cgroup, memberId: '', memberEpoch: 0, rebalanceTimeoutMs: 30_000, subscribedTopicNames: ['t'], topicPartitions: [] });
        await call(25, 1, { transactionalId: id, producerId: p.producerId, producerEpoch: p.producerEpoch, groupId: cgroup });
        const byMember = (epoch: number) => call(28, v, { transactionalId: id, groupId: cgroup, producerId: p.producerId, producerEpoch: p.producerEpoch, generationId: epoch, memberId: member.memberId, groupInstanceId: null, topics: [{ name: 't', partitions: [{ partitionIndex: 0, committedOffset: 1n, committedLeaderEpoch: -1, committedMetadata: null }] }] });
        expect((await byMember(member.memberEpoch)).topics[0].partitions[0].errorCode).toBe(0);
        expect((await byMember(member.memberEpoch + 5)).topics[0].partitions[0].errorCode).toBe(113); // STALE_MEMBER_EPOCH
        await call(68, 0, { groupId: cgroup, memberId: member.memberId, memberEpoch: -1, topicPartitions: [] });
      }
      // Not the group's until the transaction commits: OffsetFetch with RequireStable (v7+) says so, without it the last committed (none).
      expect(broker.broker.coordinator.committed(group, 't', 1).offset).toBe(-1n);
      const fetchOffsets = (requireStable: boolean) => call(9, 7, { groupId: group, topics: [{ name: 't', partitionIndexes: [1, 0] }], requireStable });
      expect((await fetchOffsets(true)).topics[0].partitions.map((x: any) => [x.committedOffset, x.errorCode])).toEqual([[-1n, 88], [-1n, 0]]); // UNSTABLE_OFFSET_COMMIT
      expect((await fetchOffsets(false)).topics[0].partitions.map((x: any) => [x.committedOffset, x.errorCode])).toEqual([[-1n, 0], [-1n, 0]]);
      expect((await call(26, 1, { transactionalId: id, producerId: p.producerId, producerEpoch: p.producerEpoch, committed: true })).errorCode).toBe(0);
      expect(broker.broker.coordinator.committed(group, 't', 1)).toMatchObject({ offset: 2n, metadata: 'm' });
      expect((await fetchOffsets(true)).topics[0].partitions[0]).toMatchObject({ committedOffset: 2n, errorCode: 0 });
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
      // Inherited from the broker's log.retention.ms, which nobody set (DEFAULT_CONFIG, as Kafka shows it); no synonyms unless asked.
      if (v >= 1) expect([retention.configSource, retention.synonyms]).toEqual([5, []]);
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
    21: async (v) => {
      const topic = `trim${v}`;
      broker.broker.topics.create(topic, 2);
      for (let i = 0; i < 3; i++) await broker.broker.produce(topic, 0, numberedBatch(`r${i}`, 2));
      const r = await call(21, v, {
        topics: [
          { name: topic, partitions: [{ partitionIndex: 0, offset: 4n }, { partitionIndex: 1, offset: -1n }, { partitionIndex: 2, offset: 0n }] },
          { name: 'never-was', partitions: [{ partitionIndex: 0, offset: 0n }] },
        ],
        timeoutMs: 5000,
      });
      const answers = (x: any) => x.topics.map((t: any) => t.partitions.map((p: any) => [p.partitionIndex, p.lowWatermark, p.errorCode]));
      expect(answers(r)).toEqual([[[0, 4n, 0], [1, 0n, 0], [2, -1n, 3]], [[0, -1n, 3]]]);
      expect(broker.broker.engine.logStartOffset({ topic, partition: 0 })).toBe(4n);
      const past = await call(21, v, { topics: [{ name: topic, partitions: [{ partitionIndex: 0, offset: 7n }, { partitionIndex: 0, offset: 2n }, { partitionIndex: 0, offset: -1n }] }], timeoutMs: 5000 });
      // Past the high watermark (6): OFFSET_OUT_OF_RANGE; below the start: nothing changes; -1: everything.
      expect(answers(past)).toEqual([[[0, -1n, 1], [0, 4n, 0], [0, 6n, 0]]]);
    },
    23: async (v) => {
      const p = (partition: number, leaderEpoch: number, currentLeaderEpoch = -1) => ({ partition, leaderEpoch, currentLeaderEpoch });
      const r = await call(23, v, { replicaId: -1, topics: [{ topic: 't', partitions: [p(0, 0), p(1, 0, 0), p(0, -1), p(0, 3), p(0, 0, 5), p(9, 0)] }, { topic: 'never-was', partitions: [p(0, 0)] }] });
      if (v >= 2) expect(r.throttleTimeMs).toBe(0);
      const hw = broker.broker.engine.highWatermark({ topic: 't', partition: 0 });
      const hw1 = broker.broker.engine.highWatermark({ topic: 't', partition: 1 });
      const rows = r.topics.map((t: any) => t.partitions.map((x: any) => [x.partition, x.errorCode, x.leaderEpoch, x.endOffset]));
      // v0 has no LeaderEpoch: it reads as -1, the default.
      const epoch = (e: number) => (v >= 1 ? e : -1);
      expect(rows).toEqual([
        [
          [0, 0, epoch(0), hw],
          [1, 0, epoch(0), hw1],
          [0, 0, -1, -1n], // an epoch the client does not know
          [0, 0, -1, -1n], // an epoch there never was
          [0, v >= 2 ? 75 : 0, v >= 2 ? -1 : epoch(0), v >= 2 ? -1n : hw], // UNKNOWN_LEADER_EPOCH: only v2+ sends the current epoch
          [9, 3, -1, -1n],
        ],
        [[0, 3, -1, -1n]],
      ]);
    },
    37: async (v) => {
      const topic = `grow${v}`;
      broker.broker.topics.create(topic, 1);
      const grow = (count: number, validateOnly: boolean, assignments: { brokerIds: number[] }[] | null = null, name = topic) => call(37, v, { topics: [{ name, count, assignments }], timeoutMs: 5000, validateOnly });
      const dry = await grow(3, true);
      expect(dry.results).toEqual([{ name: topic, errorCode: 0, errorMessage: null }]);
      expect(broker.broker.topics.get(topic)!.partitions).toBe(1);
      expect((await grow(3, false, [{ brokerIds: [0] }, { brokerIds: [0] }])).results[0].errorCode).toBe(0);
      expect(broker.broker.topics.get(topic)!.partitions).toBe(3);
      expect((await broker.broker.produce(topic, 2, numberedBatch('new', 1))).error).toBe('NONE');
      const errors = async (r: Promise<any>) => (await r).results.map((x: any) => [x.errorCode, x.errorMessage]);
      expect(await errors(grow(2, false))).toEqual([[37, `topic "${topic}" has 3 partitions: the count can only grow, got 2`]]); // INVALID_PARTITIONS
      expect(await errors(grow(3, false))).toEqual([[37, `topic "${topic}" already has 3 partitions`]]);
      expect((await errors(grow(5, false, [{ brokerIds: [0] }])))[0][0]).toBe(39); // INVALID_REPLICA_ASSIGNMENT: 2 new, 1 given
      expect((await errors(grow(4, false, [{ brokerIds: [1] }])))[0][0]).toBe(39);
      expect(await errors(grow(2, false, null, 'never-was'))).toEqual([[3, 'no topic "never-was"']]);
      expect((await errors(grow(2, false, null, '__consumer_offsets')))[0][0]).toBe(17); // INVALID_TOPIC_EXCEPTION
      expect(broker.broker.topics.get(topic)!.partitions).toBe(3);
    },
    42: async (v) => {
      const gone = `gone${v}`;
      expect(await broker.broker.coordinator.commit(gone, '', -1, [{ topic: 't', partition: 0, offset: 1n, metadata: null }])).toBe('NONE');
      const busy = `busy${v}`;
      await stable(busy, 'busy-member');
      const r = await call(42, v, { groupsNames: [gone, busy, 'never-was', ''] });
      expect(r.results).toEqual([
        { groupId: gone, errorCode: 0 },
        { groupId: busy, errorCode: 68 }, // NON_EMPTY_GROUP
        { groupId: 'never-was', errorCode: 69 }, // GROUP_ID_NOT_FOUND
        { groupId: '', errorCode: 24 }, // INVALID_GROUP_ID
      ]);
      expect(broker.broker.coordinator.committed(gone, 't', 0).offset).toBe(-1n);
      expect(broker.broker.coordinator.describe(gone).state).toBe('Dead');
    },
    47: async (v) => {
      const g = `od${v}`;
      const commit = (group: string) => broker.broker.coordinator.commit(group, '', -1, [{ topic: 't', partition: 0, offset: 2n, metadata: null }, { topic: 'times', partition: 0, offset: 1n, metadata: null }]);
      expect(await commit(g)).toBe('NONE');
      // A live member subscribed to 't' (the consumer protocol's subscription: version, topics).
      const subscription = Buffer.from([0, 0, 0, 0, 0, 1, 0, 1, 0x74, 0xff, 0xff, 0xff, 0xff]);
      const j = await call(11, 5, { groupId: g, sessionTimeoutMs: 10_000, rebalanceTimeoutMs: 10_000, memberId: '', groupInstanceId: 'od', protocolType: 'consumer', protocols: [{ name: 'range', metadata: subscription }] });
      expect(j.errorCode).toBe(0);
      const r = await call(47, v, { groupId: g, topics: [{ name: 't', partitions: [{ partitionIndex: 0 }] }, { name: 'times', partitions: [{ partitionIndex: 0 }, { partitionIndex: 5 }] }] });
      expect(r.errorCode).toBe(0);
      expect(r.topics.map((t: any) => [t.name, t.partitions.map((p: any) => [p.partitionIndex, p.errorCode])])).toEqual([
        ['t', [[0, 86]]], // GROUP_SUBSCRIBED_TO_TOPIC
        ['times', [[0, 0], [5, 3]]],
      ]);
      expect(broker.broker.coordinator.committed(g, 't', 0).offset).toBe(2n);
      expect(broker.broker.coordinator.committed(g, 'times', 0).offset).toBe(-1n);
      const none = await call(47, v, { groupId: 'never-was', topics: [{ name: 't', partitions: [{ partitionIndex: 0 }] }] });
      expect([none.errorCode, none.topics]).toEqual([69, []]); // GROUP_ID_NOT_FOUND
    },
    60: async (v) => {
      const r = await call(60, v, { includeClusterAuthorizedOperations: true, endpointType: 1 });
      expect(r.errorCode).toBe(0);
      expect([r.clusterId, r.controllerId, r.clusterAuthorizedOperations]).toEqual(['mqlab', 0, CLUSTER_OPERATIONS]);
      expect(r.brokers).toEqual([{ brokerId: 0, host: '127.0.0.1', port: broker.port, rack: null, isFenced: false }]);
      if (v >= 1) expect(r.endpointType).toBe(1);
      // v2: fenced brokers asked for too (KIP-1073); a single node is never fenced.
      if (v >= 2) expect((await call(60, v, { includeClusterAuthorizedOperations: false, includeFencedBrokers: true })).brokers).toEqual(r.brokers);
      const plain = await call(60, v, { includeClusterAuthorizedOperations: false });
      expect(plain.clusterAuthorizedOperations).toBe(NOT_REQUESTED);
      if (v === 0) return;
      const controllers = await call(60, v, { includeClusterAuthorizedOperations: false, endpointType: 2 });
      expect([controllers.errorCode, controllers.brokers]).toEqual([114, []]); // MISMATCHED_ENDPOINT_TYPE
      expect((await call(60, v, { includeClusterAuthorizedOperations: false, endpointType: 7 })).errorCode).toBe(115); // UNSUPPORTED_ENDPOINT_TYPE
    },
    61: async (v) => {
      const topic = `producers${v}`;
      broker.broker.topics.create(topic, 1);
      // An id far above those the broker hands out in this file (a transactional one would show a coordinator epoch).
      const idempotent = (baseSequence: number, count: number, timestampMs: number) =>
        encodeBatch({ baseTimestamp: BigInt(timestampMs), producerId: 900_009n, producerEpoch: 2, baseSequence, records: Array.from({ length: count }, () => ({ key: null, value: Buffer.from('x'), headers: [] })) });
      expect((await broker.broker.produce(topic, 0, idempotent(0, 3, 1000))).error).toBe('NONE');
      expect((await broker.broker.produce(topic, 0, idempotent(3, 2, 2000))).error).toBe('NONE');
      await broker.broker.produce(topic, 0, numberedBatch('plain', 1)); // not idempotent: no producer state
      const r = await call(61, v, { topics: [{ name: topic, partitionIndexes: [0, 4] }, { name: 'never-was', partitionIndexes: [0] }] });
      expect(r.topics).toEqual([
        {
          name: topic,
          partitions: [
            { partitionIndex: 0, errorCode: 0, errorMessage: null, activeProducers: [{ producerId: 900_009n, producerEpoch: 2, lastSequence: 4, lastTimestamp: 2000n, coordinatorEpoch: -1, currentTxnStartOffset: -1n }] },
            { partitionIndex: 4, errorCode: 3, errorMessage: `no partition ${topic}-4`, activeProducers: [] },
          ],
        },
        { name: 'never-was', partitions: [{ partitionIndex: 0, errorCode: 3, errorMessage: 'no partition never-was-0', activeProducers: [] }] },
      ]);
      // Deleting the producer's records forgets it, as Kafka does.
      await broker.broker.deleteRecords(topic, 0, 5n);
      const after = await call(61, v, { topics: [{ name: topic, partitionIndexes: [0] }] });
      expect(after.topics[0].partitions[0].activeProducers).toEqual([]);
    },
    65: async (v) => {
      const id = `describe-v${v}`;
      const p = await call(22, 1, { transactionalId: id, transactionTimeoutMs: 45_000 });
      await call(24, 1, { v3AndBelowTransactionalId: id, v3AndBelowProducerId: p.producerId, v3AndBelowProducerEpoch: p.producerEpoch, v3AndBelowTopics: [{ name: 't', partitions: [1, 0] }] });
      const r = await call(65, v, { transactionalIds: [id, 'never-was'] });
      expect(r.transactionStates[0]).toMatchObject({ errorCode: 0, transactionalId: id, transactionState: 'Ongoing', transactionTimeoutMs: 45_000, producerId: p.producerId, producerEpoch: 0, topics: [{ topic: 't', partitions: [1, 0] }] });
      expect(r.transactionStates[0].transactionStartTimeMs).toBeGreaterThan(0n);
      expect(r.transactionStates[1]).toMatchObject({ errorCode: 105, transactionalId: 'never-was' }); // TRANSACTIONAL_ID_NOT_FOUND
      await call(26, 1, { transactionalId: id, producerId: p.producerId, producerEpoch: p.producerEpoch, committed: false });
      expect((await call(65, v, { transactionalIds: [id] })).transactionStates[0]).toMatchObject({ transactionState: 'CompleteAbort', transactionStartTimeMs: -1n, topics: [] });
    },
    66: async (v) => {
      const id = `list-v${v}`;
      const p = await call(22, 1, { transactionalId: id, transactionTimeoutMs: 60_000 });
      await call(25, 1, { transactionalId: id, producerId: p.producerId, producerEpoch: p.producerEpoch, groupId: 'list-group' });
      const r = await call(66, v, { stateFilters: ['Ongoing', 'Nonsense'], producerIdFilters: [p.producerId] });
      expect([r.errorCode, r.unknownStateFilters, r.transactionStates]).toEqual([0, ['Nonsense'], [{ transactionalId: id, producerId: p.producerId, transactionState: 'Ongoing' }]]);
      expect((await call(66, v, { stateFilters: ['CompleteCommit'], producerIdFilters: [p.producerId] })).transactionStates).toEqual([]);
      if (v < 1) return;
      // v1: open at least this long (KIP-994); an hour is longer than this one has been.
      expect((await call(66, v, { stateFilters: [], producerIdFilters: [p.producerId], durationFilter: 3_600_000n })).transactionStates).toEqual([]);
      expect((await call(66, v, { stateFilters: [], producerIdFilters: [p.producerId], durationFilter: 0n })).transactionStates).toHaveLength(1);
      if (v < 2) return;
      // v2: a regular expression the whole id matches (KIP-1152); RE2's syntax; one that does not compile is refused.
      const byPattern = async (pattern: string | null) => call(66, v, { stateFilters: [], producerIdFilters: [], transactionalIdPattern: pattern });
      expect((await byPattern(`list-v[0-9]+`)).transactionStates.map((t: { transactionalId: string }) => t.transactionalId)).toContain(id);
      expect((await byPattern('list-')).transactionStates).toEqual([]); // a prefix is not a match of the whole id
      expect((await byPattern(`${id}|nothing`)).transactionStates).toEqual([{ transactionalId: id, producerId: p.producerId, transactionState: 'Ongoing' }]);
      expect((await byPattern('')).transactionStates.length).toBeGreaterThanOrEqual(1); // empty: every id
      expect(await byPattern('list-(')).toMatchObject({ errorCode: 128, transactionStates: [] }); // INVALID_REGULAR_EXPRESSION
      // A pattern that backtracks exponentially in Java's engine is linear in RE2's: answered at once.
      expect((await byPattern('(a+)+$|' + id)).errorCode).toBe(0);
    },
    68: async (v) => {
      const group = `cg-heartbeat-v${v}`;
      const topicId = broker.broker.topics.get('t')!.id;
      // v0: the coordinator makes the member id; v1: the member does (KIP-1082), and may subscribe by regex.
      const subscription = v >= 1 ? { subscribedTopicNames: null, subscribedTopicRegex: 't|nothing-else' } : { subscribedTopicNames: ['t'] };
      const joined = await call(68, v, { groupId: group, memberId: v >= 1 ? 'made-by-member' : '', memberEpoch: 0, rebalanceTimeoutMs: 30_000, ...subscription, topicPartitions: [] });
      expect([joined.errorCode, joined.errorMessage, joined.memberEpoch, joined.heartbeatIntervalMs]).toEqual([0, null, 1, 5000]);
      if (v >= 1) expect(joined.memberId).toBe('made-by-member');
      else expect(joined.memberId).toMatch(/^[A-Za-z0-9_-]{22}$/);
      expect(joined.assignment).toEqual({ topicPartitions: [{ topicId, partitions: [0, 1] }] });
      if (v >= 1) {
        const noId = await call(68, v, { groupId: group, memberId: '', memberEpoch: 0, rebalanceTimeoutMs: 30_000, subscribedTopicRegex: 't', topicPartitions: [] });
        expect([noId.errorCode, noId.errorMessage]).toEqual([42, "MemberId can't be empty."]);
        const badRegex = await call(68, v, { groupId: group, memberId: 'other', memberEpoch: 0, rebalanceTimeoutMs: 30_000, subscribedTopicRegex: 't(', topicPartitions: [] });
        expect(badRegex.errorCode).toBe(128); // INVALID_REGULAR_EXPRESSION
        expect(badRegex.errorMessage).toMatch(/^SubscribedTopicRegex `t\(` is not a valid regular expression: .*missing closing \)/);
      }
      // A heartbeat that changes nothing and sends nothing: no assignment in the answer.
      const beat = await call(68, v, { groupId: group, memberId: joined.memberId, memberEpoch: 1 });
      expect([beat.errorCode, beat.memberEpoch, beat.assignment]).toEqual([0, 1, null]);
      const fenced = await call(68, v, { groupId: group, memberId: joined.memberId, memberEpoch: 7 });
      expect(fenced.errorCode).toBe(110); // FENCED_MEMBER_EPOCH
      expect(fenced.errorMessage).toMatch(/greater member epoch \(7\)/);
      const left = await call(68, v, { groupId: group, memberId: joined.memberId, memberEpoch: -1, topicPartitions: [] });
      expect([left.errorCode, left.memberId, left.memberEpoch]).toEqual([0, joined.memberId, -1]);
    },
    69: async (v) => {
      const group = `cg-describe-v${v}`;
      const topicId = broker.broker.topics.get('t')!.id;
      const joined = await call(68, 0, { groupId: group, memberId: '', memberEpoch: 0, rebalanceTimeoutMs: 30_000, subscribedTopicNames: ['t'], serverAssignor: 'range', topicPartitions: [] });
      const r = await call(69, v, { groupIds: [group, 'never-was', ''], includeAuthorizedOperations: true });
      const assigned = { topicPartitions: [{ topicId, topicName: 't', partitions: [0, 1] }] };
      expect(r.groups[0]).toEqual({
        errorCode: 0,
        errorMessage: null,
        groupId: group,
        groupState: 'Stable',
        groupEpoch: 1,
        assignmentEpoch: 1,
        assignorName: 'range',
        members: [
          {
            memberId: joined.memberId,
            instanceId: null,
            rackId: null,
            memberEpoch: 1,
            clientId: 'versions',
            clientHost: '127.0.0.1',
            subscribedTopicNames: ['t'],
            subscribedTopicRegex: null,
            assignment: assigned,
            targetAssignment: assigned,
            memberType: v >= 1 ? 1 : -1, // v1: a consumer-protocol member (KIP-1099); its default before
          },
        ],
        authorizedOperations: (1 << 3) | (1 << 6) | (1 << 8) | (1 << 10) | (1 << 11),
      });
      expect([r.groups[1].errorCode, r.groups[1].errorMessage]).toEqual([69, 'Group never-was not found.']); // GROUP_ID_NOT_FOUND
      expect(r.groups[2].errorCode).toBe(24); // INVALID_GROUP_ID
      await call(68, 0, { groupId: group, memberId: joined.memberId, memberEpoch: -1, topicPartitions: [] });
    },
    35: async (v) => {
      const r = await call(35, v, { topics: [{ topic: 't', partitions: [0, 9] }, { topic: 'never-was', partitions: [0] }] });
      if (v >= 3) expect(r.errorCode).toBe(0);
      expect(r.results).toHaveLength(1);
      const dir = r.results[0];
      expect([dir.errorCode, dir.logDir]).toEqual([0, resolve(broker.dataDir)]);
      // Only partitions that exist.
      expect(dir.topics).toEqual([{ name: 't', partitions: [{ partitionIndex: 0, partitionSize: BigInt(broker.broker.engine.partitionBytes({ topic: 't', partition: 0 })), offsetLag: 0n, isFutureKey: false }] }]);
      expect(dir.topics[0].partitions[0].partitionSize).toBeGreaterThan(0n);
      if (v >= 4) {
        expect(dir.totalBytes).toBeGreaterThan(0n);
        expect(dir.usableBytes).toBeGreaterThanOrEqual(0n);
        expect(dir.usableBytes).toBeLessThanOrEqual(dir.totalBytes);
      } else {
        expect([dir.totalBytes, dir.usableBytes]).toEqual([-1n, -1n]); // the defaults where the version lacks them
      }
      expect(dir.isCordoned).toBe(false); // v5 (KIP-1066); its default before
      // Null: every topic, the internal one included.
      const all = await call(35, v, { topics: null });
      const names = all.results[0].topics.map((t: { name: string }) => t.name);
      expect(names).toEqual(expect.arrayContaining(['t', 'times', '__consumer_offsets']));
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
