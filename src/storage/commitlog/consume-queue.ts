// A queue's ConsumeQueue: its entries (cq-entry.ts) in files of
// CQ_FILE_ENTRIES entries, each named by the 20-digit logical byte offset of
// its first entry (first offset × CQ_ENTRY_BYTES), as RocketMQ names them:
//
//   <dir>/consumequeue/<topic>/<partition>/00000000000000000000  offsets [0, N)
//                                          000000000000000(N×20)  offsets [N, 2N)  …
//
// Every file but the last is full, so the file holding offset o is number
// (o - first file's first offset) / N, and the byte inside it one
// multiplication away. The last file is kept even when retention has made
// all its entries stale: its name and size are the queue's next offset.
// Entries are read with pread (the engine counts them: the first of the
// commit log's two reads) and written with pwrite at the end.
//
// Derived data: recovery (recovery.ts) rebuilds it from the commit log.
import { closeSync, fstatSync, ftruncateSync, mkdirSync, openSync, readdirSync, readSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { CQ_ENTRY_BYTES, readCqEntry, type CqEntry } from './cq-entry.js';

/** Entries per file: RocketMQ's default (6,000,000-byte files). */
export const DEFAULT_CQ_FILE_ENTRIES = 300_000;
const NAME = /^\d{20}$/;

interface CqFile {
  firstOffset: number;
  fd: number;
  entries: number;
}

export interface CqMark {
  files: number;
  entries: number;
}

export class ConsumeQueue {
  private files: CqFile[] = [];
  /** The log start offset: entries before it point into deleted commit-log files. */
  startOffset = 0;
  /** False if a file's size was not whole entries or files did not follow on (recovery needed). */
  intact = true;
  reads = 0;

  private constructor(
    readonly dir: string,
    private readonly fileEntries: number,
    private readonly beforeClose: (fd: number) => void,
  ) {}

  /**
   * Opens (creating if absent) the queue in `dir`; `existed` says whether it
   * was there. `beforeClose` hears of every fd before it is closed (the
   * flusher must stop syncing it).
   */
  static open(dir: string, fileEntries: number, beforeClose: (fd: number) => void): { cq: ConsumeQueue; existed: boolean } {
    const existed = readdirSafe(dir) !== null;
    mkdirSync(dir, { recursive: true });
    const cq = new ConsumeQueue(dir, fileEntries, beforeClose);
    const names = (readdirSafe(dir) ?? []).filter((f) => NAME.test(f)).sort();
    for (const name of names) {
      const fd = openSync(join(dir, name), 'r+');
      const size = fstatSync(fd).size;
      if (size % CQ_ENTRY_BYTES !== 0) cq.intact = false;
      cq.files.push({ firstOffset: Number(name) / CQ_ENTRY_BYTES, fd, entries: Math.floor(size / CQ_ENTRY_BYTES) });
    }
    cq.intact &&= cq.files.every((f, i) => i === cq.files.length - 1 || (f.entries === fileEntries && cq.files[i + 1]!.firstOffset === f.firstOffset + f.entries));
    if (cq.files.length === 0) cq.addFile(0);
    cq.startOffset = cq.files[0]!.firstOffset;
    return { cq, existed };
  }

  private addFile(firstOffset: number): CqFile {
    const f = { firstOffset, fd: openSync(join(this.dir, cqFileName(firstOffset)), 'w+'), entries: 0 };
    this.files.push(f);
    return f;
  }

  private get last(): CqFile {
    return this.files[this.files.length - 1]!;
  }

  get nextOffset(): number {
    return this.last.firstOffset + this.last.entries;
  }

  /** The file holding `offset` (which must lie in [first file's first offset, nextOffset)). */
  private fileOf(offset: number): CqFile {
    const i = Math.min(Math.floor((offset - this.files[0]!.firstOffset) / this.fileEntries), this.files.length - 1);
    return this.files[i]!;
  }

  mark(): CqMark {
    return { files: this.files.length, entries: this.last.entries };
  }

  /**
   * Appends `count` entries from `entries` (count × CQ_ENTRY_BYTES bytes),
   * opening new files as each fills. Returns the fds written; throws the
   * write's error (the caller rolls back to its mark).
   */
  append(entries: Buffer, count: number): number[] {
    const fds: number[] = [];
    let done = 0;
    while (done < count) {
      let f = this.last;
      if (f.entries >= this.fileEntries) f = this.addFile(this.nextOffset);
      const n = Math.min(count - done, this.fileEntries - f.entries);
      const bytes = n * CQ_ENTRY_BYTES;
      const from = done * CQ_ENTRY_BYTES;
      let written = 0;
      while (written < bytes) written += writeSync(f.fd, entries, from + written, bytes - written, f.entries * CQ_ENTRY_BYTES + written);
      f.entries += n;
      done += n;
      fds.push(f.fd);
    }
    return fds;
  }

  /** Cuts the queue back to `mark` (a failed append). */
  rollBack(mark: CqMark): void {
    try {
      while (this.files.length > mark.files) this.removeFile(this.files.pop()!);
      this.last.entries = mark.entries;
      ftruncateSync(this.last.fd, mark.entries * CQ_ENTRY_BYTES);
    } catch {
      // The in-memory end is right; recovery cuts entries past the log's end.
    }
  }

  /** Drops the entries from `offset` on (and any partial entry at the end). */
  truncateTo(offset: number): void {
    while (this.files.length > 1 && this.last.firstOffset >= offset) this.removeFile(this.files.pop()!);
    const f = this.last;
    f.entries = Math.max(0, Math.min(f.entries, offset - f.firstOffset));
    ftruncateSync(f.fd, f.entries * CQ_ENTRY_BYTES);
    this.startOffset = Math.min(this.startOffset, this.nextOffset);
  }

  /** Empties the queue and starts it again at `offset` (a rebuild whose first entry is there). */
  resetTo(offset: number): void {
    for (const f of this.files.splice(0)) this.removeFile(f);
    this.addFile(offset);
    this.startOffset = offset;
    this.intact = true;
  }

  /** Reads the entries [offset, offset + count) (inside the queue) into `buf`; one pread per file touched. */
  read(offset: number, count: number, buf: Buffer): Buffer {
    let done = 0;
    while (done < count) {
      const o = offset + done;
      const f = this.fileOf(o);
      const n = Math.min(count - done, f.firstOffset + f.entries - o);
      const bytes = n * CQ_ENTRY_BYTES;
      let got = 0;
      while (got < bytes) {
        this.reads++;
        const r = readSync(f.fd, buf, done * CQ_ENTRY_BYTES + got, bytes - got, (o - f.firstOffset) * CQ_ENTRY_BYTES + got);
        if (r === 0) throw new Error(`consume queue ${this.dir} ends before offset ${o + n}`);
        got += r;
      }
      done += n;
    }
    return buf.subarray(0, count * CQ_ENTRY_BYTES);
  }

  entry(offset: number): CqEntry {
    return readCqEntry(this.read(offset, 1, Buffer.allocUnsafe(CQ_ENTRY_BYTES)), 0);
  }

  /**
   * The first offset in [from, nextOffset) whose batch lies at or after
   * commit-log `position` (positions grow with offsets), or nextOffset.
   */
  firstAtOrAfter(position: number, from = this.startOffset): number {
    let lo = from;
    let hi = this.nextOffset;
    while (lo < hi) {
      const mid = Math.floor((lo + hi) / 2);
      const e = this.entry(mid);
      if (e.batchBytes > 0 && e.batchPosition >= position) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }

  /** Moves the start to `offset` and deletes files wholly before it (never the last). */
  dropHead(offset: number): void {
    this.startOffset = Math.max(this.startOffset, Math.min(offset, this.nextOffset));
    while (this.files.length > 1 && this.files[1]!.firstOffset <= this.startOffset) this.removeFile(this.files.shift()!);
  }

  fds(): number[] {
    return this.files.map((f) => f.fd);
  }

  close(): void {
    for (const f of this.files) {
      this.beforeClose(f.fd);
      closeSync(f.fd);
    }
    this.files = [];
  }

  deleteAll(): void {
    this.close();
    rmSync(this.dir, { recursive: true, force: true });
  }

  private removeFile(f: CqFile): void {
    this.beforeClose(f.fd);
    closeSync(f.fd);
    rmSync(join(this.dir, cqFileName(f.firstOffset)), { force: true });
  }
}

function cqFileName(firstOffset: number): string {
  return String(firstOffset * CQ_ENTRY_BYTES).padStart(20, '0');
}

function readdirSafe(dir: string): string[] | null {
  try {
    return readdirSync(dir);
  } catch {
    return null;
  }
}
