import { describe, expect, it } from 'vitest';
import {
  BATCH_HEADER_BYTES,
  CRC_AT,
  RecordBatchError,
  batchCrcValid,
  computeBatchCrc,
  decodeBatch,
  encodeBatch,
  lastOffsetOf,
  readBatchHeader,
  recordOffset,
  recordTimestamp,
  setBaseOffset,
  validateBatches,
  writeBatchCrc,
  writeBatchHeader,
  type BatchHeader,
} from '../src/records/index.js';

// One batch written out by hand from the v2 format, field by field. The CRC
// (54b811cd) is CRC-32C over bytes 21..84, computed with kafkajs's JavaScript
// CRC-32C and @node-rs/crc32 independently of the native one under test.
const GOLDEN_HEX = [
  '0000000000000005', //  0 baseOffset 5
  '00000049', //          8 batchLength 73 = 85 - 12
  'ffffffff', //         12 partitionLeaderEpoch -1
  '02', //               16 magic 2
  '54b811cd', //         17 crc
  '0000', //             21 attributes: no codec, create time, not transactional, not control
  '00000001', //         23 lastOffsetDelta 1
  '0000018bcfe56800', // 27 baseTimestamp 1700000000000
  '0000018bcfe5692c', // 35 maxTimestamp 1700000000300
  '000000000000002a', // 43 producerId 42
  '0001', //             51 producerEpoch 1
  '00000007', //         53 baseSequence 7
  '00000002', //         57 recordCount 2
  // 61 record 0: length 11 (zig-zag 22 = 0x16), attributes 0, timestampDelta 0,
  // offsetDelta 0, key null (-1 → 01), value length 5 (→ 0a) "hello", 0 headers
  '16', '00', '00', '00', '01', '0a', '68656c6c6f', '00',
  // 73 record 1: length 11, attributes 0, timestampDelta 300 (zig-zag 600 →
  // d8 04), offsetDelta 1 (→ 02), key length 1 (→ 02) "k", value null,
  // 1 header (→ 02): key length 1 "h", value null
  '16', '00', 'd804', '02', '02', '6b', '01', '02', '02', '68', '01',
].join('');

const GOLDEN_INPUT = {
  baseOffset: 5n,
  baseTimestamp: 1_700_000_000_000n,
  producerId: 42n,
  producerEpoch: 1,
  baseSequence: 7,
  records: [
    { key: null, value: Buffer.from('hello') },
    { key: Buffer.from('k'), value: null, timestamp: 1_700_000_000_300n, headers: [{ key: 'h', value: null }] },
  ],
};

const sample = (): Buffer =>
  encodeBatch({
    baseTimestamp: 1_690_000_000_000n,
    records: Array.from({ length: 5 }, (_, i) => ({
      key: Buffer.from(`key-${i}`),
      value: Buffer.alloc(20 + i, i),
      headers: [{ key: 'n', value: Buffer.from([i]) }],
    })),
  });

describe('golden batch', () => {
  it('encodeBatch writes the hand-built bytes exactly', () => {
    const golden = Buffer.from(GOLDEN_HEX, 'hex');
    expect(golden.length).toBe(85);
    expect(encodeBatch(GOLDEN_INPUT).toString('hex')).toBe(GOLDEN_HEX);
  });

  it('the native CRC agrees with the hand-checked one', () => {
    const golden = Buffer.from(GOLDEN_HEX, 'hex');
    expect(computeBatchCrc(golden, 0)).toBe(0x54b811cd);
    expect(batchCrcValid(golden, 0)).toBe(true);
  });

  it('reads back every header field and record', () => {
    const { header, records } = decodeBatch(Buffer.from(GOLDEN_HEX, 'hex'));
    expect(header).toEqual<BatchHeader>({
      baseOffset: 5n,
      batchLength: 73,
      partitionLeaderEpoch: -1,
      magic: 2,
      crc: 0x54b811cd,
      attributes: 0,
      lastOffsetDelta: 1,
      baseTimestamp: 1_700_000_000_000n,
      maxTimestamp: 1_700_000_000_300n,
      producerId: 42n,
      producerEpoch: 1,
      baseSequence: 7,
      recordCount: 2,
    });
    expect(records).toEqual([
      { offsetDelta: 0, timestampDelta: 0, key: null, value: Buffer.from('hello'), headers: [] },
      { offsetDelta: 1, timestampDelta: 300, key: Buffer.from('k'), value: null, headers: [{ key: 'h', value: null }] },
    ]);
    expect(records.map((r) => recordOffset(header, r))).toEqual([5n, 6n]);
    expect(records.map((r) => recordTimestamp(header, r))).toEqual([1_700_000_000_000n, 1_700_000_000_300n]);
    expect(lastOffsetOf(header)).toBe(6n);
  });
});

describe('batch header', () => {
  const extremes: BatchHeader = {
    baseOffset: -(2n ** 63n),
    batchLength: 2 ** 31 - 1,
    partitionLeaderEpoch: -(2 ** 31),
    magic: 2,
    crc: 0xffff_fffe,
    attributes: 0x7fff,
    lastOffsetDelta: 2 ** 31 - 1,
    baseTimestamp: 2n ** 63n - 1n,
    maxTimestamp: -1n,
    producerId: 2n ** 62n + 3n,
    producerEpoch: -(2 ** 15),
    baseSequence: 2 ** 31 - 2,
    recordCount: 123_456,
  };

  it('round-trips every field at an offset inside a larger buffer', () => {
    const buf = Buffer.alloc(BATCH_HEADER_BYTES + 10, 0xaa);
    writeBatchHeader(buf, 7, extremes);
    expect(readBatchHeader(buf, 7)).toEqual(extremes);
    // Nothing outside the 61 bytes was touched.
    expect(buf.subarray(0, 7).every((b) => b === 0xaa)).toBe(true);
    expect(buf.subarray(7 + BATCH_HEADER_BYTES).every((b) => b === 0xaa)).toBe(true);
  });

  it('puts each field at its documented byte', () => {
    const buf = Buffer.alloc(BATCH_HEADER_BYTES);
    writeBatchHeader(buf, 0, extremes);
    expect(buf.readUInt32BE(17)).toBe(0xffff_fffe);
    expect(buf.readInt16BE(21)).toBe(0x7fff);
    expect(buf.readBigInt64BE(43)).toBe(2n ** 62n + 3n);
    expect(buf.readInt32BE(57)).toBe(123_456);
  });

  it('refuses to read a header from fewer than 61 bytes', () => {
    const buf = Buffer.alloc(100);
    expect(() => readBatchHeader(buf.subarray(0, 60), 0)).toThrow(RecordBatchError);
    expect(() => readBatchHeader(buf, 40)).toThrow(/needs 61 bytes at byte 40; 60 are present/);
    expect(readBatchHeader(buf, 39).magic).toBe(0);
  });

  it('refuses to write a value that does not fit its field', () => {
    const buf = Buffer.alloc(BATCH_HEADER_BYTES);
    expect(() => writeBatchHeader(buf, 0, { ...extremes, producerEpoch: 2 ** 15 })).toThrow(RangeError);
    expect(() => writeBatchHeader(buf, 0, { ...extremes, baseOffset: 2n ** 63n })).toThrow(RangeError);
  });
});

describe('CRC', () => {
  it('setBaseOffset changes the base offset and leaves the CRC valid', () => {
    const buf = sample();
    const crcBefore = buf.readUInt32BE(CRC_AT);
    setBaseOffset(buf, 0, 9_876_543_210_123n);
    expect(readBatchHeader(buf, 0).baseOffset).toBe(9_876_543_210_123n);
    expect(buf.readUInt32BE(CRC_AT)).toBe(crcBefore);
    expect(batchCrcValid(buf, 0)).toBe(true);
    expect(validateBatches(buf, { maxBatchBytes: 1 << 20 })).toHaveLength(1);
  });

  it('detects every single flipped bit in bytes 17 to the end', () => {
    const buf = sample();
    for (let at = CRC_AT; at < buf.length; at++) {
      for (let bit = 0; bit < 8; bit++) {
        buf[at]! ^= 1 << bit;
        const valid = batchCrcValid(buf, 0);
        buf[at]! ^= 1 << bit;
        if (valid) throw new Error(`flip of bit ${bit} at byte ${at} went unnoticed`);
      }
    }
    expect(batchCrcValid(buf, 0)).toBe(true);
  });

  it('does not cover bytes 0-16 (base offset, length, epoch, magic)', () => {
    const buf = sample();
    for (const at of [0, 7, 12, 15, 16]) {
      buf[at]! ^= 0x01;
      expect(computeBatchCrc(buf, 0)).toBe(buf.readUInt32BE(CRC_AT));
      buf[at]! ^= 0x01;
    }
  });

  it('writeBatchCrc repairs the CRC after an edit inside the covered range', () => {
    const buf = sample();
    buf.writeInt16BE(0x10, 21); // transactional
    expect(batchCrcValid(buf, 0)).toBe(false);
    writeBatchCrc(buf, 0);
    expect(batchCrcValid(buf, 0)).toBe(true);
  });

  it('reads only its own batch when batches are back to back', () => {
    const a = sample();
    const b = encodeBatch({ ...GOLDEN_INPUT });
    const both = Buffer.concat([a, b]);
    expect(computeBatchCrc(both, 0)).toBe(a.readUInt32BE(CRC_AT));
    expect(computeBatchCrc(both, a.length)).toBe(0x54b811cd);
    both[a.length + 30]! ^= 0x40; // damage the second batch only
    expect(batchCrcValid(both, 0)).toBe(true);
    expect(batchCrcValid(both, a.length)).toBe(false);
  });

  it('is false, not an exception, for a batch cut short', () => {
    const buf = sample();
    expect(batchCrcValid(buf.subarray(0, buf.length - 1), 0)).toBe(false);
    expect(batchCrcValid(buf.subarray(0, 30), 0)).toBe(false);
    expect(() => computeBatchCrc(buf.subarray(0, buf.length - 1), 0)).toThrow(/declares/);
  });
});
