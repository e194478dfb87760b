// The receive path's native half (native/rmq_scan.cc, native/rmq_deliveries.cc): scanBatch finds
// the records decodeBatch decodes, and refuses what it refuses; the addon's
// deliveries are the JavaScript encoder's bytes, or it leaves them to it;
// its CRC-32 is node:zlib's. Seeded: the seed is printed.
import { crc32 } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { fromRecord, H_BODY_CRC, toRecord, type RocketMessage } from '../src/broker/rocketmq/message-record.js';
import type { Popped } from '../src/broker/rocketmq/delivery.js';
import { batchRecords, scanBatch, StoredRecord } from '../src/broker/rocketmq/queue-records.js';
import { native } from '../src/native/addon.js';
import { encodeDeliveries, encodeNatively, encodePulled } from '../src/protocol/rocketmq/encode-received.js';
import { stored } from '../src/protocol/rocketmq/convert.js';
import { messagingService } from '../src/protocol/rocketmq/proto.js';
import { CommittedFilter, decodeBatch, encodeBatch, encodeMarker, LOG_OVERHEAD_BYTES, readBatchHeader, recordOffset, recordTimestamp, writeBatchCrc, type AbortedTransaction, type KafkaRecord, type RecordInput } from '../src/records/index.js';
import { Prng } from './helpers/prng.js';
import { plainMessage } from './helpers/rocket-message.js';

const SEED = 20261204;

const plain = plainMessage;

function text(p: Prng, max: number): string {
  const alphabet = ['a', 'Z', '0', '.', ' ', 'ä', 'ключ', '東', '😀', '\u0000', '\uFEFF', '%'];
  let s = '';
  const n = p.int(max + 1);
  for (let i = 0; i < n; i++) s += p.pick(alphabet);
  return s;
}

function message(p: Prng): RocketMessage {
  const long = p.chance(0.1);
  return {
    ...plain,
    messageId: p.chance(0.05) ? '' : p.chance(0.5) ? plain.messageId : text(p, long ? 200 : 40) || 'x',
    body: p.chance(0.1) ? Buffer.alloc(0) : p.bytes(p.weighted([[6, p.int(2048)], [1, 8 * 1024 - 1 + p.int(3)]] as const)),
    tag: p.chance(0.5) ? text(p, 12) : null,
    keys: Array.from({ length: p.weighted([[5, 0], [2, 1], [1, 3]] as const) }, () => text(p, 20)),
    messageGroup: p.chance(0.2) ? text(p, 16) : null,
    deliveryTimestampMs: p.chance(0.2) ? BigInt(p.int(2 ** 41)) : null,
    bornTimestampMs: p.chance(0.1) ? -BigInt(p.int(5000)) : BigInt(1_764_000_000_000 + p.int(1e9)),
    bornHost: p.chance(0.1) ? '' : p.pick(['127.0.0.1', '10.0.0.7:4411', 'host-' + text(p, 130)]),
    bodyEncoding: p.chance(0.1) ? 'GZIP' : 'IDENTITY',
    traceContext: p.chance(0.1) ? text(p, 60) : null,
    userProperties: new Map(Array.from({ length: p.weighted([[4, 0], [2, 2], [1, 9]] as const) }, (_, i) => [`${text(p, 8)}#${i}`, text(p, long ? 150 : 12)])),
  };
}

/** Records as a RocketMQ producer stores them, and a few only a Kafka producer (or a hand) would write. */
function record(p: Prng, m: RocketMessage): RecordInput {
  const r = toRecord(m);
  const headers = [...(r.headers ?? [])];
  switch (p.int(12)) {
    case 0: // a Kafka producer's record: no RocketMQ headers (a derived id: the JavaScript path)
      return { key: p.chance(0.5) ? Buffer.from(text(p, 10)) : null, value: r.value, headers: p.chance(0.5) ? [{ key: 'app', value: Buffer.from('1') }] : [], timestamp: r.timestamp };
    case 1: // null header values, which fromRecord passes over
      headers.push({ key: 'rmq.tag', value: null }, { key: 'nullable', value: null });
      break;
    case 2: // a value that is not UTF-8
      headers.push({ key: 'raw', value: Buffer.from([0x61, 0xff, 0xc3]) });
      break;
    case 3: // a user property twice (a Map keeps the first place, the last value)
      headers.push({ key: 'twice', value: Buffer.from('1') }, { key: 'twice', value: Buffer.from('2') });
      break;
    case 4: // a later delivery time that is not digits, and an unknown reserved header
      headers.push({ key: 'rmq.delivery.ts', value: Buffer.from('12x') }, { key: 'rmq.unknown', value: Buffer.from('v') });
      break;
    case 5: // a delivery time too long for a double, and leading zeros
      headers.push({ key: 'rmq.delivery.ts', value: Buffer.from(p.chance(0.5) ? '0000000000000000001234' : '99999999999999999999') });
      break;
    case 6: // a body encoding that is not GZIP, after one that is
      headers.push({ key: 'rmq.body.encoding', value: Buffer.from('GZIP') }, { key: 'rmq.body.encoding', value: Buffer.from('zstd') });
      break;
    case 7: // a null value (empty body)
      return { ...r, value: null, headers };
    case 8: // a body CRC that is not a CRC's digits (computed instead), or another CRC's (taken as stored), or two (the last counts)
      headers.push({ key: 'rmq.body.crc', value: Buffer.from(p.pick(['007', '4294967296', '12a', '', '99999999999', '-1', '0', '4294967295', String(p.u32())])) });
      break;
    case 9: // none stored (written before the broker stored it)
      return { ...r, headers: headers.filter((h) => h.key !== 'rmq.body.crc') };
    case 10: {
      // Values that are not UTF-8 in RocketMQ's own headers: the addon encodes those it reads as digits or passes
      // over (as fromRecord reads them) and leaves a tag that is not UTF-8 to JavaScript.
      const bad = Buffer.from([0x31, 0xff, 0xc3]);
      const key = p.pick(['rmq.unknown', 'rmq.delivery.ts', 'rmq.body.crc', 'rmq.body.encoding', 'rmq.tag']);
      headers.push({ key, value: bad });
      break;
    }
  }
  return { ...r, headers };
}

function batchOf(p: Prng, records: RecordInput[]): Buffer {
  const gaps = p.chance(0.3);
  let delta = 0;
  const withDeltas = records.map((r) => ({ ...r, offsetDelta: (delta += gaps ? 1 + p.int(3) : 1) - 1 }));
  return encodeBatch({
    baseOffset: BigInt(p.chance(0.2) ? 2 ** 45 + p.int(1000) : p.int(1e6)),
    baseTimestamp: withDeltas[0]?.timestamp ?? 0n,
    timestampType: p.chance(0.1) ? 'log-append-time' : 'create-time',
    maxTimestamp: p.chance(0.1) ? 1_800_000_000_000n : undefined,
    records: withDeltas,
  });
}

const same = (a: Buffer | null, b: Buffer | null): boolean => (a === null ? b === null : b !== null && a.equals(b));

/** Record for record, field for field (toEqual on thousands of Buffers costs seconds). */
function sameRecords(a: readonly KafkaRecord[], b: readonly KafkaRecord[]): boolean {
  return a.length === b.length && a.every((r, i) => {
    const o = b[i]!;
    return r.offsetDelta === o.offsetDelta && r.timestampDelta === o.timestampDelta && same(r.key, o.key) && same(r.value, o.value) &&
      r.headers.length === o.headers.length && r.headers.every((h, k) => h.key === o.headers[k]!.key && same(h.value, o.headers[k]!.value));
  });
}

function scanned(bytes: Buffer): StoredRecord[] | null {
  const out: StoredRecord[] = [];
  return scanBatch(bytes, 0, readBatchHeader(bytes, 0), out) ? out : null;
}

describe('native deliveries', () => {
  it('computes CRC-32 as node:zlib does, at every length and alignment', () => {
    const p = new Prng(SEED);
    const big = p.bytes(70_000);
    for (let t = 0; t < 3000; t++) {
      const length = t < 300 ? t : p.int(t % 10 === 0 ? 66_000 : 3000);
      const at = p.int(17);
      const b = big.subarray(at, at + length);
      expect(native.crc32(b)).toBe(crc32(b) >>> 0);
    }
  });

  it('scans the batches decodeBatch decodes, record for record, and reads their bodies and records alike', () => {
    console.log(`native deliveries: seed ${SEED}`);
    const p = new Prng(SEED + 1);
    for (let b = 0; b < 300; b++) {
      const bytes = batchOf(p, Array.from({ length: 1 + p.int(20) }, () => record(p, message(p))));
      const decoded = decodeBatch(bytes, 0);
      const ours = scanned(bytes);
      expect(ours).not.toBeNull();
      expect(ours!.map((r) => [r.offset, r.timestampMs, r.valueLength])).toEqual(
        decoded.records.map((r) => [Number(recordOffset(decoded.header, r)), recordTimestamp(decoded.header, r), r.value === null ? -1 : r.value.length]),
      );
      expect(ours!.every((r, i) => r.body.equals(decoded.records[i]!.value ?? Buffer.alloc(0)))).toBe(true);
      expect(sameRecords(ours!.map((r) => r.record), decoded.records)).toBe(true);
    }
  });

  it('scans the same rows however far ahead it asks for the bytes, and refuses a distance past 1 MiB', () => {
    const p = new Prng(SEED + 5);
    const log = Buffer.concat(Array.from({ length: 40 }, () => batchOf(p, Array.from({ length: 1 + p.int(3) }, () => record(p, message(p))))));
    const scan = (...ahead: number[]): { rows: number; table: number[]; info: number[] } => {
      const table = new Float64Array(8 * 200);
      const info = new Float64Array(4);
      const rows = native.rmqScanBatches(log, 0, 0, table, info, ...ahead);
      return { rows, table: [...table.subarray(0, rows * 8)], info: [...info] };
    };
    const usual = scan();
    expect(usual.info[0]).toBe(log.length);
    for (const ahead of [0, 64, 4096, 1 << 20]) expect(scan(ahead)).toEqual(usual);
    expect(scan(undefined as unknown as number)).toEqual(usual);
    for (const ahead of [-1, (1 << 20) + 1, NaN]) expect(() => scan(ahead)).toThrow(/prefetchAhead must be 0 to 1 MiB/);
  });

  it('refuses, as decodeBatch does, every mutated batch it cannot read, and reads the others as it does', () => {
    const p = new Prng(SEED + 2);
    let refused = 0;
    for (let b = 0; b < 3000; b++) {
      const bytes = batchOf(p, Array.from({ length: 1 + p.int(4) }, () => record(p, { ...message(p), body: p.bytes(p.int(40)) })));
      // Bytes of the records changed (the CRC put right, so the scan looks at them), or their count.
      const flips = 1 + p.int(3);
      for (let i = 0; i < flips; i++) {
        const at = 61 + p.int(bytes.length - 61);
        bytes[at] = p.chance(0.5) ? p.int(256) : bytes[at]! ^ (1 << p.int(8));
      }
      if (p.chance(0.1)) bytes.writeInt32BE(p.int(8), 57);
      writeBatchCrc(bytes, 0);
      let reference: ReturnType<typeof decodeBatch> | null = null;
      try {
        reference = decodeBatch(bytes, 0);
      } catch {
        reference = null;
      }
      const ours = scanned(bytes);
      if (ours === null) {
        refused++;
        continue;
      }
      // Read by the scan: decodeBatch reads it too, the same records.
      expect(reference).not.toBeNull();
      expect(sameRecords(ours.map((r) => r.record), reference!.records)).toBe(true);
      expect(ours.map((r) => r.offset)).toEqual(reference!.records.map((r) => Number(recordOffset(reference!.header, r))));
    }
    expect(refused).toBeGreaterThan(100);
  });

  it('reads a queue\'s batches as decodeBatch and the committed filter do: plain, compressed, transactional, aborted, control, corrupt, cut off', () => {
    const p = new Prng(SEED + 4);
    let corrupt = 0;
    for (let t = 0; t < 400; t++) {
      const parts: Buffer[] = [];
      const aborted: AbortedTransaction[] = [];
      let next = BigInt(p.int(1000));
      for (let b = 0, n = 1 + p.int(8); b < n; b++) {
        const records = Array.from({ length: 1 + p.int(5) }, () => record(p, { ...message(p), body: p.bytes(p.int(300)) }));
        const kind = p.weighted([[6, 'plain'], [1, 'gzip'], [1, 'txn'], [1, 'marker']] as const);
        const producerId = BigInt(1 + p.int(3));
        const batch = kind === 'marker'
          ? encodeMarker(p.chance(0.5) ? 'abort' : 'commit', producerId, 0, 0, 5n)
          : encodeBatch({ baseTimestamp: 1_764_000_000_000n, records, compression: kind === 'gzip' ? 'gzip' : 'none', transactional: kind === 'txn', producerId: kind === 'txn' ? producerId : -1n, timestampType: p.chance(0.1) ? 'log-append-time' : 'create-time' });
        batch.writeBigInt64BE(next, 0);
        if (kind === 'txn' && p.chance(0.5)) aborted.push({ producerId, firstOffset: next });
        next += BigInt(readBatchHeader(batch, 0).lastOffsetDelta + 1);
        writeBatchCrc(batch, 0);
        if (p.chance(0.05)) {
          const at = 61 + p.int(batch.length - 61);
          batch[at] = batch[at]! ^ 1; // a CRC that fails
        }
        parts.push(batch);
      }
      let bytes = Buffer.concat(parts);
      if (p.chance(0.3)) bytes = bytes.subarray(0, bytes.length - 1 - p.int(50)); // a read that ends inside a batch
      const first = readBatchHeader(parts[0]!, 0).baseOffset;
      const offset = first + BigInt(p.int(Number(next - first) + 2));
      const run = (f: () => { records: StoredRecord[]; end: number; bytesPerRecord: number }): unknown => {
        try {
          const r = f();
          return { records: r.records.map((x) => [x.offset, x.timestampMs, x.record.offsetDelta, x.body.toString('hex'), x.record.headers.map((h) => [h.key, h.value?.toString('hex')])]), end: r.end, bytesPerRecord: r.bytesPerRecord };
        } catch (err) {
          corrupt++;
          return (err as Error).message;
        }
      };
      const ours = run(() => batchRecords(bytes, offset, new CommittedFilter(aborted), 'q-0'));
      const reference = run(() => {
        const filter = new CommittedFilter(aborted);
        const records: StoredRecord[] = [];
        let end = offset;
        let bytesPerRecord = 0;
        for (let at = 0; at + 61 <= bytes.length; ) {
          const h = readBatchHeader(bytes, at);
          const size = h.batchLength + LOG_OVERHEAD_BYTES;
          if (at + size > bytes.length) break;
          const last = h.baseOffset + BigInt(h.lastOffsetDelta);
          if (filter.keep(h, bytes, at) && last >= offset) {
            let d;
            try {
              d = decodeBatch(bytes, at);
            } catch (err) {
              throw new Error(`q-0 offset ${h.baseOffset}: ${(err as Error).message}`);
            }
            for (const r of d.records) records.push(StoredRecord.of(recordOffset(d.header, r), recordTimestamp(d.header, r), r));
          }
          end = last + 1n;
          bytesPerRecord = Math.max(1, Math.round(size / (h.lastOffsetDelta + 1)));
          at += size;
        }
        return { records, end: Number(end), bytesPerRecord };
      });
      expect(ours).toEqual(reference);
    }
    expect(corrupt).toBeGreaterThan(20);
  });

  it('encodes deliveries as the JavaScript encoder does, or leaves them to it', () => {
    const p = new Prng(SEED + 3);
    let nativeCount = 0;
    let left = 0;
    for (let b = 0; b < 300; b++) {
      const inputs = Array.from({ length: 1 + p.int(32) }, () => record(p, message(p)));
      const bytes = batchOf(p, inputs);
      const stored = scanned(bytes)!;
      const topic = p.chance(0.3) ? { resourceNamespace: 'ns', name: 'orders' } : { name: text(p, 30) };
      const storeHost = p.pick(['127.0.0.1:8081', 'broker-' + text(p, 140)]);
      const token = p.pick(['abcdef.1', 'tok-' + text(p, 8)]);
      const partition = p.int(3) === 0 ? 0 : p.int(70_000);
      const invisibleMs = p.pick([1000, 30_000, 43_200_000, 1001]);
      const deliveries: Popped[] = stored.map((r) => {
        const where = { topic: topic.name, partition, offset: r.offset };
        return { message: fromRecord(r.record, r.timestampMs, where), partition, offset: r.offset, attempt: 1 + p.int(20), token, invisibleMs, stored: r };
      });
      const reference = Buffer.concat(encodeDeliveries(deliveries.map(({ stored: _, ...js }) => js), topic, storeHost));
      // Only what the addon takes on: one at a time, so a record it leaves does not hide the others.
      for (const d of deliveries) {
        const one = encodeNatively([d], topic, storeHost);
        if (one === null) left++;
        else {
          nativeCount++;
          expect(one.equals(Buffer.concat(encodeDeliveries([{ ...d, stored: undefined }], topic, storeHost)))).toBe(true);
        }
      }
      // And the whole receive, whichever path it takes, is the reference's bytes.
      expect(Buffer.concat(encodeDeliveries(deliveries, topic, storeHost)).equals(reference)).toBe(true);
    }
    expect(nativeCount).toBeGreaterThan(1000);
    expect(left).toBeGreaterThan(100);
  });

  it('writes a message\'s and its system properties\' lengths in one, two and three bytes as the JavaScript encoder does', () => {
    // The writer leaves one byte for a length and moves the content up for a longer one (proto_writer.h End).
    const short: RocketMessage = { ...plain, messageId: 'x', body: Buffer.alloc(0), tag: null, keys: [], bornHost: '', userProperties: new Map() };
    const long: RocketMessage = { ...plain, body: Buffer.alloc(100, 7), userProperties: new Map(Array.from({ length: 12 }, (_, i) => [`k${i}`, 'v'.repeat(1500)])) };
    const topic = { name: 't' };
    for (const [m, lengthBytes] of [[short, 1], [long, 3]] as const) {
      const bytes = encodeBatch({ baseOffset: 5n, baseTimestamp: 1_764_000_000_000n, records: [toRecord(m)] });
      const r = scanned(bytes)![0]!;
      const d: Popped = { message: fromRecord(r.record, r.timestampMs, { topic: 't', partition: 0, offset: r.offset }), partition: 0, offset: r.offset, attempt: 1, token: 't0', invisibleMs: 30_000, stored: r };
      const one = encodeNatively([d], topic, '1.2.3.4:5');
      expect(one).not.toBeNull();
      expect(one!.equals(Buffer.concat(encodeDeliveries([{ ...d, stored: undefined }], topic, '1.2.3.4:5')))).toBe(true);
      // ReceiveMessageResponse { message (2) }: gRPC's 5-byte prefix, the field's tag, then its length's varint.
      let at = 6;
      while (one![at]! >= 128) at++;
      expect(at + 1 - 6).toBe(lengthBytes);
    }
  });

  it('answers the body digest stored with the message where it is a CRC-32\'s digits, else computes it', () => {
    const service = messagingService();
    const digestOf = (stored: string | null): string => {
      const r = toRecord({ ...plain, body: Buffer.from('body') });
      const headers = (r.headers ?? []).filter((h) => h.key !== H_BODY_CRC);
      if (stored !== null) headers.push({ key: H_BODY_CRC, value: Buffer.from(stored) });
      const [s] = scanned(batchOf(new Prng(SEED + 6), [{ ...r, headers }]))!;
      const d: Popped = { message: fromRecord(s!.record, s!.timestampMs, { topic: 't', partition: 0, offset: s!.offset }), partition: 0, offset: s!.offset, attempt: 1, token: 'abcdef.1', invisibleMs: 1000, stored: s };
      const bytes = encodeNatively([d], { name: 't' }, '127.0.0.1:8081');
      expect(bytes).not.toBeNull();
      const answer = service.ReceiveMessage!.responseDeserialize(bytes!.subarray(5)) as { message: { systemProperties: { bodyDigest: { checksum: string } } } };
      return answer.message.systemProperties.bodyDigest.checksum;
    };
    const computed = String(crc32(Buffer.from('body')) >>> 0);
    expect(digestOf(null)).toBe(computed);
    expect(digestOf(computed)).toBe(computed);
    // Another CRC's digits are taken as stored: the header is the broker's (a Kafka producer writing it writes the digest).
    for (const v of ['0', '4294967295', '12345']) expect(digestOf(v)).toBe(v);
    for (const v of ['007', '4294967296', '12a', '', ' 1', '-1', '1.0']) expect(digestOf(v)).toBe(computed);
  });

  it("encodes a pull's messages as PullMessageResponses carrying what convert.ts stored() sets: no receipt handle, no invisible duration", () => {
    const service = messagingService();
    const normal = (m: object): unknown => service.PullMessage!.responseDeserialize(service.PullMessage!.responseSerialize(m));
    const p = new Prng(SEED + 4);
    let pulled = 0;
    for (let b = 0; b < 30; b++) {
      const records = scanned(batchOf(p, Array.from({ length: 1 + p.int(32) }, () => record(p, message(p)))))!;
      const topic = { name: text(p, 30) || 't' };
      const storeHost = p.pick(['127.0.0.1:8081', 'broker-' + text(p, 40)]);
      const partition = p.int(3) === 0 ? 0 : p.int(70_000);
      const attempts = records.map(() => 1 + p.int(3));
      // One at a time, so a record the addon leaves does not hide the others.
      records.forEach((r, i) => {
        const one = encodePulled([r], [attempts[i]!], topic, storeHost, partition);
        if (one === null) return;
        pulled++;
        expect(one[0]).toBe(0);
        expect(one.readUInt32BE(1)).toBe(one.length - 5);
        const expected = stored(fromRecord(r.record, r.timestampMs, { topic: topic.name, partition, offset: r.offset }), topic, partition, r.offset, storeHost, attempts[i]);
        const got = service.PullMessage!.responseDeserialize(one.subarray(5)) as { message: { systemProperties: Record<string, unknown> } };
        expect(got).toEqual(normal({ message: expected }));
        expect(got.message.systemProperties.receiptHandle ?? '').toBe('');
        expect(got.message.systemProperties.invisibleDuration ?? null).toBeNull();
      });
    }
    expect(pulled).toBeGreaterThan(100);
  });

  it('leaves to JavaScript what only it encodes: a derived id, non-UTF-8, a repeated property, a large body', () => {
    const cases: [string, RecordInput][] = [
      ['derived id', { key: Buffer.from('k'), value: Buffer.from('v'), headers: [], timestamp: 1n }],
      ['not UTF-8', { ...toRecord(plain), headers: [...toRecord(plain).headers!, { key: 'x', value: Buffer.from([0xff]) }] }],
      ['repeated property', { ...toRecord(plain), headers: [{ key: 'a', value: Buffer.from('1') }, { key: 'a', value: Buffer.from('2') }, ...toRecord(plain).headers!] }],
      ['large body', toRecord({ ...plain, body: Buffer.alloc(8192) })],
      ['delivery time past 2^53', { ...toRecord(plain), headers: [...toRecord(plain).headers!, { key: 'rmq.delivery.ts', value: Buffer.from('9007199254740993') }] }],
    ];
    for (const [name, input] of cases) {
      const r = scanned(encodeBatch({ baseOffset: 5n, baseTimestamp: 1n, records: [input] }))![0]!;
      const d: Popped = { message: fromRecord(r.record, r.timestampMs, { topic: 't', partition: 0, offset: r.offset }), partition: 0, offset: r.offset, attempt: 1, token: 't', invisibleMs: 1000, stored: r };
      expect(encodeNatively([d], { name: 't' }, 'h:1'), name).toBeNull();
      expect(Buffer.concat(encodeDeliveries([d], { name: 't' }, 'h:1')).equals(Buffer.concat(encodeDeliveries([{ ...d, stored: undefined }], { name: 't' }, 'h:1'))), name).toBe(true);
    }
    // The plain message is the addon's.
    const r = scanned(encodeBatch({ baseOffset: 5n, baseTimestamp: 1n, records: [toRecord(plain)] }))![0]!;
    expect(encodeNatively([{ message: plain, partition: 0, offset: 5, attempt: 1, token: 't', invisibleMs: 1000, stored: r }], { name: 't' }, 'h:1')).not.toBeNull();
    // The encoder reads the value and headers where the scan found them: spans outside the record, or none, are left to JavaScript.
    expect(r.headersAt).toBeGreaterThan(r.valueAt);
    const spans: Array<[string, number, number, number, number]> = [
      ['headers past the record', r.valueAt, r.valueLength, r.end + 1, r.headerCount],
      ['headers before the value', r.valueAt, r.valueLength, r.valueAt, r.headerCount],
      ['value past its headers', r.headersAt, r.valueLength, r.headersAt, r.headerCount],
      ['no headers found', r.valueAt, r.valueLength, -1, 0],
    ];
    for (const [name, valueAt, valueLength, headersAt, headerCount] of spans) {
      const bad = new StoredRecord(r.offset, r.timestampMs, r.source, r.start, r.end, valueAt, valueLength, headersAt, headerCount);
      expect(encodeNatively([{ message: plain, partition: 0, offset: 5, attempt: 1, token: 't', invisibleMs: 1000, stored: bad }], { name: 't' }, 'h:1'), name).toBeNull();
    }
  });
});
