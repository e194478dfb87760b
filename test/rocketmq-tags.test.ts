// Tag filtering through the tag index, on both engines: a topic that
// declares a message type gets RocketMQ's tag code per offset (the commit
// log's consume-queue entries, a segment's .tags file); a consumer filtering
// by tag passes over records whose code cannot match without reading them,
// and re-checks the tag string of those it reads, so a hash collision ("Aa"
// and "BB" share String.hashCode 2112) is still filtered exactly. A topic
// without a message type is read whole, as before.
import { describe, expect, it } from 'vitest';
import { committedAt } from './helpers/broker-events.js';
import { javaHashCode, NO_TAG_CODE, tagCode } from '../src/broker/rocketmq/tag-code.js';
import { decodeBatch, encodeBatch, LOG_OVERHEAD_BYTES, readBatchHeader } from '../src/records/index.js';
import { readBytesAt } from '../src/storage/read-bytes.js';
import { receiveUntil, startProducer, startSimpleConsumer, rocketmqBrokerPerTest } from './helpers/rocketmq.js';

const ENGINES = ['segmented', 'commitlog'] as const;
const TAGS = ['Aa', 'BB', 'C'];

it('tag codes are Java\'s String.hashCode, sign-extended; "Aa" and "BB" collide', () => {
  expect(javaHashCode('Aa')).toBe(2112);
  expect(javaHashCode('BB')).toBe(2112);
  expect(javaHashCode('TagA')).toBe(2598919);
  // Overflows wrap as Java's int does; UTF-16 code units (values from java's String.hashCode).
  expect(javaHashCode('a fairly long tag name')).toBe(-1_108_181_851);
  expect(tagCode('a fairly long tag name')).toBe(-1_108_181_851n);
  expect(javaHashCode('été')).toBe(227_742);
  expect(tagCode(null)).toBe(NO_TAG_CODE);
});

describe.each(ENGINES)('RocketMQ tag index (%s)', (engine) => {
  const rmq = rocketmqBrokerPerTest();

  /** Bytes of the topic's batches whose records all have one of `tags`, and of all its batches. */
  function logBytes(topic: string, tags: readonly (string | null)[]): { matching: number; all: number } {
    const bytes = readBytesAt(rmq.broker.broker.engine, { topic, partition: 0 }, 0n, 64 * 1024 * 1024);
    let matching = 0;
    for (let at = 0; at < bytes.length; ) {
      const size = readBatchHeader(bytes, at).batchLength + LOG_OVERHEAD_BYTES;
      const tag = decodeBatch(bytes, at).records[0]!.headers.find((h) => h.key === 'rmq.tag')?.value?.toString() ?? null;
      if (tags.includes(tag)) matching += size;
      at += size;
    }
    return { matching, all: bytes.length };
  }

  it('a filter reads only the records whose code may match, and delivers only its exact tag', async () => {
    const broker = await rmq.start({ 'mqlab.storage.engine': engine });
    broker.broker.createTopic('indexed', 1, { 'message.type': 'NORMAL' });
    broker.broker.createTopic('plain', 1);
    const producer = await startProducer(broker.rocketmqEndpoint!, ['indexed', 'plain']);
    rmq.track(producer);
    for (const topic of ['indexed', 'plain']) {
      for (let i = 0; i < 15; i++) await producer.send({ topic, tag: TAGS[i % 3], body: Buffer.from(`${topic} ${i} ${TAGS[i % 3]}`) });
      await producer.send({ topic, body: Buffer.from(`${topic} untagged`) });
      // A Kafka producer's record with an rmq.tag header is indexed too.
      const kafka = encodeBatch({ baseTimestamp: BigInt(Date.now()), records: [{ key: null, value: Buffer.from(`${topic} kafka Aa`), headers: [{ key: 'rmq.tag', value: Buffer.from('Aa') }] }] });
      expect((await broker.broker.produce(topic, 0, kafka, -1)).error).toBe('NONE');
    }
    const endpoint = broker.rocketmq!;

    for (const topic of ['indexed', 'plain']) {
      const before = endpoint.logBytesRead();
      const consumer = await startSimpleConsumer(broker.rocketmqEndpoint!, `aa-${topic}`, { [topic]: 'Aa' });
      rmq.track(consumer);
      const got = await receiveUntil(consumer, (all) => all.length >= 6);
      expect(got.map((m) => m.body.toString())).toEqual([0, 3, 6, 9, 12].map((i) => `${topic} ${i} Aa`).concat(`${topic} kafka Aa`));
      for (const m of got) await consumer.ack(m);
      expect(await consumer.receive(16, 15_000)).toEqual([]);
      const read = endpoint.logBytesRead() - before;
      const { matching, all } = logBytes(topic, ['Aa', 'BB']);
      if (topic === 'indexed') {
        // Aa and BB (same code) were read; C and the untagged one were not.
        expect(read).toBe(matching);
        expect(read).toBeLessThan(all);
      } else {
        // Read whole (a read that ends inside a batch reads that batch again next time).
        expect(read).toBeGreaterThanOrEqual(all);
      }
      // Everything was looked at: the committed offset is the end.
      await committedAt(broker.broker, `aa-${topic}`, topic, 0, 17n);
    }
    expect(broker.broker.engine.stats().tagIndexBytes).toBeGreaterThan(0);

    // "BB" gets BB only, though its code is Aa's; "C || none-such" gets C.
    const bb = await startSimpleConsumer(broker.rocketmqEndpoint!, 'bb', { indexed: 'BB' });
    rmq.track(bb);
    expect((await receiveUntil(bb, (all) => all.length >= 5)).map((m) => m.tag)).toEqual(['BB', 'BB', 'BB', 'BB', 'BB']);
    const c = await startSimpleConsumer(broker.rocketmqEndpoint!, 'c', { indexed: 'C || none-such' });
    rmq.track(c);
    expect((await receiveUntil(c, (all) => all.length >= 5)).map((m) => m.tag)).toEqual(['C', 'C', 'C', 'C', 'C']);
    // And * gets all 17.
    const star = await startSimpleConsumer(broker.rocketmqEndpoint!, 'star', { indexed: '*' });
    rmq.track(star);
    expect((await receiveUntil(star, (all) => all.length >= 17)).length).toBe(17);
  });

  it('the index survives a clean restart', async () => {
    let broker = await rmq.start({ 'mqlab.storage.engine': engine });
    broker.broker.createTopic('indexed', 1, { 'message.type': 'NORMAL' });
    for (let i = 0; i < 9; i++) {
      const batch = encodeBatch({ baseTimestamp: BigInt(Date.now()), records: [{ key: null, value: Buffer.from(`m${i}`), headers: [{ key: 'rmq.tag', value: Buffer.from(TAGS[i % 3]!) }] }] });
      expect((await broker.broker.produce('indexed', 0, batch, -1)).error).toBe('NONE');
    }
    broker = await rmq.restart();
    const codes = broker.broker.engine.tagCodes!({ topic: 'indexed', partition: 0 }, 0n, 100);
    expect([...codes]).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8].map((i) => tagCode(TAGS[i % 3]!)));
    const consumer = await startSimpleConsumer(broker.rocketmqEndpoint!, 'after-restart', { indexed: 'C' });
    rmq.track(consumer);
    expect((await receiveUntil(consumer, (all) => all.length >= 3)).map((m) => m.body.toString())).toEqual(['m2', 'm5', 'm8']);
  });
});
