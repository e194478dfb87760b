// kafkajs against a real broker on loopback: admin, an idempotent producer,
// a consumer group that splits partitions, loses a member and takes over,
// commits, and after a broker restart resumes with nothing lost and nothing
// seen twice; and transfer.strategy swapped live under a reading consumer.
import { Kafka, logLevel, ConfigResourceTypes, type Consumer, type EachMessagePayload } from 'kafkajs';
import { afterEach, describe, expect, it } from 'vitest';
import { committedToEnd, startTestBroker, type TestBroker } from './helpers/broker.js';
import { Progress } from './helpers/until.js';

const kafkaFor = (b: TestBroker, clientId: string): Kafka =>
  new Kafka({ clientId, brokers: [b.bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 8, initialRetryTime: 50, maxRetryTime: 500 } });

/** Every member's progress (a record seen, an assignment, a commit): what the waits check again on. */
const progress = new Progress();

interface Seen {
  member: string;
  partition: number;
  offset: string;
  value: string;
}

/** A group member that records what it sees and which partitions it holds. */
async function member(kafka: Kafka, groupId: string, topic: string, name: string, seen: Seen[]): Promise<{ consumer: Consumer; assigned: () => number[] }> {
  const consumer = kafka.consumer({ groupId, sessionTimeout: 10_000, rebalanceTimeout: 10_000, heartbeatInterval: 300, maxWaitTimeInMs: 100 });
  let assigned: number[] = [];
  consumer.on(consumer.events.GROUP_JOIN, (e) => {
    assigned = (e.payload.memberAssignment[topic] ?? []).slice().sort();
    progress.made();
  });
  consumer.on(consumer.events.COMMIT_OFFSETS, () => progress.made());
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    autoCommitInterval: 100,
    eachMessage: async ({ partition, message }: EachMessagePayload) => {
      seen.push({ member: name, partition, offset: message.offset, value: message.value!.toString() });
      progress.made();
    },
  });
  return { consumer, assigned: () => assigned };
}

const CASES = [
  ['segmented', 'sendfile'],
  ['commitlog', 'copy'],
] as const;

describe('kafkajs', () => {
  let broker: TestBroker | undefined;
  const consumers: Consumer[] = [];
  afterEach(async () => {
    for (const c of consumers.splice(0)) await c.disconnect().catch(() => undefined);
    await broker?.destroy();
    broker = undefined;
  });

  it.each(CASES)('splits a group, takes over on leave, commits, and resumes after a restart (%s, %s)', async (engine, transfer) => {
    broker = await startTestBroker({ 'mqlab.storage.engine': engine, 'transfer.strategy': transfer });
    let kafka = kafkaFor(broker, 'e2e');
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'orders', numPartitions: 3 }] });
    expect((await admin.fetchTopicMetadata({ topics: ['orders'] })).topics[0]!.partitions).toHaveLength(3);
    await admin.disconnect();

    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    const send = async (from: number, to: number): Promise<void> => {
      for (let i = from; i < to; i += 50) {
        await producer.send({ topic: 'orders', messages: Array.from({ length: Math.min(50, to - i) }, (_, j) => ({ key: `k${(i + j) % 7}`, value: `v${i + j}` })) });
      }
    };
    await send(0, 300);

    const seen: Seen[] = [];
    const members: Awaited<ReturnType<typeof member>>[] = [];
    for (const name of ['a', 'b', 'c']) {
      const m = await member(kafka, 'g', 'orders', name, seen);
      consumers.push(m.consumer);
      members.push(m);
    }
    // Each member's view comes from its latest GROUP_JOIN, so wait for the views to agree.
    const split = (): string => JSON.stringify(members.flatMap((m) => m.assigned()).sort());
    await progress.until('300 messages and a 3-way split', () => seen.length >= 300 && members.every((m) => m.assigned().length === 1) && split() === '[0,1,2]');

    // One member leaves: the other two take over its partition.
    await members[2]!.consumer.disconnect();
    consumers.splice(consumers.indexOf(members[2]!.consumer), 1);
    await progress.until('the two left to hold all 3 partitions', () => members[0]!.assigned().length + members[1]!.assigned().length === 3);
    await send(300, 450);
    await progress.until('450 messages', () => new Set(seen.map((s) => s.value)).size >= 450);
    // kafkajs does not commit on disconnect: wait for its commits to reach the end.
    await progress.until('offsets committed up to the end', () => committedToEnd(broker!, 'g', 'orders', 3));
    for (const c of consumers.splice(0)) await c.disconnect();
    await producer.disconnect();
    const values = new Set(seen.map((s) => s.value));
    expect(values.size).toBe(450);

    // Restart: committed offsets survive; the group resumes exactly there.
    broker = await broker.restart();
    kafka = kafkaFor(broker, 'e2e-after');
    const producer2 = kafka.producer({ idempotent: true });
    await producer2.connect();
    for (let i = 450; i < 500; i++) await producer2.send({ topic: 'orders', messages: [{ key: `k${i % 7}`, value: `v${i}` }] });
    await producer2.disconnect();
    const after: Seen[] = [];
    const m = await member(kafka, 'g', 'orders', 'd', after);
    consumers.push(m.consumer);
    // Once its commits reach the end, the member has delivered all it ever
    // will of those offsets: a duplicate (a resume from too early) came before.
    await progress.until('the 50 new messages, committed', () => after.length >= 50 && committedToEnd(broker!, 'g', 'orders', 3));
    expect(after.map((s) => s.value).sort()).toEqual(Array.from({ length: 50 }, (_, i) => `v${450 + i}`).sort());
    // Nothing lost over the whole run, and every partition's offsets are dense.
    const all = [...seen, ...after];
    expect(new Set(all.map((s) => s.value)).size).toBe(500);
    for (let p = 0; p < 3; p++) {
      const offsets = [...new Set(all.filter((s) => s.partition === p).map((s) => Number(s.offset)))].sort((x, y) => x - y);
      expect(offsets).toEqual(offsets.map((_, i) => i));
    }
  });

  it('swaps transfer.strategy through AlterConfigs while a consumer reads, with no error', async () => {
    broker = await startTestBroker({ 'transfer.strategy': 'sendfile' });
    const kafka = kafkaFor(broker, 'swap');
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'swap', numPartitions: 2 }] });
    const producer = kafka.producer();
    await producer.connect();
    const seen: Seen[] = [];
    const errors: unknown[] = [];
    const m = await member(kafka, 'swap-g', 'swap', 'x', seen);
    consumers.push(m.consumer);
    m.consumer.on(m.consumer.events.CRASH, (e) => errors.push(e.payload.error));
    m.consumer.on(m.consumer.events.REQUEST_TIMEOUT, (e) => errors.push(e));
    let sent = 0;
    const strategies = ['mmap', 'copy', 'sendfile', 'mmap', 'copy'];
    for (const strategy of strategies) {
      for (let i = 0; i < 5; i++) {
        await producer.send({ topic: 'swap', messages: Array.from({ length: 40 }, () => ({ value: `s${sent++}`.padEnd(2000, '.') })) });
      }
      await admin.alterConfigs({ validateOnly: false, resources: [{ type: ConfigResourceTypes.BROKER, name: '0', configEntries: [{ name: 'transfer.strategy', value: strategy }] }] });
      expect(broker.broker.transfer.name).toBe(strategy);
      const described = await admin.describeConfigs({ includeSynonyms: false, resources: [{ type: ConfigResourceTypes.BROKER, name: '0', configNames: ['transfer.strategy'] }] });
      expect(described.resources[0]!.configEntries[0]).toMatchObject({ configName: 'transfer.strategy', configValue: strategy, readOnly: false });
    }
    await progress.until(`${sent} messages`, () => seen.length >= sent);
    expect(new Set(seen.map((s) => s.value.split('.')[0])).size).toBe(sent);
    expect(errors).toEqual([]);
    await producer.disconnect();
    await admin.disconnect();
  });
  it.each(CASES)('admin: describeCluster, createPartitions, deleteTopicRecords and deleteGroups; consumers start from the new log start (%s, %s)', async (engine, transfer) => {
    broker = await startTestBroker({ 'mqlab.storage.engine': engine, 'transfer.strategy': transfer });
    const kafka = kafkaFor(broker, 'admin-more');
    const admin = kafka.admin();
    await admin.connect();
    try {
      const cluster = await admin.describeCluster();
      expect(cluster).toEqual({ brokers: [{ nodeId: 0, host: '127.0.0.1', port: broker.port }], controller: 0, clusterId: 'mqlab' });

      await admin.createTopics({ topics: [{ topic: 'grow', numPartitions: 1 }] });
      await admin.createPartitions({ topicPartitions: [{ topic: 'grow', count: 3 }] });
      expect((await admin.fetchTopicMetadata({ topics: ['grow'] })).topics[0]!.partitions).toHaveLength(3);
      await expect(admin.createPartitions({ topicPartitions: [{ topic: 'grow', count: 2 }] })).rejects.toMatchObject({ type: 'INVALID_PARTITIONS' });

      const producer = kafka.producer();
      await producer.connect();
      for (let i = 0; i < 10; i++) await producer.send({ topic: 'grow', messages: [{ value: `m${i}`, partition: 2 }] });
      await producer.disconnect();
      await admin.deleteTopicRecords({ topic: 'grow', partitions: [{ partition: 2, offset: '6' }] });
      const offsets = await admin.fetchTopicOffsets('grow');
      expect(offsets.find((o) => o.partition === 2)).toMatchObject({ low: '6', high: '10' });

      // A new group reading from the beginning starts at the log start.
      const seen: Seen[] = [];
      const m = await member(kafka, 'from-start', 'grow', 'x', seen);
      consumers.push(m.consumer);
      await progress.until('the 4 records left, committed', () => seen.length >= 4 && broker!.broker.coordinator.committed('from-start', 'grow', 2).offset === 10n);
      expect(seen.map((x) => x.value)).toEqual(['m6', 'm7', 'm8', 'm9']);
      await m.consumer.disconnect();
      consumers.splice(consumers.indexOf(m.consumer), 1);

      // The group is empty now: it can go, and its offsets with it.
      await admin.deleteGroups(['from-start']);
      expect(broker.broker.coordinator.committed('from-start', 'grow', 2).offset).toBe(-1n);
      await expect(admin.deleteGroups(['from-start'])).rejects.toThrow();
    } finally {
      await admin.disconnect();
    }
  });
});
