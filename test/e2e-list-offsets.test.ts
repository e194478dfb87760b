// ListOffsets by time through a real broker on loopback, on each engine:
// versions 0, 1 and 2 from our own client, kafkajs's
// admin.fetchTopicOffsetsByTimestamp, and librdkafka's offsets_for_times
// through `kcat -Q` (skipped where kcat is missing, except under CI=true,
// where a missing kcat fails). The partition holds a batch of 5,000 records,
// three of 1,000, and one batch stamped with log-append time.
import { execFile, spawnSync } from 'node:child_process';
import { promisify } from 'node:util';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Admin } from '../src/client/admin.js';
import { KafkaConnection } from '../src/client/connection.js';
import { timedBatch } from './helpers/batches.js';
import { startTestBroker, type TestBroker } from './helpers/broker.js';
import { missing } from './helpers/requires.js';

const TOPIC = 'replay';
const T0 = 1_700_000_000_000;
/** Record n's timestamp: 3 ms apart, so most times fall between two records. */
const ts = (offset: number): number => T0 + offset * 3;
const SIZES = [5000, 1000, 1000, 1000];
const CREATE_TIME_RECORDS = SIZES.reduce((a, b) => a + b, 0);
/** The last batch: 10 records stamped by "the broker" at this time. */
const LOG_APPEND_TIME = ts(CREATE_TIME_RECORDS) + 60_000;
const HIGH_WATERMARK = CREATE_TIME_RECORDS + 10;

const hasKcat = spawnSync('kcat', ['-V']).status === 0;

describe.each(['segmented', 'commitlog'])('ListOffsets by time (%s)', (engine) => {
  let broker: TestBroker;
  let conn: KafkaConnection;

  beforeAll(async () => {
    broker = await startTestBroker({ 'mqlab.storage.engine': engine });
    const admin = await Admin.connect(broker.bootstrap);
    await admin.createTopic(TOPIC, 1);
    admin.close();
    conn = await KafkaConnection.open('127.0.0.1', broker.port);
    let offset = 0;
    const batches = SIZES.map((n) => timedBatch(Array.from({ length: n }, () => ts(offset++))));
    batches.push(timedBatch(Array.from({ length: 10 }, (_, i) => T0 + i), { logAppendTimeMs: LOG_APPEND_TIME }));
    for (const records of batches) {
      const r = await conn.request(0, 7, { transactionalId: null, acks: -1, timeoutMs: 30_000, topicData: [{ name: TOPIC, partitionData: [{ index: 0, records }] }] });
      expect(r.responses[0]!.partitionResponses[0]!.errorCode).toBe(0);
    }
  });
  afterAll(async () => {
    conn?.close();
    await broker?.destroy();
  });

  /** One ListOffsets request for partition 0 at `timestamp`, in `version`. */
  const listOffsets = async (version: number, timestamp: number) => {
    const r = await conn.request(2, version, { replicaId: -1, isolationLevel: 0, topics: [{ name: TOPIC, partitions: [{ partitionIndex: 0, timestamp: BigInt(timestamp), maxNumOffsets: 1 }] }] });
    const p = r.topics[0]!.partitions[0]!;
    expect(p.errorCode).toBe(0);
    return version === 0 ? { oldStyleOffsets: p.oldStyleOffsets } : { offset: p.offset, timestamp: p.timestamp };
  };

  // [what, time asked, offset answered (-1: none), that record's timestamp]
  const CASES: [string, number, number, number][] = [
    ['before everything', 0, 0, ts(0)],
    ["a record's own time, inside the 5,000-record batch", ts(2500), 2500, ts(2500)],
    ['between two records', ts(2500) + 1, 2501, ts(2501)],
    ['inside a later batch', ts(6789) - 2, 6789, ts(6789)],
    ['the last create-time record', ts(CREATE_TIME_RECORDS - 1), CREATE_TIME_RECORDS - 1, ts(CREATE_TIME_RECORDS - 1)],
    ['into the log-append-time batch', ts(CREATE_TIME_RECORDS - 1) + 1, CREATE_TIME_RECORDS, LOG_APPEND_TIME],
    ['after everything', LOG_APPEND_TIME + 1, -1, -1],
  ];

  it.each(CASES)('v1 and v2 answer the record and its timestamp: %s', async (_what, t, offset, timestamp) => {
    for (const v of [1, 2]) expect(await listOffsets(v, t)).toEqual({ offset: BigInt(offset), timestamp: BigInt(timestamp) });
  });

  it.each(CASES)('v0 answers the record in oldStyleOffsets: %s', async (_what, t, offset) => {
    expect(await listOffsets(0, t)).toEqual({ oldStyleOffsets: offset < 0 ? [] : [BigInt(offset)] });
  });

  it('answers latest and earliest with no timestamp', async () => {
    expect(await listOffsets(1, -1)).toEqual({ offset: BigInt(HIGH_WATERMARK), timestamp: -1n });
    expect(await listOffsets(2, -2)).toEqual({ offset: 0n, timestamp: -1n });
  });

  it('answers kafkajs admin.fetchTopicOffsetsByTimestamp', async () => {
    const kafka = new Kafka({ clientId: 'list-offsets', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    try {
      expect(await admin.fetchTopicOffsetsByTimestamp(TOPIC, ts(2500) + 1)).toEqual([{ partition: 0, offset: '2501' }]);
      // kafkajs answers the high watermark where the broker finds nothing.
      expect(await admin.fetchTopicOffsetsByTimestamp(TOPIC, LOG_APPEND_TIME + 1)).toEqual([{ partition: 0, offset: String(HIGH_WATERMARK) }]);
    } finally {
      await admin.disconnect();
    }
  });

  it.skipIf(missing('kcat', hasKcat))('answers librdkafka (kcat -Q, offsets_for_times)', async () => {
    expect(hasKcat, 'kcat is required when CI=true').toBe(true);
    for (const [t, offset] of [
      [ts(2500), 2500],
      [ts(2500) + 1, 2501],
      [ts(CREATE_TIME_RECORDS - 1) + 1, CREATE_TIME_RECORDS],
    ] as const) {
      // Asynchronously: the broker runs in this process and must keep answering.
      const { stdout } = await promisify(execFile)('kcat', ['-Q', '-b', broker.bootstrap, '-t', `${TOPIC}:0:${t}`], { timeout: 30_000 });
      expect(stdout.trim()).toBe(`${TOPIC} [0] offset ${offset}`);
    }
  });
});
