// Compressed batches from clients nobody here wrote, through a real broker
// on each engine: kcat (librdkafka) with -z gzip, snappy, lz4 and zstd;
// kafkajs's built-in gzip; @platformatic/kafka's snappy and lz4; and Debian's
// confluent-kafka (librdkafka) for zstd with explicit timestamps (Node 20
// cannot compress zstd, so neither JS client can send it here). For each:
// the broker stores the batch as sent (still compressed when fetched),
// `mqlab consume` reads the records back, ListOffsets by time lands on the
// record inside the batch, and a RocketMQ SimpleConsumer receives them.
import { spawnSync } from 'node:child_process';
import { CompressionTypes, Kafka, logLevel } from 'kafkajs';
import { Producer as PlatformaticProducer, stringSerializers } from '@platformatic/kafka';
import type { SimpleConsumer } from 'rocketmq-client-nodejs';
import { afterEach, describe, expect, it } from 'vitest';
import { consoleConsume } from '../src/client/console.js';
import { KafkaConnection } from '../src/client/connection.js';
import { compressionOf, decodeBatch, LOG_OVERHEAD_BYTES, readBatchHeader, recordOffset, recordTimestamp, type CompressionCodec } from '../src/records/index.js';
import { startTestBroker, type TestBroker } from './helpers/broker.js';
import { missing } from './helpers/requires.js';
import { runToolOk } from './helpers/run-tool.js';
import { receiveUntil, startSimpleConsumer } from './helpers/rocketmq.js';

const hasKcat = spawnSync('kcat', ['-V']).status === 0;
const PYTHON = '/usr/bin/python3';
const hasConfluent = spawnSync(PYTHON, ['-c', 'import confluent_kafka']).status === 0;
const COUNT = 300;
const T0 = 1_700_000_000_000;
/** Record i's timestamp where the client lets us set it: 3 ms apart. */
const ts = (i: number): number => T0 + i * 3;
const value = (codec: string, i: number): string => `${codec}-${i}-${'x'.repeat(i % 50)}`;

const run = async (cmd: string, args: string[], stdin: string): Promise<void> => {
  await runToolOk(cmd, args, stdin);
};

const CONFLUENT_ZSTD = `
import sys
from confluent_kafka import Producer
bootstrap, topic, count, t0 = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
p = Producer({'bootstrap.servers': bootstrap, 'compression.type': 'zstd', 'linger.ms': 500})
for line in sys.stdin.read().splitlines():
    i = int(line.split('-')[1])
    p.produce(topic, value=line.encode(), timestamp=t0 + i * 3)
if p.flush(30) != 0: sys.exit('unsent messages')
`;

interface Case {
  client: string;
  codec: CompressionCodec;
  /** Whether the client set each record's timestamp to ts(i). */
  timed: boolean;
  available: () => boolean;
  produce: (b: TestBroker, topic: string, values: string[]) => Promise<void>;
}

const kcat = (codec: CompressionCodec): Case => ({
  client: 'kcat',
  codec,
  timed: false,
  available: () => !missing('kcat', hasKcat),
  produce: (b, topic, values) => run('kcat', ['-P', '-b', b.bootstrap, '-t', topic, '-p', '0', '-z', codec, '-X', 'linger.ms=200'], values.join('\n') + '\n'),
});

const platformatic = (codec: 'snappy' | 'lz4'): Case => ({
  client: '@platformatic/kafka',
  codec,
  timed: true,
  available: () => true,
  produce: async (b, topic, values) => {
    const producer = new PlatformaticProducer({ clientId: 'compressing', bootstrapBrokers: [b.bootstrap], serializers: stringSerializers, compression: codec });
    try {
      await producer.send({ messages: values.map((v, i) => ({ topic, partition: 0, value: v, timestamp: BigInt(ts(i)) })) });
    } finally {
      await producer.close();
    }
  },
});

const CASES: Case[] = [
  ...(['gzip', 'snappy', 'lz4', 'zstd'] as const).map(kcat),
  {
    client: 'kafkajs',
    codec: 'gzip',
    timed: true,
    available: () => true,
    produce: async (b, topic, values) => {
      const producer = new Kafka({ clientId: 'compressing', brokers: [b.bootstrap], logLevel: logLevel.NOTHING }).producer();
      await producer.connect();
      try {
        await producer.send({ topic, compression: CompressionTypes.GZIP, messages: values.map((v, i) => ({ partition: 0, value: v, timestamp: String(ts(i)) })) });
      } finally {
        await producer.disconnect();
      }
    },
  },
  platformatic('snappy'),
  platformatic('lz4'),
  {
    client: 'confluent-kafka',
    codec: 'zstd',
    timed: true,
    available: () => !missing('python3-confluent-kafka', hasConfluent),
    produce: (b, topic, values) => run(PYTHON, ['-c', CONFLUENT_ZSTD, b.bootstrap, topic, String(values.length), String(T0)], values.join('\n') + '\n'),
  },
];

interface Stored {
  offset: bigint;
  timestamp: bigint;
  value: string;
  /** The base offset and codec of the batch holding it. */
  baseOffset: bigint;
  codec: string;
}

/** Every record of partition 0 as stored, read with a plain Fetch (the bytes the broker serves). */
async function fetchAll(conn: KafkaConnection, topic: string, count: number): Promise<Stored[]> {
  const out: Stored[] = [];
  while (out.length < count) {
    const r = await conn.request(1, 11, {
      replicaId: -1,
      maxWaitMs: 500,
      minBytes: 1,
      maxBytes: 8 * 1024 * 1024,
      isolationLevel: 0,
      topics: [{ topic, partitions: [{ partition: 0, fetchOffset: BigInt(out.length), partitionMaxBytes: 1024 * 1024 }] }],
    });
    const records = r.responses[0]!.partitions[0]!.records!;
    for (let at = 0; at + 61 <= records.length; ) {
      const h = readBatchHeader(records, at);
      const size = h.batchLength + LOG_OVERHEAD_BYTES;
      if (at + size > records.length) break;
      const batch = decodeBatch(records, at);
      for (const rec of batch.records) {
        if (recordOffset(h, rec) < BigInt(out.length)) continue;
        out.push({ offset: recordOffset(h, rec), timestamp: recordTimestamp(h, rec), value: rec.value!.toString(), baseOffset: h.baseOffset, codec: compressionOf(h.attributes) });
      }
      at += size;
    }
  }
  return out;
}

describe.each(['segmented', 'commitlog'] as const)('compressed batches from real clients (%s)', (engine) => {
  let broker: TestBroker | undefined;
  let conn: KafkaConnection | undefined;
  let rmq: SimpleConsumer | undefined;
  afterEach(async () => {
    conn?.close();
    await rmq?.shutdown().catch(() => undefined);
    await broker?.destroy();
    broker = conn = rmq = undefined;
  });

  it.each(CASES.map((c) => [c.client, c.codec, c] as const))('%s %s: stored as sent, read by mqlab consume, ListOffsets by time and a RocketMQ receive', async (_client, codec, c) => {
    if (!c.available()) return;
    broker = await startTestBroker({ 'mqlab.storage.engine': engine }, { rocketmq: true });
    const topic = `z-${codec}`;
    broker.broker.createTopic(topic, 1);
    const values = Array.from({ length: COUNT }, (_, i) => value(codec, i));
    await c.produce(broker, topic, values);

    // Stored and served as sent: the fetched batches are still compressed
    // (librdkafka sends a batch that compression does not shrink, such as a
    // lone first message, uncompressed).
    conn = await KafkaConnection.open('127.0.0.1', broker.port);
    const stored = await fetchAll(conn, topic, COUNT);
    expect(stored.map((s) => s.value)).toEqual(values);
    expect([codec, 'none']).toEqual(expect.arrayContaining([...new Set(stored.map((s) => s.codec))]));
    expect(stored.filter((s) => s.codec === codec).length).toBeGreaterThan(COUNT / 2);
    expect(stored[137]!.codec).toBe(codec);

    // mqlab consume (the console consumer behind it).
    const printed: string[] = [];
    const n = await consoleConsume({ bootstrap: broker.bootstrap, topic, fromBeginning: true, maxMessages: COUNT, timeoutMs: 10_000, printKey: false, keySeparator: ':', print: (l) => printed.push(l) });
    expect(n).toBe(COUNT);
    expect(printed).toEqual(values);

    // ListOffsets by time: the first record at or after the time, looked up inside the compressed batch.
    const target = stored[137]!;
    const expected = stored.find((s) => s.timestamp >= target.timestamp)!;
    const lo = await conn.request(2, 1, { replicaId: -1, isolationLevel: 0, topics: [{ name: topic, partitions: [{ partitionIndex: 0, timestamp: target.timestamp, maxNumOffsets: 1 }] }] });
    const p = lo.topics[0]!.partitions[0]!;
    expect(p.errorCode).toBe(0);
    expect([p.offset, p.timestamp]).toEqual([expected.offset, expected.timestamp]);
    if (c.timed) {
      expect(target.timestamp).toBe(BigInt(ts(137)));
      const before = await conn.request(2, 1, { replicaId: -1, isolationLevel: 0, topics: [{ name: topic, partitions: [{ partitionIndex: 0, timestamp: BigInt(ts(137) - 1), maxNumOffsets: 1 }] }] });
      expect(before.topics[0]!.partitions[0]!.offset).toBe(137n);
      expect(target.baseOffset).toBeLessThan(137n); // inside its batch, not at its start
    }

    // A RocketMQ SimpleConsumer on the same queue.
    rmq = await startSimpleConsumer(broker.rocketmqEndpoint!, `rmq-${codec}`, { [topic]: '*' });
    const got = await receiveUntil(rmq, (all) => all.length >= COUNT);
    expect(got.map((m) => m.body.toString()).sort()).toEqual([...values].sort());
  });
});

describe.each(['segmented', 'commitlog'] as const)('RocketMQ tag filters over compressed Kafka batches (%s)', (engine) => {
  let broker: TestBroker | undefined;
  let rmq: SimpleConsumer | undefined;
  afterEach(async () => {
    await rmq?.shutdown().catch(() => undefined);
    await broker?.destroy();
    broker = rmq = undefined;
  });

  it('a SimpleConsumer filtering by tag gets exactly the tagged records of a gzip batch from kafkajs', async () => {
    broker = await startTestBroker({ 'mqlab.storage.engine': engine }, { rocketmq: true });
    broker.broker.createTopic('tagged', 1);
    const producer = new Kafka({ clientId: 'compressing', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING }).producer();
    await producer.connect();
    try {
      await producer.send({
        topic: 'tagged',
        compression: CompressionTypes.GZIP,
        messages: Array.from({ length: 100 }, (_, i) => ({ partition: 0, value: `m${i}`, headers: { 'rmq.tag': i % 2 === 0 ? 'even' : 'odd' } })),
      });
    } finally {
      await producer.disconnect();
    }
    rmq = await startSimpleConsumer(broker.rocketmqEndpoint!, 'evens', { tagged: 'even' });
    const got = await receiveUntil(rmq, (all) => all.length >= 50);
    expect(got.map((m) => [m.body.toString(), m.tag])).toEqual(Array.from({ length: 50 }, (_, i) => [`m${i * 2}`, 'even']));
  });
});
