// A partition of the segmented engine: a directory of segments, the last
// one active. Rolls at segmentBytes (or the topic's segment.bytes, or after
// segment.ms); retention deletes whole old segments; the log cleaner
// (cleaner/) swaps cleaned segments in for closed ones, offsets unchanged.
import { mkdirSync, readdirSync, rmSync, utimesSync } from 'node:fs';
import type { RecordAtTime } from '../../records/index.js';
import type { SharedFile } from '../../transfer/shared-file.js';
import type { FileRegion } from '../../transfer/types.js';
import { StorageError } from '../errors.js';
import type { FilePool } from '../file-pool.js';
import type { PreparedAppend } from '../prepare-append.js';
import { readStartOffset, writeStartOffset } from '../start-offset-file.js';
import type { RetentionPolicy, RollPolicy } from '../types.js';
import { readCheckpoint } from './cleaner/checkpoint.js';
import { finishSwap, recoverSwaps } from './cleaner/swap.js';
import { segmentDefect } from './segment-check.js';
import { LogSegment } from './segment.js';

export class PartitionLog {
  private segments: LogSegment[] = [];
  /** The start offset DeleteRecords set (kept in the log-start-offset file): may lie inside the first segment. */
  private startFloor = 0;
  /** Topic configs segment.bytes / segment.ms, where set. */
  private roll: RollPolicy = { segmentBytes: null, segmentMs: null };
  /** When the active segment was opened (ms): segment.ms rolls by it; a restart starts it afresh. */
  private activeOpenedMs = 0;

  private constructor(
    readonly dir: string,
    private readonly segmentBytes: number,
    /** The engine's open files: segments' files are closed while idle (file-pool.ts). */
    private readonly files: FilePool,
  ) {}

  static open(dir: string, segmentBytes: number, clean: boolean, nowMs: number, log: (m: string) => void, files: FilePool): PartitionLog {
    mkdirSync(dir, { recursive: true });
    const p = new PartitionLog(dir, segmentBytes, files);
    p.activeOpenedMs = nowMs;
    // A cleaning the process died in: finished or discarded before anything is read.
    const swapped = recoverSwaps(dir, log);
    const bases = readdirSync(dir)
      .filter((f) => /^\d{20}\.log$/.test(f))
      .map((f) => Number(f.slice(0, 20)))
      .sort((a, b) => a - b);
    if (bases.length === 0) bases.push(0);
    const gapsBelow = readCheckpoint(dir).gapsBelow;
    for (const base of bases) {
      const s = LogSegment.open(dir, base, nowMs, files);
      s.allowGaps = base < gapsBelow || swapped.has(base);
      p.segments.push(s);
    }
    for (let i = 0; i < p.segments.length; i++) {
      const s = p.segments[i]!;
      const last = i === p.segments.length - 1;
      const fresh = swapped.has(s.baseOffset); // its indexes were removed with the old segments
      const defect = (last && !clean) || fresh ? null : segmentDefect(s, LogSegment.paths(dir, s.baseOffset).time, !clean);
      if ((last && !clean) || fresh || defect !== null) {
        const r = s.recover();
        if (r.truncatedBytes > 0 || defect !== null) log(`recovery: ${dir}: ${defect ? `segment ${base(s)}: ${defect}; checked every batch: ` : ''}${r.reason} tail at byte ${r.validBytes} of segment ${base(s)}: kept ${r.batches} batches, truncated ${r.truncatedBytes} bytes`);
      } else {
        s.trust();
      }
      s.tags.trim(s.nextOffset - s.baseOffset);
    }
    p.dropAfterGap(log);
    // A start past the end: a machine crash lost the tail it was set in. Offsets
    // appended from here on must not fall below it, so it comes down to the end.
    p.startFloor = readStartOffset(dir);
    if (p.startFloor > p.nextOffset) {
      p.startFloor = p.nextOffset;
      writeStartOffset(dir, p.startFloor);
    }
    return p;
  }

  /**
   * A log is a prefix of what was appended: segments after one that does not
   * end where the next begins (for a cleaned segment: ends after it begins) (its unsynced tail was lost in a machine
   * crash, and the later segment's bytes reached the disk) are deleted.
   */
  private dropAfterGap(log: (m: string) => void): void {
    // A cleaned segment may end before the next begins (its last records were
    // removed); it was fsynced whole before it was swapped in, so that gap is no loss.
    const broken = (s: LogSegment, next: LogSegment): boolean => (s.allowGaps ? s.nextOffset > next.baseOffset : s.nextOffset !== next.baseOffset);
    const i = this.segments.findIndex((s, k) => k + 1 < this.segments.length && broken(s, this.segments[k + 1]!));
    if (i < 0) return;
    const dropped = this.segments.splice(i + 1);
    log(`recovery: ${this.dir}: segment ${base(this.segments[i]!)} ends at offset ${this.segments[i]!.nextOffset}, segment ${base(dropped[0]!)} begins at ${dropped[0]!.baseOffset}: deleted ${dropped.length} segments from there`);
    for (const s of dropped) s.deleteFiles();
  }

  get active(): LogSegment {
    return this.segments[this.segments.length - 1]!;
  }

  get nextOffset(): number {
    return this.active.nextOffset;
  }

  /** The first segment's base offset, or above it the start DeleteRecords set (never past the end: a crash may have lost the tail). */
  get logStartOffset(): number {
    return Math.max(this.segments[0]!.baseOffset, Math.min(this.startFloor, this.nextOffset));
  }

  /**
   * DeleteRecords: saves `offset` (within [logStartOffset, nextOffset]) as
   * the start, then deletes the segments wholly below it (never the active
   * one). The start is saved first: a crash in between leaves files that
   * are unreadable anyway, and the next call or retention deletes them.
   */
  advanceStart(offset: number): void {
    if (offset <= this.logStartOffset) return;
    writeStartOffset(this.dir, offset);
    this.startFloor = offset;
    while (this.segments.length > 1 && this.segments[1]!.baseOffset <= offset) {
      this.segments[0]!.deleteFiles();
      this.segments.shift();
    }
  }

  get sizeBytes(): number {
    return this.segments.reduce((n, s) => n + s.size, 0);
  }

  /** Bytes a segment may grow to (the topic's segment.bytes, else the engine's); cleaned groups fit in it too. */
  get rollBytes(): number {
    return this.roll.segmentBytes ?? this.segmentBytes;
  }

  setRollPolicy(policy: RollPolicy): void {
    this.roll = policy;
  }

  private mustRoll(bytes: number, nowMs: number): boolean {
    if (this.active.size === 0) return false;
    if (this.active.size + bytes > this.rollBytes) return true;
    return this.roll.segmentMs !== null && nowMs - this.activeOpenedMs >= this.roll.segmentMs;
  }

  /** Writes a prepared append (and its tag codes, if any); returns the file written, for the flusher. */
  append(bytes: Buffer, prepared: PreparedAppend, nowMs: number, tagCodes?: BigInt64Array): SharedFile {
    if (this.mustRoll(bytes.length, nowMs)) {
      try {
        this.active.persistIndexes();
        this.segments.push(LogSegment.open(this.dir, this.nextOffset, nowMs, this.files));
        this.activeOpenedMs = nowMs;
      } catch (err) {
        const e = err as NodeJS.ErrnoException;
        throw new StorageError('KAFKA_STORAGE_ERROR', `rolling a new segment in ${this.dir} failed: ${e.code ?? e.message}`, { cause: err });
      }
    }
    this.active.append(bytes, prepared.batches, nowMs);
    if (tagCodes && tagCodes.length === prepared.nextOffset - prepared.batches[0]!.baseOffset) {
      this.active.tags.write(prepared.batches[0]!.baseOffset - this.active.baseOffset, tagCodes);
    }
    return this.active.file;
  }

  /** Regions from the batch holding `offset`; none of a batch at or past `maxOffset` (a batch boundary). */
  read(offset: number, maxBytes: number, verify: boolean, maxOffset?: number): FileRegion[] {
    if (offset < this.logStartOffset || offset > this.nextOffset) {
      throw new StorageError('OFFSET_OUT_OF_RANGE', `offset ${offset} is outside [${this.logStartOffset}, ${this.nextOffset}] of ${this.dir}`);
    }
    // The segment holding `offset`: the last whose base offset is <= it.
    let i = 0;
    for (let lo = 1, hi = this.segments.length - 1; lo <= hi; ) {
      const mid = (lo + hi) >> 1;
      if (this.segments[mid]!.baseOffset <= offset) {
        i = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    for (; i < this.segments.length; i++) {
      const s = this.segments[i]!;
      const region = s.read(offset, maxBytes);
      if (region === null) continue; // offset is past this segment's end
      if (maxOffset !== undefined && maxOffset < s.nextOffset) {
        region.length = Math.min(region.length, s.positionOf(maxOffset) - region.position);
        if (region.length <= 0) return [];
      }
      return [verify ? s.verify(region) : region];
    }
    return [];
  }

  /** Tag codes from `offset` (see TagIndex), up to `count`, within one segment; and the index bytes read. */
  tagCodes(offset: number, count: number): { codes: BigInt64Array; bytes: number } {
    const end = Math.min(offset + count, this.nextOffset);
    const s = [...this.segments].reverse().find((x) => x.baseOffset <= offset);
    if (!s || offset >= end) return { codes: new BigInt64Array(0), bytes: 0 };
    if (s !== this.active && offset >= s.nextOffset) {
      // A cleaned segment's tail gap, up to the next segment: no records, read as "not known" (the reader reads on).
      const next = this.segments[this.segments.indexOf(s) + 1]!.baseOffset;
      return { codes: new BigInt64Array(Math.min(end, next) - offset), bytes: 0 };
    }
    const n = Math.min(end, s === this.active ? end : s.nextOffset) - offset;
    return s.tags.read(offset - s.baseOffset, n);
  }

  /**
   * The first record at or after the time, in the first segment that holds
   * one. Kafka asks only the first segment whose max timestamp reaches the
   * time; going on past it matters only when a batch's maxTimestamp is above
   * all its records'.
   */
  offsetForTime(timestampMs: number): RecordAtTime | null {
    for (const s of this.segments) {
      const o = s.offsetForTime(timestampMs);
      if (o !== null) return o;
    }
    return null;
  }

  get maxTimestamp(): number {
    let max = -1;
    for (const s of this.segments) if (s.maxTimestamp > max) max = s.maxTimestamp;
    return max;
  }

  /** Deletes old segments (never the active one) past the retention limits. */
  enforceRetention(policy: RetentionPolicy, nowMs: number): number {
    let deleted = 0;
    while (this.segments.length > 1) {
      const oldest = this.segments[0]!;
      const tooBig = policy.retentionBytes >= 0 && this.sizeBytes - oldest.size >= policy.retentionBytes;
      const tooOld = policy.retentionMs >= 0 && nowMs - Math.max(oldest.lastAppendMs, oldest.maxTimestamp) > policy.retentionMs;
      if (!tooBig && !tooOld) break;
      oldest.deleteFiles();
      this.segments.shift();
      deleted++;
    }
    return deleted;
  }

  persistIndexes(): void {
    this.active.persistIndexes();
  }

  /** The segments the cleaner may rewrite: all but the active one, oldest first. */
  closedSegments(): readonly LogSegment[] {
    return this.segments.slice(0, -1);
  }

  /** The offsets [base, end) a group of closed segments covers: to the next segment's base. */
  groupRange(group: readonly LogSegment[]): { base: number; end: number } {
    const i = this.segments.indexOf(group[group.length - 1]!);
    return { base: group[0]!.baseOffset, end: this.segments[i + 1]!.baseOffset };
  }

  /** Whether `group` is still a run of consecutive closed segments of this log. */
  holdsGroup(group: readonly LogSegment[]): boolean {
    const i = this.segments.indexOf(group[0]!);
    return i >= 0 && i + group.length < this.segments.length && group.every((s, k) => this.segments[i + k] === s);
  }

  /**
   * Puts the cleaned segment committed as <base>.log.swap (swap.ts) in place
   * of `group`, consecutive closed segments, the first at `base`. All at
   * once as far as readers go: nothing here awaits, so no fetch runs in
   * between, and regions already read keep their old files open (leases).
   * False, changing nothing, if the group is no longer all there (retention,
   * DeleteRecords): the caller discards the swap file.
   */
  swapIn(group: readonly LogSegment[], nowMs: number): boolean {
    // The caller named the swap file by groupRange(group), taken the same way.
    if (!this.holdsGroup(group)) return false;
    const i = this.segments.indexOf(group[0]!);
    const base = group[0]!.baseOffset;
    const end = this.segments[i + group.length]!.baseOffset;
    const lastAppendMs = Math.max(...group.map((s) => s.lastAppendMs));
    // Files first, owners after: if removing or renaming fails, the old
    // segments are still open and served, and recovery finishes the swap.
    finishSwap(this.dir, { base, end });
    for (const s of group) s.discard();
    const fresh = LogSegment.open(this.dir, base, nowMs, this.files);
    fresh.allowGaps = true;
    fresh.recover();
    fresh.persistIndexes();
    // Retention by time goes by the newest of the old segments, as Kafka's cleaned segment keeps their last-modified time.
    fresh.lastAppendMs = lastAppendMs;
    utimesSync(LogSegment.paths(this.dir, base).log, lastAppendMs / 1000, lastAppendMs / 1000);
    this.segments.splice(i, group.length, fresh);
    return true;
  }

  /** The segments' .log paths (the flusher forgets deleted files by path; nothing is opened). */
  logPaths(): string[] {
    return this.segments.map((s) => s.logPath);
  }

  headerReads(): number {
    return this.segments.reduce((n, s) => n + s.headerReads, 0);
  }

  timeLookupReads(): number {
    return this.segments.reduce((n, s) => n + s.timeLookupReads, 0);
  }

  close(): void {
    for (const s of this.segments) s.close();
  }

  deleteAll(): void {
    this.close();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

function base(s: LogSegment): string {
  return String(s.baseOffset);
}
