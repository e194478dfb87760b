// One segment of a partition: <base offset, 20 digits>.log holding record
// batches byte for byte as they came on the wire, with its .index and
// .timeindex (formats in sparse-index.ts).
//
// Appends go through positional write(2). Measured in bench/storage on this
// machine: write(2) of 16 KiB batches to one file ran at 0.98-1.09 GB/s, a
// memcpy into a preallocated file mapped through the addon (RocketMQ's
// MappedFile way) at 0.76-0.81 GB/s, because every new page of the mapping
// takes a fault. write(2) also fails with a code (ENOSPC) where a store into
// a mapping on a full disk takes SIGBUS.
import { closeSync, fstatSync, ftruncateSync, openSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { SharedFile } from '../../transfer/shared-file.js';
import type { RecordAtTime } from '../../records/index.js';
import type { FileRegion } from '../../transfer/types.js';
import { batchCrcOk, type BatchAt } from '../batch-view.js';
import { StorageError } from '../errors.js';
import { CREATE, PooledFile, type FilePool } from '../file-pool.js';
import { BatchReader } from './batch-reader.js';
import { SegmentReads } from './segment-reads.js';
import { SegmentTimeLookup } from './segment-time.js';
import { INDEX_INTERVAL_BYTES, OffsetIndex, TimeIndex } from './sparse-index.js';
import { TagIndex } from './tag-index.js';

export function segmentName(baseOffset: number): string {
  return String(baseOffset).padStart(20, '0');
}

export interface RecoveryReport {
  batches: number;
  validBytes: number;
  truncatedBytes: number;
  reason: 'end' | 'torn' | 'corrupt' | 'offset-gap';
}

export class LogSegment {
  size: number;
  nextOffset: number;
  maxTimestamp = -1;
  /** When the segment was last appended to (ms), for retention by time. */
  lastAppendMs: number;
  private bytesSinceIndex = 0;
  private maxTimestampSoFarRel = 0;
  /** The fetch path's lookups (segment-reads.ts). */
  private readonly reads = new SegmentReads(this);
  /** ListOffsets by time (segment-time.ts). */
  private readonly times = new SegmentTimeLookup(this);
  /** Batch-head preads besides the fetch path's (recovery, verify). */
  private otherHeaderReads = 0;
  /** RocketMQ tag codes per offset (tag-index.ts), for topics that carry them. */
  readonly tags: TagIndex;
  /**
   * Written by the log cleaner: offsets rise from batch to batch but may
   * skip (removed records), so checks accept a gap where they would
   * otherwise see damage. Never set on a segment appends write to.
   */
  allowGaps = false;

  private constructor(
    readonly dir: string,
    readonly baseOffset: number,
    /** The .log file, in the engine's pool (closed while idle), kept open by the regions read from it until they are sent. */
    private readonly logFile: PooledFile,
    private readonly indexFile: PooledFile,
    private readonly timeFile: PooledFile,
    readonly index: OffsetIndex,
    readonly timeIndex: TimeIndex,
    size: number,
    nowMs: number,
    pool: FilePool,
  ) {
    this.size = size;
    this.nextOffset = baseOffset;
    this.lastAppendMs = nowMs;
    this.tags = new TagIndex(`${join(dir, segmentName(baseOffset))}.tags`, pool);
  }

  /** The .log file, opened again if the pool closed it: a region takes a lease on it. */
  get file(): SharedFile {
    return this.logFile.shared;
  }

  /** The .log file's fd, for one synchronous step (the pool may close the file after it). */
  get fd(): number {
    return this.logFile.fd;
  }

  /** The .log file's path (the flusher forgets files by path). */
  get logPath(): string {
    return this.logFile.path;
  }

  /**
   * Keeps the .log open and holds a lease on it, for a reader that awaits
   * between reads (the cleaner): `fd` then names the same file throughout,
   * even after a retention deletes the segment. unpin() gives both back.
   */
  pin(): void {
    this.logFile.pin();
    this.file.hold();
  }

  unpin(): void {
    this.logFile.unpin();
    this.file.release();
  }

  static paths(dir: string, baseOffset: number): { log: string; index: string; time: string } {
    const n = join(dir, segmentName(baseOffset));
    return { log: `${n}.log`, index: `${n}.index`, time: `${n}.timeindex` };
  }

  /**
   * Opens (creating if absent) a segment; call recover() or trust() next.
   * The indexes are read by path: their fds open only when they are written
   * to (persist, truncate), which appends never do.
   */
  static open(dir: string, baseOffset: number, nowMs: number, pool: FilePool): LogSegment {
    const p = LogSegment.paths(dir, baseOffset);
    const logFile = new PooledFile(pool, p.log, CREATE);
    const indexFile = new PooledFile(pool, p.index);
    const timeFile = new PooledFile(pool, p.time);
    try {
      const st = fstatSync(logFile.fd);
      for (const f of [p.index, p.time]) closeSync(openSync(f, 'a')); // create if missing
      return new LogSegment(dir, baseOffset, logFile, indexFile, timeFile, OffsetIndex.load(indexFile), TimeIndex.load(timeFile), st.size, st.mtimeMs, pool);
    } catch (err) {
      for (const f of [logFile, indexFile, timeFile]) f.close();
      throw err;
    }
  }

  /**
   * Trusts a segment closed cleanly: reads only the last batches to learn
   * the next offset and the max timestamp.
   */
  trust(): void {
    const reader = new BatchReader(this.fd, this.size);
    let pos = Math.max(0, this.index.lastPosition);
    let last: BatchAt | null = null;
    // The batch that set the maximum, too: the next time-index entry names
    // it, and a lookup scans from there.
    this.maxTimestamp = this.timeIndex.lastTimestamp;
    this.maxTimestampSoFarRel = Math.max(0, this.timeIndex.lastRelativeOffset);
    for (let b = reader.at(pos, false); b !== null; b = reader.at(pos, false)) {
      last = b;
      if (b.maxTimestamp > this.maxTimestamp) {
        this.maxTimestamp = b.maxTimestamp;
        this.maxTimestampSoFarRel = b.baseOffset - this.baseOffset;
      }
      pos += b.size;
    }
    if (last) this.nextOffset = last.baseOffset + last.lastOffsetDelta + 1;
    if (pos !== this.size) {
      // Not as clean as claimed: fall back to a full check.
      this.recover();
    } else {
      // Carry on indexing where the last run stopped, so that entries stay
      // at most INDEX_INTERVAL_BYTES of batch starts apart (read() relies on
      // it for one pread per lookup; a wider gap only costs more preads).
      this.bytesSinceIndex = this.size - Math.max(0, this.index.lastPosition);
    }
  }

  /**
   * Checks every batch (size, magic, CRC, offsets following on), truncates
   * the log after the last good one, and rebuilds both indexes.
   */
  recover(): RecoveryReport {
    const reader = new BatchReader(this.fd, this.size);
    this.index.truncateToPosition(0);
    this.timeIndex.truncateToRelativeOffset(0);
    this.bytesSinceIndex = 0;
    this.maxTimestamp = -1;
    this.maxTimestampSoFarRel = 0;
    this.nextOffset = this.baseOffset;
    let pos = 0;
    let batches = 0;
    let reason: RecoveryReport['reason'] = 'end';
    while (pos < this.size) {
      const b = reader.at(pos, true);
      if (b === null) {
        reason = 'torn';
        break;
      }
      if (!batchCrcOk(b)) {
        reason = 'corrupt';
        break;
      }
      if (this.allowGaps ? b.baseOffset < this.nextOffset : b.baseOffset !== this.nextOffset) {
        reason = 'offset-gap';
        break;
      }
      this.indexBatch(pos, b.size, b.baseOffset, b.maxTimestamp);
      this.nextOffset = b.baseOffset + b.lastOffsetDelta + 1;
      pos += b.size;
      batches++;
    }
    const truncatedBytes = this.size - pos;
    if (truncatedBytes > 0) {
      ftruncateSync(this.fd, pos);
      this.size = pos;
    }
    this.reads.forget();
    // The rebuilt indexes are written at the next roll, flush or close: a
    // disk that is still full must not stop the log from opening.
    return { batches, validBytes: pos, truncatedBytes, reason };
  }

  private indexBatch(position: number, size: number, baseOffset: number, maxTimestamp: number): void {
    const rel = baseOffset - this.baseOffset;
    if (maxTimestamp > this.maxTimestamp) {
      this.maxTimestamp = maxTimestamp;
      this.maxTimestampSoFarRel = rel;
    }
    if (this.bytesSinceIndex >= INDEX_INTERVAL_BYTES) {
      this.index.append(rel, position);
      this.timeIndex.maybeAppend(this.maxTimestamp, this.maxTimestampSoFarRel);
      this.bytesSinceIndex = 0;
    }
    this.bytesSinceIndex += size;
  }

  /**
   * Writes `bytes` (batches whose base offsets are already assigned) at the
   * end, then indexes them. If either fails (a full disk, say), the log and
   * its indexes are cut back to where they were: a failed append leaves no
   * trace a reader or recovery could see.
   */
  append(bytes: Buffer, batches: readonly { at: number; size: number; baseOffset: number; lastOffsetDelta: number; maxTimestamp: number }[], nowMs: number): void {
    const start = this.size;
    const saved = { next: this.nextOffset, maxTs: this.maxTimestamp, rel: this.maxTimestampSoFarRel, since: this.bytesSinceIndex };
    try {
      let done = 0;
      while (done < bytes.length) done += writeSync(this.fd, bytes, done, bytes.length - done, start + done);
      for (const b of batches) {
        this.indexBatch(start + b.at, b.size, b.baseOffset, b.maxTimestamp);
        this.nextOffset = b.baseOffset + b.lastOffsetDelta + 1;
      }
    } catch (err) {
      this.rollBack(start, saved);
      const e = err as NodeJS.ErrnoException;
      throw new StorageError('KAFKA_STORAGE_ERROR', `append to ${segmentName(this.baseOffset)}.log failed: ${e.code ?? e.message}`, { cause: err });
    }
    this.size = start + bytes.length;
    this.lastAppendMs = nowMs;
  }

  private rollBack(start: number, saved: { next: number; maxTs: number; rel: number; since: number }): void {
    try {
      ftruncateSync(this.fd, start);
      this.index.truncateToPosition(start);
      this.timeIndex.truncateToRelativeOffset(saved.next - this.baseOffset);
    } catch {
      // Still consistent up to `start` in memory; recovery cuts the rest.
    }
    this.reads.forget();
    this.nextOffset = saved.next;
    this.maxTimestamp = saved.maxTs;
    this.maxTimestampSoFarRel = saved.rel;
    this.bytesSinceIndex = saved.since;
  }

  /** Position of the batch holding `offset` (in this segment), or size if none. */
  positionOf(offset: number): number {
    return this.reads.positionOf(offset);
  }

  /** The fetch region from the batch holding `offset` (see segment-reads.ts). */
  read(offset: number, maxBytes: number): FileRegion | null {
    return this.reads.region(offset, maxBytes);
  }

  /** Preads of batch heads, for the engine's stats. */
  get headerReads(): number {
    return this.reads.headerReads + this.otherHeaderReads;
  }

  /** The first record with timestamp >= `timestampMs` (segment-time.ts), or null. */
  offsetForTime(timestampMs: number): RecordAtTime | null {
    return this.times.find(timestampMs);
  }

  /** preads of time lookups, for the engine's stats. */
  get timeLookupReads(): number {
    return this.times.reads;
  }

  /**
   * Checks every batch inside `region` (CRC, and offsets running on without
   * a gap: the base offset lies outside the CRC) and returns it cut to whole
   * batches. A batch running past the end of the file is damage, not a
   * partial read.
   */
  verify(region: FileRegion): FileRegion {
    const end = region.position + region.length;
    const reader = new BatchReader(this.fd, this.size);
    let pos = region.position;
    let expected = -1;
    const corrupt = (why: string): never => {
      throw new StorageError('CORRUPT_MESSAGE', `corrupt batch at position ${pos} of ${segmentName(this.baseOffset)}.log: ${why}`);
    };
    while (pos < end) {
      const b = reader.at(pos, true);
      if (b === null) {
        if (end >= this.size) corrupt('its length runs past the end of the file');
        break; // the read stopped inside this batch (maxBytes): leave it out
      }
      if (pos + b.size > end) break;
      if (!batchCrcOk(b)) corrupt('CRC mismatch');
      if (expected >= 0 && (this.allowGaps ? b.baseOffset < expected : b.baseOffset !== expected)) corrupt(`base offset ${b.baseOffset}, expected ${expected}`);
      expected = b.baseOffset + b.lastOffsetDelta + 1;
      pos += b.size;
    }
    this.otherHeaderReads += reader.reads;
    return { file: region.file, position: region.position, length: pos - region.position };
  }

  /** Writes index entries still held in memory (roll, flush, close). */
  persistIndexes(): void {
    this.index.persist();
    this.timeIndex.persist();
    this.tags.persist();
  }

  close(): void {
    try {
      this.persistIndexes();
    } finally {
      this.closeFiles();
    }
  }

  /**
   * Closes a segment whose files are gone (swapped out by the cleaner),
   * writing nothing: index entries not yet written have no file to go to,
   * and opening one again (the pool may have closed it) would fail, or
   * find the new segment's.
   */
  discard(): void {
    this.closeFiles();
  }

  private closeFiles(): void {
    this.tags.close();
    this.logFile.close();
    this.indexFile.close();
    this.timeFile.close();
  }

  deleteFiles(): void {
    this.close();
    const p = LogSegment.paths(this.dir, this.baseOffset);
    for (const f of [p.log, p.index, p.time, this.tags.path]) rmSync(f, { force: true });
  }
}
