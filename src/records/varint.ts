// Zig-zag varints, as Kafka's record format uses them (the same encoding as
// protobuf's sint32/sint64): the signed value is mapped to an unsigned one
// so that small magnitudes of either sign stay short (0→0, -1→1, 1→2, -2→3,
// …), then written 7 bits at a time, least significant group first, with the
// top bit of each byte set when another byte follows.
//
//   varint  (int32): 1 to 5 bytes   (5 × 7 = 35 bits ≥ 32)
//   varlong (int64): 1 to 10 bytes (10 × 7 = 70 bits ≥ 64)
//
// Reading rejects a varint that runs past its maximum length, one whose last
// byte carries bits beyond the type's width, and one cut off by the end of
// its bytes. Like Kafka's ByteUtils, it accepts a non-minimal encoding (such
// as 0x80 0x00 for 0) within the maximum length; no known client writes one,
// and refusing what Kafka accepts would only break interoperability.
//
// Hot path: varints (offset deltas, lengths, counts) are read and written with
// 32-bit integer arithmetic; varlongs (timestamp deltas) with float arithmetic
// while they fit in 49 bits, which covers any real millisecond delta, and
// with bigint only beyond that.
import { RecordBatchError } from './errors.js';

export const VARINT_MAX_BYTES = 5;
export const VARLONG_MAX_BYTES = 10;

const INT32_MIN = -0x8000_0000;
const INT32_MAX = 0x7fff_ffff;
const INT64_MIN = -(1n << 63n);
const INT64_MAX = (1n << 63n) - 1n;
// The largest magnitude whose zig-zag form (2|v| or 2|v|-1) is still an
// exact float, so numbers up to here never need bigint.
const NUMBER_PATH_MAX = 2 ** 52 - 1;
// Seven 7-bit groups: what the float path reads before handing over to bigint.
const FLOAT_PATH_MAX_BYTES = 7;

/**
 * Where a reader is: the next byte to read, and the first byte it must not
 * read (the end of the record or batch, which may be before the buffer's end
 * when batches are concatenated).
 */
export interface Cursor {
  readonly buf: Uint8Array;
  pos: number;
  readonly end: number;
}

export function zigZagEncode32(value: number): number {
  return ((value << 1) ^ (value >> 31)) >>> 0;
}

export function zigZagDecode32(unsigned: number): number {
  return (unsigned >>> 1) ^ -(unsigned & 1);
}

export function zigZagEncode64(value: bigint): bigint {
  return BigInt.asUintN(64, (value << 1n) ^ (value >> 63n));
}

export function zigZagDecode64(unsigned: bigint): bigint {
  return (unsigned >> 1n) ^ -(unsigned & 1n);
}

function assertInt32(value: number): void {
  if (!Number.isInteger(value) || value < INT32_MIN || value > INT32_MAX) {
    throw new RangeError(`varint value ${value} is not a 32-bit integer`);
  }
}

/** Bytes the varint encoding of `value` (an int32) takes, 1 to 5. */
export function sizeOfVarInt(value: number): number {
  assertInt32(value);
  return sizeOfUnsignedVarInt(zigZagEncode32(value));
}

/** Bytes the unsigned varint encoding of `u` (0 to 2^32 - 1) takes, 1 to 5: Kafka's compact lengths are these. */
export function sizeOfUnsignedVarInt(u: number): number {
  if (u < 0x80) return 1;
  if (u < 0x4000) return 2;
  if (u < 0x20_0000) return 3;
  if (u < 0x1000_0000) return 4;
  return 5;
}

/** Bytes the varlong encoding of `value` (an int64) takes, 1 to 10. */
export function sizeOfVarLong(value: bigint | number): number {
  const u = zigZagNumber(value);
  if (u < 0) return Math.ceil(zigZagEncode64(checkedInt64(value)).toString(2).length / 7);
  let bytes = 1;
  for (let rest = u; rest >= 0x80; rest = Math.floor(rest / 0x80)) bytes++;
  return bytes;
}

/** Writes `value` (an int32) at `pos`; returns the position after it. */
export function writeVarInt(buf: Uint8Array, pos: number, value: number): number {
  const size = sizeOfVarInt(value);
  assertRoom(buf, pos, size);
  let u = zigZagEncode32(value);
  while (u >= 0x80) {
    buf[pos++] = (u & 0x7f) | 0x80;
    u >>>= 7;
  }
  buf[pos++] = u;
  return pos;
}

/** Writes `value` (an int64) at `pos`; returns the position after it. */
export function writeVarLong(buf: Uint8Array, pos: number, value: bigint | number): number {
  const size = sizeOfVarLong(value);
  assertRoom(buf, pos, size);
  let u = zigZagNumber(value);
  if (u >= 0) {
    while (u >= 0x80) {
      buf[pos++] = (u % 0x80) | 0x80;
      u = Math.floor(u / 0x80);
    }
    buf[pos++] = u;
    return pos;
  }
  let big = zigZagEncode64(checkedInt64(value));
  while (big >= 0x80n) {
    buf[pos++] = Number(big & 0x7fn) | 0x80;
    big >>= 7n;
  }
  buf[pos++] = Number(big);
  return pos;
}

/** Reads a varint (int32) at the cursor and moves past it. */
export function readVarInt(cur: Cursor): number {
  const { buf, end } = cur;
  let pos = cur.pos;
  let u = 0;
  for (let shift = 0; shift < 28; shift += 7) {
    if (pos >= end) throw truncated('varint', cur.pos);
    const b = buf[pos++]!;
    u |= (b & 0x7f) << shift;
    if (b < 0x80) {
      cur.pos = pos;
      return zigZagDecode32(u >>> 0);
    }
  }
  // Fifth byte: only its low 4 bits still belong to a 32-bit value.
  if (pos >= end) throw truncated('varint', cur.pos);
  const b = buf[pos++]!;
  if (b > 0x0f) throw malformed('varint', cur.pos, b, VARINT_MAX_BYTES);
  cur.pos = pos;
  return zigZagDecode32((u | (b << 28)) >>> 0);
}

/** Reads a varlong (int64) at the cursor and moves past it. */
export function readVarLong(cur: Cursor): bigint {
  const small = readVarLongFloat(cur);
  if (small !== null) return BigInt(small);
  return readVarLongBig(cur);
}

/**
 * Reads a varlong that must fit in a JavaScript number exactly (±2^53-1), as
 * a timestamp delta in milliseconds always does; a valid int64 beyond that
 * is refused as INVALID_RECORD rather than silently rounded.
 */
export function readVarLongNumber(cur: Cursor): number {
  const small = readVarLongFloat(cur);
  if (small !== null) return small;
  const start = cur.pos;
  const big = readVarLongBig(cur);
  if (big > BigInt(Number.MAX_SAFE_INTEGER) || big < BigInt(Number.MIN_SAFE_INTEGER)) {
    throw new RecordBatchError('INVALID_RECORD', `varlong ${big} at byte ${start} does not fit in a JavaScript number`);
  }
  return Number(big);
}

// Up to seven bytes with float arithmetic (exact below 2^53). Returns null,
// leaving the cursor where it was, if the varlong is longer than that.
function readVarLongFloat(cur: Cursor): number | null {
  const { buf, end } = cur;
  let pos = cur.pos;
  let u = 0;
  let scale = 1;
  for (let i = 0; i < FLOAT_PATH_MAX_BYTES; i++) {
    if (pos >= end) throw truncated('varlong', cur.pos);
    const b = buf[pos++]!;
    u += (b & 0x7f) * scale;
    if (b < 0x80) {
      cur.pos = pos;
      // Zig-zag decode without 32-bit operators: even → u/2, odd → -(u+1)/2.
      return u % 2 === 0 ? u / 2 : -(u + 1) / 2;
    }
    scale *= 0x80;
  }
  return null;
}

function readVarLongBig(cur: Cursor): bigint {
  const { buf, end } = cur;
  let pos = cur.pos;
  let u = 0n;
  for (let i = 0; i < VARLONG_MAX_BYTES; i++) {
    if (pos >= end) throw truncated('varlong', cur.pos);
    const b = buf[pos++]!;
    // Tenth byte: only its lowest bit is left for bit 63.
    if (i === VARLONG_MAX_BYTES - 1 && b > 0x01) {
      throw malformed('varlong', cur.pos, b, VARLONG_MAX_BYTES);
    }
    u |= BigInt(b & 0x7f) << BigInt(7 * i);
    if (b < 0x80) {
      cur.pos = pos;
      return zigZagDecode64(u);
    }
  }
  throw new Error('unreachable: the tenth byte was checked above');
}

// The zig-zag form as an exact float, or -1 when it needs bigint.
function zigZagNumber(value: bigint | number): number {
  if (typeof value === 'number') {
    if (!Number.isInteger(value)) throw new RangeError(`varlong value ${value} is not an integer`);
    if (Math.abs(value) <= NUMBER_PATH_MAX) return value >= 0 ? value * 2 : -value * 2 - 1;
    return -1;
  }
  if (value >= -BigInt(NUMBER_PATH_MAX) && value <= BigInt(NUMBER_PATH_MAX)) {
    const n = Number(value);
    return n >= 0 ? n * 2 : -n * 2 - 1;
  }
  return -1;
}

function checkedInt64(value: bigint | number): bigint {
  if (typeof value === 'number' && !Number.isSafeInteger(value)) {
    // Past 2^53 a number is already rounded: refuse instead of guessing.
    throw new RangeError(`varlong value ${value} is not a safe integer; pass a bigint`);
  }
  const big = BigInt(value);
  if (big < INT64_MIN || big > INT64_MAX) throw new RangeError(`varlong value ${big} is not a 64-bit integer`);
  return big;
}

function assertRoom(buf: Uint8Array, pos: number, size: number): void {
  // Typed arrays drop out-of-range writes silently; a short buffer here is a
  // bug in the caller's size arithmetic, so fail loudly.
  if (pos < 0 || pos + size > buf.length) {
    throw new RangeError(`no room for a ${size}-byte varint at ${pos} in ${buf.length} bytes`);
  }
}

function truncated(kind: string, at: number): RecordBatchError {
  return new RecordBatchError('INVALID_RECORD', `${kind} at byte ${at} is cut off by the end of its record or batch`);
}

function malformed(kind: string, at: number, lastByte: number, maxBytes: number): RecordBatchError {
  const why =
    lastByte & 0x80
      ? `is longer than ${maxBytes} bytes`
      : `overflows ${kind === 'varint' ? 32 : 64} bits (byte ${maxBytes} is 0x${lastByte.toString(16)})`;
  return new RecordBatchError('INVALID_RECORD', `${kind} at byte ${at} ${why}`);
}
