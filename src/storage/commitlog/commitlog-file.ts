// One file of the commit log, named by the 20-digit global position of its
// first byte. Entries are written back to back from byte 0; the file is not
// preallocated, so its size is where the next entry goes (see commitlog.ts
// for why), and nothing after the last entry needs telling apart from it.
import { fstatSync, ftruncateSync, futimesSync, openSync, rmSync, writevSync } from 'node:fs';
import { join } from 'node:path';
import { SharedFile } from '../../transfer/shared-file.js';

export const COMMITLOG_FILE_NAME = /^\d{20}$/;

export function commitLogFileName(startPosition: number): string {
  return String(startPosition).padStart(20, '0');
}

export class CommitLogFile {
  /** Bytes written: the file's size, and where the next entry goes. */
  size: number;
  /**
   * When the newest entry was stored (ms): what retention by time looks at,
   * as RocketMQ looks at a commit-log file's last-modified time. Kept in the
   * file's mtime across restarts (set on roll and close, read on open).
   */
  lastStoreMs: number;

  /** Kept open by the regions read from it until they are sent. */
  readonly file: SharedFile;

  private constructor(readonly path: string, readonly start: number, fd: number, size: number, lastStoreMs: number) {
    this.file = new SharedFile(fd, path);
    this.size = size;
    this.lastStoreMs = lastStoreMs;
  }

  get fd(): number {
    return this.file.fd;
  }

  /** Opens the file starting at `start`, creating it empty if `create`. */
  static open(dir: string, start: number, create: boolean): CommitLogFile {
    const path = join(dir, commitLogFileName(start));
    const fd = openSync(path, create ? 'wx+' : 'r+');
    const st = fstatSync(fd);
    return new CommitLogFile(path, start, fd, st.size, st.mtimeMs);
  }

  get end(): number {
    return this.start + this.size;
  }

  /**
   * Writes `buffers` back to back at file position `at` with pwritev: the
   * entry headers and the batches go out without being copied together.
   * A short write (IOV_MAX, a signal) goes on from where it stopped; an
   * error (ENOSPC, EFBIG) throws, leaving the caller to cut the file back.
   */
  write(buffers: Buffer[], at: number): void {
    let total = 0;
    for (const b of buffers) total += b.length;
    let done = writevSync(this.fd, buffers, at);
    while (done < total) done += writevSync(this.fd, remainder(buffers, done), at + done);
  }

  truncate(size: number): void {
    ftruncateSync(this.fd, size);
    this.size = size;
  }

  /** Records the newest entry's store time in the file's mtime (best effort). */
  stampTime(): void {
    try {
      const s = this.lastStoreMs / 1000;
      futimesSync(this.fd, s, s);
    } catch {
      // Only retention by time after a restart reads it; the real mtime is close.
    }
  }

  close(): void {
    this.file.close();
  }

  /** Removes the name now; the fd closes when no region read from it is left to send. */
  delete(): void {
    rmSync(this.path, { force: true });
    this.close();
  }
}

/** The part of `buffers` after their first `skip` bytes. */
function remainder(buffers: Buffer[], skip: number): Buffer[] {
  const out: Buffer[] = [];
  for (const b of buffers) {
    if (skip >= b.length) {
      skip -= b.length;
      continue;
    }
    out.push(skip > 0 ? b.subarray(skip) : b);
    skip = 0;
  }
  return out;
}
