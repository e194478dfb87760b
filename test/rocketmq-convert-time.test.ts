// timestampMs takes the usual Timestamp (seconds of up to 12 digits) without
// BigInt arithmetic: the same milliseconds as BigInt(seconds) * 1000 + ⌊nanos / 10^6⌋.
import { describe, expect, it } from 'vitest';
import { timestampMs } from '../src/protocol/rocketmq/convert.js';

describe('timestampMs', () => {
  it('is BigInt(seconds) * 1000 + ⌊nanos / 10^6⌋ for every kind of seconds and nanos', () => {
    const seconds = ['0', '-0', '1', '-1', '007', '1764000000', '999999999999', '-999999999999', '1000000000000', '9223372036854775', '-9223372036854775', 12, -3];
    const nanos = [0, 1, 999_999, 1_000_000, 999_999_999, -1, -999_999_999, 2 ** 31 - 1, -(2 ** 31), 1.5e6];
    for (const s of seconds) {
      for (const n of nanos) {
        expect(timestampMs({ seconds: s, nanos: n })).toBe(BigInt(s) * 1000n + BigInt(Math.floor(n / 1e6)));
      }
    }
    expect(timestampMs(null)).toBeNull();
    expect(timestampMs({})).toBe(0n);
  });
});
