// The search inside one batch that ListOffsets by time ends with: the first
// record in offset order whose timestamp reaches the time.
import { describe, expect, it } from 'vitest';
import { encodeBatch, firstRecordAtOrAfter, setBaseOffset } from '../src/records/index.js';
import { claimingCodec, gzipped, timedBatch } from './helpers/batches.js';

const at = (batch: Buffer, baseOffset: number): Buffer => {
  const b = Buffer.from(batch);
  setBaseOffset(b, 0, BigInt(baseOffset));
  return b;
};

describe('firstRecordAtOrAfter', () => {
  // 1,000 records, 1 ms apart from 10,000: none of the times asked falls on the batch's edges.
  const many = at(timedBatch(Array.from({ length: 1000 }, (_, i) => 10_000 + i)), 5000);

  it('answers the record, with its own timestamp, not the batch', () => {
    expect(firstRecordAtOrAfter(many, 0, 10_500)).toEqual({ offset: 5500, timestamp: 10_500 });
    expect(firstRecordAtOrAfter(many, 0, 0)).toEqual({ offset: 5000, timestamp: 10_000 });
    expect(firstRecordAtOrAfter(many, 0, 10_999)).toEqual({ offset: 5999, timestamp: 10_999 });
    expect(firstRecordAtOrAfter(many, 0, 11_000)).toBeNull();
  });

  it('takes the first in offset order, not the smallest timestamp, when records are out of time order', () => {
    const b = at(timedBatch([100, 300, 200, 250, 400]), 10);
    expect(firstRecordAtOrAfter(b, 0, 150)).toEqual({ offset: 11, timestamp: 300 });
    expect(firstRecordAtOrAfter(b, 0, 201)).toEqual({ offset: 11, timestamp: 300 });
    expect(firstRecordAtOrAfter(b, 0, 301)).toEqual({ offset: 14, timestamp: 400 });
  });

  it('finds nothing in a batch whose maxTimestamp claims more than its records hold', () => {
    const b = timedBatch([100, 200], { maxTimestampMs: 9999 });
    expect(firstRecordAtOrAfter(b, 0, 201)).toBeNull();
    expect(firstRecordAtOrAfter(b, 0, 150)).toEqual({ offset: 1, timestamp: 200 });
  });

  it('gives every record of a log-append-time batch the batch time', () => {
    const b = at(timedBatch([100, 200, 300], { logAppendTimeMs: 50_000 }), 7);
    expect(firstRecordAtOrAfter(b, 0, 40_000)).toEqual({ offset: 7, timestamp: 50_000 });
    expect(firstRecordAtOrAfter(b, 0, 50_000)).toEqual({ offset: 7, timestamp: 50_000 });
    expect(firstRecordAtOrAfter(b, 0, 50_001)).toBeNull();
  });

  it('reads inside gzip batches', () => {
    const b = gzipped(many);
    expect(b.length).toBeLessThan(many.length);
    expect(firstRecordAtOrAfter(b, 0, 10_321)).toEqual({ offset: 5321, timestamp: 10_321 });
  });

  it('answers the batch itself where it cannot read the records: a block that does not decompress, records that do not parse', () => {
    expect(firstRecordAtOrAfter(claimingCodec(many, 4), 0, 10_500)).toEqual({ offset: 5000, timestamp: 10_999 });
    expect(firstRecordAtOrAfter(claimingCodec(many, 4), 0, 11_000)).toBeNull();
    const garbled = Buffer.from(many);
    garbled.fill(0xff, 61 + 100, 61 + 120); // varints that run on past their length
    expect(firstRecordAtOrAfter(garbled, 0, 10_900)).toEqual({ offset: 5000, timestamp: 10_999 });
  });

  it('finds nothing in a batch with no records, and reads a batch where it lies in a buffer', () => {
    const empty = encodeBatch({ baseTimestamp: 100n, maxTimestamp: 100n, records: [] });
    expect(firstRecordAtOrAfter(empty, 0, 0)).toBeNull();
    const two = Buffer.concat([timedBatch([1, 2]), at(timedBatch([3, 4]), 2)]);
    expect(firstRecordAtOrAfter(two, two.length - timedBatch([3, 4]).length, 4)).toEqual({ offset: 3, timestamp: 4 });
  });
});
