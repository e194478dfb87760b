// A consume queue's newest entries, held in memory until they are written
// to its files in one write (cq-dispatch.ts says when). The tail continues
// the files: its entry i is for offset (the files' end) + i. Nothing here
// touches disk.
import { CQ_ENTRY_BYTES, CQ_TAGS_CODE_AT, writeCqEntries } from './cq-entry.js';

/** The first buffer; it doubles as entries come, so a queue that sees one small append holds 1 KiB, not a full tail. */
const FIRST_BYTES = 1024;

export class CqTail {
  private buf: Buffer | null = null;
  /** Entries held. */
  count = 0;
  /**
   * Commit-log position of the entry (its header) that the first held
   * consume-queue entry points into: where a recovery must scan from to
   * rebuild the tail if it is lost.
   */
  entryStart = 0;

  /**
   * Adds `n` entries for the batch at `batchPosition`, inside the entry at
   * `entryStart`: identical but for their tag codes, when given (one per entry).
   */
  push(entryStart: number, batchPosition: number, batchBytes: number, n: number, tagCodes?: BigInt64Array): void {
    if (this.count === 0) this.entryStart = entryStart;
    const end = (this.count + n) * CQ_ENTRY_BYTES;
    if (this.buf === null || this.buf.length < end) this.grow(end);
    const at = this.count * CQ_ENTRY_BYTES;
    writeCqEntries(this.buf!, at, batchPosition, batchBytes, n);
    if (tagCodes) for (let i = 0; i < n; i++) this.buf!.writeBigInt64BE(tagCodes[i]!, at + i * CQ_ENTRY_BYTES + CQ_TAGS_CODE_AT);
    this.count += n;
  }

  /** The bytes of held entries [from, to). */
  bytes(from = 0, to = this.count): Buffer {
    return this.buf!.subarray(from * CQ_ENTRY_BYTES, to * CQ_ENTRY_BYTES);
  }

  /** Bytes allocated for entries. */
  get capacity(): number {
    return this.buf?.length ?? 0;
  }

  /** Keeps the first `count` entries. */
  truncate(count: number): void {
    this.count = Math.max(0, Math.min(this.count, count));
  }

  /** Drops every entry, and the buffer unless `keep`. */
  clear(keep: boolean): void {
    this.count = 0;
    if (!keep) this.buf = null;
  }

  private grow(bytes: number): void {
    let size = Math.max(FIRST_BYTES, (this.buf?.length ?? 0) * 2);
    while (size < bytes) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.buf?.copy(next, 0, 0, this.count * CQ_ENTRY_BYTES);
    this.buf = next;
  }
}
