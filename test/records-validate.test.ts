import { describe, expect, it } from 'vitest';
import {
  ATTRIBUTES_AT,
  BATCH_LENGTH_AT,
  LAST_OFFSET_DELTA_AT,
  MAGIC_AT,
  RECORD_COUNT_AT,
  RecordBatchError,
  encodeBatch,
  scanValidPrefix,
  validateBatches,
  writeBatchCrc,
  type ValidateOptions,
} from '../src/records/index.js';

const MAX = 1 << 20;

function batch(records: number, seed = 0, extra: Partial<Parameters<typeof encodeBatch>[0]> = {}): Buffer {
  return encodeBatch({
    baseTimestamp: 1_700_000_000_000n + BigInt(seed),
    records: Array.from({ length: records }, (_, i) => ({
      key: Buffer.from(`k${seed}-${i}`),
      value: Buffer.alloc(10 + ((seed * 7 + i) % 50), seed),
    })),
    ...extra,
  });
}

function fails(buf: Buffer, options: ValidateOptions = { maxBatchBytes: MAX }): RecordBatchError {
  try {
    validateBatches(buf, options);
  } catch (e) {
    if (e instanceof RecordBatchError) return e;
    throw e;
  }
  throw new Error('validateBatches accepted the bytes');
}

// Edits a header field and re-seals the CRC, to reach the content checks.
function edited(buf: Buffer, edit: (b: Buffer) => void): Buffer {
  const copy = Buffer.from(buf);
  edit(copy);
  writeBatchCrc(copy, 0);
  return copy;
}

describe('validateBatches', () => {
  it('accepts no batches at all', () => {
    expect(validateBatches(Buffer.alloc(0), { maxBatchBytes: MAX })).toEqual([]);
  });

  it('returns each batch of a concatenation with its position, length and header', () => {
    const parts = [batch(1, 1), batch(7, 2), batch(3, 3)];
    const result = validateBatches(Buffer.concat(parts), { maxBatchBytes: MAX });
    expect(result.map((b) => [b.position, b.length])).toEqual([
      [0, parts[0]!.length],
      [parts[0]!.length, parts[1]!.length],
      [parts[0]!.length + parts[1]!.length, parts[2]!.length],
    ]);
    expect(result.map((b) => b.header.recordCount)).toEqual([1, 7, 3]);
    expect(result[2]!.header.baseTimestamp).toBe(1_700_000_000_003n);
  });

  it('reports a batch cut off at any byte as CORRUPT_MESSAGE', () => {
    const whole = Buffer.concat([batch(2, 1), batch(2, 2)]);
    const first = batch(2, 1).length;
    for (let cut = first + 1; cut < whole.length; cut++) {
      const e = fails(whole.subarray(0, cut));
      expect(e.code, `cut at ${cut}`).toBe('CORRUPT_MESSAGE');
      expect(e.position).toBe(first);
      expect(e.message).toMatch(/truncated/);
    }
  });

  it.each([0, 1, 3])('reports magic %d as UNSUPPORTED_MAGIC, naming the magic', (magic) => {
    const buf = Buffer.concat([batch(1, 1), batch(2, 2)]);
    buf[batch(1, 1).length + MAGIC_AT] = magic;
    const e = fails(buf);
    expect(e.code).toBe('UNSUPPORTED_MAGIC');
    expect(e.kafkaErrorCode).toBe(87);
    expect(e.message).toContain(`magic ${magic}`);
    expect(e.position).toBe(batch(1, 1).length);
  });

  it('reports a batch over maxBatchBytes as BATCH_TOO_LARGE, and takes one exactly at it', () => {
    const buf = batch(5);
    expect(validateBatches(buf, { maxBatchBytes: buf.length })).toHaveLength(1);
    const e = fails(buf, { maxBatchBytes: buf.length - 1 });
    expect(e.code).toBe('BATCH_TOO_LARGE');
    expect(e.kafkaErrorCode).toBe(10);
    expect(e.message).toContain(`${buf.length} bytes, over the limit of ${buf.length - 1}`);
  });

  it('reports a batchLength below an empty header as CORRUPT_MESSAGE', () => {
    for (const length of [48, 0, -1, -(2 ** 31)]) {
      const buf = batch(1);
      buf.writeInt32BE(length, BATCH_LENGTH_AT);
      const e = fails(buf);
      expect(e.code).toBe('CORRUPT_MESSAGE');
      expect(e.kafkaErrorCode).toBe(2);
      expect(e.message).toContain(`batchLength ${length}`);
    }
  });

  it('reports a CRC mismatch as CORRUPT_MESSAGE with both values', () => {
    const buf = batch(3);
    buf[buf.length - 1]! ^= 0x80;
    const e = fails(buf);
    expect(e.code).toBe('CORRUPT_MESSAGE');
    expect(e.message).toMatch(/fails its CRC: stored 0x[0-9a-f]{8}, computed 0x[0-9a-f]{8}/);
  });

  it('reports intact but inconsistent headers as INVALID_RECORD', () => {
    const b = batch(3);
    const cases: [string, (x: Buffer) => void, RegExp][] = [
      ['negative count', (x) => x.writeInt32BE(-1, RECORD_COUNT_AT), /negative record count/],
      ['delta below count - 1', (x) => x.writeInt32BE(1, LAST_OFFSET_DELTA_AT), /lastOffsetDelta 1 is less/],
      [
        'empty with a negative delta (its last offset would precede its base)',
        (x) => {
          x.writeInt32BE(0, RECORD_COUNT_AT);
          x.writeInt32BE(-1, LAST_OFFSET_DELTA_AT);
        },
        /lastOffsetDelta -1/,
      ],
      [
        'count beyond the bytes',
        (x) => {
          x.writeInt32BE(1000, RECORD_COUNT_AT);
          x.writeInt32BE(999, LAST_OFFSET_DELTA_AT);
        },
        /recordCount 1000 cannot fit/,
      ],
      ['unknown codec', (x) => x.writeInt16BE(5, ATTRIBUTES_AT), /unknown compression codec 5/],
    ];
    for (const [what, edit, message] of cases) {
      const e = fails(edited(b, edit));
      expect(e.code, what).toBe('INVALID_RECORD');
      expect(e.kafkaErrorCode).toBe(87);
      expect(e.message, what).toMatch(message);
    }
  });

  it('lets a log hold gaps, empty batches and control batches, but not a producer', () => {
    const gap = batch(2, 0, { lastOffsetDelta: 9 });
    const empty = batch(0, 0, { lastOffsetDelta: 4 });
    const control = batch(1, 0, { control: true, transactional: true, producerId: 5n, baseSequence: 0 });
    const noSequence = batch(1, 0, { producerId: 5n });
    for (const b of [gap, empty, control, noSequence]) {
      expect(validateBatches(b, { maxBatchBytes: MAX, origin: 'log' })).toHaveLength(1);
    }
    const client = { maxBatchBytes: MAX, origin: 'client' } as const;
    expect(fails(gap, client).message).toMatch(/must be recordCount 2 - 1/);
    expect(fails(empty, client).message).toMatch(/at least one record/);
    expect(fails(control, client).message).toMatch(/control batches/);
    expect(fails(noSequence, client).message).toMatch(/base sequence/);
    const idempotent = batch(3, 0, { producerId: 5n, producerEpoch: 0, baseSequence: 0 });
    expect(validateBatches(idempotent, client)).toHaveLength(1);
  });

  it('checks CRC before content, so damage reads as CORRUPT_MESSAGE', () => {
    const buf = batch(3);
    buf.writeInt32BE(-5, RECORD_COUNT_AT); // no CRC repair
    expect(fails(buf).code).toBe('CORRUPT_MESSAGE');
  });

  it('refuses a nonsensical maxBatchBytes', () => {
    expect(() => validateBatches(batch(1), { maxBatchBytes: 10 })).toThrow(RangeError);
    expect(() => scanValidPrefix(batch(1), Number.NaN)).toThrow(RangeError);
  });
});

describe('scanValidPrefix', () => {
  const parts = [batch(3, 1), batch(1, 2), batch(8, 3), batch(2, 4)];
  const sizes = parts.map((p) => p.length);
  const all = Buffer.concat(parts);
  const upTo = (n: number): number => sizes.slice(0, n).reduce((a, b) => a + b, 0);

  it('takes everything when every batch is whole and valid', () => {
    expect(scanValidPrefix(all, MAX)).toEqual({ validBytes: all.length, batches: 4, stop: 'end', error: null });
    expect(scanValidPrefix(Buffer.alloc(0), MAX)).toEqual({ validBytes: 0, batches: 0, stop: 'end', error: null });
  });

  it('stops before a torn tail, wherever the tear is', () => {
    for (let cut = upTo(3) + 1; cut < all.length; cut++) {
      const r = scanValidPrefix(all.subarray(0, cut), MAX);
      expect(r, `cut at ${cut}`).toEqual({ validBytes: upTo(3), batches: 3, stop: 'torn', error: null });
    }
  });

  it('stops before a corrupt batch in the middle and says why', () => {
    const buf = Buffer.from(all);
    buf[upTo(2) + 70]! ^= 0x04; // inside the third batch's records
    const r = scanValidPrefix(buf, MAX);
    expect(r.validBytes).toBe(upTo(2));
    expect(r.batches).toBe(2);
    expect(r.stop).toBe('corrupt');
    expect(r.error?.code).toBe('CORRUPT_MESSAGE');
    expect(r.error?.position).toBe(upTo(2));
  });

  it('treats a zero-filled tail (a crash after the file grew) as corrupt, not valid', () => {
    const r = scanValidPrefix(Buffer.concat([all, Buffer.alloc(4096)]), MAX);
    expect(r).toMatchObject({ validBytes: all.length, batches: 4, stop: 'corrupt' });
  });

  it('treats a batch over the limit as corrupt even when its bytes run past the end', () => {
    const buf = Buffer.from(all.subarray(0, upTo(3) + 20));
    buf.writeInt32BE(2 ** 30, upTo(3) + BATCH_LENGTH_AT);
    const r = scanValidPrefix(buf, MAX);
    expect(r).toMatchObject({ validBytes: upTo(3), stop: 'corrupt' });
    expect(r.error?.code).toBe('BATCH_TOO_LARGE');
  });

  // Its speed (linear in the batches) is bench/records/scan's to measure, not a test's.
  it('scans 10 000 batches to the end', () => {
    const many = Buffer.concat(Array.from({ length: 10_000 }, () => parts[2]!));
    const r = scanValidPrefix(many, MAX);
    expect(r).toMatchObject({ validBytes: many.length, batches: 10_000, stop: 'end' });
  });
});
