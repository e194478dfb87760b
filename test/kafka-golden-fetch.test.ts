// Fetch v12-v17 and ListOffsets v5-v9 as @platformatic/kafka speaks them
// (its own encoders and parsers, record batches included), against a broker
// on each storage engine holding known records.
import { fetchV12, fetchV13, fetchV14, fetchV15, fetchV16, fetchV17, listOffsetsV5, listOffsetsV6, listOffsetsV7, listOffsetsV8, listOffsetsV9, type Connection } from '@platformatic/kafka';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ZERO_UUID } from '../src/protocol/kafka/index.js';
import { batchOf } from './helpers/batches.js';
import { startTestBroker, type TestBroker } from './helpers/broker.js';
import { call, callAllowingErrors, closePlatformatic, openPlatformatic, type VersionedApi } from './helpers/platformatic.js';

const FETCHES: [number, VersionedApi][] = [
  [12, fetchV12],
  [13, fetchV13],
  [14, fetchV14],
  [15, fetchV15],
  [16, fetchV16],
  [17, fetchV17],
];
const LIST_OFFSETS: [number, VersionedApi][] = [
  [5, listOffsetsV5],
  [6, listOffsetsV6],
  [7, listOffsetsV7],
  [8, listOffsetsV8],
  [9, listOffsetsV9],
];

const TOPIC = 'golden';
/** Two batches; the timestamps go back and forth, the largest (9000) twice. */
const RECORDS = [
  { key: 'k0', value: 'v0', timestampMs: 1000 },
  { key: 'k1', value: 'v1', timestampMs: 9000 },
  { key: null, value: 'v2', timestampMs: 3000 },
  { key: 'k3', value: 'v3', timestampMs: 2000 },
  { key: 'k4', value: 'v4', timestampMs: 9000 },
];
const UNKNOWN_ID = '5b0c7e2a-9d1f-4e63-a8b4-0f6d2c1e9a77';

interface Batch {
  firstOffset: bigint;
  records: { offsetDelta: number; key: Buffer | null; value: Buffer | null }[];
}

/** The records of parsed batches, as [offset, key, value]. */
function recordsOf(batches: Batch[] | undefined): [bigint, string | null, string | null][] {
  return (batches ?? []).flatMap((b) =>
    b.records.map((r): [bigint, string | null, string | null] => [b.firstOffset + BigInt(r.offsetDelta), r.key?.length ? r.key.toString() : null, r.value?.toString() ?? null]),
  );
}

describe.each(['segmented', 'commitlog'])('golden fetch and list offsets (%s)', (engine) => {
  let broker: TestBroker;
  let c: Connection;
  let topicId: string;

  beforeAll(async () => {
    broker = await startTestBroker({ 'mqlab.storage.engine': engine });
    topicId = broker.broker.topics.create(TOPIC, 1).id;
    // Each batch based at its first record's time, so its maxTimestamp is its records' largest.
    for (const batch of [RECORDS.slice(0, 3), RECORDS.slice(3)]) await broker.broker.produce(TOPIC, 0, batchOf(batch, batch[0]!.timestampMs));
    c = await openPlatformatic(broker.port);
  });
  afterAll(async () => {
    await closePlatformatic(c);
    await broker.destroy();
  });

  describe.each(FETCHES)('Fetch v%i', (v, api) => {
    /** v12 names the topic (in the field the library calls topicId), v13+ gives its id. */
    const fetch = (fetchOffset: bigint, id = v >= 13 ? topicId : TOPIC) =>
      callAllowingErrors(c, api, 0, 0, 1 << 20, 0, 0, -1, [{ topicId: id, partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset, lastFetchedEpoch: -1, partitionMaxBytes: 1 << 20 }] }], [], '');

    it('answers the records, the high watermark and the log start offset', async () => {
      const r = await fetch(0n);
      expect(r).toMatchObject({ errorCode: 0, sessionId: 0 });
      expect(r.responses[0].topicId).toBe(v >= 13 ? topicId : TOPIC);
      const p = r.responses[0].partitions[0];
      expect(p).toMatchObject({ partitionIndex: 0, errorCode: 0, highWatermark: 5n, lastStableOffset: 5n, logStartOffset: 0n, preferredReadReplica: -1 });
      expect(recordsOf(p.records)).toEqual(RECORDS.map((x, i) => [BigInt(i), x.key, x.value]));
    });

    it('reads from the batch holding the offset', async () => {
      const p = (await fetch(3n)).responses[0].partitions[0];
      expect(recordsOf(p.records)).toEqual([
        [3n, 'k3', 'v3'],
        [4n, 'k4', 'v4'],
      ]);
      expect(recordsOf((await fetch(5n)).responses[0].partitions[0].records)).toEqual([]);
    });

    if (v >= 13) {
      it.each([UNKNOWN_ID, ZERO_UUID])('answers UNKNOWN_TOPIC_ID for topic id %s', async (id) => {
        const r = await fetch(0n, id);
        expect(r.responses[0].topicId).toBe(id);
        expect(r.responses[0].partitions[0]).toMatchObject({ errorCode: 100, highWatermark: -1n, logStartOffset: -1n });
      });
    }
  });

  describe.each(LIST_OFFSETS)('ListOffsets v%i', (v, api) => {
    const list = async (timestamp: bigint, topic = TOPIC) => {
      const r = await callAllowingErrors(c, api, -1, 0, [{ name: topic, partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp }] }]);
      return r.topics[0].partitions[0];
    };
    const answer = (offset: bigint, timestamp = -1n) => ({ partitionIndex: 0, errorCode: 0, offset, timestamp, leaderEpoch: offset >= 0n ? 0 : -1 });

    it('answers latest, earliest and by time', async () => {
      expect(await list(-1n)).toEqual(answer(5n));
      expect(await list(-2n)).toEqual(answer(0n));
      expect(await list(500n)).toEqual(answer(0n, 1000n));
      expect(await list(2500n)).toEqual(answer(1n, 9000n)); // the first record in offset order at or after the time
      expect(await list(9001n)).toEqual(answer(-1n));
      expect((await list(-1n, 'nope')).errorCode).toBe(3); // UNKNOWN_TOPIC_OR_PARTITION
    });

    if (v >= 7) {
      it('answers the first record with the largest timestamp (-3)', async () => {
        expect(await list(-3n)).toEqual(answer(1n, 9000n));
      });
    }
    if (v >= 8) {
      it('answers the log start offset as the earliest local one (-4)', async () => {
        expect(await list(-4n)).toEqual(answer(0n));
      });
    }
    if (v >= 9) {
      it('answers no tiered offset (-5), as Kafka does without tiered storage', async () => {
        expect(await list(-5n)).toEqual(answer(-1n));
      });
    }
  });

  it('opens a fetch session for the library, answers its incremental fetches with what changed, and closes it', async () => {
    const at = (fetchOffset: bigint) => ({ topicId, partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset, lastFetchedEpoch: -1, partitionMaxBytes: 1 << 20 }] });
    const r = await call(c, fetchV17, 0, 0, 1 << 20, 0, 0, 0, [at(4n)], [], '');
    expect(r.sessionId).not.toBe(0);
    expect(recordsOf(r.responses[0].partitions[0].records)).toEqual([[3n, 'k3', 'v3'], [4n, 'k4', 'v4']]);
    // At the end now, with the same high watermark: nothing to say.
    const quiet = await call(c, fetchV17, 0, 0, 1 << 20, 0, r.sessionId, 1, [at(5n)], [], '');
    expect(quiet).toMatchObject({ errorCode: 0, sessionId: r.sessionId, responses: [] });
    // The session's epoch moved on: the same epoch again is refused.
    const stale = await callAllowingErrors(c, fetchV17, 0, 0, 1 << 20, 0, r.sessionId, 1, [], [], '');
    expect(stale).toMatchObject({ errorCode: 71, sessionId: 0, responses: [] }); // INVALID_FETCH_SESSION_EPOCH
    // Epoch -1 closes it, answered in full and sessionless.
    const closed = await call(c, fetchV17, 0, 0, 1 << 20, 0, r.sessionId, -1, [at(4n)], [], '');
    expect(closed.sessionId).toBe(0);
    expect(recordsOf(closed.responses[0].partitions[0].records)).toEqual([[3n, 'k3', 'v3'], [4n, 'k4', 'v4']]);
    expect(broker.broker.fetchSessions.get(r.sessionId)).toBeUndefined();
  });
});
