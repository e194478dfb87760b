// Cross-checks against kafkajs, a real client's record batch code: batches it
// encodes must decode here field by field, batches encoded here must decode
// there, and the same input must give the same bytes from both.
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import {
  compressionOf,
  decodeBatch,
  encodeBatch,
  isTransactional,
  recordOffset,
  recordTimestamp,
  validateBatches,
  type EncodeBatchInput,
} from '../src/records/index.js';

const require = createRequire(import.meta.url);

interface KjsEncoder {
  buffer: Buffer;
}
interface KjsRecordInput {
  offsetDelta: number;
  timestampDelta: number;
  key: Buffer | null;
  value: Buffer | null;
  headers?: { [key: string]: Buffer };
}
interface KjsBatchInput {
  compression?: number;
  firstOffset?: bigint;
  firstTimestamp: number;
  maxTimestamp: number;
  partitionLeaderEpoch?: number;
  lastOffsetDelta: number;
  transactional?: boolean;
  producerId?: bigint;
  producerEpoch?: number;
  firstSequence?: number;
  records: KjsEncoder[];
}
interface KjsDecodedRecord {
  offset: string;
  timestamp: string;
  key: Buffer | null;
  value: Buffer | null;
  headers: { [key: string]: Buffer | null | (Buffer | null)[] };
}
interface KjsDecodedBatch {
  firstOffset: string;
  firstTimestamp: string;
  maxTimestamp: string;
  partitionLeaderEpoch: number;
  inTransaction: boolean;
  isControlBatch: boolean;
  lastOffsetDelta: number;
  producerId: string;
  producerEpoch: number;
  firstSequence: number;
  timestampType: number;
  records: KjsDecodedRecord[];
}

const KJS = 'kafkajs/src/protocol';
const { RecordBatch } = require(`${KJS}/recordBatch/v0/index.js`) as {
  RecordBatch: (input: KjsBatchInput) => Promise<KjsEncoder>;
};
const KjsRecord = require(`${KJS}/recordBatch/record/v0/index.js`) as (r: KjsRecordInput) => KjsEncoder;
const kjsDecodeBatch = require(`${KJS}/recordBatch/v0/decoder.js`) as (decoder: unknown) => Promise<KjsDecodedBatch>;
const KjsDecoder = require(`${KJS}/decoder.js`) as new (buf: Buffer) => unknown;
const { Types: KjsCompression } = require(`${KJS}/message/compression/index.js`) as {
  Types: { None: number; GZIP: number };
};

const BASE_TS = 1_712_345_678_901;

// One set of records, described once and handed to both encoders. kafkajs
// takes headers as an object and cannot encode a null header value.
interface SharedRecord {
  key: Buffer | null;
  value: Buffer | null;
  dt: number;
  headers: { [key: string]: Buffer };
}

const RECORDS: SharedRecord[] = [
  { key: Buffer.from('user-1'), value: Buffer.from('{"n":1}'), dt: 0, headers: { trace: Buffer.from('abc') } },
  { key: null, value: Buffer.from('no key'), dt: 5, headers: {} },
  { key: Buffer.alloc(0), value: null, dt: -3, headers: { a: Buffer.alloc(0), 'ü-key': Buffer.from([1, 2, 3]) } },
  { key: Buffer.alloc(200, 0x41), value: Buffer.alloc(5_000, 0x42), dt: 70_000, headers: {} },
];

const kjsRecords = (): KjsEncoder[] =>
  RECORDS.map((r, i) => KjsRecord({ offsetDelta: i, timestampDelta: r.dt, key: r.key, value: r.value, headers: r.headers }));

const ourInput = (): EncodeBatchInput => ({
  baseOffset: 1_234_567_890_123n,
  baseTimestamp: BigInt(BASE_TS),
  partitionLeaderEpoch: 9,
  producerId: 4_242n,
  producerEpoch: 3,
  baseSequence: 17,
  transactional: true,
  records: RECORDS.map((r) => ({
    key: r.key,
    value: r.value,
    timestamp: BigInt(BASE_TS + r.dt),
    headers: Object.entries(r.headers).map(([key, value]) => ({ key, value })),
  })),
});

const kjsBatch = (compression: number): Promise<KjsEncoder> =>
  RecordBatch({
    compression,
    firstOffset: 1_234_567_890_123n,
    firstTimestamp: BASE_TS,
    maxTimestamp: BASE_TS + 70_000,
    partitionLeaderEpoch: 9,
    lastOffsetDelta: RECORDS.length - 1,
    transactional: true,
    producerId: 4_242n,
    producerEpoch: 3,
    firstSequence: 17,
    records: kjsRecords(),
  });

describe('kafkajs cross-checks', () => {
  it('decodes a kafkajs batch field by field', async () => {
    const buf = (await kjsBatch(KjsCompression.None)).buffer;
    expect(validateBatches(buf, { maxBatchBytes: 1 << 20, origin: 'client' })).toHaveLength(1);

    const { header, records } = decodeBatch(buf);
    expect(header).toMatchObject({
      baseOffset: 1_234_567_890_123n,
      batchLength: buf.length - 12,
      partitionLeaderEpoch: 9,
      magic: 2,
      lastOffsetDelta: 3,
      baseTimestamp: BigInt(BASE_TS),
      maxTimestamp: BigInt(BASE_TS + 70_000),
      producerId: 4_242n,
      producerEpoch: 3,
      baseSequence: 17,
      recordCount: 4,
    });
    expect(isTransactional(header.attributes)).toBe(true);
    expect(records).toHaveLength(RECORDS.length);
    records.forEach((r, i) => {
      const want = RECORDS[i]!;
      expect(recordOffset(header, r)).toBe(1_234_567_890_123n + BigInt(i));
      expect(recordTimestamp(header, r)).toBe(BigInt(BASE_TS + want.dt));
      expect(r.key).toEqual(want.key);
      expect(r.value).toEqual(want.value);
      expect(Object.fromEntries(r.headers.map((h) => [h.key, h.value]))).toEqual(want.headers);
    });
  });

  it('writes the same bytes as kafkajs for the same batch', async () => {
    const theirs = (await kjsBatch(KjsCompression.None)).buffer;
    const ours = encodeBatch(ourInput());
    expect(ours.length).toBe(theirs.length);
    expect(ours.equals(theirs)).toBe(true);
  });

  it('is decoded by kafkajs field by field', async () => {
    const input = ourInput();
    // Beyond what kafkajs can encode: null header values, repeated keys.
    input.records = [
      ...input.records,
      { key: Buffer.from('x'), value: Buffer.from('y'), headers: [{ key: 'nil', value: null }, { key: 'r', value: Buffer.from('1') }, { key: 'r', value: Buffer.from('2') }] },
    ];
    const buf = encodeBatch(input);
    const theirs = await kjsDecodeBatch(new KjsDecoder(buf));
    expect(theirs).toMatchObject({
      firstOffset: '1234567890123',
      firstTimestamp: String(BASE_TS),
      maxTimestamp: String(BASE_TS + 70_000),
      partitionLeaderEpoch: 9,
      inTransaction: true,
      isControlBatch: false,
      lastOffsetDelta: 4,
      producerId: '4242',
      producerEpoch: 3,
      firstSequence: 17,
      timestampType: 0,
    });
    expect(theirs.records).toHaveLength(5);
    theirs.records.slice(0, 4).forEach((r, i) => {
      const want = RECORDS[i]!;
      expect(r.offset).toBe(String(1_234_567_890_123n + BigInt(i)));
      // kafkajs leaves the timestamp as base + delta, the delta as a string of digits.
      expect(r.timestamp).toBe(String(BASE_TS + want.dt));
      expect(r.key).toEqual(want.key);
      expect(r.value).toEqual(want.value);
      expect(r.headers).toEqual(want.headers);
    });
    expect(theirs.records[4]!.headers).toEqual({ nil: null, r: [Buffer.from('1'), Buffer.from('2')] });
  });

  it('validates a gzip batch from kafkajs without decompressing it, and decodes its records when asked', async () => {
    const buf = (await kjsBatch(KjsCompression.GZIP)).buffer;
    const [batch] = validateBatches(buf, { maxBatchBytes: 1 << 20, origin: 'client' });
    expect(compressionOf(batch!.header.attributes)).toBe('gzip');
    expect(batch!.header.recordCount).toBe(4);
    expect(batch!.length).toBeLessThan(encodeBatch(ourInput()).length); // it really is compressed
    const theirs = decodeBatch(buf);
    const ours = decodeBatch(encodeBatch(ourInput()));
    expect(theirs.records.map((r) => [r.key, r.value, r.headers])).toEqual(ours.records.map((r) => [r.key, r.value, r.headers]));
  });

  it('writes gzip batches that kafkajs decodes', async () => {
    const theirs = await kjsDecodeBatch(new KjsDecoder(encodeBatch({ ...ourInput(), compression: 'gzip' })));
    expect(theirs.records.map((r) => r.value)).toEqual(RECORDS.map((r) => r.value));
  });
});
