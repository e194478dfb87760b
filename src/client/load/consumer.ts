// The load consumer: fetches partitions from given offsets as a Kafka
// consumer does (long polling, whole batches, the partial batch at the end
// fetched again), checks every stamped record into an IntegrityTracker and
// records end-to-end latency (now minus the producer's intended send time).
import type { RecordableHistogram } from 'node:perf_hooks';
import { BATCH_HEADER_BYTES, batchBytesAt, batchCrcValid } from '../../records/index.js';
import { KafkaConnection } from '../connection.js';
import { newLatencyHistogram, recordMicros } from './histogram.js';
import { IntegrityTracker } from './integrity.js';
import { forEachStamped, nowMicros, type StampedRecord } from './stamped-batch.js';

export interface ConsumerLoadOptions {
  host: string;
  port: number;
  topic: string;
  /** Partition → first offset to read. */
  from: ReadonlyMap<number, bigint>;
  /** Stop once this many records were received, or after maxMs. */
  expectRecords: number;
  maxMs: number;
  maxBytes: number;
  partitionMaxBytes: number;
  maxWaitMs?: number;
  bucketMs?: number;
  /** Stop once every partition's position reaches this offset (the end, read beforehand). */
  until?: ReadonlyMap<number, bigint>;
  /** Called between fetches (the live-swap scenario changes strategies from here). */
  onTick?: (elapsedMs: number) => Promise<void> | void;
  integrity?: IntegrityTracker;
  /** No fetch once aborted (the one in flight is read to its end). */
  stop?: AbortSignal;
  /**
   * Each record as it is read, with the time it was read (nowMicros()).
   * `latency` holds only for a producer on this thread: another thread
   * stamps on its own clock, which the caller can correct for here.
   */
  onRecord?: (r: StampedRecord, receivedMicros: number) => void;
  /** Check each whole batch's CRC-32C: the producer computed it over the batch it sent, so a match means the bytes came back as sent. */
  checkCrc?: boolean;
  /** Commit the positions to this group (OffsetCommit, no membership) after each fetch that moved them, before the next: what kafkajs does by default. */
  commitGroup?: string;
}

export interface ConsumerLoadResult {
  received: number;
  /** OffsetCommit requests sent (commitGroup). */
  commits: number;
  bytes: number;
  fetches: number;
  failedFetches: number;
  firstError: string | null;
  seconds: number;
  latency: RecordableHistogram;
  integrity: IntegrityTracker;
  /** Records received per bucket. */
  timeline: number[];
  bucketMs: number;
  positions: Map<number, bigint>;
  /** Whole batches whose CRC did not match (with checkCrc). */
  badBatches: number;
}

export async function consumeLoad(o: ConsumerLoadOptions): Promise<ConsumerLoadResult> {
  const conn = await KafkaConnection.open(o.host, o.port, 'mqlab-load-consumer');
  const bucketMs = o.bucketMs ?? 100;
  const positions = new Map(o.from);
  const r: ConsumerLoadResult = {
    received: 0,
    commits: 0,
    bytes: 0,
    fetches: 0,
    failedFetches: 0,
    firstError: null,
    seconds: 0,
    latency: newLatencyHistogram(),
    integrity: o.integrity ?? new IntegrityTracker(),
    timeline: [],
    bucketMs,
    positions,
    badBatches: 0,
  };
  const start = nowMicros();
  try {
    const reachedEnd = (): boolean => o.until !== undefined && [...o.until].every(([p, end]) => (positions.get(p) ?? 0n) >= end);
    while (r.received < o.expectRecords && !reachedEnd() && !o.stop?.aborted && nowMicros() - start < o.maxMs * 1000) {
      await o.onTick?.((nowMicros() - start) / 1000);
      let body;
      try {
        body = await conn.request(1, 11, {
          replicaId: -1,
          maxWaitMs: o.maxWaitMs ?? 100,
          minBytes: 1,
          maxBytes: o.maxBytes,
          isolationLevel: 0,
          topics: [{ topic: o.topic, partitions: [...positions].map(([partition, fetchOffset]) => ({ partition, fetchOffset, partitionMaxBytes: o.partitionMaxBytes })) }],
        });
      } catch (err) {
        r.failedFetches++;
        r.firstError ??= (err as Error).message;
        throw err;
      }
      r.fetches++;
      const now = nowMicros();
      const bucket = Math.floor((now - start) / 1000 / bucketMs);
      while (r.timeline.length <= bucket) r.timeline.push(0);
      for (const t of body.responses) {
        for (const p of t.partitions) {
          if (p.errorCode !== 0) {
            r.failedFetches++;
            r.firstError ??= `fetch ${t.topic}-${p.partitionIndex}: error ${p.errorCode}`;
            continue;
          }
          const records = p.records;
          if (!records || records.length === 0) continue;
          r.bytes += records.length;
          if (o.checkCrc) r.badBatches += badBatchesIn(records);
          const from = positions.get(p.partitionIndex)!;
          const next = forEachStamped(records, from, (rec) => {
            r.integrity.add(rec.producerId, rec.sequence);
            recordMicros(r.latency, now - rec.sentMicros);
            o.onRecord?.(rec, now);
            r.received++;
            r.timeline[bucket] = r.timeline[bucket]! + 1;
          });
          positions.set(p.partitionIndex, next);
        }
      }
      if (o.commitGroup !== undefined && body.responses.some((t: { partitions: { records: Buffer | null }[] }) => t.partitions.some((p) => (p.records?.length ?? 0) > 0))) await commit(conn, o.commitGroup, o.topic, positions, r);
    }
  } finally {
    conn.close();
  }
  r.seconds = (nowMicros() - start) / 1e6;
  return r;
}

async function commit(conn: KafkaConnection, group: string, topic: string, positions: ReadonlyMap<number, bigint>, r: ConsumerLoadResult): Promise<void> {
  const answer = await conn.request(8, 2, {
    groupId: group,
    generationId: -1,
    memberId: '',
    retentionTimeMs: -1n,
    topics: [{ name: topic, partitions: [...positions].map(([partitionIndex, committedOffset]) => ({ partitionIndex, committedOffset, committedMetadata: null })) }],
  });
  r.commits++;
  for (const t of answer.topics) {
    for (const p of t.partitions) {
      if (p.errorCode !== 0) throw new Error(`OffsetCommit ${t.name}-${p.partitionIndex} for group ${group}: error ${p.errorCode}`);
    }
  }
}

/** Whole batches in a fetch's records whose CRC-32C does not match; a trailing partial batch is not counted. */
function badBatchesIn(buf: Buffer): number {
  let bad = 0;
  for (let at = 0; at + BATCH_HEADER_BYTES <= buf.length; ) {
    const size = batchBytesAt(buf, at);
    if (size < BATCH_HEADER_BYTES) return bad + 1; // no length to walk on by
    if (at + size > buf.length) break;
    if (!batchCrcValid(buf, at)) bad++;
    at += size;
  }
  return bad;
}
