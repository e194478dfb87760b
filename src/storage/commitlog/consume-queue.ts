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
// The newest entries are held in memory (cq-tail.ts) and written with one
// pwrite at the end of the files when cq-dispatch.ts says so; a read takes
// entries from the files with pread (the engine counts them: the first of
// the commit log's two reads) and from the tail by copying.
//
// Derived data: recovery (recovery.ts) rebuilds it from the commit log.
import { ftruncateSync, mkdirSync, readdirSync, rmSync, statSync, writeSync } from 'node:fs';
import { mappedView } from '../../native/mapping.js';
import { preadFully } from '../read-bytes.js';
import { join } from 'node:path';
import type { SharedFile } from '../../transfer/shared-file.js';
import { PooledFile, type FilePool } from '../file-pool.js';
import type { CqDispatch } from './cq-dispatch.js';
import { CQ_ENTRY_BYTES, readCqEntry, type CqEntry } from './cq-entry.js';
import { CqTail } from './cq-tail.js';

/** Entries per file: RocketMQ's default (6,000,000-byte files). */
export const DEFAULT_CQ_FILE_ENTRIES = 300_000;
const NAME = /^\d{20}$/;

/** One file of the queue, in the engine's pool: closed while idle, opened again when used. */
class CqFile {
  constructor(
    readonly firstOffset: number,
    readonly pooled: PooledFile,
    public entries: number,
  ) {}

  /** For one synchronous step: the pool may close the file after it. */
  get fd(): number {
    return this.pooled.fd;
  }
}

interface CqMark {
  files: number;
  entries: number;
}

export class ConsumeQueue {
  private files: CqFile[] = [];
  private readonly tail = new CqTail();
  /** The log start offset: entries before it point into deleted commit-log files. */
  startOffset = 0;
  /** Why the files cannot be taken as they are (recovery rebuilds the queue), or null. */
  defect: string | null = null;
  /** preads of the files. */
  reads = 0;
  /** Reads served (in part) from the in-memory tail. */
  tailReads = 0;

  private constructor(
    readonly dir: string,
    private readonly fileEntries: number,
    private readonly beforeClose: (path: string) => void,
    readonly dispatch: CqDispatch,
    private readonly pool: FilePool,
  ) {}

  /**
   * Opens (creating if absent) the queue in `dir`; `existed` says whether it
   * was there. `beforeClose` hears of every file (its path) before it is
   * closed for good (the flusher must stop syncing it). Files already there
   * are not opened until used: their sizes give the entries.
   */
  static open(dir: string, fileEntries: number, beforeClose: (path: string) => void, dispatch: CqDispatch, pool: FilePool): { cq: ConsumeQueue; existed: boolean } {
    const existed = readdirSafe(dir) !== null;
    mkdirSync(dir, { recursive: true });
    const cq = new ConsumeQueue(dir, fileEntries, beforeClose, dispatch, pool);
    const names = (readdirSafe(dir) ?? []).filter((f) => NAME.test(f)).sort();
    for (const name of names) {
      const path = join(dir, name);
      const size = statSync(path).size;
      if (size % CQ_ENTRY_BYTES !== 0) cq.defect ??= `file ${path} is ${size} bytes, not a whole number of ${CQ_ENTRY_BYTES}-byte entries`;
      cq.files.push(new CqFile(Number(name) / CQ_ENTRY_BYTES, new PooledFile(pool, path), Math.floor(size / CQ_ENTRY_BYTES)));
    }
    cq.defect ??= filesDefect(cq.files, fileEntries, dir);
    if (cq.files.length === 0) cq.addFile(0);
    cq.startOffset = cq.files[0]!.firstOffset;
    return { cq, existed };
  }

  private addFile(firstOffset: number): CqFile {
    const f = new CqFile(firstOffset, new PooledFile(this.pool, join(this.dir, cqFileName(firstOffset)), 'w+'), 0);
    f.pooled.openNow(); // created now: the last file's name is the queue's next offset
    this.files.push(f);
    return f;
  }

  private get last(): CqFile {
    return this.files[this.files.length - 1]!;
  }

  /** The offset after the last entry in the files: where the tail begins. */
  private get filesEnd(): number {
    return this.last.firstOffset + this.last.entries;
  }

  get nextOffset(): number {
    return this.filesEnd + this.tail.count;
  }

  /** Entries held in memory, not yet in the files. */
  get tailCount(): number {
    return this.tail.count;
  }

  /** Commit-log position of the entry the oldest in-memory entry points into. */
  get tailEntryStart(): number {
    return this.tail.entryStart;
  }

  /** The file holding `offset` (which must lie in [first file's first offset, nextOffset)). */
  private fileOf(offset: number): CqFile {
    const i = Math.min(Math.floor((offset - this.files[0]!.firstOffset) / this.fileEntries), this.files.length - 1);
    return this.files[i]!;
  }

  private mark(): CqMark {
    return { files: this.files.length, entries: this.last.entries };
  }

  /**
   * Adds `count` entries for the batch of `batchBytes` at commit-log
   * `batchPosition`, inside the entry (header) at `entryStart`, to the
   * in-memory tail: readable at once, written by spill(). Call
   * dispatch.makeRoom first.
   */
  push(entryStart: number, batchPosition: number, batchBytes: number, count: number, tagCodes?: BigInt64Array): void {
    if (this.tail.count === 0) this.dispatch.joined(this);
    const capacity = this.tail.capacity;
    this.tail.push(entryStart, batchPosition, batchBytes, count, tagCodes);
    this.dispatch.entries += count;
    this.dispatch.bufferBytes += this.tail.capacity - capacity;
  }

  /**
   * Writes the tail to the files (one pwrite per file touched, opening new
   * files as each fills) and empties it, adding the files written to `into`.
   * All or nothing: on an error the files are cut back, the tail is kept,
   * and the error is thrown. The tail's buffer is kept for the next entries
   * if the dispatcher's memory budget allows.
   */
  spill(into: SharedFile[]): void {
    const count = this.tail.count;
    if (count === 0) return;
    const bytes = this.tail.bytes();
    const mark = this.mark();
    const fds: SharedFile[] = [];
    try {
      for (let done = 0; done < count; ) {
        let f = this.last;
        if (f.entries >= this.fileEntries) f = this.addFile(f.firstOffset + f.entries);
        const n = Math.min(count - done, this.fileEntries - f.entries);
        const from = done * CQ_ENTRY_BYTES;
        const length = n * CQ_ENTRY_BYTES;
        let written = 0;
        while (written < length) written += writeSync(f.fd, bytes, from + written, length - written, f.entries * CQ_ENTRY_BYTES + written);
        f.entries += n;
        done += n;
        fds.push(f.pooled.shared);
      }
    } catch (err) {
      this.cutFiles(mark);
      throw err;
    }
    into.push(...fds);
    this.setTail(0, this.dispatch.mayKeep(this.tail.capacity));
  }

  /** Cuts the files back to `mark`, best effort. */
  private cutFiles(mark: CqMark): void {
    try {
      while (this.files.length > mark.files) this.removeFile(this.files.pop()!);
      this.last.entries = mark.entries;
      ftruncateSync(this.last.fd, mark.entries * CQ_ENTRY_BYTES);
    } catch {
      // The in-memory end is right and the next write goes there; recovery
      // drops entries at or past the checkpoint, which these all are.
    }
  }

  /** Keeps the tail's first `count` entries, telling the dispatcher. */
  private setTail(count: number, keepBuffer = false): void {
    const before = this.tail.count;
    const capacity = this.tail.capacity;
    if (count === 0) this.tail.clear(keepBuffer);
    else this.tail.truncate(count);
    this.dispatch.entries -= before - this.tail.count;
    this.dispatch.bufferBytes -= capacity - this.tail.capacity;
    if (before > 0 && this.tail.count === 0) this.dispatch.left(this);
  }

  /** Drops the entries from `offset` on (and any partial entry at the end). */
  truncateTo(offset: number): void {
    if (this.tail.count > 0 && offset >= this.filesEnd) {
      this.setTail(offset - this.filesEnd);
      this.startOffset = Math.min(this.startOffset, this.nextOffset);
      return;
    }
    this.setTail(0);
    while (this.files.length > 1 && this.last.firstOffset >= offset) this.removeFile(this.files.pop()!);
    const f = this.last;
    f.entries = Math.max(0, Math.min(f.entries, offset - f.firstOffset));
    ftruncateSync(f.fd, f.entries * CQ_ENTRY_BYTES);
    this.startOffset = Math.min(this.startOffset, this.nextOffset);
  }

  /** Empties the queue and starts it again at `offset` (a rebuild whose first entry is there). */
  resetTo(offset: number): void {
    this.setTail(0);
    for (const f of this.files.splice(0)) this.removeFile(f);
    this.addFile(offset);
    this.startOffset = offset;
    this.defect = null;
  }

  /** Reads the entries [offset, offset + count) (inside the queue) into `buf`; one pread per file touched, one copy from the tail. */
  read(offset: number, count: number, buf: Buffer): Buffer {
    const filesEnd = this.filesEnd;
    let done = 0;
    while (done < count) {
      const o = offset + done;
      if (o >= filesEnd) {
        this.tailReads++;
        this.tail.bytes(o - filesEnd, o - filesEnd + count - done).copy(buf, done * CQ_ENTRY_BYTES);
        break;
      }
      const f = this.fileOf(o);
      const n = Math.min(count - done, f.firstOffset + f.entries - o);
      const bytes = n * CQ_ENTRY_BYTES;
      const r = preadFully(f.fd, buf, done * CQ_ENTRY_BYTES, bytes, (o - f.firstOffset) * CQ_ENTRY_BYTES);
      this.reads += r.calls;
      if (r.bytes < bytes) throw new Error(`consume queue ${this.dir} ends before offset ${o + n}`);
      done += n;
    }
    return buf.subarray(0, count * CQ_ENTRY_BYTES);
  }

  /**
   * Entries from `offset` on, at least one and at most `count`, from one
   * place: a view of the file's mapping (nothing copied: a reader that skips
   * most entries touches only the pages it looks at), else a read as read()
   * does. Valid for the synchronous step that asked for it only.
   */
  view(offset: number, count: number): Buffer {
    const filesEnd = this.filesEnd;
    if (offset >= filesEnd) {
      this.tailReads++;
      return this.tail.bytes(offset - filesEnd, offset - filesEnd + count);
    }
    const f = this.fileOf(offset);
    const n = Math.min(count, f.firstOffset + f.entries - offset);
    const mapped = mappedView(f.fd, (offset - f.firstOffset) * CQ_ENTRY_BYTES, n * CQ_ENTRY_BYTES);
    if (mapped === null) return this.read(offset, n, Buffer.allocUnsafe(n * CQ_ENTRY_BYTES));
    this.reads++;
    return mapped;
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

  /** The files, open or not (to sync them all after a recovery; nothing is opened). */
  writtenFiles(): (SharedFile | string)[] {
    return this.files.map((f) => f.pooled.ifOpen ?? f.pooled.path);
  }

  /** Closes the files; entries still in the tail are dropped (recovery rebuilds them). */
  close(): void {
    this.setTail(0);
    for (const f of this.files) {
      this.beforeClose(f.pooled.path);
      f.pooled.close();
    }
    this.files = [];
  }

  deleteAll(): void {
    this.close();
    rmSync(this.dir, { recursive: true, force: true });
  }

  private removeFile(f: CqFile): void {
    this.beforeClose(f.pooled.path);
    f.pooled.close();
    rmSync(f.pooled.path, { force: true });
  }
}

/** Every file but the last must be full, and each must begin where the one before ends. */
function filesDefect(files: readonly CqFile[], fileEntries: number, dir: string): string | null {
  for (let i = 0; i + 1 < files.length; i++) {
    const f = files[i]!;
    const name = join(dir, cqFileName(f.firstOffset));
    if (f.entries !== fileEntries) return `file ${name} holds ${f.entries} entries, but a file before the last holds ${fileEntries}`;
    const next = files[i + 1]!.firstOffset;
    if (next !== f.firstOffset + f.entries) return `file ${join(dir, cqFileName(next))} begins at offset ${next}, expected ${f.firstOffset + f.entries}`;
  }
  return null;
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
