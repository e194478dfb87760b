// The commit log: one log of entries (entry-format.ts) for every topic and
// queue of the engine, in files of up to COMMITLOG_FILE_BYTES (the engine's
// segmentBytes), each named by the global position of its first byte.
//
//   <dir>/commitlog/00000000000000000000   entries at global positions [0, s0)
//                   000000000000000s0      entries at [s0, s0 + s1)  …
//
// Positions run on without a gap from one file to the next: when an entry
// does not fit in the rest of the current file, the file simply ends there
// and the entry opens the next one, named by the position it gets. An entry
// never spans two files, and one larger than a whole file gets a file of its
// own. Unlike RocketMQ (fixed-size preallocated MappedFiles, a BLANK entry
// filling each file's tail, names on a fixed grid), nothing is preallocated
// or filled:
// - the end of the log is the last file's size, so opening after a clean
//   shutdown needs no scan to find it, and recovery stops at end of file;
// - the file size may change between runs (the crash tests reopen 64 KiB
//   files with the 1 GiB default) without breaking the position arithmetic;
// - writes go through pwritev, not a store into a mapping: the measurement in
//   segmented/segment.ts (write(2) 0.98-1.09 GB/s, mmap+memcpy 0.76-0.81 GB/s
//   here, a page fault per new page) holds for the same bytes, and a full
//   disk fails the write with ENOSPC where a store into a mapping takes
//   SIGBUS. pwritev also sends each entry header and its batch without
//   copying them together.
// The price is a binary search over the (few) files to map a position to its
// file, where RocketMQ divides.
import { readdirSync } from 'node:fs';
import type { SharedFile } from '../../transfer/shared-file.js';
import { preadFully } from '../read-bytes.js';
import { CommitLogFile, COMMITLOG_FILE_NAME } from './commitlog-file.js';

export const DEFAULT_COMMITLOG_FILE_BYTES = 1024 * 1024 * 1024; // RocketMQ's mappedFileSizeCommitLog

/** One entry to append: its header and its batch, written back to back. */
export interface EntryBytes {
  header: Buffer;
  batch: Buffer;
}

/** Where the log was before an append, to cut it back to if the append fails. */
export interface LogMark {
  files: number;
  size: number;
}

export class CommitLog {
  files: CommitLogFile[] = [];

  private constructor(
    readonly dir: string,
    private readonly fileBytes: number,
    private readonly beforeClose: (path: string) => void,
  ) {}

  /**
   * Opens the files in `dir` as they are (recovery checks them); creates the
   * first if none. `beforeClose` hears of every file (its path) before it is closed.
   * They stay open, outside the engine's file pool: there are few (the log's
   * size over segmentBytes, whatever the number of queues), and a read hands
   * out regions of them that must not be closed before they are leased.
   */
  static open(dir: string, fileBytes: number, beforeClose: (path: string) => void): CommitLog {
    const log = new CommitLog(dir, fileBytes, beforeClose);
    const starts = readdirSync(dir)
      .filter((f) => COMMITLOG_FILE_NAME.test(f))
      .map(Number)
      .sort((a, b) => a - b);
    for (const s of starts) log.files.push(CommitLogFile.open(dir, s, false));
    if (log.files.length === 0) log.files.push(CommitLogFile.open(dir, 0, true));
    return log;
  }

  get current(): CommitLogFile {
    return this.files[this.files.length - 1]!;
  }

  /** Position of the oldest byte still kept. */
  get start(): number {
    return this.files[0]!.start;
  }

  /** Position the next entry will get. */
  get end(): number {
    return this.current.end;
  }

  get sizeBytes(): number {
    return this.end - this.start;
  }

  /** True if every file begins where the one before it ends. */
  contiguous(): boolean {
    return this.files.every((f, i) => i === 0 || f.start === this.files[i - 1]!.end);
  }

  /** The file holding global position `position`, or null outside the log. */
  fileAt(position: number): CommitLogFile | null {
    let lo = 0;
    let hi = this.files.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.files[mid]!.start <= position) lo = mid;
      else hi = mid - 1;
    }
    const f = this.files[lo]!;
    return position >= f.start && position < f.end ? f : null;
  }

  mark(): LogMark {
    return { files: this.files.length, size: this.current.size };
  }

  /**
   * Writes the entries at the end, rolling to a new file where the next one
   * does not fit. Returns each batch's global position (after its header)
   * and the files written. Throws the write's error after cutting the log
   * back to where it was.
   */
  append(entries: readonly EntryBytes[], nowMs: number): { positions: number[]; fds: SharedFile[] } {
    const mark = this.mark();
    const positions: number[] = [];
    try {
      let pending: Buffer[] = [];
      let pendingBytes = 0;
      for (const e of entries) {
        const bytes = e.header.length + e.batch.length;
        const used = this.current.size + pendingBytes;
        if (used > 0 && used + bytes > this.fileBytes) {
          this.writePending(pending, pendingBytes, nowMs);
          pending = [];
          pendingBytes = 0;
          this.roll();
        }
        positions.push(this.current.end + pendingBytes + e.header.length);
        pending.push(e.header, e.batch);
        pendingBytes += bytes;
      }
      this.writePending(pending, pendingBytes, nowMs);
    } catch (err) {
      this.rollBack(mark);
      throw err;
    }
    return { positions, fds: this.files.slice(mark.files - 1).map((f) => f.file) };
  }

  private writePending(pending: Buffer[], bytes: number, nowMs: number): void {
    if (bytes === 0) return;
    const f = this.current;
    f.write(pending, f.size);
    f.size += bytes;
    f.lastStoreMs = nowMs;
  }

  private roll(): void {
    const old = this.current;
    old.stampTime();
    this.files.push(CommitLogFile.open(this.dir, old.end, true));
  }

  /** Cuts the log back to `mark`: files opened since are deleted. */
  rollBack(mark: LogMark): void {
    try {
      while (this.files.length > mark.files) this.remove(this.files.pop()!);
      this.current.truncate(mark.size);
    } catch {
      // Cannot cut back (the disk is gone?): the entries past `mark` have no
      // consume-queue entries, and recovery cuts a torn tail.
      this.current.size = mark.size;
    }
  }

  /** Drops everything from global `position` on (recovery): files after it go. */
  truncateAt(position: number): void {
    while (this.files.length > 1 && this.current.start >= position) this.remove(this.files.pop()!);
    const f = this.current;
    if (f.end > position) f.truncate(Math.max(0, position - f.start));
  }

  /** Deletes the oldest file (never the current one). */
  deleteOldest(): void {
    if (this.files.length < 2) throw new Error('the current commit-log file is never deleted');
    this.remove(this.files.shift()!);
  }

  private remove(f: CommitLogFile): void {
    this.beforeClose(f.path);
    f.delete();
  }

  /** Reads `length` bytes at global `position` into `buf` (which must be big enough). */
  readAt(position: number, length: number, buf: Buffer): Buffer | null {
    const f = this.fileAt(position);
    if (f === null || position + length > f.end) return null;
    if (preadFully(f.fd, buf, 0, length, position - f.start).bytes < length) return null;
    return buf.subarray(0, length);
  }

  sharedFiles(): SharedFile[] {
    return this.files.map((f) => f.file);
  }

  close(): void {
    this.current.stampTime();
    for (const f of this.files) {
      this.beforeClose(f.path);
      f.close();
    }
    this.files = [];
  }
}
