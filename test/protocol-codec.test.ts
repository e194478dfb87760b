// The Kafka codec on its own: primitives, every declared message at every
// declared version, flexible versions and tagged fields, hostile input, the
// zero-copy records paths, headers, and golden bytes written out by hand
// from the protocol guide.
import { describe, expect, it } from 'vitest';
import {
  ApiKeys,
  EncodeError,
  ERROR_CODES,
  KAFKA_APIS,
  KAFKA_REGISTRY,
  MAX_REQUEST_ELEMENTS,
  ProtocolError,
  Reader,
  UnsupportedVersionError,
  Writer,
  ZERO_UUID,
  advertisedVersions,
  bytesOf,
  declaredVersions,
  decode,
  decodeRequest,
  decodeResponse,
  encode,
  encodeRequest,
  encodeResponse,
  errorCode,
  errorName,
  inVersions,
  registryOf,
  serve,
  type ApiKey,
  type Encoded,
  type Field,
  type MessageSpec,
  type ErrorName,
} from '../src/protocol/kafka/index.js';
import type { FileRegion } from '../src/transfer/types.js';
import type { SharedFile } from '../src/transfer/shared-file.js';

// Every declared version of every API, for tests that go past what is advertised.
const DECLARED = registryOf(
  KAFKA_APIS.map((a) => serve(a, 0, Math.min(maxDeclared(a.request), maxDeclared(a.response)))),
);

function maxDeclared(m: MessageSpec): number {
  const versions = declaredVersions(m);
  return versions[versions.length - 1]!;
}

function hex(s: string): Buffer {
  return Buffer.from(s.replace(/\s+/g, ''), 'hex');
}

function encodeToBuffer(m: MessageSpec, version: number, value: object): Buffer {
  const w = new Writer(8);
  encode(m, version, value, w);
  return bytesOf(w.finish());
}

function decodeAll(m: MessageSpec, version: number, bytes: Buffer): Record<string, unknown> {
  const r = new Reader(bytes);
  const out = decode(m, version, r) as Record<string, unknown>;
  expect(r.remaining).toBe(0);
  return out;
}

/** What `fn` throws (fails the test if it returns). */
function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error('expected a throw');
}

// ---- sample values generated from a declaration -------------------------

type Variant = 'full' | 'sparse';

/**
 * A value for every field present in `version`: distinctive non-default
 * values ('full'), or nulls, empties and zeros wherever the version allows
 * ('sparse', which also leaves tagged fields at their defaults).
 */
function sample(fields: readonly Field[], version: number, variant: Variant): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const f of fields) {
    if (!inVersions(f.versions, version)) continue;
    const key = f.name.charAt(0).toLowerCase() + f.name.slice(1);
    const tagged = inVersions(f.taggedVersions, version);
    if (tagged && variant === 'sparse') continue;
    out[key] = sampleValue(f, version, variant);
  }
  return out;
}

function sampleValue(f: Field, version: number, variant: Variant): unknown {
  const nullable = inVersions(f.nullableVersions, version);
  const isArray = f.type.startsWith('[]');
  if (variant === 'sparse' && nullable && f.fields === undefined) return null;
  if (variant === 'sparse' && nullable && isArray) return null;
  if (f.fields !== undefined) {
    if (!isArray) return sample(f.fields, version, variant);
    return variant === 'sparse' ? [] : [sample(f.fields, version, variant), sample(f.fields, version, 'sparse')];
  }
  if (isArray) {
    const element = f.type.slice(2);
    return variant === 'sparse' ? [] : [scalarSample(element, f.name, 0), scalarSample(element, f.name, 1)];
  }
  return variant === 'sparse' ? sparseScalar(f.type) : scalarSample(f.type, f.name, 0);
}

function scalarSample(type: string, name: string, i: number): unknown {
  switch (type) {
    case 'bool':
      return true;
    case 'int8':
      return -7 + i;
    case 'int16':
      return 300 + i;
    case 'int32':
      return 100_000 + i;
    case 'int64':
      return (1n << 40n) + BigInt(i);
    case 'uint16':
      return 60_000 + i;
    case 'uint32':
      return 3_000_000_000 + i;
    case 'float64':
      return 2.5 + i;
    case 'uuid':
      return `01234567-89ab-4def-8000-00000000000${i}`;
    case 'string':
      return `${name}-é-${i}`;
    case 'bytes':
      return Buffer.from([1, 2, 3, i]);
    case 'records':
      return Buffer.from(`records of ${name}`);
    default:
      throw new Error(`no sample for ${type}`);
  }
}

function sparseScalar(type: string): unknown {
  switch (type) {
    case 'bool':
      return false;
    case 'int64':
      return 0n;
    case 'uuid':
      return '00000000-0000-0000-0000-000000000000';
    case 'string':
      return '';
    case 'bytes':
      return Buffer.alloc(0);
    case 'records':
      return Buffer.alloc(0);
    default:
      return 0;
  }
}

const MESSAGES: MessageSpec[] = KAFKA_APIS.flatMap((a) => [a.request, a.response]);
const CASES = MESSAGES.flatMap((m) => declaredVersions(m).map((v) => [m.name, v, m] as const));

describe('every declared message at every declared version', () => {
  it.each(CASES)('%s v%i round-trips full and sparse values', (_name, version, message) => {
    for (const variant of ['full', 'sparse'] as const) {
      const input = sample(message.fields, version, variant);
      const bytes = encodeToBuffer(message, version, input);
      const decoded = decodeAll(message, version, bytes);
      expect(decoded).toMatchObject(input);
      // Absent fields come back as defaults, and write back the same bytes.
      expect(encodeToBuffer(message, version, decoded)).toEqual(bytes);
    }
  });

  it('covers every advertised version of every served API', () => {
    for (const api of KAFKA_APIS) {
      for (let v = api.minVersion; v <= api.maxVersion; v++) {
        expect(declaredVersions(api.request)).toContain(v);
        expect(declaredVersions(api.response)).toContain(v);
      }
    }
  });

  it('refuses to advertise a version the declarations do not cover', () => {
    expect(() => serve(KAFKA_APIS.find((a) => a.name === 'ApiVersions')!, 0, 5)).toThrow(/ApiVersions v5 is advertised/);
  });
});

describe('defaults for fields a version lacks', () => {
  const { Fetch, Produce, JoinGroup, ListOffsets, Metadata, OffsetCommit } = byName();

  it('fills Kafka defaults: numbers, -1, 0x7fffffff, null, true, empty arrays', () => {
    const fetch = decodeAll(Fetch.request, 0, encodeToBuffer(Fetch.request, 0, { replicaId: -1, topics: [] }));
    expect(fetch).toEqual({
      clusterId: null,
      replicaId: -1,
      // v15+: where a follower says who it is (KIP-903); a struct absent from a version takes its fields' defaults.
      replicaState: { replicaId: -1, replicaEpoch: -1n },
      maxWaitMs: 0,
      minBytes: 0,
      maxBytes: 0x7fffffff,
      isolationLevel: 0,
      sessionId: 0,
      sessionEpoch: -1,
      topics: [],
      forgottenTopicsData: [],
      rackId: '',
    });
    const produce = decodeAll(Produce.request, 0, encodeToBuffer(Produce.request, 0, { acks: 1, timeoutMs: 5, topicData: [] }));
    expect(produce.transactionalId).toBeNull();
    const join = decodeAll(JoinGroup.request, 0, encodeToBuffer(JoinGroup.request, 0, { groupId: 'g', protocols: [] }));
    expect(join.rebalanceTimeoutMs).toBe(-1);
    expect(join.groupInstanceId).toBeNull();
    const meta = decodeAll(Metadata.request, 0, encodeToBuffer(Metadata.request, 0, { topics: [] }));
    expect(meta.allowAutoTopicCreation).toBe(true);
    const lo = { replicaId: -1, topics: [{ name: 't', partitions: [{ partitionIndex: 0, timestamp: -1n }] }] };
    const listOffsets = decodeAll(ListOffsets.request, 1, encodeToBuffer(ListOffsets.request, 1, lo));
    expect(listOffsets.topics).toEqual([
      { name: 't', partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp: -1n, maxNumOffsets: 1 }] },
    ]);
    const commit = decodeAll(OffsetCommit.request, 0, encodeToBuffer(OffsetCommit.request, 0, { groupId: 'g' }));
    expect(commit).toMatchObject({ generationId: -1, memberId: '', retentionTimeMs: -1n });
  });
});

function byName() {
  const all = Object.fromEntries(KAFKA_APIS.map((a) => [a.name, a]));
  return all as { [A in (typeof KAFKA_APIS)[number] as A['name']]: A };
}

describe('primitives', () => {
  it('writes int64s right across the writer growing between them', () => {
    const w = new Writer(1);
    const values = Array.from({ length: 200 }, (_, i) => (BigInt(i) << 40n) - 7n * BigInt(i));
    for (const [i, v] of values.entries()) w.int64(v).raw(Buffer.alloc(i % 37, i));
    const r = new Reader(bytesOf(w.finish()));
    for (const [i, v] of values.entries()) {
      expect(r.int64()).toBe(v);
      r.offset += i % 37;
    }
  });

  it('round-trips every primitive at its edges', () => {
    const w = new Writer(1); // grows from one byte
    w.int8(-128).int8(127).int16(-32768).int16(32767).uint16(65535).int32(-(2 ** 31)).int32(2 ** 31 - 1).uint32(2 ** 32 - 1);
    w.int64(-(1n << 63n)).int64((1n << 63n) - 1n).float64(-0.125).bool(true).bool(false);
    w.uuid('00112233-4455-6677-8899-aabbccddeeff');
    for (const u of [0, 1, 127, 128, 16383, 16384, 2 ** 31, 2 ** 32 - 1]) w.unsignedVarint(u);
    for (const v of [0, -1, 1, -64, 63, -(2 ** 31), 2 ** 31 - 1]) w.varint(v);
    for (const v of [0n, -1n, 1n, -(1n << 63n), (1n << 63n) - 1n]) w.varlong(v);
    w.string('').nullableString(null).compactString('héllo').compactNullableString(null);
    w.bytes(Buffer.from([9])).nullableBytes(null).compactBytes(Buffer.alloc(0)).compactNullableBytes(null);
    w.array([1, 2], (x, v) => x.int32(v)).nullableArray(null, () => undefined);
    w.compactArray(['a'], (x, v) => x.compactString(v)).compactNullableArray(null, () => undefined);
    const r = new Reader(bytesOf(w.finish()));
    expect([r.int8(), r.int8(), r.int16(), r.int16(), r.uint16(), r.int32(), r.int32(), r.uint32()]).toEqual([
      -128, 127, -32768, 32767, 65535, -(2 ** 31), 2 ** 31 - 1, 2 ** 32 - 1,
    ]);
    expect([r.int64(), r.int64(), r.float64(), r.bool(), r.bool()]).toEqual([-(1n << 63n), (1n << 63n) - 1n, -0.125, true, false]);
    expect(r.uuid()).toBe('00112233-4455-6677-8899-aabbccddeeff');
    expect([0, 1, 2, 3, 4, 5, 6, 7].map(() => r.unsignedVarint())).toEqual([0, 1, 127, 128, 16383, 16384, 2 ** 31, 2 ** 32 - 1]);
    expect([0, 1, 2, 3, 4, 5, 6].map(() => r.varint())).toEqual([0, -1, 1, -64, 63, -(2 ** 31), 2 ** 31 - 1]);
    expect([0, 1, 2, 3, 4].map(() => r.varlong())).toEqual([0n, -1n, 1n, -(1n << 63n), (1n << 63n) - 1n]);
    expect([r.string(), r.nullableString(), r.compactString(), r.compactNullableString()]).toEqual(['', null, 'héllo', null]);
    expect([r.bytes(), r.nullableBytes(), r.compactBytes(), r.compactNullableBytes()]).toEqual([Buffer.from([9]), null, Buffer.alloc(0), null]);
    expect(r.array((x) => x.int32())).toEqual([1, 2]);
    expect(r.nullableArray((x) => x.int32())).toBeNull();
    expect(r.compactArray((x) => x.compactString())).toEqual(['a']);
    expect(r.compactNullableArray((x) => x.int32())).toBeNull();
    expect(r.remaining).toBe(0);
  });

  it('writes varints as Kafka does', () => {
    const w = new Writer();
    w.unsignedVarint(300).varint(-1).varint(150);
    expect(bytesOf(w.finish())).toEqual(hex('ac02 01 ac02'));
  });

  it('throws ProtocolError, never RangeError, for every kind of bad length', () => {
    const cases: Array<[string, (r: Reader) => unknown, RegExp]> = [
      ['00 05 61 62', (r) => r.string(), /truncated input: needs 5 bytes, 2 left/],
      ['ff fe', (r) => r.nullableString(), /malformed input: string length -2 is negative/],
      ['ff ff', (r) => r.string(), /null where a non-nullable string is required/],
      ['ff ff ff fe', (r) => r.nullableBytes(), /bytes length -2 is negative/],
      ['00 00 00 09 01', (r) => r.bytes(), /needs 9 bytes, 1 left/],
      ['ff ff ff fe', (r) => r.nullableArray((x) => x.int8()), /array length -2 is negative/],
      ['7f ff ff ff 00', (r) => r.array((x) => x.int8()), /array of 2147483647 elements needs at least/],
      ['80 80 80 80 80 01', (r) => r.unsignedVarint(), /does not fit in 32 bits/],
      ['ff ff ff ff 1f', (r) => r.unsignedVarint(), /does not fit in 32 bits/],
      ['80', (r) => r.unsignedVarint(), /needs 1 byte, 0 left/],
      ['03 61', (r) => r.compactString(), /needs 2 bytes, 1 left/],
      ['00', (r) => r.compactString(), /null where a non-nullable string is required/],
      ['00 00 00', (r) => r.int32(), /needs 4 bytes, 3 left/],
      ['01 00 05 01', (r) => r.taggedFields(() => false), /needs 5 bytes, 1 left/],
      ['01 00 02 01 02', (r) => r.taggedFields(() => true), /tagged field 0 has 2 bytes left unread/],
    ];
    for (const [bytes, read, message] of cases) {
      const err = thrown(() => read(new Reader(hex(bytes))));
      expect(err, bytes).toBeInstanceOf(ProtocolError);
      expect((err as Error).message, bytes).toMatch(message);
    }
  });

  it('names the array element that failed', () => {
    const err = thrown(() => new Reader(hex('00000002 0001 61 0005 62')).array((r) => r.string())) as ProtocolError;
    expect(err.message).toBe('truncated input: field [1] needs 5 bytes, 1 left');
  });

  it('reads only within its bounds', () => {
    const buf = hex('00000001 00000002');
    const r = new Reader(buf, 0, 4);
    expect(r.int32()).toBe(1);
    expect(() => r.int32()).toThrow(ProtocolError);
    expect(() => new Reader(buf, 3, 9)).toThrow(RangeError);
  });

  it('refuses values that do not fit their type, with EncodeError', () => {
    const w = new Writer();
    expect(() => w.int8(128)).toThrow(EncodeError);
    expect(() => w.int16(1.5)).toThrow(EncodeError);
    expect(() => w.int32(2 ** 31)).toThrow(/is not an int32/);
    expect(() => w.int64(1n << 63n)).toThrow(/is not an int64/);
    expect(() => w.int64(2 ** 60)).toThrow(/pass a bigint/);
    expect(() => w.uuid('not-a-uuid')).toThrow(/is not a UUID/);
    expect(() => w.string('x'.repeat(32768))).toThrow(/exceeds 32767/);
    expect(() => w.unsignedVarint(-1)).toThrow(EncodeError);
  });
});

describe('records', () => {
  const { Produce, Fetch } = byName();
  const batch = Buffer.from('pretend this is a record batch');

  it('decode as views of the frame, not copies', () => {
    const frame = bytesOf(
      encodeRequest(ApiKeys.Produce, 7, 1, 'c', {
        acks: -1,
        timeoutMs: 1000,
        topicData: [{ name: 't', partitionData: [{ index: 0, records: batch }] }],
      }),
    );
    const req = decodeRequest(frame);
    if (req.apiKey !== ApiKeys.Produce) throw new Error('not a produce request');
    const records = req.body.topicData[0]!.partitionData[0]!.records!;
    expect(records).toEqual(batch);
    expect(records.buffer).toBe(frame.buffer);
    const at = records.byteOffset - frame.byteOffset;
    frame[at] = 0x21;
    expect(records[0]).toBe(0x21);
  });

  it('keep null and empty apart', () => {
    for (const version of [0, 7, 9]) {
      for (const records of [null, Buffer.alloc(0)]) {
        const value = { acks: 1, timeoutMs: 1, topicData: [{ name: 't', partitionData: [{ index: 0, records }] }] };
        const decoded = decodeAll(Produce.request, version, encodeToBuffer(Produce.request, version, value));
        expect(decoded.topicData).toEqual([{ ...value.topicData[0], topicId: ZERO_UUID }]); // v13's, absent: its default
      }
    }
  });

  // Stand-ins for open files: the codec only carries regions, it never reads them.
  const files = new Map<number, SharedFile>([7, 8].map((fd) => [fd, { fd, path: `file ${fd}` } as unknown as SharedFile]));
  const fileBytes = new Map<number, Buffer>([
    [7, Buffer.from('0123456789abcdefghij')],
    [8, Buffer.from('ABCDEFGHIJ')],
  ]);
  const region = (fd: number, position: number, length: number): FileRegion => ({ file: files.get(fd)!, position, length });
  const regionBytes = (regions: readonly FileRegion[]): Buffer =>
    Buffer.concat(regions.map((r) => fileBytes.get(r.file.fd)!.subarray(r.position, r.position + r.length)));
  /** The bytes a transfer strategy would put on the wire. */
  const wire = (e: Encoded): Buffer => Buffer.concat(e.parts.flatMap((p) => [p.bytes, regionBytes(p.regions)]));

  function fetchResponse(records: (regions: FileRegion[]) => unknown) {
    const groups = [[region(7, 0, 4), region(8, 2, 3)], null, [region(7, 10, 10)]] as const;
    return {
      responses: [
        {
          topic: 'orders',
          partitions: groups.map((regions, i) => ({
            partitionIndex: i,
            highWatermark: 100n,
            records: regions === null ? null : records([...regions]),
          })),
        },
      ],
    };
  }

  it.each([4, 11, 12])('encode from file regions as parts, no record byte copied (Fetch v%i)', (version) => {
    const asRegions = fetchResponse((regions) => ({ length: regions.reduce((n, r) => n + r.length, 0), regions }));
    const encoded = encodeResponse(ApiKeys.Fetch, version, 42, asRegions as never, DECLARED);
    // Records end each partition: in v12 the partition's tagged fields
    // follow them, before that the message ends with the last regions.
    expect(encoded.parts.map((p) => p.regions)).toEqual([
      [region(7, 0, 4), region(8, 2, 3)],
      [region(7, 10, 10)],
      ...(version >= 12 ? [[]] : []),
    ]);
    const inMemory = bytesOf(encodeResponse(ApiKeys.Fetch, version, 42, fetchResponse(regionBytes) as never, DECLARED));
    const bytesInParts = encoded.parts.reduce((n, p) => n + p.bytes.length, 0);
    expect(bytesInParts).toBe(inMemory.length - 17);
    expect(encoded.size).toBe(inMemory.length);
    expect(wire(encoded)).toEqual(inMemory);
    const back = decodeResponse(ApiKeys.Fetch, version, inMemory, DECLARED).body;
    expect(back.responses[0]!.partitions.map((p) => p.records?.toString() ?? null)).toEqual(['0123CDE', null, 'abcdefghij']);
  });

  it('refuses regions whose lengths do not add up', () => {
    const w = new Writer();
    expect(() => w.records({ length: 5, regions: [region(7, 0, 4)] }, false)).toThrow(/records length 5 differs/);
    expect(() => encode(Fetch.response, 4, fetchResponse((regions) => ({ length: 1, regions })) as never, new Writer())).toThrow(
      /Fetch v4 field responses\[0\]\.partitions\[0\]\.records records length 1/,
    );
  });

  it('cannot hide regions inside a tagged field or a plain buffer', () => {
    const w = new Writer();
    w.records({ length: 4, regions: [region(7, 0, 4)] }, true);
    expect(() => w.toBuffer()).toThrow(EncodeError);
    expect(() => bytesOf(w.finish())).toThrow(/send its parts/);
  });
});

describe('flexible versions and tagged fields', () => {
  const { ApiVersions, Fetch, DeleteTopics } = byName();

  it('writes tagged fields only when they differ from their defaults, in tag order', () => {
    const value = {
      errorCode: 0,
      apiKeys: [],
      throttleTimeMs: 0,
      finalizedFeaturesEpoch: 3n,
      supportedFeatures: [{ name: 'f', minVersion: 1, maxVersion: 2 }],
    };
    expect(encodeToBuffer(ApiVersions.response, 3, value)).toEqual(
      // error, empty compact array, throttle, 2 tags: 0 (8 bytes), 1 (8 bytes)
      hex('0000 01 00000000 02  00 08 02 0266 0001 0002 00  01 08 0000000000000003'),
    );
    expect(encodeToBuffer(ApiVersions.response, 3, { errorCode: 0, apiKeys: [], finalizedFeaturesEpoch: -1n })).toEqual(
      hex('0000 01 00000000 00'),
    );
  });

  it('skips unknown tagged fields, at the top and inside structs', () => {
    const partition = { partitionIndex: 1, highWatermark: 5n, records: null, currentLeader: { leaderId: 3, leaderEpoch: 9 } };
    const known = encodeToBuffer(Fetch.response, 12, { responses: [{ topic: 't', partitions: [partition] }] });
    // Rebuild by hand with unknown tags 7 (top level) and 5 (partition) added.
    const w = new Writer();
    w.int32(0).int16(0).int32(0);
    w.compactArray([0], (x) => {
      x.compactString('t');
      x.compactArray([0], (y) => {
        y.int32(1).int16(0).int64(5n).int64(-1n).int64(-1n).compactNullableArray([], () => undefined).int32(-1);
        y.compactNullableBytes(null);
        y.taggedFields([
          [1, hex('00000003 00000009 00')],
          [5, hex('deadbeef')],
        ]);
      });
      x.taggedFields([]);
    });
    w.taggedFields([[7, hex('0102')]]);
    const withUnknown = bytesOf(w.finish());
    const decoded = decodeAll(Fetch.response, 12, withUnknown);
    expect(decodeAll(Fetch.response, 12, known)).toEqual(decoded);
    expect((decoded.responses as { partitions: unknown[] }[])[0]!.partitions[0]).toMatchObject(partition);
  });

  it('keeps null and empty apart in compact strings and arrays', () => {
    const value = { topics: [{ name: null, topicId: '00000000-0000-0000-0000-000000000001' }, { name: '', topicId: '00000000-0000-0000-0000-000000000002' }], timeoutMs: 5 };
    expect(decodeAll(DeleteTopics.request, 6, encodeToBuffer(DeleteTopics.request, 6, value))).toMatchObject(value);
    const { Metadata, OffsetFetch } = byName();
    for (const topics of [null, []]) {
      expect(decodeAll(Metadata.request, 1, encodeToBuffer(Metadata.request, 1, { topics })).topics).toEqual(topics);
      expect(decodeAll(OffsetFetch.request, 6, encodeToBuffer(OffsetFetch.request, 6, { groupId: 'g', topics })).topics).toEqual(topics);
    }
  });

  it('writes a nullable struct behind an int8 marker: -1 for null, 1 then the struct (ConsumerGroupHeartbeat Assignment)', () => {
    const { ConsumerGroupHeartbeat } = byName();
    const base = { throttleTimeMs: 0, errorCode: 0, errorMessage: null, memberId: null, memberEpoch: 3, heartbeatIntervalMs: 5000 };
    // int32 throttle, int16 error, two null compact strings (0), int32 epoch, int32 interval, then the marker.
    const head = '00000000 0000 00 00 00000003 00001388';
    expect(encodeToBuffer(ConsumerGroupHeartbeat.response, 0, { ...base, assignment: null })).toEqual(hex(`${head} ff 00`));
    const topicId = '00000000-0000-0000-0000-0000000000aa';
    const withAssignment = { ...base, assignment: { topicPartitions: [{ topicId, partitions: [1] }] } };
    const bytes = encodeToBuffer(ConsumerGroupHeartbeat.response, 0, withAssignment);
    // marker 1; one topic (compact length 2): uuid, one partition (compact length 2) 1, the topic's tags, the struct's tags; the message's tags.
    expect(bytes).toEqual(hex(`${head} 01 02 ${'00'.repeat(15)}aa 02 00000001 00 00 00`));
    expect(decodeAll(ConsumerGroupHeartbeat.response, 0, bytes)).toMatchObject(withAssignment);
    expect(decodeAll(ConsumerGroupHeartbeat.response, 0, hex(`${head} ff 00`)).assignment).toBeNull();
  });
});

describe('encoding refuses what would be silently lost or wrong', () => {
  const { ListOffsets, Fetch, Produce, Metadata } = byName();

  it('a non-default value for a non-ignorable field the version lacks', () => {
    const v0 = { topics: [{ name: 't', partitions: [{ partitionIndex: 0, offset: 5n }] }] };
    expect(() => encodeToBuffer(ListOffsets.response, 0, v0)).toThrow(
      'cannot encode: ListOffsets v0 field topics[0].partitions[0].offset version 0 lacks this field, and a non-default value would be lost',
    );
    const v1 = { topics: [{ name: 't', partitions: [{ partitionIndex: 0, oldStyleOffsets: [5n] }] }] };
    expect(() => encodeToBuffer(ListOffsets.response, 1, v1)).toThrow(/oldStyleOffsets version 1 lacks this field/);
    // Defaults, and ignorable fields, go through.
    encodeToBuffer(ListOffsets.response, 0, { topics: [{ name: 't', partitions: [{ offset: -1n, leaderEpoch: -1 }] }] });
    encodeToBuffer(Fetch.response, 3, { throttleTimeMs: 0, responses: [{ topic: 't', partitions: [{ logStartOffset: 9n }] }] });
  });

  // Found by the cross-check against Kafka's JSON (protocol-kafka-json.test.ts):
  // these were declared without Kafka's "ignorable": true, so a writer of an
  // older version refused values Kafka's drops.
  it('but drops an ignorable field: Fetch ClusterId before v12, ApiVersions features before v3', () => {
    const { ApiVersions } = byName();
    const fetch = { replicaId: -1, maxWaitMs: 500, minBytes: 1, topics: [] };
    for (const v of [0, 7, 11]) {
      expect(encodeToBuffer(Fetch.request, v, { ...fetch, clusterId: 'cluster' })).toEqual(encodeToBuffer(Fetch.request, v, fetch));
    }
    const v12 = encodeToBuffer(Fetch.request, 12, { ...fetch, clusterId: 'cluster' });
    expect(decodeAll(Fetch.request, 12, v12).clusterId).toBe('cluster');

    const versions = { errorCode: 0, apiKeys: [{ apiKey: 18, minVersion: 0, maxVersion: 3 }], throttleTimeMs: 0 };
    const features = {
      supportedFeatures: [{ name: 'metadata.version', minVersion: 1, maxVersion: 20 }],
      finalizedFeatures: [{ name: 'metadata.version', maxVersionLevel: 20, minVersionLevel: 20 }],
    };
    for (const v of [0, 1, 2]) {
      expect(encodeToBuffer(ApiVersions.response, v, { ...versions, ...features })).toEqual(encodeToBuffer(ApiVersions.response, v, versions));
    }
    const v3 = encodeToBuffer(ApiVersions.response, 3, { ...versions, ...features });
    expect(decodeAll(ApiVersions.response, 3, v3)).toMatchObject(features);
  });

  it('a key that is not a field', () => {
    expect(() => encodeToBuffer(Fetch.response, 4, { responses: [{ topic: 't', partitionResponses: [] }] })).toThrow(
      'cannot encode: Fetch v4 field responses[0] "partitionResponses" is not a field of FetchableTopicResponse',
    );
  });

  it('null where the version does not allow it, and values of the wrong type', () => {
    expect(() => encodeToBuffer(Produce.request, 3, { acks: 1, timeoutMs: 1, topicData: [{ name: null }] })).toThrow(
      /Produce v3 field topicData\[0\]\.name null is not allowed in version 3/,
    );
    expect(() => encodeToBuffer(Metadata.request, 0, { topics: null })).toThrow(/topics null is not allowed/);
    expect(() => encodeToBuffer(Produce.request, 3, { acks: 70000 })).toThrow(/field acks 70000 is not an int16/);
    expect(() => encodeToBuffer(Produce.request, 3, { topicData: {} })).toThrow(/is not an array/);
    expect(() => encodeToBuffer(byName().ApiVersions.request, 5, {})).toThrow(/ApiVersions v5 is not a declared version/);
  });
});

// ---- headers and whole frames ------------------------------------------

function sampleFrame(apiKey: ApiKey, version: number): Buffer {
  const api = DECLARED.get(apiKey)!;
  const body = sample(api.request.fields, version, 'full');
  return bytesOf(encodeRequest(apiKey, version, 77, 'client-é', body as never, DECLARED));
}

describe('request frames', () => {
  it('decode with the header, and v2 headers for flexible versions', () => {
    const v3 = sampleFrame(ApiKeys.ApiVersions, 3);
    // api key, version, correlation id, client id, empty header tags, then the body.
    expect(v3.subarray(0, 20)).toEqual(hex('0012 0003 0000004d 0009 636c69656e742dc3a9 00'));
    const req = decodeRequest(v3);
    expect(req.header).toEqual({ apiKey: 18, apiVersion: 3, correlationId: 77, clientId: 'client-é' });
    expect(req.body).toEqual({ clientSoftwareName: 'ClientSoftwareName-é-0', clientSoftwareVersion: 'ClientSoftwareVersion-é-0' });
    const v2 = sampleFrame(ApiKeys.ApiVersions, 2);
    expect(v2).toEqual(hex('0012 0002 0000004d 0009 636c69656e742dc3a9'));
  });

  it('refuse versions and APIs not served, with the header for ApiVersions to answer', () => {
    const tooNew = hex('0012 0005 00000005 0001 6b 00 0000');
    const err = thrown(() => decodeRequest(tooNew));
    expect(err).toBeInstanceOf(UnsupportedVersionError);
    expect(err).toMatchObject({ apiKey: 18, apiVersion: 5, correlationId: 5, clientId: 'k', code: 'UNSUPPORTED_VERSION' });
    expect((err as Error).message).toBe('unsupported request: ApiVersions v5 is not served (0-4)');
    // Declared but not advertised: refused too.
    const produceTo7 = registryOf([serve(KAFKA_APIS[0], 0, 7)]);
    expect(() => decodeRequest(sampleFrame(ApiKeys.Produce, 8), produceTo7)).toThrow(/Produce v8 is not served \(0-7\)/);
    expect(() => decodeRequest(hex('0005 0000 00000001 ffff'))).toThrow(/api key 5 is not served/);
  });

  it('refuse bytes left over after the body', () => {
    const frame = Buffer.concat([sampleFrame(ApiKeys.Heartbeat, 3), hex('00')]);
    expect(() => decodeRequest(frame)).toThrow('malformed request: Heartbeat v3 leaves 1 byte after the body');
  });

  it('say where a truncated request ends', () => {
    const frame = bytesOf(
      encodeRequest(ApiKeys.Produce, 7, 1, null, { acks: 1, timeoutMs: 5, topicData: [{ name: 'topic', partitionData: [] }] }),
    );
    // Header (10), transactional id (2), acks (2), timeout (4), array count (4), then "topic".
    const cut = frame.subarray(0, 10 + 2 + 2 + 4 + 4 + 2 + 2);
    expect(() => decodeRequest(cut)).toThrow('truncated request: Produce v7 field topicData[0].name needs 5 bytes, 2 left');
    expect(() => decodeRequest(frame.subarray(0, 9))).toThrow('truncated request: header field clientId needs 2 bytes, 1 left');
  });

  const SAMPLES: Array<[string, ApiKey, number]> = [
    ['Produce v7', ApiKeys.Produce, 7],
    ['Produce v9', ApiKeys.Produce, 9],
    ['Fetch v11', ApiKeys.Fetch, 11],
    ['Fetch v12', ApiKeys.Fetch, 12],
    ['JoinGroup v5', ApiKeys.JoinGroup, 5],
    ['ApiVersions v3', ApiKeys.ApiVersions, 3],
    ['IncrementalAlterConfigs v1', ApiKeys.IncrementalAlterConfigs, 1],
    ['DeleteTopics v6', ApiKeys.DeleteTopics, 6],
    ['OffsetFetch v8', ApiKeys.OffsetFetch, 8],
  ];

  it.each(SAMPLES)('%s: a cut at every byte throws ProtocolError', (_name, apiKey, version) => {
    const frame = sampleFrame(apiKey, version);
    expect(decodeRequest(frame, DECLARED).apiKey).toBe(apiKey);
    for (let end = 0; end < frame.length; end++) {
      const err = thrown(() => decodeRequest(frame.subarray(0, end), DECLARED));
      expect(err, `cut at ${end}`).toBeInstanceOf(ProtocolError);
      expect((err as ProtocolError).code, `cut at ${end}`).toBe('TRUNCATED');
    }
  });

  it.each(SAMPLES)('%s: corrupted bytes parse or throw ProtocolError, nothing else', (_name, apiKey, version) => {
    const frame = sampleFrame(apiKey, version);
    let seed = 12345;
    const random = (n: number): number => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    for (let i = 0; i < 1500; i++) {
      const bad = Buffer.from(frame);
      for (let flips = 1 + random(3); flips > 0; flips--) bad[4 + random(bad.length - 4)] = random(256);
      try {
        decodeRequest(bad, DECLARED);
      } catch (err) {
        expect(err).toBeInstanceOf(ProtocolError);
      }
    }
  });

  it('refuse strings that are not UTF-8, which would grow when echoed back (fuzz seed 4: a group joined with such a protocol type closed every later ListGroups, from plan 10169 on)', () => {
    // A client id of two bytes that are no UTF-8: decoded, each would become U+FFFD, three bytes when written.
    const err = thrown(() => decodeRequest(hex('0012 0000 00000001 0002 fffe')));
    expect(err).toBeInstanceOf(ProtocolError);
    expect((err as Error).message).toBe('malformed request: header field clientId string is not valid UTF-8');
    expect(() => decodeRequest(hex('0003 0001 00000001 ffff 00000001 0003 ed a0 80'))).toThrow(/topics\[0\].name string is not valid UTF-8/);
    expect(decodeRequest(hex('0003 0001 00000001 0002 c3a9 00000001 0004 f09f9880')).body).toMatchObject({ topics: [{ name: '😀' }], allowAutoTopicCreation: true });
  });

  it(`refuse more than ${MAX_REQUEST_ELEMENTS} array elements and tagged fields in one request, all arrays together`, () => {
    const metadata = (names: number): Buffer => {
      const w = new Writer();
      w.int16(3).int16(1).int32(1).nullableString(null).int32(names);
      for (let i = 0; i < names; i++) w.string('');
      return bytesOf(w.finish());
    };
    expect((decodeRequest(metadata(MAX_REQUEST_ELEMENTS)).body as { topics: unknown[] }).topics).toHaveLength(MAX_REQUEST_ELEMENTS);
    expect(() => decodeRequest(metadata(MAX_REQUEST_ELEMENTS + 1))).toThrow(
      `malformed request: Metadata v1 field topics array of ${MAX_REQUEST_ELEMENTS + 1} elements takes the message past ${MAX_REQUEST_ELEMENTS} array elements and tagged fields`,
    );
    // Two arrays of 60,000 partitions each: neither alone is over, together they are.
    const w = new Writer();
    w.int16(9).int16(1).int32(1).nullableString(null).string('g').int32(2);
    for (const topic of ['a', 'b']) {
      w.string(topic).int32(60_000);
      for (let i = 0; i < 60_000; i++) w.int32(i);
    }
    expect(() => decodeRequest(bytesOf(w.finish()))).toThrow(/topics\[1\].partitionIndexes array of 60000 elements takes the message past/);
    // Tagged fields count too, and cannot claim more than two bytes each.
    expect(() => decodeRequest(hex('0012 0003 00000001 ffff 7f'))).toThrow(/127 tagged fields need at least 254 bytes, 0 left/);
  });

  it('refuse a negative array length', () => {
    // Metadata v1 with a topic count of -2 (-1 would be null: all topics).
    expect(() => decodeRequest(hex('0003 0001 00000001 ffff fffffffe'))).toThrow(
      'malformed request: Metadata v1 field topics array length -2 is negative',
    );
  });
});

describe('response frames', () => {
  it('use header v0 for ApiVersions even when flexible, v1 for other flexible responses', () => {
    const apiVersions = bytesOf(encodeResponse(ApiKeys.ApiVersions, 3, 9, { errorCode: 0, apiKeys: [] }));
    expect(apiVersions).toEqual(hex('00000009 0000 01 00000000 00'));
    const alter = bytesOf(encodeResponse(ApiKeys.IncrementalAlterConfigs, 1, 9, { throttleTimeMs: 0, responses: [] }));
    expect(alter).toEqual(hex('00000009 00 00000000 01 00'));
    const alterV0 = bytesOf(encodeResponse(ApiKeys.IncrementalAlterConfigs, 0, 9, { responses: [] }));
    expect(alterV0).toEqual(hex('00000009 00000000 00000000'));
    expect(decodeResponse(ApiKeys.IncrementalAlterConfigs, 1, alter).body).toEqual({ throttleTimeMs: 0, responses: [] });
  });

  it('refuse a version not served', () => {
    expect(() => encodeResponse(ApiKeys.ApiVersions, 5, 1, {})).toThrow('cannot encode: ApiVersions v5 is not served (0-4)');
    const produceTo7 = registryOf([serve(KAFKA_APIS[0], 0, 7)]);
    expect(() => encodeResponse(ApiKeys.Produce, 8, 1, {}, produceTo7)).toThrow('cannot encode: Produce v8 is not served (0-7)');
  });
});

// ---- golden bytes, written out by hand from the protocol guide ------------

describe('golden bytes', () => {
  it('ApiVersions v0 request and response', () => {
    const request = hex('0012 0000 00000001 0002 6d71');
    const req = decodeRequest(request);
    expect(req).toEqual({
      header: { apiKey: 18, apiVersion: 0, correlationId: 1, clientId: 'mq' },
      apiKey: 18,
      apiVersion: 0,
      body: { clientSoftwareName: '', clientSoftwareVersion: '' },
    });
    expect(bytesOf(encodeRequest(ApiKeys.ApiVersions, 0, 1, 'mq', {}))).toEqual(request);

    const response = { errorCode: 0, apiKeys: [{ apiKey: 0, minVersion: 0, maxVersion: 7 }, { apiKey: 18, minVersion: 0, maxVersion: 3 }] };
    const bytes = hex('00000001 0000 00000002 0000 0000 0007 0012 0000 0003');
    expect(bytesOf(encodeResponse(ApiKeys.ApiVersions, 0, 1, response))).toEqual(bytes);
    expect(decodeResponse(ApiKeys.ApiVersions, 0, bytes)).toEqual({ correlationId: 1, body: { ...response, throttleTimeMs: 0, supportedFeatures: [], finalizedFeaturesEpoch: -1n, finalizedFeatures: [] } });
  });

  it('ApiVersions v3 request and response', () => {
    const request = hex(
      '0012 0003 00000007 0002 6d71 00' + // header v2: client id stays a non-compact string
        '05 6b636174 04 312e37 00', // compact "kcat", compact "1.7", no tagged fields
    );
    const req = decodeRequest(request);
    if (req.apiKey !== ApiKeys.ApiVersions) throw new Error('not an ApiVersions request');
    expect(req.header).toEqual({ apiKey: 18, apiVersion: 3, correlationId: 7, clientId: 'mq' });
    expect(req.body).toEqual({ clientSoftwareName: 'kcat', clientSoftwareVersion: '1.7' });
    expect(bytesOf(encodeRequest(ApiKeys.ApiVersions, 3, 7, 'mq', req.body))).toEqual(request);

    const response = {
      errorCode: 0,
      apiKeys: [{ apiKey: 0, minVersion: 0, maxVersion: 7 }, { apiKey: 18, minVersion: 0, maxVersion: 3 }],
      throttleTimeMs: 0,
      finalizedFeaturesEpoch: 5n,
    };
    const bytes = hex(
      '00000007' + // header v0, no tagged fields, although v3 is flexible
        '0000 03 0000 0000 0007 00 0012 0000 0003 00' + // error, compact array of 2, each with empty tags
        '00000000' + // throttle time
        '01 01 08 0000000000000005', // one tagged field: tag 1, 8 bytes, FinalizedFeaturesEpoch 5
    );
    expect(bytesOf(encodeResponse(ApiKeys.ApiVersions, 3, 7, response))).toEqual(bytes);
    expect(decodeResponse(ApiKeys.ApiVersions, 3, bytes).body).toEqual({ ...response, supportedFeatures: [], finalizedFeatures: [] });
  });

  it('Metadata v1 response', () => {
    const response = {
      brokers: [{ nodeId: 1, host: 'localhost', port: 9092, rack: null }],
      controllerId: 1,
      topics: [
        {
          errorCode: 0,
          name: 't',
          isInternal: false,
          partitions: [{ errorCode: 0, partitionIndex: 0, leaderId: 1, replicaNodes: [1], isrNodes: [1] }],
        },
      ],
    };
    const bytes = hex(
      '0000002a' + // correlation id 42
        '00000001 00000001 0009 6c6f63616c686f7374 00002384 ffff' + // one broker: 1, "localhost", 9092, rack null
        '00000001' + // controller id
        '00000001 0000 0001 74 00' + // one topic: no error, "t", not internal
        '00000001 0000 00000000 00000001 00000001 00000001 00000001 00000001', // partition 0, leader 1, replicas [1], isr [1]
    );
    expect(bytesOf(encodeResponse(ApiKeys.Metadata, 1, 42, response))).toEqual(bytes);
    const back = decodeResponse(ApiKeys.Metadata, 1, bytes).body;
    expect(back).toMatchObject(response);
    expect(back.throttleTimeMs).toBe(0);
    expect(back.clusterId).toBeNull();
  });
});

describe('api registry and error codes', () => {
  it('advertises the agreed ranges', () => {
    expect(advertisedVersions()).toEqual([
      { apiKey: 0, minVersion: 0, maxVersion: 13 },
      { apiKey: 1, minVersion: 0, maxVersion: 18 },
      { apiKey: 2, minVersion: 0, maxVersion: 11 },
      { apiKey: 3, minVersion: 0, maxVersion: 13 },
      { apiKey: 8, minVersion: 0, maxVersion: 10 },
      { apiKey: 9, minVersion: 0, maxVersion: 10 },
      { apiKey: 10, minVersion: 0, maxVersion: 6 },
      { apiKey: 11, minVersion: 0, maxVersion: 9 },
      { apiKey: 12, minVersion: 0, maxVersion: 4 },
      { apiKey: 13, minVersion: 0, maxVersion: 5 },
      { apiKey: 14, minVersion: 0, maxVersion: 5 },
      { apiKey: 15, minVersion: 0, maxVersion: 6 },
      { apiKey: 16, minVersion: 0, maxVersion: 5 },
      { apiKey: 17, minVersion: 0, maxVersion: 1 },
      { apiKey: 18, minVersion: 0, maxVersion: 4 },
      { apiKey: 19, minVersion: 0, maxVersion: 7 },
      { apiKey: 20, minVersion: 0, maxVersion: 6 },
      { apiKey: 21, minVersion: 0, maxVersion: 2 },
      { apiKey: 22, minVersion: 0, maxVersion: 5 },
      { apiKey: 23, minVersion: 0, maxVersion: 4 },
      { apiKey: 24, minVersion: 0, maxVersion: 5 },
      { apiKey: 25, minVersion: 0, maxVersion: 4 },
      { apiKey: 26, minVersion: 0, maxVersion: 5 },
      { apiKey: 28, minVersion: 0, maxVersion: 5 },
      { apiKey: 29, minVersion: 0, maxVersion: 3 },
      { apiKey: 30, minVersion: 0, maxVersion: 3 },
      { apiKey: 31, minVersion: 0, maxVersion: 3 },
      { apiKey: 32, minVersion: 0, maxVersion: 4 },
      { apiKey: 33, minVersion: 0, maxVersion: 2 },
      { apiKey: 35, minVersion: 0, maxVersion: 5 },
      { apiKey: 36, minVersion: 0, maxVersion: 2 },
      { apiKey: 37, minVersion: 0, maxVersion: 3 },
      { apiKey: 42, minVersion: 0, maxVersion: 2 },
      { apiKey: 44, minVersion: 0, maxVersion: 1 },
      { apiKey: 47, minVersion: 0, maxVersion: 0 },
      { apiKey: 50, minVersion: 0, maxVersion: 0 },
      { apiKey: 51, minVersion: 0, maxVersion: 0 },
      { apiKey: 60, minVersion: 0, maxVersion: 2 },
      { apiKey: 61, minVersion: 0, maxVersion: 0 },
      { apiKey: 65, minVersion: 0, maxVersion: 0 },
      { apiKey: 66, minVersion: 0, maxVersion: 2 },
      { apiKey: 68, minVersion: 0, maxVersion: 1 },
      { apiKey: 69, minVersion: 0, maxVersion: 1 },
    ]);
    expect(ApiKeys).toMatchObject({ Produce: 0, Fetch: 1, ApiVersions: 18, IncrementalAlterConfigs: 44 });
    expect(KAFKA_REGISTRY.get(3)!.name).toBe('Metadata');
    for (const api of KAFKA_APIS) {
      expect(api.request.apiKey).toBe(api.apiKey);
      expect(api.response.apiKey).toBe(api.apiKey);
      expect(api.request.name).toBe(`${api.name}Request`);
      expect(api.response.name).toBe(`${api.name}Response`);
    }
  });

  it('maps Kafka error names to codes and back (checked against Errors.java)', () => {
    const expected: Record<string, number> = {
      NONE: 0, UNKNOWN_SERVER_ERROR: -1, OFFSET_OUT_OF_RANGE: 1, CORRUPT_MESSAGE: 2, UNKNOWN_TOPIC_OR_PARTITION: 3,
      INVALID_FETCH_SIZE: 4, LEADER_NOT_AVAILABLE: 5, NOT_LEADER_OR_FOLLOWER: 6, REQUEST_TIMED_OUT: 7, MESSAGE_TOO_LARGE: 10,
      COORDINATOR_LOAD_IN_PROGRESS: 14, COORDINATOR_NOT_AVAILABLE: 15, NOT_COORDINATOR: 16, INVALID_TOPIC_EXCEPTION: 17,
      RECORD_LIST_TOO_LARGE: 18, NOT_ENOUGH_REPLICAS: 19, INVALID_REQUIRED_ACKS: 21, ILLEGAL_GENERATION: 22,
      INCONSISTENT_GROUP_PROTOCOL: 23, INVALID_GROUP_ID: 24, UNKNOWN_MEMBER_ID: 25, INVALID_SESSION_TIMEOUT: 26,
      REBALANCE_IN_PROGRESS: 27, INVALID_COMMIT_OFFSET_SIZE: 28, TOPIC_AUTHORIZATION_FAILED: 29, GROUP_AUTHORIZATION_FAILED: 30,
      UNSUPPORTED_VERSION: 35, TOPIC_ALREADY_EXISTS: 36, INVALID_PARTITIONS: 37, INVALID_REPLICATION_FACTOR: 38,
      INVALID_REQUEST: 42, UNSUPPORTED_FOR_MESSAGE_FORMAT: 43, OUT_OF_ORDER_SEQUENCE_NUMBER: 45, DUPLICATE_SEQUENCE_NUMBER: 46,
      INVALID_PRODUCER_EPOCH: 47, INVALID_CONFIG: 40, POLICY_VIOLATION: 44, NOT_CONTROLLER: 41, INVALID_TIMESTAMP: 32,
      UNSUPPORTED_COMPRESSION_TYPE: 76, MEMBER_ID_REQUIRED: 79, GROUP_ID_NOT_FOUND: 69, NON_EMPTY_GROUP: 68,
      UNKNOWN_PRODUCER_ID: 59, INVALID_RECORD: 87, GROUP_MAX_SIZE_REACHED: 81, FENCED_INSTANCE_ID: 82, PRODUCER_FENCED: 90,
      KAFKA_STORAGE_ERROR: 56, TRANSACTIONAL_ID_AUTHORIZATION_FAILED: 53,
    };
    for (const [name, code] of Object.entries(expected)) {
      expect(errorCode(name as ErrorName), name).toBe(code);
      expect(errorName(code), name).toBe(name);
    }
    expect(() => errorCode('UNKNOWN_TOPIC' as ErrorName)).toThrow(/unknown Kafka error name "UNKNOWN_TOPIC"/);
    expect(errorName(31_000)).toBe('UNKNOWN_SERVER_ERROR');
    expect(new Set(Object.values(ERROR_CODES)).size).toBe(Object.keys(ERROR_CODES).length);
  });
});
