// A segment's tag index (<base>.tags): RocketMQ's tag code of each offset,
// 8 bytes big-endian at (offset - base) × 8, so a consumer filtering by tag
// skips records without reading the log, as the commit log's consume-queue
// entries let it. Created only by an append that brings tag codes (topics
// that carry RocketMQ properties); a segment of a plain Kafka topic has
// none. Derived and best effort: never synced; what it lacks (a short file,
// a hole, a crash) reads as 0, "not known", which makes the reader read the
// record; entries past the segment's records are cut at open so a recovered
// segment's offsets never inherit a lost record's code.
import { existsSync, fstatSync, ftruncateSync, readSync, rmSync, writeSync } from 'node:fs';
import { endianness } from 'node:os';
import { CREATE, PooledFile, type FilePool } from '../file-pool.js';

export const TAG_CODE_BYTES = 8;

const LITTLE_ENDIAN = endianness() === 'LE';

/**
 * The codes as big-endian bytes: their native bytes copied, swapped on a
 * little-endian host. Not writeBigInt64BE per code, whose BigInt
 * arithmetic (and the BigInt read out of the array) cost a RocketMQ send
 * about 70 ns a message, this 15.
 */
function bigEndianCodes(codes: BigInt64Array): Buffer {
  const buf = Buffer.allocUnsafe(codes.length * TAG_CODE_BYTES);
  buf.set(new Uint8Array(codes.buffer, codes.byteOffset, codes.byteLength));
  return LITTLE_ENDIAN ? buf.swap64() : buf;
}

export class TagIndex {
  /** Made on first use, in the engine's pool like the segment's other files. */
  private file: PooledFile | null = null;

  constructor(
    readonly path: string,
    private readonly pool: FilePool,
  ) {}

  /** Cuts entries at or past `entries` (the segment's record count), if the file exists. */
  trim(entries: number): void {
    if (!existsSync(this.path)) return;
    const fd = this.open();
    if (fstatSync(fd).size > entries * TAG_CODE_BYTES) ftruncateSync(fd, entries * TAG_CODE_BYTES);
  }

  /** Writes codes for offsets from `relative` (offset - base) on; on failure the index ends before them. */
  write(relative: number, codes: BigInt64Array): void {
    const buf = bigEndianCodes(codes);
    const fd = this.open();
    try {
      for (let done = 0; done < buf.length; ) done += writeSync(fd, buf, done, buf.length - done, relative * TAG_CODE_BYTES + done);
    } catch {
      try {
        ftruncateSync(fd, Math.min(fstatSync(fd).size, relative * TAG_CODE_BYTES));
      } catch {
        // a stale tail stays past the segment's end; the next open trims it
      }
    }
  }

  /** Codes of `count` offsets from `relative`; 0 where the file has none. Returns the bytes read too. */
  read(relative: number, count: number): { codes: BigInt64Array; bytes: number } {
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

  close(): void {
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
