import { describe, expect, it } from 'vitest';
import {
  ATTRIBUTES_AT,
  RECORDS_AT,
  RecordBatchError,
  decodeBatch,
  decodeRecords,
  encodeBatch,
  encodeRecords,
  isControl,
  isTransactional,
  readBatchHeader,
  readRecord,
  recordBytes,
  recordOffset,
  recordTimestamp,
  timestampTypeOf,
  validateBatches,
  writeBatchCrc,
  type KafkaRecord,
} from '../src/records/index.js';

// A deterministic generator, so a failure reproduces.
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1_664_525) + 1_013_904_223) >>> 0;
    return s / 2 ** 32;
  };
}

function bytesOrNull(rand: () => number, maxBytes: number): Buffer | null {
  if (rand() < 0.15) return null;
  const b = Buffer.alloc(Math.floor(rand() * maxBytes));
  for (let i = 0; i < b.length; i++) b[i] = Math.floor(rand() * 256);
  return b;
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

const edgeRecords: KafkaRecord[] = [
  { offsetDelta: 0, timestampDelta: 0, key: null, value: null, headers: [] },
  { offsetDelta: 1, timestampDelta: -5, key: Buffer.alloc(0), value: Buffer.alloc(0), headers: [] },
  {
    offsetDelta: 2,
    timestampDelta: 86_400_000 * 365 * 100,
    key: Buffer.from('k'),
    value: Buffer.alloc(300, 7), // a two-byte length
    headers: [
      { key: '', value: null },
      { key: 'dup', value: Buffer.from('a') },
      { key: 'dup', value: Buffer.alloc(0) },
      { key: 'ключ ✓', value: Buffer.from([0, 255]) },
    ],
  },
  { offsetDelta: 2 ** 31 - 1, timestampDelta: -(2 ** 40), key: null, value: Buffer.from('v'), headers: [] },
];

describe('record codec', () => {
  it('round-trips nulls, empty bytes, headers and extreme deltas, keeping null and empty apart', () => {
    const section = encodeRecords(edgeRecords);
    expect(section.length).toBe(edgeRecords.reduce((n, r) => n + recordBytes(r), 0));
    const back = decodeRecords(section, 0, section.length, edgeRecords.length);
    expect(back).toEqual(edgeRecords);
    expect(back[0]!.key).toBeNull();
    expect(back[1]!.key).toEqual(Buffer.alloc(0));
  });

  it('decodes keys and values as views of the input, not copies', () => {
    const section = encodeRecords([{ offsetDelta: 0, timestampDelta: 0, key: Buffer.from('abc'), value: null, headers: [] }]);
    const [r] = decodeRecords(section, 0, section.length, 1);
    section[section.length - 4]! ^= 0x20; // 'b' → 'B' in the input (then 'c', null value, 0 headers)
    expect(r!.key!.toString()).toBe('aBc');
  });

  it('refuses bytes left over after the declared records, or too few of them', () => {
    const section = encodeRecords(edgeRecords);
    expect(() => decodeRecords(section, 0, section.length, 3)).toThrow(/bytes follow the last of 3 records/);
    expect(() => decodeRecords(section, 0, section.length - 1, 4)).toThrow(RecordBatchError);
    expect(() => decodeRecords(section, 0, section.length, 5)).toThrow(RecordBatchError);
    expect(() => decodeRecords(section, 0, section.length, 10_000)).toThrow(/cannot fit/);
  });

  // Hand-made records: length, attributes, timestampDelta, offsetDelta, key, value, header count, …
  it.each([
    ['length longer than the fields', '0e0000000101' + '00' + '00', /fields end 1 bytes early/],
    ['length shorter than the fields', '0a000000010100', /less than the 6/],
    ['key length below -1', '0c0000000301' + '00', /key length -2/],
    ['key running past the record', '0c00000010' + '0100', /key of 8 bytes/],
    ['null header key', '10' + '0000000101' + '02' + '0101', /header keys cannot be null/],
    ['negative header count', '0c0000000101' + '01', /header count -1/],
    ['overlong varint', '2000' + 'ff'.repeat(10) + '01' + '00010100', /longer than 10 bytes/],
  ])('refuses a record with a %s', (_, hex, message) => {
    const buf = Buffer.from(hex, 'hex');
    const e = catchError(() => readRecord({ buf, pos: 0, end: buf.length }));
    expect(e.code).toBe('INVALID_RECORD');
    expect(e.message).toMatch(message);
  });
});

describe('batch codec', () => {
  it('round-trips 2 000 random records, with offsets and timestamps', () => {
    const rand = rng(42);
    const base = 1_700_000_000_000n;
    const input = Array.from({ length: 2_000 }, () => ({
      key: bytesOrNull(rand, 40),
      value: bytesOrNull(rand, 400),
      timestamp: base + BigInt(Math.floor(rand() * 10_000) - 1_000),
      headers: Array.from({ length: Math.floor(rand() * 3) }, (_, h) => ({ key: `h${h}`, value: bytesOrNull(rand, 8) })),
    }));
    const buf = encodeBatch({ baseOffset: 1_000n, baseTimestamp: base, records: input });
    expect(validateBatches(buf, { maxBatchBytes: buf.length, origin: 'client' })).toHaveLength(1);

    const { header, records } = decodeBatch(buf);
    expect(header.recordCount).toBe(2_000);
    expect(header.lastOffsetDelta).toBe(1_999);
    expect(header.maxTimestamp).toBe(input.reduce((m, r) => (r.timestamp > m ? r.timestamp : m), base));
    // Compared by hand and reported together: 2 000 expect() calls take a second.
    const same = (a: Buffer | null, b: Buffer | null): boolean => (a === null ? b === null : b !== null && a.equals(b));
    const wrong = records.flatMap((r, i) => {
      const want = input[i]!;
      const ok =
        recordOffset(header, r) === 1_000n + BigInt(i) &&
        recordTimestamp(header, r) === want.timestamp &&
        same(r.key, want.key) &&
        same(r.value, want.value) &&
        r.headers.length === want.headers.length &&
        r.headers.every((h, j) => h.key === want.headers[j]!.key && same(h.value, want.headers[j]!.value));
      return ok ? [] : [i];
    });
    expect(wrong).toEqual([]);
    expect(records[1_999]!.value).toEqual(input[1_999]!.value);
  });

  it('writes the flags and producer fields it is given', () => {
    const buf = encodeBatch({
      baseTimestamp: 10n,
      maxTimestamp: 99n,
      partitionLeaderEpoch: 3,
      producerId: 77n,
      producerEpoch: 2,
      baseSequence: 500,
      transactional: true,
      control: true,
      timestampType: 'log-append-time',
      records: [{ key: null, value: Buffer.from('x') }],
    });
    const { header, records } = decodeBatch(buf);
    expect(isTransactional(header.attributes)).toBe(true);
    expect(isControl(header.attributes)).toBe(true);
    expect(timestampTypeOf(header.attributes)).toBe('log-append-time');
    expect(header).toMatchObject({ partitionLeaderEpoch: 3, producerId: 77n, producerEpoch: 2, baseSequence: 500 });
    // With log-append time every record carries the broker's time.
    expect(recordTimestamp(header, records[0]!)).toBe(99n);
  });

  it('defaults to a plain producer batch: no producer id, epoch or sequence, leader epoch -1', () => {
    const h = readBatchHeader(encodeBatch({ baseTimestamp: 1n, records: [{ key: null, value: null }] }), 0);
    expect(h).toMatchObject({ baseOffset: 0n, partitionLeaderEpoch: -1, producerId: -1n, producerEpoch: -1, baseSequence: -1, attributes: 0 });
  });

  it('keeps offset gaps, as a compacted batch has them', () => {
    const buf = encodeBatch({
      baseTimestamp: 0n,
      lastOffsetDelta: 10,
      records: [
        { key: Buffer.from('a'), value: null, offsetDelta: 2 },
        { key: Buffer.from('b'), value: null, offsetDelta: 7 },
      ],
    });
    const { header, records } = decodeBatch(buf);
    expect(header.lastOffsetDelta).toBe(10);
    expect(records.map((r) => r.offsetDelta)).toEqual([2, 7]);
    expect(() => encodeBatch({ baseTimestamp: 0n, records: [{ key: null, value: null, offsetDelta: 1 }, { key: null, value: null, offsetDelta: 1 }] })).toThrow(RangeError);
    expect(() => encodeBatch({ baseTimestamp: 0n, lastOffsetDelta: 0, records: [{ key: null, value: null, offsetDelta: 3 }] })).toThrow(RangeError);
  });

  it('decodes a batch among others at its position', () => {
    const a = encodeBatch({ baseTimestamp: 1n, records: [{ key: null, value: Buffer.from('first') }] });
    const b = encodeBatch({ baseTimestamp: 2n, records: [{ key: null, value: Buffer.from('second') }] });
    const both = Buffer.concat([a, b]);
    expect(decodeBatch(both, a.length).records[0]!.value!.toString()).toBe('second');
    expect(decodeBatch(both, 0).records[0]!.value!.toString()).toBe('first');
  });

  it('refuses a codec id no Kafka knows, and names the codec whose block does not decompress', () => {
    const buf = encodeBatch({ baseTimestamp: 1n, records: [{ key: null, value: Buffer.from('x') }] });
    buf.writeInt16BE(5, ATTRIBUTES_AT);
    writeBatchCrc(buf, 0);
    const e = catchError(() => decodeBatch(buf));
    expect(e.code).toBe('UNSUPPORTED_COMPRESSION');
    expect(e.kafkaErrorCode).toBe(76);
    buf.writeInt16BE(4, ATTRIBUTES_AT); // zstd, over uncompressed records
    writeBatchCrc(buf, 0);
    const z = catchError(() => decodeBatch(buf));
    expect(z.code).toBe('CORRUPT_MESSAGE');
    expect(z.message).toContain('zstd block does not decompress');
  });

  it('checks the CRC unless told the bytes were validated already', () => {
    const buf = encodeBatch({ baseTimestamp: 1n, records: [{ key: null, value: Buffer.from('abc') }] });
    buf[buf.length - 2] = 'X'.charCodeAt(0); // the value's last byte, before the header count
    expect(catchError(() => decodeBatch(buf)).code).toBe('CORRUPT_MESSAGE');
    expect(decodeBatch(buf, 0, { verifyCrc: false }).records[0]!.value!.toString()).toBe('abX');
  });

  it('refuses records that disagree with the header', () => {
    const buf = encodeBatch({ baseTimestamp: 1n, records: [{ key: null, value: null }, { key: null, value: null }] });
    // Record 1's offsetDelta (byte 3 of the 7-byte second record) set to 0, like record 0's.
    buf[RECORDS_AT + 7 + 3] = 0;
    writeBatchCrc(buf, 0);
    expect(catchError(() => decodeBatch(buf)).message).toMatch(/offsetDelta 0 after 0/);
  });

  it('refuses a truncated batch or the wrong magic', () => {
    const buf = encodeBatch({ baseTimestamp: 1n, records: [{ key: null, value: Buffer.from('abc') }] });
    expect(catchError(() => decodeBatch(buf.subarray(0, buf.length - 1))).code).toBe('CORRUPT_MESSAGE');
    expect(catchError(() => decodeBatch(buf.subarray(0, 40))).code).toBe('CORRUPT_MESSAGE');
    buf[16] = 1;
    expect(catchError(() => decodeBatch(buf)).code).toBe('UNSUPPORTED_MAGIC');
  });
});
