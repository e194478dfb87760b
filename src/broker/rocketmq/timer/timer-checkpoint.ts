// How far the wheel has fired: every unit due before `readMs` has been
// appended to its topic (or recalled). One 16-byte record rewritten in
// place (a sector never tears): read time, CRC-32C of it, a magic. A lost
// or damaged checkpoint makes the store fire again from its oldest unit:
// duplicates, never a loss.
import { closeSync, openSync, readSync, writeSync } from 'node:fs';
import { crc32c } from '../../../native/crc32c.js';

const MAGIC = 0x544d5231; // "TMR1"

export class TimerCheckpoint {
  private readonly fd: number;
  private readonly buf = Buffer.alloc(16);

  constructor(file: string) {
    this.fd = openSync(file, 'a+');
    closeSync(this.fd);
    this.fd = openSync(file, 'r+');
  }

  read(): number | null {
    const b = Buffer.alloc(16);
    if (readSync(this.fd, b, 0, 16, 0) !== 16 || b.readUInt32BE(12) !== MAGIC) return null;
    if ((crc32c(b.subarray(0, 8)) >>> 0) !== b.readUInt32BE(8)) return null;
    return Number(b.readBigInt64BE(0));
  }

  write(readMs: number): void {
    this.buf.writeBigInt64BE(BigInt(readMs), 0);
    this.buf.writeUInt32BE(crc32c(this.buf.subarray(0, 8)) >>> 0, 8);
    this.buf.writeUInt32BE(MAGIC, 12);
    writeSync(this.fd, this.buf, 0, 16, 0);
  }

  close(): void {
    closeSync(this.fd);
  }
}
