// The timing wheel: one 32-byte slot per `precisionMs` of delivery time,
// RocketMQ's Slot layout (slot time, first pos, last pos, count, magic),
// in a file of `slots` slots; a slot holds the head (last unit) of its
// chain in the timer log. Slot time is the absolute slot number
// (deliverMs / precisionMs), so a slot left from an earlier lap reads as
// empty. It is derived data: rebuilt from the timer log at every start, so
// it never has to be flushed. The file is sparse; pages are touched only
// where timers are.
import { closeSync, ftruncateSync, openSync, readSync, writeSync } from 'node:fs';

export const SLOT_BYTES = 32;

export interface Slot {
  /** The absolute slot number this content belongs to. */
  time: number;
  firstPos: number;
  lastPos: number;
  count: number;
}

const EMPTY = (time: number): Slot => ({ time, firstPos: -1, lastPos: -1, count: 0 });

export class TimerWheel {
  private readonly fd: number;
  private readonly buf = Buffer.alloc(SLOT_BYTES);

  constructor(file: string, readonly slots: number) {
    this.fd = openSync(file, 'w+');
    ftruncateSync(this.fd, slots * SLOT_BYTES);
  }

  /** What is stored in the slot `time` maps to, whichever lap it belongs to. */
  raw(time: number): Slot {
    const at = (time % this.slots) * SLOT_BYTES;
    this.buf.fill(0);
    readSync(this.fd, this.buf, 0, SLOT_BYTES, at);
    return { time: Number(this.buf.readBigInt64BE(0)), firstPos: Number(this.buf.readBigInt64BE(8)), lastPos: Number(this.buf.readBigInt64BE(16)), count: this.buf.readInt32BE(24) };
  }

  get(time: number): Slot {
    const s = this.raw(time);
    return s.time === time && s.count > 0 ? s : EMPTY(time);
  }

  put(s: Slot): void {
    const b = Buffer.alloc(SLOT_BYTES);
    b.writeBigInt64BE(BigInt(s.time), 0);
    b.writeBigInt64BE(BigInt(s.firstPos), 8);
    b.writeBigInt64BE(BigInt(s.lastPos), 16);
    b.writeInt32BE(s.count, 24);
    writeSync(this.fd, b, 0, SLOT_BYTES, (s.time % this.slots) * SLOT_BYTES);
  }

  clear(time: number): void {
    if (this.raw(time).time === time) writeSync(this.fd, Buffer.alloc(SLOT_BYTES), 0, SLOT_BYTES, (time % this.slots) * SLOT_BYTES);
  }

  /**
   * The first non-empty slot in [from, to), or null: reads the file in
   * large steps, so catching up over hours of empty slots costs little.
   */
  nextNonEmpty(from: number, to: number): number | null {
    const STEP = 4096;
    const chunk = Buffer.allocUnsafe(STEP * SLOT_BYTES);
    for (let t = from; t < to; ) {
      const index = t % this.slots;
      const n = Math.min(STEP, to - t, this.slots - index);
      const got = readSync(this.fd, chunk, 0, n * SLOT_BYTES, index * SLOT_BYTES);
      for (let i = 0; i < Math.floor(got / SLOT_BYTES); i++) {
        const at = i * SLOT_BYTES;
        if (Number(chunk.readBigInt64BE(at)) === t + i && chunk.readInt32BE(at + 24) > 0) return t + i;
      }
      t += n;
    }
    return null;
  }

  close(): void {
    closeSync(this.fd);
  }
}
