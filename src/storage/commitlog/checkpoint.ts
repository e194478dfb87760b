// Where recovery may start: a commit-log position below which the log and
// every consume-queue entry for it were synced to disk (RocketMQ's
// StoreCheckpoint, which keeps the times of the last flushes instead).
// Written only after a sync that covered those bytes has completed, so it is
// never ahead of the disk; not synced itself, because losing an update only
// means recovery starts further back. After a clean shutdown it holds the
// log's end, which opening checks against the last file's size. Big-endian:
//
//   byte 0 ┌──────────────────────────────┐
//          │ magic                uint32  │  CHECKPOINT_MAGIC
//        4 ├──────────────────────────────┤
//          │ flushedPosition      int64   │  global commit-log position
//       12 ├──────────────────────────────┤
//          │ crc                  uint32  │  CRC-32C of bytes 0..12
//       16 └──────────────────────────────┘
//
// 16 bytes written in place at byte 0: one sector, so a crash leaves the old
// or the new value, and a torn write fails the CRC (recovery then scans the
// whole log). The file is created full-size on first open, so rewriting it
// needs no new block even on a full disk.
import { closeSync, openSync, readSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { crc32c } from '../../native/crc32c.js';
import { readInt64Number, writeInt64Number } from '../../records/index.js';

export const CHECKPOINT_BYTES = 16;
const CHECKPOINT_MAGIC = 0x4d514350; // "MQCP"
const FILE = 'checkpoint';

export class Checkpoint {
  private readonly buf = Buffer.alloc(CHECKPOINT_BYTES);
  /** The position last written (or read), or null if none was valid. */
  position: number | null;

  private constructor(private readonly fd: number, position: number | null) {
    this.position = position;
  }

  static open(dir: string): Checkpoint {
    const fd = openSync(join(dir, FILE), 'a+');
    closeSync(fd);
    const rw = openSync(join(dir, FILE), 'r+');
    const buf = Buffer.alloc(CHECKPOINT_BYTES);
    const n = readSync(rw, buf, 0, CHECKPOINT_BYTES, 0);
    const valid = n === CHECKPOINT_BYTES && buf.readUInt32BE(0) === CHECKPOINT_MAGIC && crc32c(buf.subarray(0, 12)) === buf.readUInt32BE(12);
    const cp = new Checkpoint(rw, valid ? readInt64Number(buf, 4) : null);
    if (n < CHECKPOINT_BYTES) cp.write(0, false);
    return cp;
  }

  /** Records `position` (best effort unless `strict`: a lost update only lengthens recovery). */
  write(position: number, strict = false): void {
    const b = this.buf;
    b.writeUInt32BE(CHECKPOINT_MAGIC, 0);
    writeInt64Number(b, 4, position);
    b.writeUInt32BE(crc32c(b.subarray(0, 12)), 12);
    try {
      writeSync(this.fd, b, 0, CHECKPOINT_BYTES, 0);
      this.position = position;
    } catch (err) {
      if (strict) throw err;
    }
  }

  close(): void {
    closeSync(this.fd);
  }
}
