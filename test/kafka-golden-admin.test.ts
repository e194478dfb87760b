// The admin APIs' flexible versions against @platformatic/kafka, an
// independent implementation: its request for each version it implements,
// sent to a running broker; the parsed answer and the broker's state checked.
// Not its describeConfigsV2: that module writes v3's IncludeDocumentation
// into v2 requests, a byte the broker refuses as trailing garbage
// (broker-api-versions covers v0-2).
import {
  alterConfigsV2,
  createTopicsV7,
  deleteTopicsV6,
  describeConfigsV3,
  describeConfigsV4,
  incrementalAlterConfigsV1,
  initProducerIdV3,
  initProducerIdV4,
  initProducerIdV5,
  type Connection,
} from '@platformatic/kafka';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ZERO_UUID } from '../src/protocol/kafka/index.js';
import { startTestBroker, type TestBroker } from './helpers/broker.js';
import { call, callAllowingErrors, closePlatformatic, openPlatformatic } from './helpers/platformatic.js';

const TOPIC = 2;
const BROKER = 4;

describe('admin APIs against @platformatic/kafka', () => {
  let broker: TestBroker;
  let c: Connection;

  beforeAll(async () => {
    broker = await startTestBroker({ 'num.partitions': '3' });
    c = await openPlatformatic(broker.port);
  });
  afterAll(async () => {
    await closePlatformatic(c);
    await broker.destroy();
  });

  const creatable = (name: string, numPartitions: number, configs: { name: string; value: string }[] = []) => ({ name, numPartitions, replicationFactor: -1, assignments: [], configs });

  it('CreateTopics v7: the topic as created, with its id, partitions and configs', async () => {
    const r = await call(c, createTopicsV7, [creatable('gold', 2, [{ name: 'retention.ms', value: '90000' }])], 5000, false);
    const t = broker.broker.topics.get('gold')!;
    expect(t.partitions).toBe(2);
    expect(t.configs).toEqual({ 'retention.ms': '90000' });
    const [answer] = r.topics;
    expect(answer).toMatchObject({ name: 'gold', topicId: t.id, errorCode: 0, errorMessage: null, numPartitions: 2, replicationFactor: 1 });
    expect(answer.configs).toContainEqual({ name: 'retention.ms', value: '90000', readOnly: false, configSource: 1, isSensitive: false });
    expect(answer.configs).toContainEqual({ name: 'cleanup.policy', value: 'delete', readOnly: false, configSource: 5, isSensitive: false });
  });

  it('CreateTopics v7: -1 partitions takes num.partitions; validateOnly creates nothing; refusals say why', async () => {
    const r = await callAllowingErrors(c, createTopicsV7, [creatable('dry', -1), creatable('gold', 1), creatable('bad-config', 1, [{ name: 'retention.ms', value: 'soon' }])], 5000, true);
    expect(r.topics.map((t: { name: string; errorCode: number; numPartitions: number }) => [t.name, t.errorCode, t.numPartitions])).toEqual([
      ['dry', 0, 3],
      ['gold', 36, -1], // TOPIC_ALREADY_EXISTS
      ['bad-config', 40, -1], // INVALID_CONFIG
    ]);
    expect(r.topics[0].topicId).toBe(ZERO_UUID);
    expect(r.topics[2].errorMessage).toMatch(/retention\.ms=soon/);
    expect(broker.broker.topics.get('dry')).toBeUndefined();
    expect(broker.broker.topics.get('bad-config')).toBeUndefined();
  });

  it('CreateTopics v7: a manual assignment places every partition on broker 0, alone', async () => {
    const assigned = (name: string, brokerIds: number[][], numPartitions = -1) => ({
      name,
      numPartitions,
      replicationFactor: -1,
      assignments: brokerIds.map((ids, partitionIndex) => ({ partitionIndex, brokerIds: ids })),
      configs: [],
    });
    const r = await callAllowingErrors(c, createTopicsV7, [assigned('placed', [[0], [0]]), assigned('elsewhere', [[1]]), assigned('replicated', [[0, 1]]), assigned('both', [[0]], 1)], 5000, false);
    expect(r.topics.map((t: { name: string; errorCode: number; numPartitions: number }) => [t.name, t.errorCode, t.numPartitions])).toEqual([
      ['placed', 0, 2],
      ['elsewhere', 39, -1], // INVALID_REPLICA_ASSIGNMENT
      ['replicated', 39, -1],
      ['both', 42, -1], // INVALID_REQUEST: a count and an assignment
    ]);
    expect(broker.broker.topics.get('placed')?.partitions).toBe(2);
    expect(broker.broker.topics.list().map((t) => t.name)).not.toContain('elsewhere');
  });

  it('DeleteTopics v6: by name and by id, answered with both', async () => {
    const byName = broker.broker.topics.create('del-name', 1);
    const byId = broker.broker.topics.create('del-id', 1);
    const r = await call(c, deleteTopicsV6, [{ name: 'del-name' }, { name: null, topicId: byId.id }], 5000);
    expect(r.responses).toEqual([
      { name: 'del-name', topicId: byName.id, errorCode: 0, errorMessage: null },
      { name: 'del-id', topicId: byId.id, errorCode: 0, errorMessage: null },
    ]);
    expect(broker.broker.topics.get('del-name')).toBeUndefined();
    expect(broker.broker.topics.get('del-id')).toBeUndefined();
    const unknown = await callAllowingErrors(c, deleteTopicsV6, [{ name: null, topicId: byId.id }], 5000);
    expect(unknown.responses[0]).toMatchObject({ name: null, topicId: byId.id, errorCode: 100 }); // UNKNOWN_TOPIC_ID
  });

  it.each([
    ['v3', initProducerIdV3],
    ['v4', initProducerIdV4],
    ['v5', initProducerIdV5],
  ])('InitProducerId %s: a new id for an idempotent producer; a transactional id keeps its id and bumps its epoch', async (v, api) => {
    const first = await call(c, api, null, 60_000, -1n, -1);
    expect(first).toMatchObject({ errorCode: 0, producerEpoch: 0 });
    const again = await call(c, api, null, 60_000, first.producerId, first.producerEpoch);
    expect(again.errorCode).toBe(0);
    expect(again.producerId).toBeGreaterThan(first.producerId);
    const id = `golden-${v}`;
    const tx = await call(c, api, id, 60_000, -1n, -1);
    expect([tx.errorCode, tx.producerEpoch]).toEqual([0, 0]);
    const resumed = await call(c, api, id, 60_000, tx.producerId, tx.producerEpoch);
    expect([resumed.producerId, resumed.producerEpoch]).toEqual([tx.producerId, 1]);
    expect((await call(c, api, id, 60_000, tx.producerId, 1)).producerEpoch).toBe(2);
    // Epoch 0 is neither the current one nor the one the last resume bumped from (which a retry would name).
    const stale = await callAllowingErrors(c, api, id, 60_000, tx.producerId, 0);
    expect(stale.errorCode).toBe(v === 'v3' ? 47 : 90); // INVALID_PRODUCER_EPOCH before v4, PRODUCER_FENCED from v4
  });

  it.each([
    ['v3', describeConfigsV3],
    ['v4', describeConfigsV4],
  ])('DescribeConfigs %s: values, sources, synonyms, types and documentation', async (_v, api) => {
    broker.broker.topics.get('described') ?? broker.broker.createTopic('described', 1, { 'retention.ms': '1000' });
    const r = await call(c, api, [{ resourceType: TOPIC, resourceName: 'described', configurationKeys: ['retention.ms'] }, { resourceType: BROKER, resourceName: '0', configurationKeys: ['num.partitions'] }], true, true);
    const [topic, brokerRes] = r.results;
    expect(topic).toMatchObject({ errorCode: 0, resourceType: TOPIC, resourceName: 'described' });
    expect(topic.configs).toHaveLength(1);
    expect(topic.configs[0]).toMatchObject({ name: 'retention.ms', value: '1000', readOnly: false, configSource: 1, isSensitive: false });
    expect(topic.configs[0].synonyms).toEqual([
      { name: 'retention.ms', value: '1000', source: 1 }, // DYNAMIC_TOPIC_CONFIG
      // The broker's log.retention.ms was not set: its default only, no STATIC_BROKER_CONFIG entry (as Kafka lists it).
      { name: 'log.retention.ms', value: String(7 * 24 * 3600 * 1000), source: 5 }, // DEFAULT_CONFIG
    ]);
    expect(brokerRes.configs[0]).toMatchObject({ name: 'num.partitions', value: '3', readOnly: false, configSource: 4 });
    expect(topic.configs[0]).toMatchObject({ configType: 5, documentation: 'delete data older than this (-1: never)' }); // LONG
    expect(brokerRes.configs[0]).toMatchObject({ configType: 3, documentation: 'partitions of an auto-created topic' }); // INT
    const bare = await call(c, api, [{ resourceType: TOPIC, resourceName: 'described', configurationKeys: ['retention.ms'] }], false, false);
    expect(bare.results[0].configs[0]).toMatchObject({ configType: 5, documentation: null, synonyms: [] });
  });

  it('AlterConfigs v2: replaces the resource\'s whole set', async () => {
    broker.broker.createTopic('altered', 1, { 'retention.ms': '1000' });
    const r = await call(c, alterConfigsV2, [{ resourceType: TOPIC, resourceName: 'altered', configs: [{ name: 'retention.bytes', value: '4096' }] }], false);
    expect(r.responses).toEqual([{ errorCode: 0, errorMessage: null, resourceType: TOPIC, resourceName: 'altered' }]);
    expect(broker.broker.topics.get('altered')!.configs).toEqual({ 'retention.bytes': '4096' });
    const bad = await callAllowingErrors(c, alterConfigsV2, [{ resourceType: BROKER, resourceName: '0', configs: [{ name: 'message.max.bytes', value: '2048' }] }], false);
    expect(bad.responses[0]).toMatchObject({ errorCode: 40, errorMessage: expect.stringMatching(/read-only/) }); // INVALID_CONFIG
  });

  it('IncrementalAlterConfigs v1: sets and deletes single configs, validateOnly changes nothing', async () => {
    broker.broker.createTopic('incremental', 1, { 'retention.ms': '1000' });
    const set = (configs: { name: string; configOperation: number; value: string | null }[], validateOnly = false) =>
      callAllowingErrors(c, incrementalAlterConfigsV1, [{ resourceType: TOPIC, resourceName: 'incremental', configs }], validateOnly);
    expect((await set([{ name: 'retention.bytes', configOperation: 0, value: '8192' }])).responses[0].errorCode).toBe(0);
    expect(broker.broker.topics.get('incremental')!.configs).toEqual({ 'retention.ms': '1000', 'retention.bytes': '8192' });
    expect((await set([{ name: 'retention.ms', configOperation: 1, value: null }])).responses[0].errorCode).toBe(0);
    expect((await set([{ name: 'retention.bytes', configOperation: 0, value: '1' }], true)).responses[0].errorCode).toBe(0);
    expect(broker.broker.topics.get('incremental')!.configs).toEqual({ 'retention.bytes': '8192' });
    const append = await set([{ name: 'cleanup.policy', configOperation: 2, value: 'delete' }]);
    expect(append.responses[0]).toMatchObject({ errorCode: 42, resourceName: 'incremental' }); // INVALID_REQUEST: not a list config
    const twice = await set([{ name: 'retention.bytes', configOperation: 0, value: '1' }, { name: 'retention.bytes', configOperation: 1, value: null }]);
    expect(twice.responses[0]).toMatchObject({ errorCode: 42, errorMessage: expect.stringMatching(/duplicate config/) });
    const resource = { resourceType: TOPIC, resourceName: 'incremental', configs: [{ name: 'retention.bytes', configOperation: 0, value: '1' }] };
    const repeated = await callAllowingErrors(c, incrementalAlterConfigsV1, [resource, resource], false);
    expect(repeated.responses.map((r: { errorCode: number }) => r.errorCode)).toEqual([42, 42]);
    expect(broker.broker.topics.get('incremental')!.configs).toEqual({ 'retention.bytes': '8192' });
  });
});
