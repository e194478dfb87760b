// cleanup.policy=compact through a real broker on loopback: kafkajs creates
// a compacted topic, produces many values for few keys, the background
// cleaner runs (waited for by its event, not by time), and a consumer from
// the start sees one value per key at the offsets they were given, with
// Kafka's gaps; keyless records are refused; configs are validated and
// shown; the commit log refuses compaction; __consumer_offsets is compacted
// and committed offsets come back after a restart.
import { Kafka, logLevel, ConfigResourceTypes } from 'kafkajs';
import { afterEach, describe, expect, it } from 'vitest';
import { BrokerError } from '../src/broker/errors.js';
import { OFFSETS_TOPIC } from '../src/broker/groups/offset-store.js';
import type { CleanResult } from '../src/storage/types.js';
import { startTestBroker, type TestBroker } from './helpers/broker.js';
import { keyedBatch } from './helpers/compaction.js';
import { testRandom } from './helpers/seed.js';
import { Progress } from './helpers/until.js';

const random = testRandom('broker-compaction');
const kafkaFor = (b: TestBroker): Kafka => new Kafka({ clientId: 'compaction-test', brokers: [b.bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 5, initialRetryTime: 50, maxRetryTime: 500 } });
const FAST_CLEANER = { 'log.cleaner.backoff.ms': '20', 'log.cleaner.io.max.bytes.per.second': '-1' };

/** Resolves with the first cleaning of `topic` that reaches `offset` (the cleaner's own event), or fails after `ms`. */
async function cleanedTo(b: TestBroker, topic: string, offset: number, ms = 30_000): Promise<CleanResult> {
  const heard = new Progress();
  let found: CleanResult | undefined;
  b.broker.cleaner!.onCleaned((r) => {
    if (found === undefined && r.tp.topic === topic && r.endOffset >= offset) found = r;
    heard.made();
  });
  await heard.until(`a cleaning of ${topic} to offset ${offset}`, () => found !== undefined, ms);
  return found!;
}

describe('compacted topics', () => {
  let broker: TestBroker | undefined;
  afterEach(async () => {
    await broker?.destroy();
    broker = undefined;
  });

  it('keeps one value per key for a kafkajs consumer, at the offsets produced', async () => {
    broker = await startTestBroker(FAST_CLEANER);
    const kafka = kafkaFor(broker);
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({
      topics: [{ topic: 'table', numPartitions: 1, configEntries: [
        { name: 'cleanup.policy', value: 'compact' },
        { name: 'segment.bytes', value: '2048' },
        { name: 'min.cleanable.dirty.ratio', value: '0.1' },
      ] }],
    });
    const producer = kafka.producer();
    await producer.connect();
    const keys = ['alpha', 'beta', 'gamma', 'delta'];
    const latest = new Map<string, number>();
    const COUNT = 300;
    for (let i = 0; i < COUNT; i++) {
      const key = keys[random.int(0, keys.length - 1)]!;
      const [r] = await producer.send({ topic: 'table', acks: -1, messages: [{ key, value: `${key}@${i}` }] });
      expect(Number(r!.baseOffset)).toBe(i);
      latest.set(key, i);
    }
    // Roll the last of them out of the active segment: one more record under another key, past segment.bytes.
    await producer.send({ topic: 'table', acks: -1, messages: [{ key: 'end', value: 'x'.repeat(2100) }] });
    const cleaned = await cleanedTo(broker, 'table', COUNT);
    expect(cleaned.recordsKept).toBeLessThan(cleaned.recordsRead);

    const consumer = kafka.consumer({ groupId: 'reader', maxWaitTimeInMs: 100 });
    const seen: { offset: number; key: string; value: string }[] = [];
    const progress = new Progress();
    await consumer.connect();
    await consumer.subscribe({ topic: 'table', fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        seen.push({ offset: Number(message.offset), key: message.key!.toString(), value: message.value!.toString() });
        progress.made();
      },
    });
    await progress.until('the end record', () => seen.some((s) => s.key === 'end')).catch((err: Error) => {
      throw new Error(`${err.message}; seen ${JSON.stringify(seen.map((s) => s.offset))}`);
    });
    await consumer.disconnect();
    const expected = [...latest.entries()].map(([key, offset]) => ({ offset, key, value: `${key}@${offset}` })).sort((a, b) => a.offset - b.offset);
    expect(seen.filter((s) => s.key !== 'end')).toEqual(expected);
    expect(seen.at(-1)!.offset).toBe(COUNT);
    // Offsets were never renumbered: earliest is still 0, latest the high watermark.
    const offsets = await admin.fetchTopicOffsets('table');
    expect(offsets[0]).toMatchObject({ low: '0', high: String(COUNT + 1) });
    await producer.disconnect();
    await admin.disconnect();
  });

  it('refuses records without a key on a compacted topic (INVALID_RECORD), and takes keyed ones', async () => {
    broker = await startTestBroker(FAST_CLEANER);
    broker.broker.createTopic('keyed', 1, { 'cleanup.policy': 'compact,delete' });
    const refused = await broker.broker.produce('keyed', 0, keyedBatch([{ key: 'a' }, { key: null }], 0));
    expect(refused).toMatchObject({ error: 'INVALID_RECORD', message: 'Compacted topic cannot accept message without key' });
    expect(broker.broker.engine.highWatermark({ topic: 'keyed', partition: 0 })).toBe(0n);
    expect((await broker.broker.produce('keyed', 0, keyedBatch([{ key: 'a' }], 0))).error).toBe('NONE');
    // Through kafkajs too.
    const producer = kafkaFor(broker).producer({ retry: { retries: 0 } });
    await producer.connect();
    await expect(producer.send({ topic: 'keyed', messages: [{ value: 'no key' }] })).rejects.toThrow(/validation|INVALID_RECORD/i);
    await producer.disconnect();
  });

  it('validates cleanup.policy and the compaction configs, and shows them with the cleaner settings', async () => {
    broker = await startTestBroker({ ...FAST_CLEANER, 'log.cleaner.dedupe.buffer.size': '4096' });
    const b = broker.broker;
    expect(() => b.createTopic('bad', 1, { 'cleanup.policy': 'compacted' })).toThrow(/must be one of delete, compact, compact,delete/);
    expect(() => b.createTopic('bad', 1, { 'min.cleanable.dirty.ratio': '1.5' })).toThrow(/\[0, 1\]/);
    expect(() => b.createTopic('bad', 1, { 'delete.retention.ms': '-5' })).toThrow(/INVALID|must be/);
    b.createTopic('ok', 1, { 'cleanup.policy': 'compact', 'delete.retention.ms': '1000' });
    const admin = kafkaFor(broker).admin();
    await admin.connect();
    const { resources } = await admin.describeConfigs({
      includeSynonyms: false,
      resources: [
        { type: ConfigResourceTypes.TOPIC, name: 'ok' },
        { type: ConfigResourceTypes.BROKER, name: '0' },
      ],
    });
    const topic = new Map(resources[0]!.configEntries.map((e) => [e.configName, e.configValue]));
    expect(topic.get('cleanup.policy')).toBe('compact');
    expect(topic.get('delete.retention.ms')).toBe('1000');
    expect(topic.get('min.cleanable.dirty.ratio')).toBe('0.5');
    expect(topic.get('max.compaction.lag.ms')).toBe('9223372036854775807');
    const brokerConfigs = new Map(resources[1]!.configEntries.map((e) => [e.configName, e.configValue]));
    expect(brokerConfigs.get('log.cleaner.enable')).toBe('true');
    expect(brokerConfigs.get('log.cleaner.io.max.bytes.per.second')).toBe('-1');
    expect(brokerConfigs.get('log.cleaner.dedupe.buffer.size')).toBe('4096');
    await expect(admin.alterConfigs({ validateOnly: false, resources: [{ type: ConfigResourceTypes.TOPIC, name: 'ok', configEntries: [{ name: 'cleanup.policy', value: 'shred' }] }] })).rejects.toThrow();
    await admin.disconnect();
    // The cleaner's key map takes the configured memory.
    await b.cleaner!.runNow();
    expect(b.engine.stats()['cleaner.keyMapBytes']).toBe(0); // nothing needed cleaning: no map allocated yet
  });

  it('answers INVALID_CONFIG for compaction on the commit log engine, and leaves __consumer_offsets uncompacted there', async () => {
    broker = await startTestBroker({ 'mqlab.storage.engine': 'commitlog' });
    const b = broker.broker;
    expect(b.cleaner).toBeNull();
    const refuse = (f: () => unknown): BrokerError => {
      try {
        f();
      } catch (err) {
        return err as BrokerError;
      }
      throw new Error('not refused');
    };
    const err = refuse(() => b.createTopic('c', 1, { 'cleanup.policy': 'compact' }));
    expect(err.code).toBe('INVALID_CONFIG');
    expect(err.message).toMatch(/share one commit log .*RocketMQ.*no compaction/);
    b.createTopic('d', 1);
    expect(refuse(() => b.alterTopicConfigs('d', [{ name: 'cleanup.policy', value: 'compact,delete' }])).code).toBe('INVALID_CONFIG');
    expect(refuse(() => b.alterTopicConfigs('d', [{ name: 'segment.bytes', value: '4096' }])).code).toBe('INVALID_CONFIG');
    b.alterTopicConfigs('d', [{ name: 'cleanup.policy', value: 'delete' }]);
    expect(b.topics.get(OFFSETS_TOPIC)!.configs['cleanup.policy']).toBeUndefined();
    const admin = kafkaFor(broker).admin();
    await admin.connect();
    await expect(admin.createTopics({ topics: [{ topic: 'e', configEntries: [{ name: 'cleanup.policy', value: 'compact' }] }] })).rejects.toMatchObject({ errors: [expect.objectContaining({ type: 'INVALID_CONFIG' })] });
    await admin.disconnect();
  });

  it('compacts __consumer_offsets, and the committed offsets come back after a restart', async () => {
    broker = await startTestBroker(FAST_CLEANER);
    const b = broker.broker;
    expect(b.topics.get(OFFSETS_TOPIC)!.configs).toMatchObject({ 'cleanup.policy': 'compact', 'segment.bytes': String(100 * 1024 * 1024) });
    // Small segments, so commits roll them and the cleaner reaches them in a test.
    b.alterTopicConfigs(OFFSETS_TOPIC, [{ name: 'segment.bytes', value: '2048' }]);
    b.createTopic('orders', 4);
    const expected = new Map<string, bigint>();
    for (let i = 0; i < 400; i++) {
      const group = `g${random.int(0, 2)}`;
      const partition = random.int(0, 3);
      const offset = BigInt(i);
      expect(await b.coordinator.commit(group, '', -1, [{ topic: 'orders', partition, offset, metadata: null }])).toBe('NONE');
      expected.set(`${group}/${partition}`, offset);
    }
    await b.coordinator.deleteOffsets('g0', [{ topic: 'orders', partition: 0 }]);
    expected.delete('g0/0');
    const tp = { topic: OFFSETS_TOPIC, partition: 0 };
    const before = b.engine.partitionBytes(tp);
    const hw = Number(b.engine.highWatermark(tp));
    const active = Math.max(...b.engine.partitions().filter((p) => p.topic === OFFSETS_TOPIC).map(() => 0)); // one partition
    expect(active).toBe(0);
    // Wait for the cleaner to have cleaned up to the active segment.
    const waiting = cleanedTo(broker, OFFSETS_TOPIC, 1);
    await b.cleaner!.runNow();
    await waiting;
    const after = b.engine.partitionBytes(tp);
    console.log(`__consumer_offsets: ${before} bytes before cleaning, ${after} after (${hw} records appended)`);
    expect(after).toBeLessThan(before / 2);
    broker = await broker.restart();
    for (const [k, offset] of expected) {
      const [group, partition] = k.split('/');
      expect(broker.broker.coordinator.committed(group!, 'orders', Number(partition)).offset, k).toBe(offset);
    }
    expect(broker.broker.coordinator.committed('g0', 'orders', 0).offset).toBe(-1n);
  });

  it('makes __consumer_offsets of an older data directory compacted at startup', async () => {
    broker = await startTestBroker(FAST_CLEANER);
    // As a data directory from before compaction left it: no cleanup.policy on the topic.
    broker.broker.topics.setConfig(OFFSETS_TOPIC, 'cleanup.policy', null);
    broker.broker.topics.setConfig(OFFSETS_TOPIC, 'segment.bytes', null);
    expect(broker.broker.topics.get(OFFSETS_TOPIC)!.configs).toEqual({});
    broker = await broker.restart();
    expect(broker.broker.topics.get(OFFSETS_TOPIC)!.configs).toEqual({ 'cleanup.policy': 'compact', 'segment.bytes': String(100 * 1024 * 1024) });
  });
});
