// KIP-848's consumer groups through a running broker, request by request
// with mqlab's own client connection: the other group APIs as they meet a
// consumer group (OffsetCommit v9 member epochs, OffsetFetch v9 member
// checks, ListGroups types and states, DescribeGroups, DeleteGroups,
// JoinGroup on a consumer group's id), a topic deleted under a member, the
// group.consumer.* configs and their checks.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Broker } from '../src/broker/broker.js';
import { KafkaConnection } from '../src/client/connection.js';
import { startTestBroker, type TestBroker } from './helpers/broker.js';
import { tempDir } from './helpers/files.js';

const UNSUPPORTED_VERSION = 35;
const STALE_MEMBER_EPOCH = 113;
const UNKNOWN_MEMBER_ID = 25;
const NON_EMPTY_GROUP = 68;
const INCONSISTENT_GROUP_PROTOCOL = 23;

describe('consumer groups through the broker', () => {
  let broker: TestBroker;
  let conn: KafkaConnection;

  beforeAll(async () => {
    broker = await startTestBroker({ 'group.consumer.heartbeat.interval.ms': '1000', 'group.consumer.max.size': '2', 'group.consumer.assignors': 'range,uniform' });
    conn = await KafkaConnection.open('127.0.0.1', broker.port, 'wire');
  });
  afterAll(async () => {
    conn.close();
    await broker.destroy();
  });

  const join = async (group: string, topics: string[]) => {
    const r = await conn.request(68, 0, { groupId: group, memberId: '', memberEpoch: 0, rebalanceTimeoutMs: 10_000, subscribedTopicNames: topics, topicPartitions: [] });
    expect(r.errorCode).toBe(0);
    return r;
  };

  it('answers with the configured interval and default assignor, and refuses members past group.consumer.max.size', async () => {
    broker.broker.topics.create('sized', 4);
    const a = await join('sized-g', ['sized']);
    expect(a.heartbeatIntervalMs).toBe(1000);
    expect(broker.broker.coordinator.consumer.describe('sized-g')!.assignorName).toBe('range');
    await join('sized-g', ['sized']);
    const third = await conn.request(68, 0, { groupId: 'sized-g', memberId: '', memberEpoch: 0, rebalanceTimeoutMs: 10_000, subscribedTopicNames: ['sized'], topicPartitions: [] });
    expect([third.errorCode, third.errorMessage]).toEqual([81, 'The consumer group has reached its maximum capacity of 2 members.']); // GROUP_MAX_SIZE_REACHED
  });

  it('commits and fetches by member epoch; lists, describes and deletes as Kafka does for a consumer group', async () => {
    broker.broker.topics.create('orders', 2);
    const m = await join('cg', ['orders']);
    const commit = (v: number, epoch: number, memberId = m.memberId!) =>
      conn.request(8, v, { groupId: 'cg', generationId: epoch, memberId, topics: [{ name: 'orders', partitions: [{ partitionIndex: 0, committedOffset: 5n, committedMetadata: null }] }] });
    const codeOf = (r: Awaited<ReturnType<typeof commit>>) => r.topics[0]!.partitions[0]!.errorCode;
    expect(codeOf(await commit(9, m.memberEpoch + 1))).toBe(STALE_MEMBER_EPOCH);
    expect(codeOf(await commit(9, m.memberEpoch, 'stranger'))).toBe(UNKNOWN_MEMBER_ID);
    expect(codeOf(await commit(8, m.memberEpoch))).toBe(UNSUPPORTED_VERSION);
    expect(codeOf(await commit(9, m.memberEpoch))).toBe(0);

    const fetch = (memberId: string | null, memberEpoch: number) => conn.request(9, 9, { groups: [{ groupId: 'cg', memberId, memberEpoch, topics: [{ name: 'orders', partitionIndexes: [0] }] }], requireStable: false });
    const fetched = await fetch(m.memberId!, m.memberEpoch);
    expect(fetched.groups[0]!.errorCode).toBe(0);
    expect(fetched.groups[0]!.topics[0]!.partitions[0]!.committedOffset).toBe(5n);
    expect((await fetch(null, -1)).groups[0]!.errorCode).toBe(0); // an admin
    expect((await fetch(m.memberId!, m.memberEpoch - 1)).groups[0]).toMatchObject({ errorCode: STALE_MEMBER_EPOCH, topics: [] });
    expect((await fetch('stranger', 1)).groups[0]!.errorCode).toBe(UNKNOWN_MEMBER_ID);

    const listed = await conn.request(16, 5, { statesFilter: [], typesFilter: ['consumer'] });
    expect(listed.groups).toContainEqual({ groupId: 'cg', protocolType: 'consumer', groupState: 'Stable', groupType: 'consumer' });
    expect((await conn.request(16, 5, { statesFilter: [], typesFilter: ['classic'] })).groups.map((g) => g.groupId)).not.toContain('cg');
    expect((await conn.request(16, 4, { statesFilter: ['STABLE'] })).groups.map((g) => g.groupId)).toContain('cg');
    const described = await conn.request(15, 5, { groups: ['cg'], includeAuthorizedOperations: false });
    expect(described.groups[0]).toMatchObject({ errorCode: 0, groupId: 'cg', groupState: 'Dead', protocolType: '', members: [] });
    expect((await conn.request(42, 2, { groupsNames: ['cg'] })).results[0]!.errorCode).toBe(NON_EMPTY_GROUP);
    const classicJoin = await conn.request(11, 9, {
      groupId: 'cg',
      sessionTimeoutMs: 10_000,
      rebalanceTimeoutMs: 10_000,
      memberId: '',
      groupInstanceId: null,
      protocolType: 'consumer',
      protocols: [{ name: 'range', metadata: Buffer.alloc(0) }],
    });
    expect(classicJoin.errorCode).toBe(INCONSISTENT_GROUP_PROTOCOL);

    const left = await conn.request(68, 0, { groupId: 'cg', memberId: m.memberId!, memberEpoch: -1, topicPartitions: [] });
    expect(left.memberEpoch).toBe(-1);
    expect((await conn.request(16, 5, { statesFilter: ['empty'], typesFilter: [] })).groups).toContainEqual({ groupId: 'cg', protocolType: 'consumer', groupState: 'Empty', groupType: 'consumer' });
    expect((await conn.request(42, 2, { groupsNames: ['cg'] })).results[0]!.errorCode).toBe(0);
    expect(broker.broker.coordinator.has('cg')).toBe(false);
  });

  it("drops a deleted topic from a member's assignment at its next heartbeat", async () => {
    const kept = broker.broker.topics.create('kept', 1);
    const doomed = broker.broker.topics.create('doomed', 2);
    const m = await join('topics-g', ['kept', 'doomed']);
    expect(m.assignment!.topicPartitions).toEqual(expect.arrayContaining([{ topicId: kept.id, partitions: [0] }, { topicId: doomed.id, partitions: [0, 1] }]));
    await broker.broker.deleteTopic('doomed');
    const owned = m.assignment!.topicPartitions;
    const next = await conn.request(68, 0, { groupId: 'topics-g', memberId: m.memberId!, memberEpoch: m.memberEpoch, rebalanceTimeoutMs: 10_000, subscribedTopicNames: ['kept', 'doomed'], topicPartitions: owned });
    expect(next.errorCode).toBe(0);
    expect(next.assignment!.topicPartitions).toEqual([{ topicId: kept.id, partitions: [0] }]);
  });
});

describe('group.consumer.* configs', () => {
  let tmp: ReturnType<typeof tempDir>;
  afterEach(() => tmp?.cleanup());

  const start = async (settings: Record<string, string>) => {
    tmp = tempDir();
    const b = new Broker({ dataDir: tmp.dir, engine: 'segmented', flush: { kind: 'none' }, transfer: 'sendfile', autoCreateTopics: true, numPartitions: 1, settings });
    await b.open();
    return b;
  };

  it('are shown read-only, and a bad value or a heartbeat interval not below the session timeout stops the broker from starting', async () => {
    const b = await start({});
    const named = (name: string) => b.configs.describe().find((e) => e.name === name)!;
    expect(named('group.consumer.session.timeout.ms')).toMatchObject({ value: '45000', readOnly: true });
    expect(named('group.consumer.heartbeat.interval.ms')).toMatchObject({ value: '5000', readOnly: true });
    expect(named('group.consumer.max.size')).toMatchObject({ value: '1000', readOnly: true });
    expect(named('group.consumer.assignors')).toMatchObject({ value: 'uniform,range', readOnly: true });
    await b.close();
    tmp.cleanup();
    await expect(start({ 'group.consumer.assignors': 'uniform,sticky' })).rejects.toThrow(/group.consumer.assignors=uniform,sticky: must list uniform and\/or range/);
    tmp.cleanup();
    await expect(start({ 'group.consumer.assignors': 'range,range' })).rejects.toThrow(/must not name an assignor twice/);
    tmp.cleanup();
    await expect(start({ 'group.consumer.max.size': '0' })).rejects.toThrow(/group.consumer.max.size=0/);
  });

  it('refuse a heartbeat interval not below the session timeout at startup', () => {
    tmp = tempDir();
    const consumer = { sessionTimeoutMs: 45_000, heartbeatIntervalMs: 45_000, maxSize: 10, assignors: ['uniform'] };
    const make = () => new Broker({ dataDir: tmp.dir, engine: 'segmented', flush: { kind: 'none' }, transfer: 'sendfile', autoCreateTopics: true, numPartitions: 1, groups: { consumer } });
    expect(make).toThrow(/group.consumer.heartbeat.interval.ms \(45000\) must be less than group.consumer.session.timeout.ms \(45000\)/);
  });
});
