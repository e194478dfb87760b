// prepareAppend: what every engine does to batches before they touch disk.
// Batches the broker built itself (origin 'internal', the pop journal's)
// are framed from their headers alone and must come out exactly as the
// checked path leaves them; a batch that does not fit is still refused.
import { describe, expect, it } from 'vitest';
import { encodeBatch, readBatchHeader, validateBatches } from '../src/records/index.js';
import { StorageError } from '../src/storage/errors.js';
import { prepareAppend } from '../src/storage/prepare-append.js';

const MAX = 1024 * 1024;

function twoBatches(): Buffer {
  const a = encodeBatch({ baseTimestamp: 1_764_000_000_000n, records: [{ key: Buffer.from('k'), value: Buffer.from('v1'), headers: [] }] });
  const b = encodeBatch({ baseTimestamp: 1_764_000_000_500n, records: [0, 1, 2].map((i) => ({ timestamp: 1_764_000_000_500n + BigInt(i * 7), key: null, value: Buffer.alloc(10 * i, i), headers: [] })) });
  return Buffer.concat([a, b]);
}

describe('prepareAppend', () => {
  it('frames internal batches as the checked path does, base offsets past 2^32 included', () => {
    for (const next of [0, 41, 2 ** 32 - 2, 2 ** 40 + 5]) {
      const checked = twoBatches();
      const internal = twoBatches();
      const want = prepareAppend(checked, next, MAX, 'broker');
      expect(prepareAppend(internal, next, MAX, 'internal')).toEqual(want);
      expect(internal.equals(checked)).toBe(true);
      const stamped = validateBatches(internal, { maxBatchBytes: MAX });
      expect(stamped.map((b) => readBatchHeader(internal, b.position).baseOffset)).toEqual([BigInt(next), BigInt(next + 1)]);
      expect(want.nextOffset).toBe(next + 4);
      expect(want.batches[1]!.maxTimestamp).toBe(1_764_000_000_514);
    }
  });

  it('refuses an internal batch cut short, or bytes too few for a header, and changes nothing', () => {
    const whole = twoBatches();
    for (const cut of [whole.length - 1, whole.length - 30, 10]) {
      const bytes = Buffer.from(whole.subarray(0, cut));
      const before = Buffer.from(bytes);
      expect(() => prepareAppend(bytes, 7, MAX, 'internal')).toThrow(StorageError);
      expect(() => prepareAppend(bytes, 7, MAX, 'internal')).toThrow(/internal batch at byte \d+ declares/);
      expect(bytes.equals(before)).toBe(true);
    }
    expect(() => prepareAppend(Buffer.alloc(0), 0, MAX, 'internal')).toThrow(/no record batch/);
  });

  it('refuses an internal batch larger than the log takes, as recovery would cut the log at it', () => {
    const bytes = twoBatches();
    const before = Buffer.from(bytes);
    const largest = Math.max(...validateBatches(bytes, { maxBatchBytes: MAX }).map((b) => b.length));
    expect(() => prepareAppend(bytes, 0, largest - 1, 'internal')).toThrow(/larger than the log takes/);
    expect(bytes.equals(before)).toBe(true);
    expect(prepareAppend(bytes, 0, largest, 'internal').nextOffset).toBe(4);
  });

  it('still checks what clients send: a flipped byte is refused', () => {
    const bytes = twoBatches();
    bytes[bytes.length - 1]! ^= 1;
    expect(() => prepareAppend(bytes, 0, MAX, 'client')).toThrow(/CRC|crc/);
  });
});
