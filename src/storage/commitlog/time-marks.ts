// A queue's time index: where the largest batch maxTimestamp seen so far
// grew, as Kafka's .timeindex records it for a segment. A mark is that
// maximum and the offset just after the batch that set it: no record before
// that offset is later than the mark. A lookup by time starts at the end of
// the last mark below the time, so nothing it skips can hold the answer,
// even when batches' maxTimestamps go back (producers' clocks, replays),
// where a binary search over the batches (RocketMQ's way, over store
// times) is exact only while they rise.
//
// A mark is taken at most once per MARK_INTERVAL_BYTES of the queue's
// batches, and only when the maximum grew: memory stays near 16 bytes per
// 8 KiB appended (2 MiB per GiB), and while timestamps rise a lookup looks
// at the batches of at most about 8 KiB before reaching its own (with
// batches of 8 KiB or more, none). A maximum that was never passed again
// (one record stamped far in the future) leaves no later marks: lookups
// below it then walk from the last mark before it, as Kafka's do inside
// a segment; here, for the queue's whole life (retention does not reset
// the marks).
//
// Derived data, kept in memory and maintained by appends. A clean close
// saves it beside the consume queue; a clean open loads it if it matches
// the queue's end. Otherwise (a crash, a recovery, a missing or damaged
// file) it is unbuilt, and the next lookup builds it by reading every batch
// header of the queue once.
//
//   file <consumequeue>/<topic>/<partition>/timemarks, big-endian:
//     magic u32 "MQTM" | crc32c u32 of the rest
//     coveredTo f64 | maxTimestamp f64 | maxEnd f64 | bytesSinceMark f64 | count u32
//     (timestamp f64, end offset f64) × count
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { crc32c } from '../../native/crc32c.js';

export const MARK_INTERVAL_BYTES = 8 * 1024;
export const TIME_MARKS_FILE = 'timemarks';
const MAGIC = 0x4d51544d; // "MQTM"
const HEAD_BYTES = 8 + 4 * 8 + 4;
const ENTRY_BYTES = 16;

export class TimeMarks {
  private timestamps: number[] = [];
  /** The offset after the batch that set each mark's timestamp. */
  private ends: number[] = [];
  /** The batches below this offset are folded in; -1: unbuilt. */
  coveredTo = -1;
  /** The largest batch maxTimestamp folded in, and the offset after its batch. */
  maxTimestamp = -1;
  maxEnd = 0;
  private bytesSinceMark = 0;

  /** Empty, covering nothing before `offset`: a new queue, or a build from the queue's start. */
  startAt(offset: number): void {
    this.timestamps = [];
    this.ends = [];
    this.coveredTo = offset;
    this.maxTimestamp = -1;
    this.maxEnd = offset;
    this.bytesSinceMark = 0;
  }

  /** Forgets everything; the next lookup builds the marks again. */
  forget(): void {
    this.startAt(0);
    this.coveredTo = -1;
  }

  get built(): boolean {
    return this.coveredTo >= 0;
  }

  /**
   * Folds in the batch that follows the covered ones. Any other batch (the
   * marks are unbuilt, or a gap) leaves them unbuilt, for a lookup to build.
   */
  add(baseOffset: number, offsetCount: number, batchBytes: number, maxTimestamp: number): void {
    if (baseOffset !== this.coveredTo) {
      if (this.built) this.forget();
      return;
    }
    const end = baseOffset + offsetCount;
    if (maxTimestamp > this.maxTimestamp) {
      this.maxTimestamp = maxTimestamp;
      this.maxEnd = end;
    }
    this.bytesSinceMark += batchBytes;
    const n = this.timestamps.length;
    if (this.bytesSinceMark >= MARK_INTERVAL_BYTES && (n === 0 || this.timestamps[n - 1]! < this.maxTimestamp)) {
      this.timestamps.push(this.maxTimestamp);
      this.ends.push(this.maxEnd);
      this.bytesSinceMark = 0;
    }
    this.coveredTo = end;
  }

  /**
   * Where the search for `timestampMs` starts: the end of the last mark
   * below it (no record before is that late), or -1 if no mark is.
   */
  before(timestampMs: number): number {
    let lo = 0;
    let hi = this.timestamps.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (this.timestamps[mid]! < timestampMs) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found < 0 ? -1 : this.ends[found]!;
  }

  get count(): number {
    return this.timestamps.length;
  }

  /** Writes the marks to `dir` (a clean close); unbuilt marks remove the file instead. */
  save(dir: string): void {
    const path = join(dir, TIME_MARKS_FILE);
    if (!this.built) {
      rmSync(path, { force: true });
      return;
    }
    const n = this.timestamps.length;
    const b = Buffer.allocUnsafe(HEAD_BYTES + n * ENTRY_BYTES);
    b.writeUInt32BE(MAGIC, 0);
    let at = 8;
    for (const v of [this.coveredTo, this.maxTimestamp, this.maxEnd, this.bytesSinceMark]) at = b.writeDoubleBE(v, at);
    at = b.writeUInt32BE(n, at);
    for (let i = 0; i < n; i++) {
      at = b.writeDoubleBE(this.timestamps[i]!, at);
      at = b.writeDoubleBE(this.ends[i]!, at);
    }
    b.writeUInt32BE(crc32c(b.subarray(8)), 4);
    writeFileSync(path, b);
  }

  /**
   * Loads the marks saved in `dir` if they check out and cover the queue up
   * to `nextOffset`; else unbuilt marks.
   */
  static load(dir: string, nextOffset: number): TimeMarks {
    const marks = new TimeMarks();
    let b: Buffer;
    try {
      b = readFileSync(join(dir, TIME_MARKS_FILE));
    } catch {
      return marks;
    }
    if (b.length < HEAD_BYTES || b.readUInt32BE(0) !== MAGIC || b.readUInt32BE(4) !== crc32c(b.subarray(8))) return marks;
    const n = b.readUInt32BE(HEAD_BYTES - 4);
    if (b.length !== HEAD_BYTES + n * ENTRY_BYTES || b.readDoubleBE(8) !== nextOffset) return marks;
    marks.startAt(nextOffset);
    marks.maxTimestamp = b.readDoubleBE(16);
    marks.maxEnd = b.readDoubleBE(24);
    marks.bytesSinceMark = b.readDoubleBE(32);
    for (let i = 0, at = HEAD_BYTES; i < n; i++, at += ENTRY_BYTES) {
      marks.timestamps.push(b.readDoubleBE(at));
      marks.ends.push(b.readDoubleBE(at + 8));
    }
    return marks;
  }
}
