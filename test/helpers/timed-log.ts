// Batches with awkward timestamps for the time-lookup tests, and the answer
// Kafka's ListOffsets by time gives over them, worked out the slow way.
import { gzipped, timedBatch } from './batches.js';

export interface TimedRecord {
  offset: number;
  timestamp: number;
}

/** A seeded generator (Park–Miller), so a failing run can be repeated from its printed seed. */
export function seededRandom(seed: number): () => number {
  let x = seed % 2147483647 || 1;
  return () => (x = (x * 48271) % 2147483647) / 2147483647;
}

/** The seed for this run: MQLAB_SEED if set, else a fresh one; printed either way. */
export function testSeed(what: string): number {
  const seed = process.env.MQLAB_SEED ? Number(process.env.MQLAB_SEED) : Date.now() % 2147483646;
  console.log(`${what}: seed ${seed} (MQLAB_SEED=${seed} repeats it)`);
  return seed;
}

/**
 * `count` batches of 1 to 400 records whose timestamps wander: batches start
 * up to 100 s before the last one's, records inside go back now and then;
 * one batch in eight has log-append time, one in eight is gzip. Returns the
 * batches and every record, offsets from `firstOffset`, in offset order.
 */
export function wanderingBatches(rnd: () => number, count: number, firstOffset: number, clock: { ms: number }): { batches: Buffer[]; records: TimedRecord[] } {
  const int = (lo: number, hi: number): number => lo + Math.floor(rnd() * (hi - lo + 1));
  const batches: Buffer[] = [];
  const records: TimedRecord[] = [];
  let offset = firstOffset;
  for (let b = 0; b < count; b++) {
    clock.ms += int(0, 5000);
    const n = int(1, 400);
    const valueBytes = int(0, 120);
    const kind = rnd();
    let timestamps: number[];
    let batch: Buffer;
    if (kind < 0.125) {
      const at = clock.ms + int(-20_000, 20_000);
      timestamps = Array.from({ length: n }, () => at);
      batch = timedBatch(Array.from({ length: n }, (_, i) => clock.ms + i), { logAppendTimeMs: at, valueBytes });
    } else {
      let t = clock.ms - (rnd() < 0.3 ? int(0, 100_000) : 0);
      timestamps = Array.from({ length: n }, () => (t += rnd() < 0.1 ? -int(0, 500) : int(0, 30)));
      batch = timedBatch(timestamps, { valueBytes });
      if (kind > 0.875) batch = gzipped(batch);
    }
    batches.push(batch);
    for (const timestamp of timestamps) records.push({ offset: offset++, timestamp });
  }
  return { batches, records };
}

/** What ListOffsets by time answers: the first record at or after `fromOffset` whose timestamp is >= t. */
export function expectedAt(records: readonly TimedRecord[], t: number, fromOffset = 0): { offset: bigint; timestamp: bigint } | null {
  const r = records.find((x) => x.offset >= fromOffset && x.timestamp >= t);
  return r === undefined ? null : { offset: BigInt(r.offset), timestamp: BigInt(r.timestamp) };
}

/** Times worth asking about: every record's, one either side, and beyond both ends. */
export function probeTimes(rnd: () => number, records: readonly TimedRecord[], count: number): number[] {
  const ts = records.map((r) => r.timestamp);
  const lo = Math.min(...ts);
  const hi = Math.max(...ts);
  const out = [0, lo - 1, lo, hi - 1, hi, hi + 1];
  for (let i = 0; i < count; i++) out.push(ts[Math.floor(rnd() * ts.length)]! + Math.floor(rnd() * 3) - 1);
  return out;
}
