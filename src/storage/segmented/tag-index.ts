// A segment's tag index (<base>.tags): RocketMQ's tag code of each offset,
// 8 bytes big-endian at (offset - base) × 8, so a consumer filtering by tag
// skips records without reading the log, as the commit log's consume-queue
// entries let it. Created only by an append that brings tag codes (topics
// that carry RocketMQ properties); a segment of a plain Kafka topic has
// none. Derived and best effort: never synced; what it lacks (a short file,
// a hole, a crash) reads as 0, "not known", which makes the reader read the
// record; entries past the segment's records are cut at open so a recovered
// segment's offsets never inherit a lost record's code. Like the offset and
// time indexes, appended codes are held in memory and written 4 KiB at a
// time, at a read, or when the segment persists its indexes (roll, flush,
// close): not one write(2) per append.
import { existsSync, fstatSync, ftruncateSync, readSync, rmSync, writeSync } from 'node:fs';
import { endianness } from 'node:os';
import { CREATE, PooledFile, type FilePool } from '../file-pool.js';

export const TAG_CODE_BYTES = 8;

/** Codes held before they are written (a page of them). */
const PENDING_BYTES = 4096;

const LITTLE_ENDIAN = endianness() === 'LE';

/** The codes into `buf` at `at` as big-endian bytes: their native bytes copied, swapped on a little-endian host (not writeBigInt64BE per code, whose BigInt arithmetic cost a RocketMQ send about 70 ns a message, this 15). */
function putBigEndian(buf: Buffer, at: number, codes: BigInt64Array): void {
  buf.set(new Uint8Array(codes.buffer, codes.byteOffset, codes.byteLength), at);
  if (LITTLE_ENDIAN) buf.subarray(at, at + codes.byteLength).swap64();
}

export class TagIndex {
  /** Made on first use, in the engine's pool like the segment's other files. */
  private file: PooledFile | null = null;
  /** Codes appended and not yet written, as their bytes, for the file from pendingAt (made at the first append with codes: most segments never have any). */
  private pending: Buffer | null = null;
  private pendingAt = 0;
  private pendingBytes = 0;

  constructor(
    readonly path: string,
    private readonly pool: FilePool,
  ) {}

  /** Cuts entries at or past `entries` (the segment's record count), if the file exists. */
  trim(entries: number): void {
    this.persist();
    if (!existsSync(this.path)) return;
    const fd = this.open();
    if (fstatSync(fd).size > entries * TAG_CODE_BYTES) ftruncateSync(fd, entries * TAG_CODE_BYTES);
  }

  /** Codes for offsets from `relative` (offset - base) on: held, and written with those before them (or at once, past a page); on a failed write the index ends before them. */
  write(relative: number, codes: BigInt64Array): void {
    const at = relative * TAG_CODE_BYTES;
    const bytes = codes.length * TAG_CODE_BYTES;
    if (this.pendingBytes > 0 && (at !== this.pendingAt + this.pendingBytes || this.pendingBytes + bytes > PENDING_BYTES)) this.persist();
    if (bytes > PENDING_BYTES) {
      const buf = Buffer.allocUnsafe(bytes);
      putBigEndian(buf, 0, codes);
      return this.writeAt(at, buf);
    }
    if (this.pendingBytes === 0) this.pendingAt = at;
    putBigEndian((this.pending ??= Buffer.allocUnsafe(PENDING_BYTES)), this.pendingBytes, codes);
    this.pendingBytes += bytes;
    if (this.pendingBytes === PENDING_BYTES) this.persist();
  }

  /** Writes the codes held. */
  persist(): void {
    if (this.pendingBytes === 0) return;
    const bytes = this.pendingBytes;
    this.pendingBytes = 0;
    this.writeAt(this.pendingAt, this.pending!.subarray(0, bytes));
  }

  private writeAt(at: number, buf: Buffer): void {
    const fd = this.open();
    try {
      for (let done = 0; done < buf.length; ) done += writeSync(fd, buf, done, buf.length - done, at + done);
    } catch {
      try {
        ftruncateSync(fd, Math.min(fstatSync(fd).size, at));
      } catch {
        // a stale tail stays past the segment's end; the next open trims it
      }
    }
  }

  /** Codes of `count` offsets from `relative`; 0 where the file has none. Returns the bytes read too. */
  read(relative: number, count: number): { codes: BigInt64Array; bytes: number } {
    this.persist();
    const codes = new BigInt64Array(count);
    if (this.file === null && !existsSync(this.path)) return { codes, bytes: 0 };
    const buf = Buffer.alloc(count * TAG_CODE_BYTES);
    let got = 0;
    for (;;) {
      const n = readSync(this.open(), buf, got, buf.length - got, relative * TAG_CODE_BYTES + got);
      if (n === 0) break;
      got += n;
      if (got === buf.length) break;
    }
    for (let i = 0; i < Math.floor(got / TAG_CODE_BYTES); i++) codes[i] = buf.readBigInt64BE(i * TAG_CODE_BYTES);
    return { codes, bytes: got };
  }

  /** Closes the file; codes still held are dropped (persist() first to keep them: a discarded segment's have no file to go to). */
  close(): void {
    this.pendingBytes = 0;
    this.pending = null;
    this.file?.close();
    this.file = null;
  }

  delete(): void {
    this.close();
    rmSync(this.path, { force: true });
  }

  private open(): number {
    this.file ??= new PooledFile(this.pool, this.path, CREATE);
    return this.file.fd;
  }
}
