// Reads record-batch headers and whole batches from a log file with pread,
// in chunks, for index lookups, time lookups and recovery.
import { readSync } from 'node:fs';
import { batchAt, type BatchAt } from '../batch-view.js';

const CHUNK_BYTES = 64 * 1024;

export class BatchReader {
  private buf = Buffer.allocUnsafe(CHUNK_BYTES);
  private start = 0; // file position of buf[0]
  private end = 0; // file position just past the valid bytes in buf
  reads = 0;

  constructor(private readonly fd: number, private readonly fileBytes: number) {}

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
    if (n > this.buf.length) this.buf = Buffer.allocUnsafe(Math.max(n, this.buf.length * 2));
    const want = Math.min(this.buf.length, this.fileBytes - position);
    let got = 0;
    while (got < want) {
      this.reads++;
      const r = readSync(this.fd, this.buf, got, want - got, position + got);
      if (r === 0) break;
      got += r;
    }
    this.start = position;
    this.end = position + got;
    return position + n <= this.end;
  }
}
