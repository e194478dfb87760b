// ApiVersions, Metadata, FindCoordinator and Produce against a running
// broker, spoken by @platformatic/kafka's per-version modules (an
// implementation written from Kafka's protocol guide, not from mqlab's
// declarations): every version of these APIs it implements, with the
// values it parses checked, not only that it parsed them.
//
// Its Metadata v11 writer is wrong: it still writes
// include_cluster_authorized_operations, which v11 dropped (KIP-700), so
// mqlab refuses the bytes left over. v11's request is v12's on the wire, so
// v11 goes out through v12's writer and is read by platformatic's v11
// parser. (Its v9-v11 parsers also read a boolean where v9/v10 carry an
// int32 of cluster operations and v11 nothing; they ignore what follows the
// topics, so the values checked here are unaffected.)
import {
  apiVersionsV3,
  apiVersionsV4,
  createAPI,
  findCoordinatorV4,
  findCoordinatorV5,
  findCoordinatorV6,
  metadataV9,
  metadataV10,
  metadataV11,
  metadataV12,
  produceV7,
  produceV8,
  produceV9,
  produceV10,
  produceV11,
  type Connection,
} from '@platformatic/kafka';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { KafkaConnection } from '../src/client/connection.js';
import { advertisedVersions } from '../src/protocol/kafka/index.js';
import { decodeBatch } from '../src/records/index.js';
import { CLUSTER_OPERATIONS, TOPIC_OPERATIONS } from '../src/server/handlers/metadata.js';
import { startTestBroker, type TestBroker } from './helpers/broker.js';
import { call, callAllowingErrors, closePlatformatic, openPlatformatic, type VersionedApi } from './helpers/platformatic.js';

/** Authorized operations a client did not ask for. */
const NOT_REQUESTED = -2147483648;

const metadataV11ViaV12Writer: VersionedApi = { api: createAPI(3, 11, metadataV12.createRequest, metadataV11.parseResponse) as VersionedApi['api'] };

let broker: TestBroker;
let c: Connection;

beforeAll(async () => {
  broker = await startTestBroker({ 'num.partitions': '1', 'auto.create.topics.enable': 'true' });
  broker.broker.topics.create('t', 2);
});
afterAll(async () => {
  await broker.destroy();
});
beforeEach(async () => {
  c = await openPlatformatic(broker.port);
});
afterEach(async () => {
  await closePlatformatic(c);
});

describe('ApiVersions', () => {
  it.each([
    [3, apiVersionsV3],
    [4, apiVersionsV4],
  ] as const)('v%i: the advertised ranges, by api key and by name', async (_v, m) => {
    const r = await call(c, m, 'golden', '1.0.0');
    expect(r.errorCode).toBe(0);
    expect(r.apiKeys.map(({ apiKey, minVersion, maxVersion }: Record<string, number>) => ({ apiKey, minVersion, maxVersion }))).toEqual(advertisedVersions());
    expect(r.apiKeys.find((a: { name: string }) => a.name === 'Metadata')).toMatchObject({ apiKey: 3, minVersion: 0, maxVersion: 13 });
  });
});

describe('Metadata', () => {
  const versions = [
    [9, metadataV9],
    [10, metadataV10],
    [11, metadataV11ViaV12Writer],
    [12, metadataV12],
  ] as const;

  it.each(versions)('v%i: the broker, and a topic with its partitions and id', async (v, m) => {
    const t = broker.broker.topics.get('t')!;
    const r = await call(c, m, ['t'], false, false);
    expect(r.brokers).toEqual([{ nodeId: 0, host: '127.0.0.1', port: broker.port, rack: null }]);
    expect([r.clusterId, r.controllerId]).toEqual(['mqlab', 0]);
    const partition = (p: number): object => ({ errorCode: 0, partitionIndex: p, leaderId: 0, leaderEpoch: 0, replicaNodes: [0], isrNodes: [0], offlineReplicas: [] });
    expect(r.topics).toEqual([
      {
        errorCode: 0,
        name: 't',
        // v9 has no topic ids: platformatic gives the name in their place.
        topicId: v >= 10 ? t.id : 't',
        isInternal: false,
        partitions: [partition(0), partition(1)],
        topicAuthorizedOperations: NOT_REQUESTED,
      },
    ]);
  });

  it.each(versions)('v%i: authorized operations when asked: every operation Kafka knows for a topic', async (_v, m) => {
    const r = await call(c, m, ['t'], false, true);
    expect(r.topics[0].topicAuthorizedOperations).toBe(TOPIC_OPERATIONS);
    expect(TOPIC_OPERATIONS).toBe(3576);
    expect(CLUSTER_OPERATIONS).toBe(8096);
  });

  it.each(versions)('v%i: an unknown topic, created only when the client allows it too', async (v, m) => {
    const absent = await callAllowingErrors(c, m, [`absent${v}`], false, false);
    expect(absent.topics.map((x: { errorCode: number; name: string }) => [x.errorCode, x.name])).toEqual([[3, `absent${v}`]]); // UNKNOWN_TOPIC_OR_PARTITION
    expect(broker.broker.topics.get(`absent${v}`)).toBeUndefined();

    const created = await call(c, m, [`auto${v}`], true, false);
    expect(created.topics[0]).toMatchObject({ errorCode: 0, name: `auto${v}`, partitions: [{ partitionIndex: 0, leaderId: 0 }] });
    if (v >= 10) expect(created.topics[0].topicId).toBe(broker.broker.topics.get(`auto${v}`)!.id);
  });
});

describe('FindCoordinator', () => {
  it.each([
    [4, findCoordinatorV4],
    [5, findCoordinatorV5],
    [6, findCoordinatorV6],
  ] as const)('v%i: one coordinator per key, and share groups (key type 2) refused', async (_v, m) => {
    const here = { nodeId: 0, host: '127.0.0.1', port: broker.port, errorCode: 0, errorMessage: null };
    const groups = await call(c, m, 0, ['g1', 'g2']);
    expect(groups).toEqual({ throttleTimeMs: 0, coordinators: [{ key: 'g1', ...here }, { key: 'g2', ...here }] });
    expect((await call(c, m, 1, ['tx'])).coordinators).toEqual([{ key: 'tx', ...here }]);
    const share = await callAllowingErrors(c, m, 2, ['sg']);
    expect(share.coordinators).toEqual([{ key: 'sg', nodeId: -1, host: '', port: -1, errorCode: 42, errorMessage: 'unknown key type 2' }]); // INVALID_REQUEST
  });
});

describe('Produce', () => {
  let mq: KafkaConnection;
  beforeEach(async () => {
    mq = await KafkaConnection.open('127.0.0.1', broker.port, 'golden-check');
  });
  afterEach(() => mq.close());

  /** The batch at `offset` of t-1, as mqlab serves it. */
  async function batchAt(offset: bigint): Promise<ReturnType<typeof decodeBatch>> {
    const r = await mq.request(1, 11, {
      replicaId: -1,
      maxWaitMs: 0,
      minBytes: 0,
      maxBytes: 1 << 20,
      isolationLevel: 0,
      topics: [{ topic: 't', partitions: [{ partition: 1, fetchOffset: offset, partitionMaxBytes: 1 << 20 }] }],
    });
    return decodeBatch(r.responses[0]!.partitions[0]!.records!);
  }

  it.each([
    [7, produceV7],
    [8, produceV8],
    [9, produceV9],
    [10, produceV10],
    [11, produceV11],
  ] as const)('v%i: a batch from platformatic lands whole, and a refusal says why', async (v, m) => {
    const before = broker.broker.engine.highWatermark({ topic: 't', partition: 1 });
    const messages = [
      { topic: 't', partition: 1, key: Buffer.from(`k${v}`), value: Buffer.from(`v${v}-0`), headers: new Map([[Buffer.from('h'), Buffer.from(`${v}`)]]) },
      { topic: 't', partition: 1, key: Buffer.from(`k${v}`), value: Buffer.from(`v${v}-1`) },
    ];
    const r = await call(c, m, -1, 5000, messages);
    expect(r).toEqual({
      throttleTimeMs: 0,
      responses: [
        {
          name: 't',
          partitionResponses: [{ index: 1, errorCode: 0, baseOffset: before, logAppendTimeMs: -1n, logStartOffset: 0n, recordErrors: [], errorMessage: null }],
        },
      ],
    });

    const batch = await batchAt(before);
    expect(batch.header.baseOffset).toBe(before);
    expect(batch.records.map((x) => [x.key?.toString(), x.value?.toString(), x.headers.map((h) => [h.key, h.value?.toString()])])).toEqual([
      [`k${v}`, `v${v}-0`, [['h', `${v}`]]],
      [`k${v}`, `v${v}-1`, []],
    ]);

    // acks=2 is refused per partition; from v8 the answer says why, and no record is blamed.
    const bad = await callAllowingErrors(c, m, 2, 5000, [{ topic: 't', partition: 1, value: Buffer.from('x') }]);
    expect(bad.responses[0].partitionResponses[0]).toMatchObject({
      errorCode: 21, // INVALID_REQUIRED_ACKS
      recordErrors: [],
      errorMessage: v >= 8 ? 'acks must be 0, 1 or -1, got 2' : null,
    });
    expect(broker.broker.engine.highWatermark({ topic: 't', partition: 1 })).toBe(before + 2n);
  });
});
