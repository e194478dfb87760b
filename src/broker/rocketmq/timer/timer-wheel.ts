// The timing wheel: one 32-byte slot per `precisionMs` of delivery time,
// RocketMQ's Slot layout (slot time, first pos, last pos, count, magic),
// in a file of `slots` slots; a slot holds the head (last unit) of its
// chain in the timer log. Slot time is the absolute slot number
// (deliverMs / precisionMs), so a slot left from an earlier lap reads as
// empty. It is derived data: rebuilt from the timer log at every start, so
// it never has to be flushed. The file is sparse; pages are touched only
// where timers are. Changed slots are kept in memory until flush(), so a
// request of many delayed messages writes each slot it touches once.
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
/** What a cleared slot reads as: all zeros, as a never-written one. */
const ZERO: Slot = { time: 0, firstPos: 0, lastPos: 0, count: 0 };
/** Changed slots kept before they are written anyway, which bounds the memory a long rebuild takes. */
const MAX_DIRTY = 65_536;

export class TimerWheel {
  private readonly fd: number;
  private readonly buf = Buffer.alloc(SLOT_BYTES);
  /** Slots changed since the last flush, by index. */
  private readonly dirty = new Map<number, Slot>();

  constructor(file: string, readonly slots: number) {
    this.fd = openSync(file, 'w+');
    ftruncateSync(this.fd, slots * SLOT_BYTES);
  }

  /** What is stored in the slot `time` maps to, whichever lap it belongs to. */
  raw(time: number): Slot {
    const changed = this.dirty.get(time % this.slots);
    if (changed) return { ...changed };
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
    this.dirty.set(s.time % this.slots, { ...s });
    if (this.dirty.size >= MAX_DIRTY) this.flush();
  }

  clear(time: number): void {
    if (this.raw(time).time === time) {
      this.dirty.set(time % this.slots, ZERO);
      if (this.dirty.size >= MAX_DIRTY) this.flush();
    }
  }

  /** Writes the changed slots, runs of neighbours in one write. */
  flush(): void {
    if (this.dirty.size === 0) return;
    const indexes = [...this.dirty.keys()].sort((a, b) => a - b);
    for (let i = 0; i < indexes.length; ) {
      let n = 1;
      while (i + n < indexes.length && indexes[i + n] === indexes[i]! + n) n++;
      const b = Buffer.alloc(n * SLOT_BYTES);
      for (let k = 0; k < n; k++) {
        const s = this.dirty.get(indexes[i + k]!)!;
        const at = k * SLOT_BYTES;
        b.writeBigInt64BE(BigInt(s.time), at);
        b.writeBigInt64BE(BigInt(s.firstPos), at + 8);
        b.writeBigInt64BE(BigInt(s.lastPos), at + 16);
        b.writeInt32BE(s.count, at + 24);
      }
      let done = 0;
      while (done < b.length) done += writeSync(this.fd, b, done, b.length - done, indexes[i]! * SLOT_BYTES + done);
      i += n;
    }
    this.dirty.clear();
  }

  /**
   * The first non-empty slot in [from, to), or null: reads the file in
   * large steps, so catching up over hours of empty slots costs little.
   */
  nextNonEmpty(from: number, to: number): number | null {
    this.flush();
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
    this.flush();
    closeSync(this.fd);
  }
}
