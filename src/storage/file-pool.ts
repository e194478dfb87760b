// An engine's open files, at most `limit` of them: the least recently used
// is closed when one more must open, and opened again when next used.
//
// Per-partition files do not fit the open-file limit at scale: 10,000
// partitions of the segmented engine hold 30,000 (log, offset index, time
// index), past the 20,000 this machine allows, and creating partition 6,660
// failed with EMFILE. Kafka asks for a higher ulimit; here the engine keeps
// what it uses and closes what sits idle, so the partition count is bounded
// by memory and disk, not by RLIMIT_NOFILE.
//
// Every file is held as a SharedFile, and the pool lets go of it only through
// SharedFile.close(), the owner's reference: a fetch region waiting to be sent
// (or a write or fdatasync in flight) holds a lease, so the fd it names stays
// valid after the pool closed the file; reopening makes a new SharedFile with
// a new fd. Such leased fds are open on top of the limit, which bounds what
// the engine itself keeps open.
//
// Callers take `fd` for each synchronous use and never keep the number
// across an await: the file may be closed in between. Within one synchronous
// operation a number stays good, since opening a file closes the least
// recently used one, and the operation's own files were just used (the
// limit is at least MIN_OPEN_FILES, more than one operation touches).
import { constants, openSync } from 'node:fs';
import { SharedFile } from '../transfer/shared-file.js';
import { processOpenFileLimit } from './file-limit.js';

/** The smallest limit: more than any one operation uses at once (a segment's log, indexes and tags; a read over two consume-queue files). */
export const MIN_OPEN_FILES = 16;
/** The open-file limit assumed where it cannot be read (Linux's usual soft limit). */
const ASSUMED_LIMIT = 1024;

/**
 * The limit an engine takes when none is given: half the process's
 * open-file limit, leaving the rest to sockets, leased fds and everything
 * else the process opens. The broker passes its own (mqlab.storage.max.open.files).
 */
export function defaultMaxOpenFiles(processLimit: number | null = processOpenFileLimit()): number {
  const limit = processLimit ?? ASSUMED_LIMIT;
  return Math.max(MIN_OPEN_FILES, Math.floor(limit / 2));
}

/** Opens with O_RDWR | O_CREAT: a new file, or an existing one as it is (not O_APPEND: writes are positional). */
export const CREATE = constants.O_RDWR | constants.O_CREAT;

export class FilePool {
  /** Open files, least recently used first (a Set keeps insertion order). */
  private readonly lru = new Set<PooledFile>();
  /** The file used last: using it again needs no reordering (the common case on a hot partition). */
  private last: PooledFile | null = null;
  /** Files opened, first opens and reopens alike. */
  opens = 0;
  /** Opens of a file the pool had closed. */
  reopens = 0;
  /** Files closed to stay within the limit. */
  evictions = 0;

  constructor(readonly limit: number) {
    if (!(limit >= MIN_OPEN_FILES)) throw new RangeError(`the open-file limit of an engine must be at least ${MIN_OPEN_FILES}, got ${limit}`);
  }

  /** Files open now (leased fds of closed files not counted). */
  get size(): number {
    return this.lru.size;
  }

  /** Called by a file that just opened: closes the least recently used past the limit. */
  opened(f: PooledFile, reopen: boolean): void {
    this.opens++;
    if (reopen) this.reopens++;
    this.lru.add(f);
    this.last = f;
    // Each file is looked at once at most: if all are pinned, the pool stays over its limit until they are unpinned.
    let candidates = this.lru.size;
    for (const old of this.lru) {
      if (this.lru.size <= this.limit || candidates-- <= 0) break;
      if (old === f) continue;
      this.lru.delete(old);
      if (old.pinned) {
        // In use across awaits (the cleaner): not a candidate; it goes to the back.
        this.lru.add(old);
        continue;
      }
      this.evictions++;
      old.evict();
    }
  }

  /** Called by a file on each use: it becomes the most recently used. */
  used(f: PooledFile): void {
    if (f === this.last) return;
    this.lru.delete(f);
    this.lru.add(f);
    this.last = f;
  }

  /** Called by a file closed by its owner. */
  removed(f: PooledFile): void {
    this.lru.delete(f);
    if (this.last === f) this.last = null;
  }
}

/**
 * A file of an engine (a segment's log or index, a consume-queue file) that
 * the pool may close while it is idle: `shared` and `fd` open it again.
 */
export class PooledFile {
  private current: SharedFile | null = null;
  private closed = false;
  private pins = 0;
  private everOpened = false;

  /**
   * `firstFlags` open the file the first time (CREATE, or 'w+' for a file
   * that must start empty); it is opened again with 'r+'. Nothing is opened
   * until the file is first used.
   */
  constructor(
    private readonly pool: FilePool,
    readonly path: string,
    private readonly firstFlags: string | number = 'r+',
  ) {}

  /** The open file (opening it if the pool closed it). Take a lease to keep it past this synchronous step. */
  get shared(): SharedFile {
    const f = this.current;
    if (f !== null) {
      // Once closed by its owner and let go by every lease, its fd number may already name another file.
      if (this.closed && !f.open) throw new Error(`${this.path} is closed`);
      if (!this.closed) this.pool.used(this);
      return f;
    }
    if (this.closed) throw new Error(`${this.path} is closed`);
    const fd = openSync(this.path, this.everOpened ? 'r+' : this.firstFlags);
    this.current = new SharedFile(fd, this.path);
    this.pool.opened(this, this.everOpened);
    this.everOpened = true;
    return this.current;
  }

  /** Opens the file now if it is not open (creating it, with CREATE or 'w+'). */
  openNow(): void {
    void this.shared;
  }

  /** The fd, for this synchronous step only. */
  get fd(): number {
    return this.shared.fd;
  }

  /** The file if it is open now, without opening it. */
  get ifOpen(): SharedFile | null {
    return this.closed ? null : this.current;
  }

  get pinned(): boolean {
    return this.pins > 0;
  }

  /** Keeps the file from being closed by the pool (a reader that awaits between reads) until unpin(). */
  pin(): void {
    this.pins++;
  }

  unpin(): void {
    if (this.pins <= 0) throw new Error(`${this.path} unpinned more often than pinned`);
    this.pins--;
  }

  /** Called by the pool: the owner's reference goes; leases keep their fd. */
  evict(): void {
    const f = this.current;
    this.current = null;
    f?.close();
  }

  /**
   * The owner is done with the file (closed, deleted, swapped out): it is
   * never opened again. A SharedFile still held by leases stays reachable
   * through `shared`, so those holders can release it.
   */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.pool.removed(this);
    this.current?.close();
  }
}

/** The pool's figures for an engine's stats(). */
export function filePoolStats(pool: FilePool): Record<string, number> {
  return { openFiles: pool.size, maxOpenFiles: pool.limit, fileOpens: pool.opens, fileReopens: pool.reopens, fileEvictions: pool.evictions };
}
