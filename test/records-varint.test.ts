import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import {
  RecordBatchError,
  readVarInt,
  readVarLong,
  readVarLongNumber,
  sizeOfVarInt,
  sizeOfVarLong,
  writeVarInt,
  writeVarLong,
  type Cursor,
} from '../src/records/index.js';

const require = createRequire(import.meta.url);
// kafkajs's own encoder: an independent implementation to agree with.
const KafkajsEncoder = require('kafkajs/src/protocol/encoder.js') as {
  new (): { writeVarInt(v: number): { buffer: Buffer }; writeVarLong(v: bigint): { buffer: Buffer } };
};

const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

const cursor = (bytes: number[] | Buffer, end?: number): Cursor => {
  const buf = Buffer.from(bytes);
  return { buf, pos: 0, end: end ?? buf.length };
};

function varIntBytes(v: number): string {
  const buf = Buffer.alloc(5);
  return buf.subarray(0, writeVarInt(buf, 0, v)).toString('hex');
}

function varLongBytes(v: bigint | number): string {
  const buf = Buffer.alloc(10);
  return buf.subarray(0, writeVarLong(buf, 0, v)).toString('hex');
}

function catchError(f: () => unknown): RecordBatchError {
  try {
    f();
  } catch (e) {
    if (e instanceof RecordBatchError) return e;
    throw e;
  }
  throw new Error('expected a RecordBatchError');
}

describe('varint (int32)', () => {
  // Worked out from the zig-zag rule by hand: u = 2v for v ≥ 0, -2v - 1 below.
  it.each([
    [0, '00'],
    [-1, '01'],
    [1, '02'],
    [63, '7e'],
    [-64, '7f'],
    [64, '8001'],
    [300, 'd804'], // u = 600 = 0b100_1011000
    [INT32_MAX, 'feffffff0f'],
    [INT32_MIN, 'ffffffff0f'],
  ])('writes %d as %s and reads it back', (value, hex) => {
    expect(varIntBytes(value)).toBe(hex);
    expect(sizeOfVarInt(value)).toBe(hex.length / 2);
    const cur = cursor(Buffer.from(hex, 'hex'));
    expect(readVarInt(cur)).toBe(value);
    expect(cur.pos).toBe(hex.length / 2);
  });

  it('round-trips every size boundary and agrees with kafkajs byte for byte', () => {
    const values = [INT32_MIN, INT32_MAX];
    for (let bits = 0; bits <= 31; bits++) {
      for (const v of [2 ** bits - 1, 2 ** bits, -(2 ** bits), -(2 ** bits) - 1]) {
        if (v >= INT32_MIN && v <= INT32_MAX) values.push(v);
      }
    }
    for (const v of values) {
      const hex = varIntBytes(v);
      expect(hex, `value ${v}`).toBe(new KafkajsEncoder().writeVarInt(v).buffer.toString('hex'));
      expect(readVarInt(cursor(Buffer.from(hex, 'hex')))).toBe(v);
    }
  });

  it('reads several in a row, stopping each at its last byte', () => {
    const cur = cursor([0x01, 0xd8, 0x04, 0x7e, 0x99]);
    expect([readVarInt(cur), readVarInt(cur), readVarInt(cur)]).toEqual([-1, 300, 63]);
    expect(cur.pos).toBe(4);
  });

  it('rejects a varint longer than 5 bytes', () => {
    const e = catchError(() => readVarInt(cursor([0x80, 0x80, 0x80, 0x80, 0x80, 0x00])));
    expect(e.code).toBe('INVALID_RECORD');
    expect(e.kafkaErrorCode).toBe(87);
    expect(e.message).toMatch(/longer than 5 bytes/);
  });

  it('rejects a 5-byte varint with bits beyond 32', () => {
    expect(() => readVarInt(cursor([0xff, 0xff, 0xff, 0xff, 0x1f]))).toThrow(/overflows 32 bits/);
    expect(() => readVarInt(cursor([0x80, 0x80, 0x80, 0x80, 0x10]))).toThrow(/overflows 32 bits/);
  });

  it('rejects a varint cut off by the cursor end, even with bytes beyond it', () => {
    expect(() => readVarInt(cursor([0x80]))).toThrow(/cut off/);
    expect(() => readVarInt(cursor([]))).toThrow(RecordBatchError);
    expect(() => readVarInt(cursor([0xd8, 0x04], 1))).toThrow(/cut off/);
  });

  it('accepts a non-minimal encoding within 5 bytes, as Kafka does', () => {
    expect(readVarInt(cursor([0x80, 0x00]))).toBe(0);
    expect(readVarInt(cursor([0x81, 0x80, 0x80, 0x80, 0x00]))).toBe(-1);
  });

  it('refuses to write a non-int32 or past the buffer', () => {
    expect(() => writeVarInt(Buffer.alloc(5), 0, INT32_MAX + 1)).toThrow(RangeError);
    expect(() => writeVarInt(Buffer.alloc(5), 0, 1.5)).toThrow(RangeError);
    expect(() => writeVarInt(Buffer.alloc(2), 0, 300 * 300)).toThrow(RangeError);
  });
});

describe('varlong (int64)', () => {
  it.each([
    [0n, '00'],
    [-1n, '01'],
    [1n, '02'],
    [INT64_MAX, 'feffffffffffffffff01'],
    [INT64_MIN, 'ffffffffffffffffff01'],
    [2n ** 31n, '8080808010'],
    [-(2n ** 48n), 'ffffffffffff7f'], // u = 2^49 - 1: the longest the float path reads
    [2n ** 48n, '80808080808080' + '01'], // u = 2^49: the first that needs bigint
  ])('writes %s as %s and reads it back', (value, hex) => {
    expect(varLongBytes(value)).toBe(hex);
    expect(sizeOfVarLong(value)).toBe(hex.length / 2);
    const cur = cursor(Buffer.from(hex, 'hex'));
    expect(readVarLong(cur)).toBe(value);
    expect(cur.pos).toBe(hex.length / 2);
  });

  it('round-trips every size boundary, as bigint and as number, and agrees with kafkajs', () => {
    const values: bigint[] = [INT64_MIN, INT64_MAX];
    for (let bits = 0n; bits <= 63n; bits++) {
      for (const v of [2n ** bits - 1n, 2n ** bits, -(2n ** bits), -(2n ** bits) - 1n]) {
        if (v >= INT64_MIN && v <= INT64_MAX) values.push(v);
      }
    }
    for (const v of values) {
      const hex = varLongBytes(v);
      if (v > INT64_MIN && v < INT64_MAX) {
        expect(hex, `value ${v}`).toBe(new KafkajsEncoder().writeVarLong(v).buffer.toString('hex'));
      }
      expect(readVarLong(cursor(Buffer.from(hex, 'hex'))), `value ${v}`).toBe(v);
      if (v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER)) {
        // The number path writes the same bytes and reads the same value.
        expect(varLongBytes(Number(v)), `value ${v}`).toBe(hex);
        expect(sizeOfVarLong(Number(v))).toBe(hex.length / 2);
        expect(readVarLongNumber(cursor(Buffer.from(hex, 'hex'))), `value ${v}`).toBe(Number(v));
      }
    }
  });

  it('rejects a varlong longer than 10 bytes, or with bits beyond 64', () => {
    const eleven = [...Array<number>(10).fill(0x80), 0x00];
    expect(() => readVarLong(cursor(eleven))).toThrow(/longer than 10 bytes/);
    const overflow = [...Array<number>(9).fill(0xff), 0x02];
    expect(() => readVarLong(cursor(overflow))).toThrow(/overflows 64 bits/);
    expect(() => readVarLong(cursor([0x80, 0x80]))).toThrow(/cut off/);
    expect(() => readVarLong(cursor([...Array<number>(9).fill(0x80)]))).toThrow(/cut off/);
  });

  it('readVarLongNumber refuses values a number cannot hold exactly', () => {
    const buf = Buffer.alloc(10);
    writeVarLong(buf, 0, BigInt(Number.MAX_SAFE_INTEGER) + 1n);
    expect(() => readVarLongNumber({ buf, pos: 0, end: 10 })).toThrow(/does not fit/);
    writeVarLong(buf, 0, Number.MIN_SAFE_INTEGER);
    expect(readVarLongNumber({ buf, pos: 0, end: 10 })).toBe(Number.MIN_SAFE_INTEGER);
  });

  it('refuses to write out-of-range or rounded values', () => {
    expect(() => writeVarLong(Buffer.alloc(10), 0, INT64_MAX + 1n)).toThrow(RangeError);
    expect(() => writeVarLong(Buffer.alloc(10), 0, 2 ** 60)).toThrow(/not a safe integer/);
    expect(() => writeVarLong(Buffer.alloc(10), 0, 0.5)).toThrow(RangeError);
  });
});
