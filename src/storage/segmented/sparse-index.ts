// The sparse indexes of a segment, kept in memory and appended to a file.
//
// .index — one entry per `INDEX_INTERVAL_BYTES` of log appended:
//   +----------------------+----------------------+
//   | relative offset (4)  | file position (4)    |   big-endian, 8 bytes
//   +----------------------+----------------------+
//   relative offset = batch base offset - segment base offset; position is
//   where that batch starts in the .log file.
//
// .timeindex — an entry whenever a new maximum timestamp is indexed:
//   +-----------------------------+----------------------+
//   | max timestamp so far (8)    | relative offset (4)  |  12 bytes
//   +-----------------------------+----------------------+
//   relative offset is the base offset of the batch holding that timestamp.
//
// Both are derived data: recovery rebuilds them from the log when it cannot
// trust them, so a torn entry at a file's end is simply dropped on load.
// New entries are kept in memory and written in one go by persist() (at a
// segment roll, a flush and a clean close): writing each 8- or 12-byte entry
// as it comes cost two extra system calls per 16 KiB append (Kafka avoids
// them by mapping its indexes; bench/storage has the figures).
import { ftruncateSync, readFileSync, writeSync } from 'node:fs';
import { int64FromNumber } from '../../records/int64.js';
import { doubles } from '../doubles.js';
import type { PooledFile } from '../file-pool.js';

export const INDEX_INTERVAL_BYTES = 4096;
export const OFFSET_ENTRY_BYTES = 8;
export const TIME_ENTRY_BYTES = 12;

/** Entries sorted by key; floor() finds the last entry with key <= k. */
class SortedEntries {
  // Offsets (small integers) and timestamps alike: arrays of one kind (doubles.ts).
  readonly keys: number[] = doubles();
  readonly values: number[] = doubles();

  floor(key: number): number {
    let lo = 0;
    let hi = this.keys.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (this.keys[mid]! <= key) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found;
  }

  get length(): number {
    return this.keys.length;
  }

  truncate(n: number): void {
    this.keys.length = n;
    this.values.length = n;
  }
}

export class OffsetIndex {
  private readonly entries = new SortedEntries();
  private persisted = 0;
  /** Opened (by the engine's pool) only to be written or cut. */
  constructor(private readonly file: PooledFile) {}

  static load(file: PooledFile): OffsetIndex {
    const idx = new OffsetIndex(file);
    const buf = readFileSync(file.path);
    const whole = buf.length - (buf.length % OFFSET_ENTRY_BYTES);
    for (let p = 0; p < whole; p += OFFSET_ENTRY_BYTES) {
      idx.entries.keys.push(buf.readUInt32BE(p));
      idx.entries.values.push(buf.readUInt32BE(p + 4));
    }
    if (whole !== buf.length) ftruncateSync(file.fd, whole);
    idx.persisted = idx.entries.length;
    return idx;
  }

  append(relativeOffset: number, position: number): void {
    this.entries.keys.push(relativeOffset);
    this.entries.values.push(position);
  }

  /** Writes the entries added since the last persist. */
  persist(): void {
    const n = this.entries.length - this.persisted;
    if (n <= 0) return;
    const b = Buffer.allocUnsafe(n * OFFSET_ENTRY_BYTES);
    for (let i = 0; i < n; i++) {
      b.writeUInt32BE(this.entries.keys[this.persisted + i]!, i * OFFSET_ENTRY_BYTES);
      b.writeUInt32BE(this.entries.values[this.persisted + i]!, i * OFFSET_ENTRY_BYTES + 4);
    }
    writeSync(this.file.fd, b, 0, b.length, this.persisted * OFFSET_ENTRY_BYTES);
    this.persisted = this.entries.length;
  }

  /** Position of the last indexed batch starting at or before `relativeOffset` (0 if none). */
  lookup(relativeOffset: number): { relativeOffset: number; position: number } {
    const i = this.entries.floor(relativeOffset);
    return i < 0 ? { relativeOffset: 0, position: 0 } : { relativeOffset: this.entries.keys[i]!, position: this.entries.values[i]! };
  }

  /** The last entry with relative offset <= `relativeOffset`, or -1 (then the segment's first batch, at 0). */
  floor(relativeOffset: number): number {
    return this.entries.floor(relativeOffset);
  }

  relativeOffsetAt(i: number): number {
    return this.entries.keys[i]!;
  }

  positionAt(i: number): number {
    return this.entries.values[i]!;
  }

  get lastPosition(): number {
    const n = this.entries.length;
    return n === 0 ? -1 : this.entries.values[n - 1]!;
  }

  /** Drops entries pointing at or past `position`. */
  truncateToPosition(position: number): void {
    let n = this.entries.length;
    while (n > 0 && this.entries.values[n - 1]! >= position) n--;
    this.entries.truncate(n);
    if (n < this.persisted) {
      ftruncateSync(this.file.fd, n * OFFSET_ENTRY_BYTES);
      this.persisted = n;
    }
  }

  get entryCount(): number {
    return this.entries.length;
  }
}

export class TimeIndex {
  private readonly entries = new SortedEntries();
  private persisted = 0;
  /** Opened (by the engine's pool) only to be written or cut. */
  constructor(private readonly file: PooledFile) {}

  static load(file: PooledFile): TimeIndex {
    const idx = new TimeIndex(file);
    const buf = readFileSync(file.path);
    const whole = buf.length - (buf.length % TIME_ENTRY_BYTES);
    for (let p = 0; p < whole; p += TIME_ENTRY_BYTES) {
      idx.entries.keys.push(Number(buf.readBigInt64BE(p)));
      idx.entries.values.push(buf.readUInt32BE(p + 8));
    }
    if (whole !== buf.length) ftruncateSync(file.fd, whole);
    idx.persisted = idx.entries.length;
    return idx;
  }

  /** Appends if `timestampMs` is a new maximum. */
  maybeAppend(timestampMs: number, relativeOffset: number): void {
    const n = this.entries.length;
    if (n > 0 && this.entries.keys[n - 1]! >= timestampMs) return;
    this.entries.keys.push(timestampMs);
    this.entries.values.push(relativeOffset);
  }

  /** Writes the entries added since the last persist. */
  persist(): void {
    const n = this.entries.length - this.persisted;
    if (n <= 0) return;
    const b = Buffer.allocUnsafe(n * TIME_ENTRY_BYTES);
    for (let i = 0; i < n; i++) {
      b.writeBigInt64BE(int64FromNumber(this.entries.keys[this.persisted + i]!), i * TIME_ENTRY_BYTES);
      b.writeUInt32BE(this.entries.values[this.persisted + i]!, i * TIME_ENTRY_BYTES + 8);
    }
    writeSync(this.file.fd, b, 0, b.length, this.persisted * TIME_ENTRY_BYTES);
    this.persisted = this.entries.length;
  }

  /**
   * The last entry at or below `timestampMs`, or -1 (as Kafka's
   * TimeIndex.lookup). Every batch before its batch ends before that time
   * (entries are taken where the maximum grew), so a search for the first
   * record at or after the time starts at its batch.
   */
  lastAtOrBelow(timestampMs: number): number {
    return this.entries.floor(timestampMs);
  }

  timestampAt(i: number): number {
    return this.entries.keys[i]!;
  }

  relativeOffsetAt(i: number): number {
    return this.entries.values[i]!;
  }

  get entryCount(): number {
    return this.entries.length;
  }

  get lastTimestamp(): number {
    const n = this.entries.length;
    return n === 0 ? -1 : this.entries.keys[n - 1]!;
  }

  get lastRelativeOffset(): number {
    const n = this.entries.length;
    return n === 0 ? -1 : this.entries.values[n - 1]!;
  }

  truncateToRelativeOffset(relativeOffset: number): void {
    let n = this.entries.length;
    while (n > 0 && this.entries.values[n - 1]! >= relativeOffset) n--;
    this.entries.truncate(n);
    if (n < this.persisted) {
      ftruncateSync(this.file.fd, n * TIME_ENTRY_BYTES);
      this.persisted = n;
    }
  }
}
