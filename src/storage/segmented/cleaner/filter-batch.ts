// What cleaning makes of one record batch: the batch as it was, a batch
// re-encoded with fewer records, an empty batch, or nothing.
//
// As Kafka's MemoryRecords.filterTo: a retained batch keeps its base offset,
// its lastOffsetDelta (so the offset after it, and its producer's last
// sequence, stay what they were), its producer fields, leader epoch,
// timestamp type and codec; records keep their offsets and timestamps. A
// tombstone (a key with a null value) is kept by the first cleaning that
// sees it, which stamps the batch with a delete horizon (KIP-534: attribute
// bit 6, the horizon in baseTimestamp, record timestamps unchanged as
// absolute values), and dropped by the first cleaning after the horizon.
// The horizon is in the batch, so it outlives restarts and does not depend
// on file times.
//
// Kept whole, unread: control batches and transactional batches (until
// transactions are built, the cleaner does not know which were aborted),
// and batches in a codec this Node cannot compress again (zstd before Node
// 22.15: fzstd only decompresses).
import {
  ATTRIBUTES_AT,
  DELETE_HORIZON_BIT,
  LOG_OVERHEAD_BYTES,
  canCompress,
  compressionOf,
  decodeBatch,
  encodeBatch,
  isControl,
  isTransactional,
  readBatchHeader,
  timestampTypeOf,
  writeBatchCrc,
  type BatchHeader,
  type KafkaRecord,
} from '../../../records/index.js';
import type { OffsetMap } from './offset-map.js';

export interface FilterContext {
  map: OffsetMap;
  /** Where the map's section ends: records from here on were not mapped and are kept as they are. */
  endOffset: number;
  nowMs: number;
  deleteRetentionMs: number;
}

export interface FilterOutcome {
  /** The bytes to write, or null for none. */
  bytes: Buffer | null;
  recordsRead: number;
  recordsKept: number;
  /** The delete horizon of tombstones kept, or null if none kept. */
  horizonMs: number | null;
}

/** Whether the cleaner looks inside this batch at all (else it is kept whole, and its keys stay out of the map). */
export function cleanable(attributes: number): boolean {
  if (isControl(attributes) || isTransactional(attributes)) return false;
  const codec = compressionOf(attributes);
  return codec !== 'unknown' && canCompress(codec);
}

/** Whether its keys enter the map: a batch kept whole still supersedes older values, unless it may be aborted. */
export function mappable(attributes: number): boolean {
  return !isControl(attributes) && !isTransactional(attributes) && compressionOf(attributes) !== 'unknown';
}

export function deleteHorizonOf(h: BatchHeader): number | null {
  return h.attributes & DELETE_HORIZON_BIT ? Number(h.baseTimestamp) : null;
}

/**
 * Filters the batch at `at` in `buf` (whole). `keepEmpty`: write an empty
 * batch with the same offsets if every record goes (a producer's last
 * batch, so its sequence survives a restart, as Kafka's RETAIN_EMPTY).
 * Otherwise a batch left with no record goes: an empty batch is legal, but
 * a fetch answering only that stalls some clients (kafkajs reads no record
 * and asks for the same offset again).
 */
export function filterBatch(buf: Buffer, at: number, ctx: FilterContext, keepEmpty: boolean): FilterOutcome {
  const h = readBatchHeader(buf, at);
  const size = h.batchLength + LOG_OVERHEAD_BYTES;
  const whole = (): FilterOutcome => ({ bytes: buf.subarray(at, at + size), recordsRead: h.recordCount, recordsKept: h.recordCount, horizonMs: null });
  if (!cleanable(h.attributes)) return whole();
  const { records } = decodeBatch(buf, at);
  const horizon = deleteHorizonOf(h);
  const kept: KafkaRecord[] = [];
  let tombstones = 0;
  for (const r of records) {
    const offset = Number(h.baseOffset) + r.offsetDelta;
    if (offset >= ctx.endOffset) {
      // Past the map (it filled up): kept, tombstones too, whatever their
      // horizon, as Kafka's pastLatestOffset. Dropping a tombstone here could
      // leave an older value of its key, which only a pass that maps the
      // tombstone removes: a deleted key would come back.
      if (r.value === null) tombstones++;
      kept.push(r);
      continue;
    }
    if (r.key === null) continue; // a compacted log keeps nothing without a key (Kafka drops them too)
    if (offset < ctx.map.get(r.key)) continue; // a later value of the key exists
    if (r.value === null) {
      if (horizon !== null && horizon <= ctx.nowMs) continue; // a tombstone past its delete horizon
      tombstones++;
    }
    kept.push(r);
  }
  const needsHorizon = tombstones > 0 && horizon === null;
  if (kept.length === records.length && !needsHorizon) return whole();
  const out: FilterOutcome = { bytes: null, recordsRead: records.length, recordsKept: kept.length, horizonMs: null };
  if (kept.length === 0) {
    if (keepEmpty) out.bytes = emptyBatch(h);
    return out;
  }
  const newHorizon = needsHorizon ? ctx.nowMs + ctx.deleteRetentionMs : horizon;
  out.horizonMs = tombstones > 0 ? newHorizon : null;
  out.bytes = rebuild(h, kept, newHorizon);
  return out;
}

function rebuild(h: BatchHeader, kept: readonly KafkaRecord[], horizon: number | null): Buffer {
  const codec = compressionOf(h.attributes) as Exclude<ReturnType<typeof compressionOf>, 'unknown'>;
  const logAppend = timestampTypeOf(h.attributes) === 'log-append-time';
  // Record timestamps stay absolute: with a horizon, baseTimestamp is the
  // horizon and the deltas are taken from it (KIP-534), so the batch's
  // first timestamp no longer is a record's. Deltas always count from the
  // baseTimestamp in force, horizon or not.
  const stamps = kept.map((r) => h.baseTimestamp + BigInt(r.timestampDelta));
  const base = horizon !== null ? BigInt(horizon) : h.baseTimestamp;
  let max = stamps.reduce((m, t) => (t > m ? t : m), stamps[0]!);
  if (logAppend) max = h.maxTimestamp;
  const bytes = encodeBatch({
    baseOffset: h.baseOffset,
    baseTimestamp: base,
    maxTimestamp: max,
    partitionLeaderEpoch: h.partitionLeaderEpoch,
    producerId: h.producerId,
    producerEpoch: h.producerEpoch,
    baseSequence: h.baseSequence,
    timestampType: logAppend ? 'log-append-time' : 'create-time',
    lastOffsetDelta: h.lastOffsetDelta,
    compression: codec,
    records: kept.map((r, i) => ({ key: r.key, value: r.value, headers: r.headers, offsetDelta: r.offsetDelta, timestamp: stamps[i] })),
  });
  if (horizon !== null) {
    bytes.writeInt16BE(bytes.readInt16BE(ATTRIBUTES_AT) | DELETE_HORIZON_BIT, ATTRIBUTES_AT);
    writeBatchCrc(bytes, 0);
  }
  return bytes;
}

/** A batch with no records and the same offsets, producer fields and max timestamp (Kafka's writeEmptyHeader). */
function emptyBatch(h: BatchHeader): Buffer {
  return encodeBatch({
    baseOffset: h.baseOffset,
    baseTimestamp: h.maxTimestamp,
    maxTimestamp: h.maxTimestamp,
    partitionLeaderEpoch: h.partitionLeaderEpoch,
    producerId: h.producerId,
    producerEpoch: h.producerEpoch,
    baseSequence: h.baseSequence,
    timestampType: timestampTypeOf(h.attributes),
    lastOffsetDelta: h.lastOffsetDelta,
    records: [],
  });
}
