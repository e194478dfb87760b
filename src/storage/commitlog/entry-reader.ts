// Reads commit-log entries one after another with pread, in chunks, for
// recovery: each entry's header CRC and its batch's CRC are checked before
// anything is built from it.
import { preadFully } from '../read-bytes.js';
import { batchAt, batchCrcOk } from '../batch-view.js';
import { decodeEntryHeader, isDefect, ENTRY_HEADER_MAX_BYTES, type EntryDefect, type EntryHeader } from './entry-format.js';

const CHUNK_BYTES = 256 * 1024;

export interface CheckedEntry {
  header: EntryHeader;
  /** Offsets the batch takes in its queue: lastOffsetDelta + 1. */
  offsetCount: number;
  maxTimestamp: number;
}

export class EntryReader {
  private buf = Buffer.allocUnsafe(CHUNK_BYTES);
  private start = 0; // file position of buf[0]
  private end = 0; // file position just past the valid bytes in buf
  reads = 0;

  constructor(private readonly fd: number, private readonly fileBytes: number) {}

  /** The entry at file position `position`, checked whole, or why it is not one. */
  at(position: number): CheckedEntry | EntryDefect {
    const available = this.fileBytes - position;
    this.ensure(position, Math.min(available, ENTRY_HEADER_MAX_BYTES));
    const header = decodeEntryHeader(this.buf, position - this.start, available);
    if (isDefect(header)) return header;
    this.ensure(position, header.entryBytes);
    const batchStart = position - this.start + header.headerBytes;
    const b = batchAt(this.buf, batchStart);
    if (b === null) return { kind: 'corrupt', why: 'no batch header after the entry header' };
    if (b.size !== header.entryBytes - header.headerBytes) return { kind: 'corrupt', why: `batch of ${b.size} bytes in an entry with room for ${header.entryBytes - header.headerBytes}` };
    if (!batchCrcOk(b)) return { kind: 'corrupt', why: 'batch CRC mismatch' };
    if (b.baseOffset !== header.baseOffset) return { kind: 'corrupt', why: `batch base offset ${b.baseOffset}, entry says ${header.baseOffset}` };
    return { header, offsetCount: b.lastOffsetDelta + 1, maxTimestamp: b.maxTimestamp };
  }

  /** Makes [position, position + n) readable from buf (n fits in the file). */
  private ensure(position: number, n: number): void {
    if (position >= this.start && position + n <= this.end) return;
    if (n > this.buf.length) this.buf = Buffer.allocUnsafe(Math.max(n, this.buf.length * 2));
    const want = Math.min(this.buf.length, this.fileBytes - position);
    const r = preadFully(this.fd, this.buf, 0, want, position);
    this.reads += r.calls;
    this.start = position;
    this.end = position + r.bytes;
  }
}
