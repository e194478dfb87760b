// Golden bytes from a real client: for every API and version kafkajs 2.2.4
// implements, kafkajs encodes a request and our codec decodes it; our codec
// encodes a response and kafkajs decodes (and parses) it. kafkajs is
// CommonJS and untyped, so what it returns is checked with toMatchObject.
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { decodeBatch, encodeBatch } from '../src/records/index.js';
import {
  ApiKeys,
  KAFKA_APIS,
  advertisedVersions,
  bytesOf,
  declaredVersions,
  decodeRequest,
  encodeResponse,
  errorCode,
  errorName,
  registryOf,
  serve,
  ZERO_UUID,
  type ApiKey,
  type MessageSpec,
  type RequestBody,
  type ResponseInput,
  type ErrorName,
} from '../src/protocol/kafka/index.js';

const require = createRequire(import.meta.url);

interface KafkajsRequest {
  apiKey: number;
  apiVersion: number;
  encode(): Promise<unknown>;
}
interface KafkajsResponse {
  decode(payload: Buffer): Promise<unknown>;
  parse?(decoded: unknown): Promise<unknown>;
}
interface KafkajsEncoder {
  buffer: Buffer;
}

function kafkajs<T>(path: string): T {
  return require(`kafkajs/src/protocol/${path}`) as T;
}

// kafkajs goes past the advertised ranges in places (Metadata v5-6,
// ListOffsets v3, LeaveGroup v2-3): check it against every declared version.
const DECLARED = registryOf(
  KAFKA_APIS.map((a) => serve(a, 0, Math.min(maxDeclared(a.request), maxDeclared(a.response)))),
);

function maxDeclared(m: MessageSpec): number {
  const versions = declaredVersions(m);
  return versions[versions.length - 1]!;
}

const CORRELATION_ID = 123_456;
const CLIENT_ID = 'kafkajs-golden';
const THROTTLE_MS = 25;

/** A request as kafkajs puts it on the wire, without the size prefix. */
async function kafkajsRequest(api: string, version: number, args: object): Promise<Buffer> {
  const request = kafkajs<(a: object) => KafkajsRequest>(`requests/${api}/v${version}/request`)(args);
  expect(request.apiVersion).toBe(version);
  const createRequest = kafkajs<(o: { correlationId: number; clientId: string; request: KafkajsRequest }) => Promise<KafkajsEncoder>>('request');
  const framed = (await createRequest({ correlationId: CORRELATION_ID, clientId: CLIENT_ID, request })).buffer;
  expect(framed.readInt32BE(0)).toBe(framed.length - 4);
  return framed.subarray(4);
}

/** Decodes a kafkajs request with our codec, checking the header. */
async function ourDecode<K extends ApiKey>(apiKey: K, api: string, version: number, args: object): Promise<RequestBody<K>> {
  const req = decodeRequest(await kafkajsRequest(api, version, args), DECLARED);
  expect(req.header).toEqual({ apiKey, apiVersion: version, correlationId: CORRELATION_ID, clientId: CLIENT_ID });
  expect(req.apiKey).toBe(apiKey);
  return req.body as RequestBody<K>;
}

/** Encodes a response with our codec and has kafkajs decode and parse it. */
async function kafkajsReads<K extends ApiKey>(apiKey: K, api: string, version: number, body: ResponseInput<K>): Promise<unknown> {
  const frame = bytesOf(encodeResponse(apiKey, version, CORRELATION_ID, body, DECLARED));
  // kafkajs reads the correlation id itself, then hands the rest to the decoder.
  expect(frame.readInt32BE(0)).toBe(CORRELATION_ID);
  const response = kafkajs<KafkajsResponse>(`requests/${api}/v${version}/response`);
  const decoded = await response.decode(frame.subarray(4));
  return response.parse ? response.parse(decoded) : decoded;
}

/** kafkajs reports throttle time as throttleTime, or (v2+ of most APIs) as clientSideThrottleTime. */
function expectThrottle(parsed: unknown): void {
  const p = parsed as { throttleTime?: number; clientSideThrottleTime?: number };
  expect(p.clientSideThrottleTime ?? p.throttleTime).toBe(THROTTLE_MS);
}

/** The versions kafkajs implements for an API, from its folders. */
function kafkajsVersions(api: string): number[] {
  return kafkajs<{ versions: string[] }>(`requests/${api}`).versions.map(Number).sort((a, b) => a - b);
}

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, i) => from + i);
}

describe('the versions kafkajs implements', () => {
  it('are all declared here', () => {
    const expected: Record<string, number[]> = {
      produce: range(0, 7),
      fetch: range(0, 11),
      listOffsets: range(0, 3),
      metadata: range(0, 6),
      offsetCommit: range(0, 5),
      offsetFetch: range(1, 4),
      findCoordinator: range(0, 2),
      joinGroup: range(0, 5),
      heartbeat: range(0, 3),
      leaveGroup: range(0, 3),
      syncGroup: range(0, 3),
      describeGroups: range(0, 2),
      listGroups: range(0, 2),
      apiVersions: range(0, 2),
      createTopics: range(0, 3),
      deleteTopics: range(0, 1),
      initProducerId: range(0, 1),
      describeConfigs: range(0, 2),
      alterConfigs: range(0, 1),
    };
    for (const [api, versions] of Object.entries(expected)) expect(kafkajsVersions(api), api).toEqual(versions);
  });
});

describe('Produce', () => {
  const messages = [
    { key: 'k1', value: 'v1', timestamp: 1_700_000_000_000 },
    { key: null, value: 'v2', timestamp: 1_700_000_000_001 },
  ];

  it.each(range(0, 7))('v%i request', async (v) => {
    const body = await ourDecode(ApiKeys.Produce, 'produce', v, {
      acks: -1,
      timeout: 30_000,
      compression: 0,
      topicData: [{ topic: 'orders', partitions: [{ partition: 2, firstSequence: 0, messages }] }],
    });
    expect(body).toMatchObject({ transactionalId: null, acks: -1, timeoutMs: 30_000 });
    expect(body.topicData.map((t) => t.name)).toEqual(['orders']);
    const partition = body.topicData[0]!.partitionData[0]!;
    expect(partition.index).toBe(2);
    const records = partition.records!;
    if (v >= 3) {
      // A record batch v2: read it back with mqlab's own record codec.
      const batch = decodeBatch(records);
      expect(batch.records.map((r) => [r.key?.toString() ?? null, r.value?.toString()])).toEqual([
        ['k1', 'v1'],
        [null, 'v2'],
      ]);
    } else {
      // A v0/v1 message set: opaque here, but the values are inside.
      expect(records.includes('v1') && records.includes('v2')).toBe(true);
    }
  });

  it('v3 request with a transactional id', async () => {
    const body = await ourDecode(ApiKeys.Produce, 'produce', 3, {
      acks: -1,
      timeout: 1000,
      transactionalId: 'tx-1',
      topicData: [{ topic: 'orders', partitions: [{ partition: 0, messages }] }],
    });
    expect(body.transactionalId).toBe('tx-1');
  });

  it.each(range(0, 7))('v%i response', async (v) => {
    const parsed = await kafkajsReads(ApiKeys.Produce, 'produce', v, {
      responses: [
        {
          name: 'orders',
          partitionResponses: [{ index: 2, errorCode: 0, baseOffset: 42n, logAppendTimeMs: 1_700_000_000_123n, logStartOffset: 5n }],
        },
      ],
      throttleTimeMs: THROTTLE_MS,
    });
    const partition =
      v <= 1
        ? { partition: 2, errorCode: 0, offset: '42' }
        : v === 2
          ? { partition: 2, errorCode: 0, offset: '42', timestamp: '1700000000123' }
          : { partition: 2, errorCode: 0, baseOffset: '42', logAppendTime: '1700000000123', ...(v >= 5 ? { logStartOffset: '5' } : {}) };
    expect(parsed).toMatchObject({ topics: [{ topicName: 'orders', partitions: [partition] }] });
    if (v >= 1) expectThrottle(parsed);
  });
});

describe('Fetch', () => {
  it.each(range(0, 11))('v%i request', async (v) => {
    const body = await ourDecode(ApiKeys.Fetch, 'fetch', v, {
      replicaId: -1,
      maxWaitTime: 500,
      minBytes: 1,
      maxBytes: 1_048_576,
      isolationLevel: 1,
      sessionId: 0,
      sessionEpoch: -1,
      rackId: 'rack-a',
      forgottenTopics: [{ topic: 'old', partitions: [0, 1] }],
      topics: [{ topic: 'orders', partitions: [{ partition: 2, fetchOffset: '1234', logStartOffset: 7, currentLeaderEpoch: 3, maxBytes: 65_536 }] }],
    });
    expect(body).toEqual({
      clusterId: null,
      replicaId: -1,
      replicaState: { replicaId: -1, replicaEpoch: -1n }, // v15+ only
      maxWaitMs: 500,
      minBytes: 1,
      maxBytes: v >= 3 ? 1_048_576 : 0x7fffffff,
      isolationLevel: v >= 4 ? 1 : 0,
      sessionId: 0,
      sessionEpoch: -1,
      topics: [
        {
          topic: 'orders',
          topicId: ZERO_UUID, // v13+ only
          partitions: [
            {
              partition: 2,
              currentLeaderEpoch: v >= 9 ? 3 : -1,
              fetchOffset: 1234n,
              lastFetchedEpoch: -1,
              logStartOffset: v >= 5 ? 7n : -1n,
              partitionMaxBytes: 65_536,
              replicaDirectoryId: ZERO_UUID, // v17+ only
              highWatermark: 9223372036854775807n, // v18+ only (a follower's)
            },
          ],
        },
      ],
      forgottenTopicsData: v >= 7 ? [{ topic: 'old', topicId: ZERO_UUID, partitions: [0, 1] }] : [],
      rackId: v >= 11 ? 'rack-a' : '',
    });
  });

  /** Records as the broker would serve them: a v0/v1 message set before v4, a v2 batch after. */
  function servedRecords(v: number): Buffer {
    if (v < 4) {
      const messageSet = kafkajs<(o: object) => KafkajsEncoder>('messageSet');
      return messageSet({ messageVersion: 1, entries: [{ key: 'k', value: 'hello', timestamp: 1_700_000_000_000 }] }).buffer;
    }
    return encodeBatch({ baseOffset: 1234n, baseTimestamp: 1_700_000_000_000n, records: [{ key: Buffer.from('k'), value: Buffer.from('hello') }] });
  }

  it.each(range(0, 11))('v%i response', async (v) => {
    const parsed = await kafkajsReads(ApiKeys.Fetch, 'fetch', v, {
      throttleTimeMs: THROTTLE_MS,
      errorCode: 0,
      sessionId: 0,
      responses: [
        {
          topic: 'orders',
          partitions: [
            {
              partitionIndex: 2,
              errorCode: 0,
              highWatermark: 1300n,
              lastStableOffset: 1299n,
              logStartOffset: 100n,
              abortedTransactions: [{ producerId: 9n, firstOffset: 1250n }],
              preferredReadReplica: -1,
              records: servedRecords(v),
            },
          ],
        },
      ],
    });
    const partition = {
      partition: 2,
      errorCode: 0,
      highWatermark: '1300',
      ...(v >= 4 ? { lastStableOffset: '1299', abortedTransactions: [{ producerId: '9', firstOffset: '1250' }] } : {}),
      ...(v >= 5 ? { lastStartOffset: '100' } : {}),
      ...(v >= 11 ? { preferredReadReplica: -1 } : {}),
      messages: [{ key: Buffer.from('k'), value: Buffer.from('hello') }],
    };
    expect(parsed).toMatchObject({ responses: [{ topicName: 'orders', partitions: [partition] }] });
    if (v >= 7) expect(parsed).toMatchObject({ errorCode: 0, sessionId: 0 });
    if (v >= 4) expect(parsed).toMatchObject({ responses: [{ partitions: [{ messages: [{ offset: '1234' }] }] }] });
    if (v >= 1) expectThrottle(parsed);
  });
});

describe('ListOffsets', () => {
  it.each(range(0, 3))('v%i request', async (v) => {
    const body = await ourDecode(ApiKeys.ListOffsets, 'listOffsets', v, {
      replicaId: -1,
      isolationLevel: 1,
      topics: [{ topic: 'orders', partitions: [{ partition: 2, timestamp: -2, maxNumOffsets: 3 }] }],
    });
    expect(body).toEqual({
      replicaId: -1,
      isolationLevel: v >= 2 ? 1 : 0,
      topics: [{ name: 'orders', partitions: [{ partitionIndex: 2, currentLeaderEpoch: -1, timestamp: -2n, maxNumOffsets: v === 0 ? 3 : 1 }] }],
      timeoutMs: 0, // v10+ only
    });
  });

  it.each(range(0, 3))('v%i response', async (v) => {
    const partition =
      v === 0
        ? { partitionIndex: 2, errorCode: 0, oldStyleOffsets: [77n] }
        : { partitionIndex: 2, errorCode: 0, timestamp: 1_700_000_000_000n, offset: 77n };
    const parsed = await kafkajsReads(ApiKeys.ListOffsets, 'listOffsets', v, {
      throttleTimeMs: THROTTLE_MS,
      topics: [{ name: 'orders', partitions: [partition] }],
    });
    const expected =
      v === 0 ? { partition: 2, errorCode: 0, offsets: ['77'] } : { partition: 2, errorCode: 0, timestamp: '1700000000000', offset: '77' };
    expect(parsed).toMatchObject({ responses: [{ topic: 'orders', partitions: [expected] }] });
    if (v >= 2) expectThrottle(parsed);
  });
});

describe('Metadata', () => {
  it.each(range(0, 6))('v%i request', async (v) => {
    const body = await ourDecode(ApiKeys.Metadata, 'metadata', v, { topics: ['orders', 'audit'], allowAutoTopicCreation: false });
    expect(body).toMatchObject({ topics: [{ name: 'orders' }, { name: 'audit' }], allowAutoTopicCreation: v >= 4 ? false : true });
    // kafkajs asks for every topic with an empty list, which it writes as a
    // null array from v1 (where empty would mean none) and as empty in v0.
    const all = await ourDecode(ApiKeys.Metadata, 'metadata', v, { topics: [] });
    expect(all.topics).toEqual(v >= 1 ? null : []);
  });

  it.each(range(0, 6))('v%i response', async (v) => {
    const parsed = await kafkajsReads(ApiKeys.Metadata, 'metadata', v, {
      throttleTimeMs: THROTTLE_MS,
      brokers: [{ nodeId: 1, host: 'broker-1', port: 9092, rack: 'r1' }],
      clusterId: 'cluster-x',
      controllerId: 1,
      topics: [
        {
          errorCode: 0,
          name: 'orders',
          isInternal: false,
          partitions: [{ errorCode: 0, partitionIndex: 0, leaderId: 1, leaderEpoch: 5, replicaNodes: [1, 2], isrNodes: [1], offlineReplicas: [2] }],
        },
      ],
    });
    expect(parsed).toMatchObject({
      brokers: [{ nodeId: 1, host: 'broker-1', port: 9092, ...(v >= 1 ? { rack: 'r1' } : {}) }],
      ...(v >= 1 ? { controllerId: 1 } : {}),
      ...(v >= 2 ? { clusterId: 'cluster-x' } : {}),
      topicMetadata: [
        {
          topicErrorCode: 0,
          topic: 'orders',
          ...(v >= 1 ? { isInternal: false } : {}),
          partitionMetadata: [
            { partitionErrorCode: 0, partitionId: 0, leader: 1, replicas: [1, 2], isr: [1], ...(v >= 5 ? { offlineReplicas: [2] } : {}) },
          ],
        },
      ],
    });
    if (v >= 3) expectThrottle(parsed);
  });
});

describe('OffsetCommit', () => {
  it.each(range(0, 5))('v%i request', async (v) => {
    const body = await ourDecode(ApiKeys.OffsetCommit, 'offsetCommit', v, {
      groupId: 'g1',
      groupGenerationId: 4,
      memberId: 'm1',
      retentionTime: 86_400_000,
      topics: [{ topic: 'orders', partitions: [{ partition: 2, offset: '99', metadata: 'md', timestamp: 1_700_000_000_000 }] }],
    });
    expect(body).toEqual({
      groupId: 'g1',
      generationId: v >= 1 ? 4 : -1,
      memberId: v >= 1 ? 'm1' : '',
      groupInstanceId: null,
      retentionTimeMs: v >= 2 && v <= 4 ? 86_400_000n : -1n,
      topics: [
        {
          name: 'orders',
          topicId: ZERO_UUID, // v10+ only
          partitions: [
            {
              partitionIndex: 2,
              committedOffset: 99n,
              committedLeaderEpoch: -1,
              commitTimestamp: v === 1 ? 1_700_000_000_000n : -1n,
              committedMetadata: 'md',
            },
          ],
        },
      ],
    });
  });

  it.each(range(0, 5))('v%i response', async (v) => {
    const parsed = await kafkajsReads(ApiKeys.OffsetCommit, 'offsetCommit', v, {
      throttleTimeMs: THROTTLE_MS,
      topics: [{ name: 'orders', partitions: [{ partitionIndex: 2, errorCode: 0 }] }],
    });
    expect(parsed).toMatchObject({ responses: [{ topic: 'orders', partitions: [{ partition: 2, errorCode: 0 }] }] });
    if (v >= 3) expectThrottle(parsed);
  });
});

describe('OffsetFetch', () => {
  it.each(range(1, 4))('v%i request', async (v) => {
    const body = await ourDecode(ApiKeys.OffsetFetch, 'offsetFetch', v, {
      groupId: 'g1',
      topics: [{ topic: 'orders', partitions: [{ partition: 2 }, { partition: 3 }] }],
    });
    expect(body).toEqual({ groupId: 'g1', topics: [{ name: 'orders', partitionIndexes: [2, 3] }], groups: [], requireStable: false });
  });

  it.each(range(1, 4))('v%i response', async (v) => {
    const parsed = await kafkajsReads(ApiKeys.OffsetFetch, 'offsetFetch', v, {
      throttleTimeMs: THROTTLE_MS,
      topics: [
        {
          name: 'orders',
          partitions: [
            { partitionIndex: 2, committedOffset: 99n, metadata: 'md', errorCode: 0 },
            { partitionIndex: 3, committedOffset: -1n, metadata: null, errorCode: 0 },
          ],
        },
      ],
      errorCode: 0,
    });
    expect(parsed).toMatchObject({
      responses: [
        {
          topic: 'orders',
          partitions: [
            { partition: 2, offset: '99', metadata: 'md', errorCode: 0 },
            { partition: 3, offset: '-1', metadata: null, errorCode: 0 },
          ],
        },
      ],
    });
    if (v >= 2) expect(parsed).toMatchObject({ errorCode: 0 });
    if (v >= 3) expectThrottle(parsed);
  });
});

describe('FindCoordinator', () => {
  it.each(range(0, 2))('v%i request', async (v) => {
    const args = v === 0 ? { groupId: 'g1' } : { coordinatorKey: 'tx-1', coordinatorType: 1 };
    const body = await ourDecode(ApiKeys.FindCoordinator, 'findCoordinator', v, args);
    expect(body).toEqual(v === 0 ? { key: 'g1', keyType: 0, coordinatorKeys: [] } : { key: 'tx-1', keyType: 1, coordinatorKeys: [] });
  });

  it.each(range(0, 2))('v%i response', async (v) => {
    const parsed = await kafkajsReads(ApiKeys.FindCoordinator, 'findCoordinator', v, {
      throttleTimeMs: THROTTLE_MS,
      errorCode: 0,
      errorMessage: null,
      nodeId: 1,
      host: 'broker-1',
      port: 9092,
    });
    expect(parsed).toMatchObject({ errorCode: 0, coordinator: { nodeId: 1, host: 'broker-1', port: 9092 } });
    if (v >= 1) expectThrottle(parsed);
  });
});

describe('JoinGroup', () => {
  it.each(range(0, 5))('v%i request', async (v) => {
    const body = await ourDecode(ApiKeys.JoinGroup, 'joinGroup', v, {
      groupId: 'g1',
      sessionTimeout: 30_000,
      rebalanceTimeout: 60_000,
      memberId: '',
      groupInstanceId: 'inst-1',
      protocolType: 'consumer',
      groupProtocols: [{ name: 'RoundRobinAssigner', metadata: Buffer.from([0, 1, 2]) }],
    });
    expect(body).toEqual({
      groupId: 'g1',
      sessionTimeoutMs: 30_000,
      rebalanceTimeoutMs: v >= 1 ? 60_000 : -1,
      memberId: '',
      groupInstanceId: v >= 5 ? 'inst-1' : null,
      protocolType: 'consumer',
      protocols: [{ name: 'RoundRobinAssigner', metadata: Buffer.from([0, 1, 2]) }],
      reason: null, // v8+
    });
  });

  it.each(range(0, 5))('v%i response', async (v) => {
    const parsed = await kafkajsReads(ApiKeys.JoinGroup, 'joinGroup', v, {
      throttleTimeMs: THROTTLE_MS,
      errorCode: 0,
      generationId: 3,
      protocolName: 'RoundRobinAssigner',
      leader: 'm-1',
      memberId: 'm-2',
      members: [{ memberId: 'm-1', groupInstanceId: 'inst-1', metadata: Buffer.from([9]) }],
    });
    expect(parsed).toMatchObject({
      errorCode: 0,
      generationId: 3,
      groupProtocol: 'RoundRobinAssigner',
      leaderId: 'm-1',
      memberId: 'm-2',
      members: [{ memberId: 'm-1', ...(v >= 5 ? { groupInstanceId: 'inst-1' } : {}), memberMetadata: Buffer.from([9]) }],
    });
    if (v >= 2) expectThrottle(parsed);
  });
});

describe('Heartbeat', () => {
  it.each(range(0, 3))('v%i request', async (v) => {
    const body = await ourDecode(ApiKeys.Heartbeat, 'heartbeat', v, { groupId: 'g1', groupGenerationId: 3, memberId: 'm-1', groupInstanceId: 'inst-1' });
    expect(body).toEqual({ groupId: 'g1', generationId: 3, memberId: 'm-1', groupInstanceId: v >= 3 ? 'inst-1' : null });
  });

  it.each(range(0, 3))('v%i response', async (v) => {
    const parsed = await kafkajsReads(ApiKeys.Heartbeat, 'heartbeat', v, { throttleTimeMs: THROTTLE_MS, errorCode: 0 });
    expect(parsed).toMatchObject({ errorCode: 0 });
    if (v >= 1) expectThrottle(parsed);
  });

  it('an error code reaches kafkajs as the error it names', async () => {
    const read = kafkajsReads(ApiKeys.Heartbeat, 'heartbeat', 3, { errorCode: errorCode('REBALANCE_IN_PROGRESS') });
    await expect(read).rejects.toMatchObject({ name: 'KafkaJSProtocolError', type: 'REBALANCE_IN_PROGRESS', retriable: false });
  });
});

describe('LeaveGroup', () => {
  it.each(range(0, 2))('v%i request', async (v) => {
    const body = await ourDecode(ApiKeys.LeaveGroup, 'leaveGroup', v, { groupId: 'g1', memberId: 'm-1' });
    expect(body).toEqual({ groupId: 'g1', memberId: 'm-1', members: [] });
  });

  it('v3 request', async () => {
    const body = await ourDecode(ApiKeys.LeaveGroup, 'leaveGroup', 3, {
      groupId: 'g1',
      members: [{ memberId: 'm-1', groupInstanceId: 'inst-1' }, { memberId: 'm-2' }],
    });
    expect(body).toEqual({
      groupId: 'g1',
      memberId: '',
      members: [
        { memberId: 'm-1', groupInstanceId: 'inst-1', reason: null }, // reason: v5+
        { memberId: 'm-2', groupInstanceId: null, reason: null },
      ],
    });
  });

  it.each(range(0, 3))('v%i response', async (v) => {
    const members = [{ memberId: 'm-1', groupInstanceId: 'inst-1', errorCode: 0 }];
    const parsed = await kafkajsReads(ApiKeys.LeaveGroup, 'leaveGroup', v, {
      throttleTimeMs: THROTTLE_MS,
      errorCode: 0,
      ...(v >= 3 ? { members } : {}),
    });
    expect(parsed).toMatchObject({ errorCode: 0, ...(v >= 3 ? { members } : {}) });
    if (v >= 1) expectThrottle(parsed);
  });
});

describe('SyncGroup', () => {
  it.each(range(0, 3))('v%i request', async (v) => {
    const body = await ourDecode(ApiKeys.SyncGroup, 'syncGroup', v, {
      groupId: 'g1',
      generationId: 3,
      memberId: 'm-1',
      groupInstanceId: 'inst-1',
      groupAssignment: [{ memberId: 'm-1', memberAssignment: Buffer.from([1, 2]) }],
    });
    expect(body).toEqual({
      groupId: 'g1',
      generationId: 3,
      memberId: 'm-1',
      groupInstanceId: v >= 3 ? 'inst-1' : null,
      protocolType: null,
      protocolName: null,
      assignments: [{ memberId: 'm-1', assignment: Buffer.from([1, 2]) }],
    });
  });

  it.each(range(0, 3))('v%i response', async (v) => {
    const parsed = await kafkajsReads(ApiKeys.SyncGroup, 'syncGroup', v, { throttleTimeMs: THROTTLE_MS, errorCode: 0, assignment: Buffer.from([3, 4]) });
    expect(parsed).toMatchObject({ errorCode: 0, memberAssignment: Buffer.from([3, 4]) });
    if (v >= 1) expectThrottle(parsed);
  });
});

describe('DescribeGroups', () => {
  it.each(range(0, 2))('v%i request', async (v) => {
    const body = await ourDecode(ApiKeys.DescribeGroups, 'describeGroups', v, { groupIds: ['g1', 'g2'] });
    expect(body).toEqual({ groups: ['g1', 'g2'], includeAuthorizedOperations: false });
  });

  it.each(range(0, 2))('v%i response', async (v) => {
    const member = { memberId: 'm-1', clientId: 'c1', clientHost: '/127.0.0.1', memberMetadata: Buffer.from([1]), memberAssignment: Buffer.from([2]) };
    const parsed = await kafkajsReads(ApiKeys.DescribeGroups, 'describeGroups', v, {
      throttleTimeMs: THROTTLE_MS,
      groups: [{ errorCode: 0, groupId: 'g1', groupState: 'Stable', protocolType: 'consumer', protocolData: 'RoundRobinAssigner', members: [member] }],
    });
    expect(parsed).toMatchObject({
      groups: [{ errorCode: 0, groupId: 'g1', state: 'Stable', protocolType: 'consumer', protocol: 'RoundRobinAssigner', members: [member] }],
    });
    if (v >= 1) expectThrottle(parsed);
  });
});

describe('ListGroups', () => {
  it.each(range(0, 2))('v%i request', async (v) => {
    expect(await ourDecode(ApiKeys.ListGroups, 'listGroups', v, {})).toEqual({ statesFilter: [], typesFilter: [] });
  });

  it.each(range(0, 2))('v%i response', async (v) => {
    const parsed = await kafkajsReads(ApiKeys.ListGroups, 'listGroups', v, {
      throttleTimeMs: THROTTLE_MS,
      errorCode: 0,
      groups: [{ groupId: 'g1', protocolType: 'consumer' }],
    });
    expect(parsed).toMatchObject({ errorCode: 0, groups: [{ groupId: 'g1', protocolType: 'consumer' }] });
    if (v >= 1) expectThrottle(parsed);
  });
});

describe('ApiVersions', () => {
  it.each(range(0, 2))('v%i request', async (v) => {
    expect(await ourDecode(ApiKeys.ApiVersions, 'apiVersions', v, {})).toEqual({ clientSoftwareName: '', clientSoftwareVersion: '' });
  });

  it.each(range(0, 2))('v%i response', async (v) => {
    const parsed = await kafkajsReads(ApiKeys.ApiVersions, 'apiVersions', v, {
      errorCode: 0,
      apiKeys: advertisedVersions(),
      throttleTimeMs: THROTTLE_MS,
    });
    expect(parsed).toMatchObject({ errorCode: 0, apiVersions: advertisedVersions() });
    if (v >= 1) expectThrottle(parsed);
  });

  it('an UNSUPPORTED_VERSION answer (v0, as Kafka sends it) makes kafkajs try a lower version', async () => {
    const read = kafkajsReads(ApiKeys.ApiVersions, 'apiVersions', 0, { errorCode: errorCode('UNSUPPORTED_VERSION'), apiKeys: advertisedVersions() });
    await expect(read).rejects.toMatchObject({ type: 'UNSUPPORTED_VERSION' });
  });
});

describe('CreateTopics', () => {
  it.each(range(0, 3))('v%i request', async (v) => {
    const body = await ourDecode(ApiKeys.CreateTopics, 'createTopics', v, {
      topics: [
        { topic: 'orders', numPartitions: 3, replicationFactor: 1, replicaAssignment: [], configEntries: [{ name: 'retention.ms', value: '1000' }] },
        { topic: 'audit', numPartitions: -1, replicationFactor: -1, replicaAssignment: [{ partition: 0, replicas: [1] }], configEntries: [] },
      ],
      timeout: 5000,
      validateOnly: true,
    });
    expect(body).toEqual({
      topics: [
        { name: 'orders', numPartitions: 3, replicationFactor: 1, assignments: [], configs: [{ name: 'retention.ms', value: '1000' }] },
        { name: 'audit', numPartitions: -1, replicationFactor: -1, assignments: [{ partitionIndex: 0, brokerIds: [1] }], configs: [] },
      ],
      timeoutMs: 5000,
      validateOnly: v >= 1,
    });
  });

  it.each(range(0, 3))('v%i response', async (v) => {
    const parsed = await kafkajsReads(ApiKeys.CreateTopics, 'createTopics', v, {
      throttleTimeMs: THROTTLE_MS,
      topics: [
        { name: 'orders', errorCode: 0, errorMessage: null },
        { name: 'audit', errorCode: 0, errorMessage: null },
      ],
    });
    // kafkajs sorts the topics by name.
    const message = v >= 1 ? { errorMessage: null } : {};
    expect(parsed).toMatchObject({
      topicErrors: [
        { topic: 'audit', errorCode: 0, ...message },
        { topic: 'orders', errorCode: 0, ...message },
      ],
    });
    if (v >= 2) expectThrottle(parsed);
  });
});

describe('DeleteTopics', () => {
  it.each(range(0, 1))('v%i request', async (v) => {
    const body = await ourDecode(ApiKeys.DeleteTopics, 'deleteTopics', v, { topics: ['orders', 'audit'], timeout: 5000 });
    expect(body).toEqual({ topics: [], topicNames: ['orders', 'audit'], timeoutMs: 5000 });
  });

  it.each(range(0, 1))('v%i response', async (v) => {
    const parsed = await kafkajsReads(ApiKeys.DeleteTopics, 'deleteTopics', v, {
      throttleTimeMs: THROTTLE_MS,
      responses: [{ name: 'orders', errorCode: 0 }],
    });
    expect(parsed).toMatchObject({ topicErrors: [{ topic: 'orders', errorCode: 0 }] });
    if (v >= 1) expectThrottle(parsed);
  });
});

describe('InitProducerId', () => {
  it.each(range(0, 1))('v%i request', async (v) => {
    const idempotent = await ourDecode(ApiKeys.InitProducerId, 'initProducerId', v, { transactionalId: null, transactionTimeout: 30_000 });
    // ProducerId and ProducerEpoch (v3+) read as their defaults.
    expect(idempotent).toEqual({ transactionalId: null, transactionTimeoutMs: 30_000, producerId: -1n, producerEpoch: -1 });
    const transactional = await ourDecode(ApiKeys.InitProducerId, 'initProducerId', v, { transactionalId: 'tx-1', transactionTimeout: 60_000 });
    expect(transactional).toEqual({ transactionalId: 'tx-1', transactionTimeoutMs: 60_000, producerId: -1n, producerEpoch: -1 });
  });

  it.each(range(0, 1))('v%i response', async (v) => {
    const parsed = await kafkajsReads(ApiKeys.InitProducerId, 'initProducerId', v, {
      throttleTimeMs: THROTTLE_MS,
      errorCode: 0,
      producerId: 1000n,
      producerEpoch: 2,
    });
    expect(parsed).toMatchObject({ errorCode: 0, producerId: '1000', producerEpoch: 2 });
    expectThrottle(parsed);
  });
});

describe('DescribeConfigs', () => {
  it.each(range(0, 2))('v%i request', async (v) => {
    const body = await ourDecode(ApiKeys.DescribeConfigs, 'describeConfigs', v, {
      resources: [
        { type: 2, name: 'orders', configNames: ['retention.ms'] },
        // kafkajs writes an empty list as null: every key.
        { type: 4, name: '1', configNames: [] },
      ],
      includeSynonyms: true,
    });
    expect(body).toEqual({
      resources: [
        { resourceType: 2, resourceName: 'orders', configurationKeys: ['retention.ms'] },
        { resourceType: 4, resourceName: '1', configurationKeys: null },
      ],
      includeSynoyms: v >= 1,
      includeDocumentation: false, // v3+
    });
  });

  it.each(range(0, 2))('v%i response', async (v) => {
    const parsed = await kafkajsReads(ApiKeys.DescribeConfigs, 'describeConfigs', v, {
      throttleTimeMs: THROTTLE_MS,
      results: [
        {
          errorCode: 0,
          errorMessage: null,
          resourceType: 2,
          resourceName: 'orders',
          configs: [
            {
              name: 'retention.ms',
              value: '1000',
              readOnly: false,
              configSource: 1,
              isSensitive: false,
              synonyms: [{ name: 'retention.ms', value: '1000', source: 1 }],
            },
          ],
        },
      ],
    });
    const entry = { configName: 'retention.ms', configValue: '1000', readOnly: false, isSensitive: false };
    const synonyms = v >= 1 ? { configSource: 1, configSynonyms: [{ configName: 'retention.ms', configValue: '1000', configSource: 1 }] } : {};
    expect(parsed).toMatchObject({
      resources: [{ errorCode: 0, errorMessage: null, resourceType: 2, resourceName: 'orders', configEntries: [{ ...entry, ...synonyms }] }],
    });
    expectThrottle(parsed);
  });
});

describe('AlterConfigs', () => {
  it.each(range(0, 1))('v%i request', async (v) => {
    const body = await ourDecode(ApiKeys.AlterConfigs, 'alterConfigs', v, {
      resources: [{ type: 2, name: 'orders', configEntries: [{ name: 'retention.ms', value: '2000' }] }],
      validateOnly: true,
    });
    expect(body).toEqual({
      resources: [{ resourceType: 2, resourceName: 'orders', configs: [{ name: 'retention.ms', value: '2000' }] }],
      validateOnly: true,
    });
  });

  it.each(range(0, 1))('v%i response', async (v) => {
    const parsed = await kafkajsReads(ApiKeys.AlterConfigs, 'alterConfigs', v, {
      throttleTimeMs: THROTTLE_MS,
      responses: [{ errorCode: 0, errorMessage: null, resourceType: 2, resourceName: 'orders' }],
    });
    expect(parsed).toMatchObject({ resources: [{ errorCode: 0, errorMessage: null, resourceType: 2, resourceName: 'orders' }] });
    expectThrottle(parsed);
  });
});

describe('error codes', () => {
  it('agree with kafkajs for every code it knows (allowing for Kafka renames)', () => {
    const renamed: Record<string, string> = {
      UNKNOWN: 'UNKNOWN_SERVER_ERROR',
      NOT_LEADER_FOR_PARTITION: 'NOT_LEADER_OR_FOLLOWER',
      GROUP_LOAD_IN_PROGRESS: 'COORDINATOR_LOAD_IN_PROGRESS',
      GROUP_COORDINATOR_NOT_AVAILABLE: 'COORDINATOR_NOT_AVAILABLE',
      NOT_COORDINATOR_FOR_GROUP: 'NOT_COORDINATOR',
    };
    const table = kafkajs<{ errorCodes: Array<{ type: string; code: number }> }>('error').errorCodes;
    expect(table.length).toBeGreaterThan(80);
    for (const { type, code } of table) {
      expect(errorName(code), `${code} ${type}`).toBe(renamed[type] ?? type);
      expect(errorCode((renamed[type] ?? type) as ErrorName)).toBe(code);
    }
  });
});
