// One cleaning of one partition, as Kafka's Cleaner.doClean:
// 1. map: the latest offset of each key in the dirty section, until the
//    section ends or the map is full (then the cleaning stops there, at a
//    batch boundary, and the next one goes on from it);
// 2. producers: the last batch of each producer id in the part cleaned, so
//    its sequence survives even when all its records go;
// 3. write: the closed segments up to the map's end, in groups that fit a
//    segment, each into one <base>.log.cleaned, batch by batch (filter-batch.ts);
// 4. swap (swap.ts), all groups in one synchronous step, and the checkpoint.
// Offsets never change. Never the active segment.
import { closeSync, fsyncSync, openSync, rmSync, writeSync } from 'node:fs';
import { BATCH_HEADER_BYTES, decodeBatch, type BatchHeader } from '../../../records/index.js';
import { BatchReader } from '../batch-reader.js';
import type { CompactionPolicy, CleanResult, TopicPartition } from '../../types.js';
import type { PartitionLog } from '../partition-log.js';
import type { LogSegment } from '../segment.js';
import { readCheckpoint, writeCheckpoint } from './checkpoint.js';
import { filterBatch, mappable } from './filter-batch.js';
import type { OffsetMap } from './offset-map.js';
import type { CleanPlan } from './plan.js';
import { scanBatches, type ScanContext, CHUNK_BYTES } from './segment-scan.js';
import { cleanedPath, commitCleaned, type GroupRange } from './swap.js';

export class MapTooSmall extends Error {}

export interface CleanInput {
  tp: TopicPartition;
  log: PartitionLog;
  plan: CleanPlan;
  policy: CompactionPolicy;
  map: OffsetMap;
  scan: ScanContext;
  nowMs: number;
  /** False once the partition is deleted or the engine closing: nothing may be swapped in then. */
  current: () => boolean;
  /** Hears of the .log paths of segments swapped out (the flusher must stop syncing them). */
  retired: (paths: string[]) => void;
}

export async function cleanPartition(input: CleanInput): Promise<CleanResult | null> {
  const started = performance.now();
  const { log, plan, scan } = input;
  if (!input.current()) return null;
  const held = plan.segments.slice();
  // Pinned: read across awaits, so kept open (and leased, should retention delete one meanwhile).
  for (const s of held) s.pin();
  const written: GroupRange[] = [];
  try {
    const endOffset = await buildMap(input);
    const groups = groupSegments(plan.segments.filter((s) => s.baseOffset < endOffset), log.rollBytes);
    const lastOfProducer = await producerLastBatches(groups.flat(), scan);
    let recordsRead = 0;
    let recordsKept = 0;
    let nextHorizonMs: number | null = null;
    for (const group of groups) {
      const range = log.groupRange(group);
      written.push(range);
      const r = await writeGroup(input, group, range, endOffset, lastOfProducer);
      recordsRead += r.recordsRead;
      recordsKept += r.recordsKept;
      if (r.horizonMs !== null && (nextHorizonMs === null || r.horizonMs < nextHorizonMs)) nextHorizonMs = r.horizonMs;
    }
    scan.checkStop();
    if (!input.current() || !groups.every((g) => log.holdsGroup(g))) return null;
    // From here to the end nothing awaits: no fetch, append or retention runs in between.
    const segmentsBefore = log.closedSegments().length + 1;
    const previous = readCheckpoint(log.dir);
    writeCheckpoint(log.dir, { ...previous, gapsBelow: Math.max(previous.gapsBelow, endOffset) });
    for (const [k, group] of groups.entries()) {
      // Ranges are taken again: a roll since then moved no closed segment's end, but be exact.
      const range = log.groupRange(group);
      if (range.end !== written[k]!.end) throw new Error(`segment group at ${range.base} now ends at ${range.end}, not ${written[k]!.end}`);
      commitCleaned(log.dir, range);
      input.retired(group.map((s) => s.logPath));
      if (!log.swapIn(group, input.nowMs)) throw new Error(`segment group at ${group[0]!.baseOffset} changed while it was being swapped in`);
    }
    written.length = 0;
    writeCheckpoint(log.dir, { firstDirty: endOffset, nextHorizonMs, gapsBelow: Math.max(previous.gapsBelow, endOffset) });
    return {
      tp: input.tp,
      endOffset,
      bytesRead: scan.bytesRead,
      bytesWritten: scan.bytesWritten,
      recordsRead,
      recordsKept,
      segmentsBefore,
      segmentsAfter: log.closedSegments().length + 1,
      throttledMs: scan.throttle.waitedMs,
      elapsedMs: performance.now() - started,
    };
  } finally {
    for (const range of written) rmSync(cleanedPath(log.dir, range), { force: true });
    for (const s of held) s.unpin();
  }
}

/** Fills the map from the dirty section; returns the offset it ends at (exclusive). */
async function buildMap(input: CleanInput): Promise<number> {
  const { plan, map, scan } = input;
  map.clear();
  let end = plan.firstDirty;
  for (const s of plan.segments) {
    if (s.nextOffset <= plan.firstDirty) continue;
    for await (const b of scanBatches(s, scan, s.baseOffset >= plan.firstDirty ? 0 : s.positionOf(plan.firstDirty))) {
      const last = Number(b.header.baseOffset) + b.header.lastOffsetDelta;
      if (last < plan.firstDirty) continue;
      if (mappable(b.header.attributes)) {
        const { records } = decodeBatch(b.buf, b.at);
        const keyed = records.filter((r) => r.key !== null);
        if (!map.fits(keyed.length)) {
          if (end === plan.firstDirty) {
            throw new MapTooSmall(`log.cleaner.dedupe.buffer.size (${map.memoryBytes} bytes, ${map.capacity} keys) cannot hold the ${keyed.length} keys of the batch at offset ${b.header.baseOffset}`);
          }
          return end;
        }
        for (const r of keyed) map.put(r.key!, Number(b.header.baseOffset) + r.offsetDelta);
      }
      end = last + 1;
    }
  }
  return Math.max(end, plan.firstUncleanable);
}

/** Consecutive segments whose bytes together fit one segment (Kafka's groupSegmentsBySize); relative offsets fit 31 bits. */
function groupSegments(segments: readonly LogSegment[], maxBytes: number): LogSegment[][] {
  const groups: LogSegment[][] = [];
  for (const s of segments) {
    const g = groups[groups.length - 1];
    const bytes = g ? g.reduce((n, x) => n + x.size, 0) : 0;
    if (g && bytes + s.size <= maxBytes && s.nextOffset - g[0]!.baseOffset < 2 ** 31) g.push(s);
    else groups.push([s]);
  }
  return groups;
}

/**
 * Producer id -> base offset of its last batch among these segments. Batch
 * heads only, one pread of a head per batch: a fraction of the log's bytes
 * (61 of every batch's), where reading the batches whole would read the log
 * a third time.
 */
async function producerLastBatches(segments: readonly LogSegment[], scan: ScanContext): Promise<Map<bigint, bigint>> {
  const last = new Map<bigint, bigint>();
  const reader = new BatchReader(0, 0);
  for (const s of segments) {
    reader.begin(s.fd, s.size, BATCH_HEADER_BYTES);
    let heads = 0;
    for (let pos = 0, b = reader.at(0, false); b !== null; b = reader.at(pos, false)) {
      if (b.producerId >= 0n) last.set(b.producerId, BigInt(b.baseOffset));
      pos += b.size;
      if (++heads % 1024 === 0) await scan.spent(1024 * BATCH_HEADER_BYTES, 'read');
    }
    await scan.spent((heads % 1024) * BATCH_HEADER_BYTES, 'read');
  }
  return last;
}

interface GroupResult {
  recordsRead: number;
  recordsKept: number;
  horizonMs: number | null;
}

async function writeGroup(input: CleanInput, group: readonly LogSegment[], range: GroupRange, endOffset: number, lastOfProducer: Map<bigint, bigint>): Promise<GroupResult> {
  const { log, scan } = input;
  const fd = openSync(cleanedPath(log.dir, range), 'w');
  const out = new ChunkWriter(fd, scan);
  const result: GroupResult = { recordsRead: 0, recordsKept: 0, horizonMs: null };
  const ctx = { map: input.map, endOffset, nowMs: input.nowMs, deleteRetentionMs: input.policy.deleteRetentionMs };
  try {
    for (const s of group) {
      for await (const b of scanBatches(s, scan)) {
        const f = filterBatch(b.buf, b.at, ctx, isProducersLast(b.header, lastOfProducer));
        result.recordsRead += f.recordsRead;
        result.recordsKept += f.recordsKept;
        if (f.horizonMs !== null && (result.horizonMs === null || f.horizonMs < result.horizonMs)) result.horizonMs = f.horizonMs;
        if (f.bytes) await out.write(f.bytes);
      }
    }
    await out.flush();
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  return result;
}

function isProducersLast(h: BatchHeader, lastOfProducer: Map<bigint, bigint>): boolean {
  return h.producerId >= 0n && lastOfProducer.get(h.producerId) === h.baseOffset;
}

/** Batches gathered into chunks of CHUNK_BYTES per write(2), each chunk counted against the budget. */
class ChunkWriter {
  private buf = Buffer.allocUnsafe(CHUNK_BYTES);
  private used = 0;
  private position = 0;

  constructor(private readonly fd: number, private readonly scan: ScanContext) {}

  async write(bytes: Buffer): Promise<void> {
    if (this.used + bytes.length > this.buf.length) await this.flush();
    if (bytes.length > this.buf.length) this.buf = Buffer.allocUnsafe(bytes.length);
    bytes.copy(this.buf, this.used);
    this.used += bytes.length;
  }

  async flush(): Promise<void> {
    if (this.used === 0) return;
    for (let done = 0; done < this.used; ) done += writeSync(this.fd, this.buf, done, this.used - done, this.position + done);
    this.position += this.used;
    const n = this.used;
    this.used = 0;
    await this.scan.spent(n, 'write');
  }
}
