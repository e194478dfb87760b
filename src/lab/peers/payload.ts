// What every peer run sends: payloads of the workload's size whose first
// 16 bytes say who sent them and when (producer index, sequence, send time
// on this process's clock), so any system's consumer callback yields exact
// lost and duplicated counts and end-to-end latency without relying on the
// system's own headers or timestamps. The rest is seeded filler.
import type { Random } from '../random.js';

export const STAMP_BYTES = 16;

/** Milliseconds on a clock shared by every producer and consumer of this process (sub-ms resolution). */
export const nowMs = (): number => performance.timeOrigin + performance.now();

/** A payload template of `size` bytes (at least STAMP_BYTES) filled from `random`. */
export function payloadTemplate(size: number, random: Random): Buffer {
  if (size < STAMP_BYTES) throw new Error(`messages must be at least ${STAMP_BYTES} bytes to carry the lab's stamp (got ${size})`);
  const b = Buffer.allocUnsafe(size);
  for (let i = 0; i < size; i++) b[i] = random.int(0, 255);
  return b;
}

/** A copy of `template` stamped with (producer, sequence, now). */
export function stamp(template: Buffer, producer: number, sequence: number): Buffer {
  const b = Buffer.from(template);
  b.writeUInt32BE(producer, 0);
  b.writeUInt32BE(sequence, 4);
  b.writeDoubleBE(nowMs(), 8);
  return b;
}

export interface Stamp {
  producer: number;
  sequence: number;
  sentMs: number;
}

/** The stamp of a received payload, or null if it is too short to carry one. */
export function readStamp(payload: Buffer): Stamp | null {
  if (payload.length < STAMP_BYTES) return null;
  return { producer: payload.readUInt32BE(0), sequence: payload.readUInt32BE(4), sentMs: payload.readDoubleBE(8) };
}
