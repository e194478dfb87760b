// encodeMessageBatch writes RocketMQ messages straight into a record batch:
// the very bytes encodeBatch writes for their toRecord() records, tag codes
// as the tag index would read them from those bytes, and the property bytes
// publish.ts counts from the records.
import { describe, expect, it } from 'vitest';
import { encodeMessageBatch, propertyBytes } from '../src/broker/rocketmq/message-batch.js';
import { H_BODY_CRC, toRecord, type RocketMessage } from '../src/broker/rocketmq/message-record.js';
import { rememberTagCodes, tagCodesOf } from '../src/broker/rocketmq/tag-code.js';
import { encodeBatch, validateBatches } from '../src/records/index.js';
import { Prng } from './helpers/prng.js';
import { plainMessage } from './helpers/rocket-message.js';

const plain = plainMessage;

const variants: RocketMessage[] = [
  plain,
  { ...plain, tag: 'TagA', keys: ['k1', '', 'ключ'], messageGroup: 'g', deliveryTimestampMs: 1_764_000_999_999n, bodyEncoding: 'GZIP', traceContext: 't', userProperties: new Map([['a', '1'], ['ü', ''], ['😀', 'x'.repeat(200)]]) },
  { ...plain, tag: 'lone \ud800 surrogate', keys: ['\udc00'], bornHost: '', body: Buffer.alloc(0), bornTimestampMs: 0n },
  { ...plain, tag: '', bornTimestampMs: 1_764_000_000_000n - 5_000n, body: Buffer.alloc(70_000, 1), userProperties: new Map([['k'.repeat(100), 'v'.repeat(20_000)]]) },
  { ...plain, tag: 'Aa', messageId: '', bornTimestampMs: 253_402_300_799_999n },
  { ...plain, tag: 'BB', keys: ['only'], bornTimestampMs: 1_764_000_000_123n + 64n },
];

function reference(messages: RocketMessage[]): Buffer {
  const records = messages.map(toRecord);
  return encodeBatch({ baseTimestamp: records[0]!.timestamp!, records });
}

describe('encodeMessageBatch', () => {
  const batches: [string, RocketMessage[]][] = [
    ['one plain message', [plain]],
    ['sixteen plain messages', Array.from({ length: 16 }, (_, i) => ({ ...plain, messageId: `01AA${i}` }))],
    ['every variant', variants],
    ['every variant, the later ones first', [...variants].reverse()],
    ...variants.map((v, i) => [`variant ${i} alone`, [v]] as [string, RocketMessage[]]),
  ];
  it.each(batches)('writes what encodeBatch writes for toRecord(): %s', (_name, messages) => {
    const { batch, tagCodes } = encodeMessageBatch(messages);
    expect(batch.toString('hex')).toBe(reference(messages).toString('hex'));
    // What the index would read from the bytes (a copy: the batch's own codes are not remembered here).
    expect([...tagCodes]).toEqual([...tagCodesOf(Buffer.from(batch))!]);
    // The broker appends these without checking them again (publish.ts, the 'internal' origin): they pass a producer's checks.
    expect(validateBatches(batch, { maxBatchBytes: 1 << 30, origin: 'client' })).toHaveLength(1);
  });

  /** What publish.ts's limit counts, from the record toRecord() makes: its key, each header's key and value plus 10 bytes, but the body's CRC the broker adds. */
  const recordPropertyBytes = (m: RocketMessage): number => {
    const r = toRecord(m);
    let n = r.key?.length ?? 0;
    for (const h of r.headers ?? []) if (h.key !== H_BODY_CRC) n += Buffer.byteLength(h.key) + (h.value?.length ?? 0) + 10;
    return n;
  };

  it('counts the property bytes publish.ts counts from the record', () => {
    for (const m of variants) expect(propertyBytes(m)).toBe(recordPropertyBytes(m));
  });

  it('tagCodesOf gives a remembered batch its codes once, then decodes', () => {
    const { batch, tagCodes } = encodeMessageBatch(variants);
    const marked = new BigInt64Array(tagCodes.length).fill(42n);
    rememberTagCodes(batch, marked);
    expect(tagCodesOf(batch)).toBe(marked);
    expect([...tagCodesOf(batch)!]).toEqual([...tagCodes]);
  });

  it('writes and counts as the references do, on 500 seeded batches of varied strings', () => {
    const seed = 11;
    console.log(`message batches: seed ${seed}`);
    const p = new Prng(seed);
    const r = (): number => p.u32() / 0x1_0000_0000;
    const STRINGS = ['', 'a', 'TagA', '127.0.0.1', 'ключ', '😀', 'x'.repeat(63), 'y'.repeat(64), 'z'.repeat(9000), 'é中', 'lone \ud800', '\udc00 x', 'a\u0000b', '\u007f\u0080'];
    const pick = (): string => STRINGS[Math.floor(r() * STRINGS.length)]!;
    const maybe = (): string | null => (r() < 0.5 ? pick() : null);
    for (let i = 0; i < 500; i++) {
      const messages: RocketMessage[] = Array.from({ length: 1 + Math.floor(r() * 5) }, () => ({
        ...plain,
        messageId: pick(),
        tag: maybe(),
        keys: Array.from({ length: Math.floor(r() * 3) }, pick),
        messageGroup: maybe(),
        deliveryTimestampMs: r() < 0.3 ? BigInt(Math.floor(r() * 2 ** 40)) : null,
        bornHost: pick(),
        bodyEncoding: r() < 0.2 ? 'GZIP' : 'IDENTITY',
        traceContext: maybe(),
        userProperties: new Map(Array.from({ length: Math.floor(r() * 3) }, () => [pick(), pick()] as [string, string])),
      }));
      expect(encodeMessageBatch(messages).batch.toString('hex')).toBe(reference(messages).toString('hex'));
      for (const m of messages) expect(propertyBytes(m)).toBe(recordPropertyBytes(m));
    }
  });

  it('takes born times up to 2^53 ms apart (as numbers where both are safe, else as BigInts) and refuses more', () => {
    const at = (t: bigint): RocketMessage => ({ ...plain, bornTimestampMs: t });
    const safe = 2n ** 53n - 1n;
    for (const pair of [[0n, safe], [safe, 0n], [-safe, 0n], [2n ** 60n, 2n ** 60n + 5n], [2n ** 60n, 2n ** 60n - safe], [5n, 5n]]) {
      const messages = pair.map(at);
      expect(encodeMessageBatch(messages).batch.toString('hex')).toBe(reference(messages).toString('hex'));
    }
    for (const pair of [[0n, safe + 1n], [-1n, safe], [2n ** 60n, 2n ** 60n + safe + 1n], [safe, -2n]]) expect(() => encodeMessageBatch(pair.map(at))).toThrow(RangeError);
  });
});
