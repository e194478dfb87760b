// int64 fields carried as Numbers (records/int64.ts): written and read back
// as Buffer's BigInt accessors do, for the safe integers they hold.
import { describe, expect, it } from 'vitest';
import { int64FromNumber, readInt64Number, writeInt64Number } from '../src/records/int64.js';

describe('int64 fields as Numbers', () => {
  const values = [0, 1, -1, 2 ** 31 - 1, 2 ** 31, 2 ** 32 - 1, 2 ** 32, 2 ** 32 + 1, -(2 ** 32), 1_764_000_000_000, -1_764_000_000_000, Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER];
  it.each(values)('%d: the bytes writeBigInt64BE writes, read back exactly', (v) => {
    const ours = Buffer.alloc(10);
    expect(writeInt64Number(ours, 1, v)).toBe(9);
    const theirs = Buffer.alloc(10);
    theirs.writeBigInt64BE(BigInt(v), 1);
    expect(ours.toString('hex')).toBe(theirs.toString('hex'));
    expect(readInt64Number(theirs, 1)).toBe(v);
  });

  it('reads an int64 past 2^53 as the nearest Number, which int64FromNumber clamps back into range', () => {
    const b = Buffer.alloc(8);
    b.writeBigInt64BE(2n ** 63n - 1n);
    expect(readInt64Number(b, 0)).toBe(2 ** 63);
    expect(int64FromNumber(readInt64Number(b, 0))).toBe(2n ** 63n - 1n);
  });
});
