// DescribeCluster, CreatePartitions, DeleteGroups, OffsetDelete, DeleteRecords
// and OffsetForLeaderEpoch against @platformatic/kafka's per-version modules,
// an independent implementation of their wire formats: its request, sent to
// a running broker; the parsed answer and the broker's state checked.
import {
  createPartitionsV1,
  createPartitionsV2,
  createPartitionsV3,
  deleteGroupsV2,
  deleteRecordsV2,
  describeClusterV0,
  describeClusterV1,
  describeLogDirsV4,
  describeProducersV0,
  offsetDeleteV0,
  offsetForLeaderEpochV4,
  type Connection,
} from '@platformatic/kafka';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeBatch } from '../src/records/index.js';
import { CLUSTER_OPERATIONS } from '../src/server/handlers/metadata.js';
import { startTestBroker, type TestBroker } from './helpers/broker.js';
import { numberedBatch } from './helpers/batches.js';
import { call, callAllowingErrors, closePlatformatic, openPlatformatic } from './helpers/platformatic.js';

describe('more admin APIs against @platformatic/kafka', () => {
  let broker: TestBroker;
  let c: Connection;

  beforeAll(async () => {
    broker = await startTestBroker();
    c = await openPlatformatic(broker.port);
  });
  afterAll(async () => {
    await closePlatformatic(c);
    await broker.destroy();
  });

  it('DescribeCluster v0 and v1: this broker, also named as the controller', async () => {
    const expected = { errorCode: 0, errorMessage: null, clusterId: 'mqlab', controllerId: 0, brokers: [{ brokerId: 0, host: '127.0.0.1', port: broker.port, rack: null }] };
    expect(await call(c, describeClusterV0, true)).toMatchObject({ ...expected, clusterAuthorizedOperations: CLUSTER_OPERATIONS });
    expect(await call(c, describeClusterV1, false, 1)).toMatchObject({ ...expected, endpointType: 1, clusterAuthorizedOperations: -2147483648 });
    const controllers = await callAllowingErrors(c, describeClusterV1, false, 2);
    expect([controllers.errorCode, controllers.brokers]).toEqual([114, []]); // MISMATCHED_ENDPOINT_TYPE
  });

  it('CreatePartitions v1, v2 and v3 grow a topic, validateOnly changes nothing, shrinking is refused', async () => {
    broker.broker.topics.create('grow', 1);
    const count = () => broker.broker.topics.get('grow')!.partitions;
    expect((await call(c, createPartitionsV3, [{ name: 'grow', count: 4, assignments: null }], 5000, true)).results).toEqual([{ name: 'grow', errorCode: 0, errorMessage: null }]);
    expect(count()).toBe(1);
    await call(c, createPartitionsV1, [{ name: 'grow', count: 2, assignments: [{ brokerIds: [0] }] }], 5000, false);
    expect(count()).toBe(2);
    await call(c, createPartitionsV2, [{ name: 'grow', count: 3, assignments: null }], 5000, false);
    await call(c, createPartitionsV3, [{ name: 'grow', count: 4, assignments: null }], 5000, false);
    expect(count()).toBe(4);
    const shrink = await callAllowingErrors(c, createPartitionsV3, [{ name: 'grow', count: 2, assignments: null }, { name: 'nope', count: 2, assignments: null }], 5000, false);
    expect(shrink.results.map((r: { errorCode: number }) => r.errorCode)).toEqual([37, 3]); // INVALID_PARTITIONS, UNKNOWN_TOPIC_OR_PARTITION
  });

  it('DeleteGroups v2: empty groups go with their offsets; groups with members stay', async () => {
    await broker.broker.coordinator.commit('dg-empty', '', -1, [{ topic: 'grow', partition: 0, offset: 3n, metadata: null }]);
    const r = await callAllowingErrors(c, deleteGroupsV2, ['dg-empty', 'dg-none']);
    expect(r.results).toEqual([
      { groupId: 'dg-empty', errorCode: 0 },
      { groupId: 'dg-none', errorCode: 69 }, // GROUP_ID_NOT_FOUND
    ]);
    expect(broker.broker.coordinator.committed('dg-empty', 'grow', 0).offset).toBe(-1n);
  });

  it('OffsetDelete v0: per partition', async () => {
    await broker.broker.coordinator.commit('od', '', -1, [0, 1].map((partition) => ({ topic: 'grow', partition, offset: 2n, metadata: null })));
    const r = await callAllowingErrors(c, offsetDeleteV0, 'od', [{ name: 'grow', partitions: [{ partitionIndex: 1 }, { partitionIndex: 9 }] }]);
    expect(r).toMatchObject({ errorCode: 0, topics: [{ name: 'grow', partitions: [{ partitionIndex: 1, errorCode: 0 }, { partitionIndex: 9, errorCode: 3 }] }] });
    expect([0, 1].map((p) => broker.broker.coordinator.committed('od', 'grow', p).offset)).toEqual([2n, -1n]);
  });

  it('DeleteRecords v2: the low watermark after, -1 for the high watermark', async () => {
    broker.broker.topics.create('dr', 2);
    for (let i = 0; i < 4; i++) await broker.broker.produce('dr', 0, numberedBatch(`b${i}`, 5));
    const r = await callAllowingErrors(c, deleteRecordsV2, [{ name: 'dr', partitions: [{ partitionIndex: 0, offset: 7n }, { partitionIndex: 1, offset: -1n }] }], 5000);
    expect(r.topics).toEqual([{ name: 'dr', partitions: [{ partitionIndex: 0, lowWatermark: 7n, errorCode: 0 }, { partitionIndex: 1, lowWatermark: 0n, errorCode: 0 }] }]);
    const past = await callAllowingErrors(c, deleteRecordsV2, [{ name: 'dr', partitions: [{ partitionIndex: 0, offset: 21n }] }], 5000);
    expect(past.topics[0].partitions[0]).toEqual({ partitionIndex: 0, lowWatermark: -1n, errorCode: 1 }); // OFFSET_OUT_OF_RANGE
  });

  // Partition 0 without an error only: @platformatic/kafka's module reads Partition before ErrorCode,
  // the reverse of Kafka's EpochEndOffset (protocol-kafka-json checks mqlab's order against Kafka's
  // JSON); with both zero the six bytes read the same either way.
  it('OffsetForLeaderEpoch v4: epoch 0 ends at the high watermark; an unknown epoch is -1 and -1', async () => {
    const hw = broker.broker.engine.highWatermark({ topic: 'dr', partition: 0 });
    const r = await call(c, offsetForLeaderEpochV4, -1, [{ name: 'dr', partitions: [{ partitionIndex: 0, currentLeaderEpoch: 0, leaderEpoch: 0 }] }]);
    expect(r.topics).toEqual([{ topic: 'dr', partitions: [{ partition: 0, errorCode: 0, leaderEpoch: 0, endOffset: hw }] }]);
    const unknown = await call(c, offsetForLeaderEpochV4, -1, [{ name: 'dr', partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, leaderEpoch: -1 }] }]);
    expect(unknown.topics[0].partitions[0]).toEqual({ partition: 0, errorCode: 0, leaderEpoch: -1, endOffset: -1n });
  });

  it('DescribeProducers v0: the idempotent producers of a partition', async () => {
    broker.broker.topics.create('prod', 1);
    const batch = encodeBatch({ baseTimestamp: 5000n, producerId: 3n, producerEpoch: 1, baseSequence: 0, records: [{ key: null, value: Buffer.from('v'), headers: [] }] });
    expect((await broker.broker.produce('prod', 0, batch)).error).toBe('NONE');
    const r = await call(c, describeProducersV0, [{ name: 'prod', partitionIndexes: [0] }]);
    expect(r.topics).toEqual([
      { name: 'prod', partitions: [{ partitionIndex: 0, errorCode: 0, errorMessage: null, activeProducers: [{ producerId: 3n, producerEpoch: 1, lastSequence: 0, lastTimestamp: 5000n, coordinatorEpoch: -1, currentTxnStartOffset: -1n }] }] },
    ]);
  });

  it('DescribeLogDirs v4: the data directory, the partitions asked for and their sizes', async () => {
    const size = broker.broker.engine.partitionBytes({ topic: 'dr', partition: 0 });
    const r = await call(c, describeLogDirsV4, [{ name: 'dr', partitions: [0, 1] }]);
    expect(r.results).toHaveLength(1);
    expect(r.results[0]).toMatchObject({ errorCode: 0, logDir: resolve(broker.dataDir) });
    expect(r.results[0].topics).toEqual([
      {
        name: 'dr',
        partitions: [
          { partitionIndex: 0, partitionSize: BigInt(size), offsetLag: 0n, isFutureKey: false },
          { partitionIndex: 1, partitionSize: 0n, offsetLag: 0n, isFutureKey: false },
        ],
      },
    ]);
    expect(size).toBeGreaterThan(0);
  });
});
