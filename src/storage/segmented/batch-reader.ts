// Reads record-batch headers and whole batches from a log file with pread:
// BatchReader in 64 KiB chunks, for time lookups, verified reads and
// recovery; HeadReader just the heads the fetch path's offset lookups need.
import { preadFully } from '../read-bytes.js';
import { BASE_OFFSET_AT, BATCH_HEADER_BYTES, BATCH_LENGTH_AT, LAST_OFFSET_DELTA_AT, LOG_OVERHEAD_BYTES, readInt64Number } from '../../records/index.js';
import { batchAt, type BatchAt } from '../batch-view.js';
import { INDEX_INTERVAL_BYTES } from './sparse-index.js';

const CHUNK_BYTES = 64 * 1024;

export class BatchReader {
  // Sized to the file, up to a chunk: opening 10,000 partitions makes a
  // reader per segment, and a 64 KiB buffer each for files of a few bytes
  // was 640 MB of garbage (and RSS) for nothing.
  private buf: Buffer;
  private start = 0; // file position of buf[0]
  private end = 0; // file position just past the valid bytes in buf
  reads = 0;

  /** Bytes each pread asks for at least; null: all the buffer holds (sequential scans). */
  private readBytes: number | null = null;

  constructor(private fd: number, private fileBytes: number) {
    this.buf = Buffer.allocUnsafe(Math.min(CHUNK_BYTES, Math.max(0, fileBytes)));
  }

  /**
   * Points a reader kept for reuse at a file, forgetting what it held; each
   * pread then reads `readBytes` (or the batch asked for, if longer).
   */
  begin(fd: number, fileBytes: number, readBytes: number | null = null): void {
    this.fd = fd;
    this.fileBytes = fileBytes;
    this.readBytes = readBytes;
    this.start = 0;
    this.end = 0;
  }

  /**
   * The batch starting at `position`, with its bytes when `whole` (for CRC
   * checks), or null at the end of the file or at a torn batch.
   */
  at(position: number, whole: boolean): BatchAt | null {
    if (!this.ensure(position, 61)) return null;
    const head = batchAt(this.buf, position - this.start);
    if (head === null) return null;
    if (position + head.size > this.fileBytes) return null;
    if (!whole) return head;
    if (!this.ensure(position, head.size)) return null;
    return batchAt(this.buf, position - this.start);
  }

  /** Makes [position, position + n) readable from buf; false past the end. */
  private ensure(position: number, n: number): boolean {
    if (position + n > this.fileBytes) return false;
    if (position >= this.start && position + n <= this.end) return true;
    const wanted = this.readBytes === null ? n : Math.max(n, this.readBytes);
    if (wanted > this.buf.length) this.buf = Buffer.allocUnsafe(Math.max(wanted, Math.min(CHUNK_BYTES, this.fileBytes), this.buf.length * 2));
    const want = Math.min(this.readBytes === null ? this.buf.length : wanted, this.fileBytes - position);
    const r = preadFully(this.fd, this.buf, 0, want, position);
    this.reads += r.calls;
    this.start = position;
    this.end = position + r.bytes;
    return position + n <= this.end;
  }
}

/** Bytes of a batch header an offset lookup needs: base offset, batch length, lastOffsetDelta. */
export const HEAD_BYTES = LAST_OFFSET_DELTA_AT + 4;
/**
 * One pread of this many bytes from an index entry holds the heads of all
 * the batches up to the next entry: an entry is written at the first batch
 * starting INDEX_INTERVAL_BYTES or more after the previous one, so every
 * batch between two entries starts less than that far after the first.
 */
export const HEAD_SCAN_BYTES = INDEX_INTERVAL_BYTES + HEAD_BYTES;

/**
 * Reads the heads of batches (HEAD_BYTES each) for offset lookups on the
 * fetch path, through one small buffer. The buffer's contents are good for
 * one lookup only: begin() forgets them (a segment can be cut back and
 * written again between two lookups).
 */
export class HeadReader {
  private readonly buf = Buffer.allocUnsafe(HEAD_SCAN_BYTES);
  private fd = -1;
  private fileBytes = 0;
  private start = 0;
  private end = 0;
  /** preads done, over the reader's life. */
  reads = 0;
  // The last head read by at(), in fields so a lookup allocates nothing.
  baseOffset = 0;
  size = 0;
  lastOffsetDelta = 0;

  begin(fd: number, fileBytes: number): void {
    this.fd = fd;
    this.fileBytes = fileBytes;
    this.start = 0;
    this.end = 0;
  }

  /**
   * Reads the head of the batch at `position` (reading ahead up to
   * `readAheadTo` if it has to read at all). False at the end of the file or
   * at a batch that is too short or runs past the end of the file.
   */
  at(position: number, readAheadTo: number): boolean {
    if (position + HEAD_BYTES > this.fileBytes) return false;
    if (position < this.start || position + HEAD_BYTES > this.end) {
      const want = Math.min(this.buf.length, this.fileBytes - position, Math.max(readAheadTo - position, HEAD_BYTES));
      const r = preadFully(this.fd, this.buf, 0, want, position);
      this.reads += r.calls;
      this.start = position;
      this.end = position + r.bytes;
      if (r.bytes < HEAD_BYTES) return false;
    }
    const o = position - this.start;
    this.baseOffset = readInt64Number(this.buf, o + BASE_OFFSET_AT);
    this.size = this.buf.readInt32BE(o + BATCH_LENGTH_AT) + LOG_OVERHEAD_BYTES;
    this.lastOffsetDelta = this.buf.readInt32BE(o + LAST_OFFSET_DELTA_AT);
    return this.size >= BATCH_HEADER_BYTES && position + this.size <= this.fileBytes;
  }
}

/** Shared by every segment: lookups are synchronous and never nest. */
export const headReader = new HeadReader();
