// mqlab's Kafka declarations and codec against Kafka's own JSON message
// definitions (vendored in test/fixtures/kafka-messages/, Kafka 4.3), for
// every API declared and every version each declaration covers, flexible
// versions included (kafkajs, the other golden source, stops before them).
// The versions Kafka 4.0 removed (KIP-896), which mqlab still serves, are
// checked against the last definitions that had them
// (test/fixtures/kafka-messages-3.9/):
//
//  1. a structural diff: field names (ignoring case), types, version ranges,
//     nullability, tags, and the defaults and ignorability that decide what
//     a version lacking a field decodes to or may drop; a declaration that
//     claims versions the JSON does not define fails here;
//  2. round trips through an independent JSON-driven codec
//     (test/helpers/kafka-json-codec.ts), both ways, with seeded random
//     values: mqlab encodes → it decodes, it encodes → mqlab decodes, and
//     both encoders produce the same bytes; then whole frames, headers
//     included.
//
// Deliberate deviations are allow-listed below, each with its reason; an
// entry that no longer matches a difference fails too, so the list stays
// true. The seed is printed; KAFKA_JSON_SEED=<n> replays a run.
import { readFileSync, existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { SharedFile } from '../src/transfer/shared-file.js';
import type { FileRegion } from '../src/transfer/types.js';
import * as apis from '../src/protocol/kafka/apis/index.js';
import { KAFKA_APIS } from '../src/protocol/kafka/apis/index.js';
import {
  Reader,
  Writer,
  bytesOf,
  decode,
  decodeRequest,
  decodeResponse,
  encode,
  encodeRequest,
  encodeResponse,
  registryOf,
  serve,
  type ApiDefinition,
  type ApiKey,
  type MessageSpec,
} from '../src/protocol/kafka/index.js';
import {
  ByteSink,
  ByteSource,
  Versions,
  decodeAll,
  decodeRequestFrame,
  decodeResponseFrame,
  encodeMessage,
  encodeRequestFrame,
  encodeResponseFrame,
  parseJsonWithComments,
  parseMessageSpec,
  type Frames,
  type JsonMessageSpec,
} from './helpers/kafka-json-codec.js';
import {
  Rng,
  compareMessage,
  declaredRange,
  fromMqlab,
  matches,
  randomStruct,
  toMqlab,
  type Deviation,
  type Difference,
} from './helpers/kafka-json-check.js';

const DIR = fileURLToPath(new URL('./fixtures/kafka-messages/', import.meta.url));
/** The definitions of the versions Kafka 4.0 removed. */
const OLDER_DIR = fileURLToPath(new URL('./fixtures/kafka-messages-3.9/', import.meta.url));
const commitOf = (dir: string): string => /^Commit: (\w+)$/m.exec(readFileSync(`${dir}README.md`, 'utf8'))?.[1] ?? '?';
const COMMIT = commitOf(DIR);
const OLDER_COMMIT = commitOf(OLDER_DIR);

const SEED = process.env.KAFKA_JSON_SEED !== undefined ? Number(process.env.KAFKA_JSON_SEED) : Math.floor(Math.random() * 2 ** 31);
/** Random messages per message and version, each way. */
const SAMPLES = 8;

// ---- deliberate deviations ----------------------------------------------------------

const ALLOWED: readonly Deviation[] = [
  {
    message: 'FetchResponse',
    path: 'Responses.Partitions.SnapshotId',
    kind: 'missing-field',
    reason:
      'Tag 2 of a partition (v12+), for KRaft voters fetching from the quorum leader (KIP-630): a broker answering ' +
      'consumers never sends it, and mqlab as a client has no use for it. Its reader skips the tag, as Kafka skips ' +
      'tags it does not know; the round trips send it and check exactly that.',
  },
  {
    message: 'ApiVersionsResponse',
    path: 'ZkMigrationReady',
    kind: 'missing-field',
    reason:
      'Tag 3 (v3+), set by KRaft controllers during a ZooKeeper migration (KIP-866); never sent to clients by a ' +
      'broker. The reader skips it (checked by the round trips, which send it).',
  },
  {
    message: 'OffsetCommitRequest',
    path: 'GenerationIdOrMemberEpoch',
    kind: 'name',
    reason:
      'Kafka renamed GenerationId for the member epochs of KIP-848; mqlab keeps the older name (and key) and reads it as ' +
      'a generation for classic groups, a member epoch for consumer groups (see offset-commit.ts). Same field, same wire.',
  },
  {
    message: 'DescribeConfigsRequest',
    path: 'IncludeSynonyms',
    kind: 'name',
    reason:
      "Kafka's JSON spelled it IncludeSynoyms until Kafka 2.6 (KAFKA-9494); the declaration keeps that spelling and " +
      'so its key, includeSynoyms, which callers use. Same field, same wire.',
  },
  {
    message: 'CreateTopicsRequest',
    path: 'Topics.Configs',
    kind: 'struct-name',
    reason: 'Struct type CreateableTopicConfig, as Kafka spelled it until 3.9 (KAFKA-17095). Type names never reach the wire.',
  },
  {
    message: 'IncrementalAlterConfigsResponse',
    path: 'Responses',
    kind: 'struct-name',
    reason: 'Struct type AlterConfigsResourceResult, as Kafka named it until 2.4 (KAFKA-8614). Type names never reach the wire.',
  },
];

/**
 * APIs advertised up to another version than the newest stable one of the
 * vendored definitions, each with the version mqlab stops at and why. An
 * entry that no longer matches fails the test, so the list stays true.
 */
const ADVERTISED_OTHERWISE: Readonly<Record<string, { max: number; reason: string }>> = {
  ConsumerGroupHeartbeat: { max: 1, reason: 'v2 (GroupCreationTimeMs, KIP-1327) is on the trunk the KIP-848 definitions come from, in no release they know' },
  ConsumerGroupDescribe: { max: 1, reason: 'v2 (GroupCreationTimeMs, KIP-1327) is on the trunk the KIP-848 definitions come from, in no release they know' },
};

// ---- what is declared, and its JSON ------------------------------------------------------

function isApiDefinition(v: unknown): v is ApiDefinition {
  return typeof v === 'object' && v !== null && 'request' in v && 'response' in v && 'apiKey' in v && 'name' in v;
}

/** Every API declared under src/protocol/kafka/apis, served or not, once each. */
const DECLARED: ApiDefinition[] = [...new Map((Object.values(apis) as unknown[]).filter(isApiDefinition).map((a) => [a.apiKey, a])).values()].sort(
  (a, b) => a.apiKey - b.apiKey,
);

function loadJson(name: string, dir = DIR): JsonMessageSpec | undefined {
  const file = `${dir}${name}.json`;
  return existsSync(file) ? parseMessageSpec(readFileSync(file, 'utf8')) : undefined;
}

const JSON_OF = new Map<string, JsonMessageSpec | undefined>();
const OLDER_JSON_OF = new Map<string, JsonMessageSpec>();
for (const a of DECLARED) {
  for (const m of [a.request, a.response]) {
    JSON_OF.set(m.name, loadJson(m.name));
    const older = loadJson(m.name, OLDER_DIR);
    if (older !== undefined) OLDER_JSON_OF.set(m.name, older);
  }
}
const FRAMES: Frames = { requestHeader: loadJson('RequestHeader')!, responseHeader: loadJson('ResponseHeader')! };

/** The newest vendored definition of `m`. */
function jsonOf(m: MessageSpec): JsonMessageSpec {
  const j = JSON_OF.get(m.name);
  if (j === undefined) throw new Error(`no vendored ${m.name}.json`);
  return j;
}

/** The definition of `m` at `version`: the newest snapshot that has it. */
function jsonAt(m: MessageSpec, version: number): JsonMessageSpec {
  const j = jsonOf(m);
  if (j.validVersions.has(version)) return j;
  const older = OLDER_JSON_OF.get(m.name);
  if (older?.validVersions.has(version) === true) return older;
  throw new Error(`no vendored definition of ${m.name} v${version}`);
}

/** Declared versions below the newest definition's lowest: the ones Kafka 4.0 removed. */
function removedRange(j: JsonMessageSpec): Versions {
  return new Versions(0, j.validVersions.lo - 1);
}

/** `m` against both snapshots: each declared version against the newest that defines it. */
function compareBoth(m: MessageSpec): ReturnType<typeof compareMessage> {
  const j = jsonOf(m);
  const newest = compareMessage(m, j, new Versions(j.validVersions.lo, Infinity));
  const removed = declaredRange(m).intersect(removedRange(j));
  if (removed.empty) return newest;
  const older = OLDER_JSON_OF.get(m.name);
  const before = older === undefined ? compareMessage(m, j, removedRange(j)) : compareMessage(m, older, removedRange(j));
  return { differences: [...newest.differences, ...before.differences], notes: [...newest.notes, ...before.notes], compared: newest.compared };
}

function versionsOf(r: Versions): number[] {
  const out: number[] = [];
  for (let v = r.lo; v <= r.hi; v++) out.push(v);
  return out;
}

/** The versions of `m` that are both declared and in a vendored JSON: the ones round-tripped. */
function compared(m: MessageSpec): number[] {
  const j = JSON_OF.get(m.name);
  if (j === undefined) return [];
  const older = OLDER_JSON_OF.get(m.name);
  const declared = declaredRange(m);
  return versionsOf(declared).filter((v) => j.validVersions.has(v) || older?.validVersions.has(v) === true);
}

// ---- the two codecs, on one message --------------------------------------------------

function mqlabEncode(m: MessageSpec, version: number, value: object): Buffer {
  const w = new Writer(16);
  encode(m, version, value, w);
  return bytesOf(w.finish());
}

function mqlabDecode(m: MessageSpec, version: number, bytes: Buffer): Record<string, unknown> {
  const r = new Reader(bytes);
  const out = decode(m, version, r) as Record<string, unknown>;
  if (r.remaining !== 0) throw new Error(`mqlab left ${r.remaining} bytes of ${m.name} v${version}`);
  return out;
}

function noUnknownTags(where: string, tag: number): never {
  throw new Error(`mqlab wrote tag ${tag} in ${where}, which the JSON does not define there`);
}

const context = (m: MessageSpec, v: number, i: number): string => `${m.name} v${v} sample ${i} (KAFKA_JSON_SEED=${SEED})`;

/**
 * One message at one version, both ways:
 *  - mqlab encodes a random value; the JSON codec decodes exactly that value,
 *    and encodes it to the same bytes;
 *  - the JSON codec encodes a random value (fields mqlab does not declare
 *    included: mqlab must skip those it does not know); mqlab decodes it to
 *    the same value, in its own shape.
 */
function roundTrip(m: MessageSpec, version: number, rng: Rng, i: number): void {
  const j = jsonAt(m, version);
  const where = context(m, version, i);
  const full = randomStruct(j.fields, rng, version);

  // mqlab → JSON codec
  const asMqlab = toMqlab(full, m.fields, j.fields);
  const expected = fromMqlab(asMqlab, m.fields, j.fields);
  const mqlabBytes = mqlabEncode(m, version, asMqlab);
  const decoded = decodeAll(j, version, mqlabBytes, { onUnknownTag: noUnknownTags });
  expect(decoded, where).toEqual(expected);
  expect(mqlabBytes.toString('hex'), `${where}: the same value, the same bytes`).toBe(encodeMessage(j, version, expected).toString('hex'));

  // JSON codec → mqlab
  const jsonBytes = encodeMessage(j, version, full);
  expect(mqlabDecode(m, version, jsonBytes), where).toEqual(asMqlab);

  // Values in fields the version lacks: both writers drop them (ignorable,
  // or equal to the default), or both refuse the message.
  const noisy = toMqlab(randomStruct(j.fields, rng, version, { absentNoise: 0.3 }), m.fields, j.fields);
  const mqlabOutcome = outcome(() => mqlabEncode(m, version, noisy));
  const jsonOutcome = outcome(() => encodeMessage(j, version, fromMqlab(noisy, m.fields, j.fields)));
  expect(mqlabOutcome, `${where}, with values in fields v${version} lacks`).toEqual(jsonOutcome);
}

/** The bytes written, or that the writer refused: which field, not its words. */
function outcome(write: () => Buffer): string {
  try {
    return write().toString('hex');
  } catch {
    return 'refused';
  }
}

// ---- tests --------------------------------------------------------------------------------

describe(`Kafka's JSON message definitions (Kafka 4.3 via ${COMMIT.slice(0, 12)}; removed versions from ${OLDER_COMMIT.slice(0, 12)}), seed ${SEED}`, () => {
  console.log(
    `protocol-kafka-json: seed ${SEED} (KAFKA_JSON_SEED=${SEED} replays it); definitions from ${COMMIT}, versions Kafka 4.0 removed from apache/kafka ${OLDER_COMMIT}`,
  );

  it('are vendored for every declared API, request and response', () => {
    const missing = [...JSON_OF].filter(([, j]) => j === undefined).map(([name]) => name);
    expect(missing, `vendor them: test/fixtures/kafka-messages/refresh.sh <kafka git dir> HEAD ${missing.join(' ')}`).toEqual([]);
    for (const a of DECLARED) {
      for (const m of [a.request, a.response]) {
        const j = jsonOf(m);
        expect([j.name, j.type, j.apiKey]).toEqual([m.name, m.type, a.apiKey]);
      }
    }
    expect(FRAMES.requestHeader?.type).toBe('header');
    expect(FRAMES.responseHeader?.type).toBe('header');
  });

  it('match every declaration, field by field, over the versions it declares', () => {
    const all: Difference[] = [];
    const notes: string[] = [];
    for (const a of DECLARED) {
      for (const m of [a.request, a.response]) {
        const c = compareBoth(m);
        all.push(...c.differences);
        for (const n of c.notes) notes.push(`${n.message} ${n.path}: ${n.detail}`);
      }
    }
    const messages = DECLARED.flatMap((a) => [a.request, a.response]);
    const versions = messages.reduce((n, m) => n + compared(m).length, 0);
    console.log(`protocol-kafka-json: ${DECLARED.length} APIs, ${messages.length} messages, ${versions} message versions compared`);
    const show = (d: Difference): string => `${d.message} ${d.path || '(message)'} [${d.kind}]: ${d.detail}`;
    if (notes.length > 0) console.log(`protocol-kafka-json: defaults that differ on fields every declared version carries (no wire effect):\n  ${notes.join('\n  ')}`);
    const unexplained = all.filter((d) => !ALLOWED.some((a) => matches(d, a))).map(show);
    expect(unexplained, 'differences from the vendored JSON: fix the declaration, or allow-list a deliberate one with its reason').toEqual([]);
    const stale = ALLOWED.filter((a) => !all.some((d) => matches(d, a))).map((a) => `${a.message} ${a.path} [${a.kind}]`);
    expect(stale, 'allow-list entries that no longer match a difference').toEqual([]);
  });

  it("advertise every API up to the newest version Kafka's own brokers advertise", () => {
    // Kafka's brokers advertise the newest version a request definition marks
    // stable; the versions 4.0 removed mqlab keeps, so only maxima are compared.
    // (Some advertised APIs, SASL's, are declared outside apis/ and so not in DECLARED.)
    const requestJson = (api: (typeof KAFKA_APIS)[number]): JsonMessageSpec => {
      const j = JSON_OF.get(api.request.name) ?? loadJson(api.request.name);
      if (j === undefined) throw new Error(`no vendored ${api.request.name}.json`);
      return j;
    };
    const behind = KAFKA_APIS.flatMap((api) => {
      const j = requestJson(api);
      const kafkaMax = j.validVersions.hi - (j.latestVersionUnstable ? 1 : 0);
      const gap = ADVERTISED_OTHERWISE[api.name];
      const expected = gap === undefined ? kafkaMax : gap.max;
      return api.maxVersion === expected ? [] : [`${api.name}: mqlab ${api.minVersion}-${api.maxVersion}, Kafka 4.3 up to ${kafkaMax}${gap ? ` (listed as ${gap.max})` : ''}`];
    });
    expect(behind, 'raise the range, or list the gap with its reason in ADVERTISED_OTHERWISE').toEqual([]);
    const stale = Object.keys(ADVERTISED_OTHERWISE).filter((name) => {
      const api = KAFKA_APIS.find((a) => a.name === name);
      return api === undefined || ADVERTISED_OTHERWISE[name]!.max === requestJson(api).validVersions.hi - (requestJson(api).latestVersionUnstable ? 1 : 0);
    });
    expect(stale, 'ADVERTISED_OTHERWISE entries that say what the definitions say anyway').toEqual([]);
    const table = KAFKA_APIS.map((api) => {
      const j = requestJson(api);
      return `${api.name} ${api.minVersion}-${api.maxVersion} (Kafka 4.3: ${j.validVersions.lo}-${j.validVersions.hi - (j.latestVersionUnstable ? 1 : 0)})`;
    });
    console.log(`protocol-kafka-json: advertised ranges beside Kafka 4.3's:\n  ${table.join('\n  ')}`);
  });

  describe.each(DECLARED.map((a) => [a.name, a] as const))('%s', (_name, api) => {
    it.each(
      [api.request, api.response].flatMap((m) => compared(m).map((v) => [m.name, v, m] as const)),
    )('%s v%i round-trips through the JSON-driven codec', (_m, version, m) => {
      const rng = new Rng((SEED ^ (m.apiKey * 7919 + version * 104_729 + (m.type === 'request' ? 0 : 1))) >>> 0);
      for (let i = 0; i < SAMPLES; i++) roundTrip(m, version, rng, i);
    });

    const both = compared(api.request).filter((v) => compared(api.response).includes(v));
    it.each(both)('frames of v%i (headers included) are the same bytes both ways', (version) => {
      const registry = registryOf([serve(api, Math.min(...both), Math.max(...both))]);
      const key = api.apiKey as ApiKey;
      const rng = new Rng((SEED + api.apiKey * 31 + version) >>> 0);
      const request = jsonAt(api.request, version);
      const response = jsonAt(api.response, version);
      /** A random body both codecs can carry whole: only fields mqlab declares, as [JSON-driven, mqlab] values. */
      const body = (m: MessageSpec, j: JsonMessageSpec): [Record<string, unknown>, Record<string, unknown>] => {
        const asMqlab = toMqlab(randomStruct(j.fields, rng, version), m.fields, j.fields);
        return [fromMqlab(asMqlab, m.fields, j.fields), asMqlab];
      };
      for (let i = 0; i < 4; i++) {
        const where = context(api.request, version, i);
        const correlationId = rng.int(-0x8000_0000, 0x7fff_ffff);
        const clientId = rng.chance(0.2) ? null : rng.pick(['', 'mqlab', 'rdkafka', 'клиент-😀']);

        const [reqJson, reqMqlab] = body(api.request, request);
        const mqlabReq = bytesOf(encodeRequest(key, version, correlationId, clientId, reqMqlab as never, registry));
        const jsonReq = encodeRequestFrame(FRAMES, request, version, correlationId, clientId, reqJson);
        expect(mqlabReq.toString('hex'), where).toBe(jsonReq.toString('hex'));
        expect(decodeRequestFrame(FRAMES, new Map([[api.apiKey, request]]), mqlabReq, { onUnknownTag: noUnknownTags }), where).toEqual({
          header: { requestApiKey: api.apiKey, requestApiVersion: version, correlationId, clientId },
          body: reqJson,
        });
        const theirs = decodeRequest(jsonReq, registry);
        expect({ header: theirs.header, body: theirs.body }, where).toEqual({
          header: { apiKey: api.apiKey, apiVersion: version, correlationId, clientId },
          body: reqMqlab,
        });

        const [resJson, resMqlab] = body(api.response, response);
        const mqlabRes = bytesOf(encodeResponse(key, version, correlationId, resMqlab as never, registry));
        const jsonRes = encodeResponseFrame(FRAMES, response, version, correlationId, resJson);
        expect(mqlabRes.toString('hex'), where).toBe(jsonRes.toString('hex'));
        expect(decodeResponseFrame(FRAMES, response, version, mqlabRes, { onUnknownTag: noUnknownTags }), where).toEqual({
          header: { correlationId },
          body: resJson,
        });
        expect(decodeResponse(key, version, jsonRes, registry), where).toEqual({ correlationId, body: resMqlab });
      }
    });
  });
});

// ---- records from file regions ----------------------------------------------------------

describe('records written from file regions (the zero-copy fetch path)', () => {
  // A stand-in for an open file: the codec only carries regions, it never reads them.
  const fileBytes = Buffer.from('0123456789abcdefghijklmnopqrstuvwxyz');
  const file = { fd: 9, path: 'stand-in' } as unknown as SharedFile;
  const region = (position: number, length: number): FileRegion => ({ file, position, length });
  const fetch = apis.Fetch.response;

  it.each(compared(fetch))('decode as the JSON says: Fetch response v%i', (version) => {
    const j = jsonAt(fetch, version);
    const groups: Array<FileRegion[] | null> = [[region(0, 4), region(20, 3)], null, [], [region(10, 10)]];
    const value = {
      responses: [
        {
          topic: 'orders',
          partitions: groups.map((regions, i) => ({
            partitionIndex: i,
            highWatermark: 10n,
            records: regions === null ? null : { length: regions.reduce((n, r) => n + r.length, 0), regions },
          })),
        },
      ],
    };
    const w = new Writer(16);
    encode(fetch, version, value as never, w);
    const wire = Buffer.concat(
      w.finish().parts.flatMap((p) => [p.bytes, ...p.regions.map((r) => fileBytes.subarray(r.position, r.position + r.length))]),
    );
    const decoded = decodeAll(j, version, wire, { onUnknownTag: noUnknownTags }) as { responses: Array<{ partitions: Array<{ records: Buffer | null }> }> };
    expect(decoded.responses[0]!.partitions.map((p) => p.records?.toString() ?? null)).toEqual(['0123klm', null, '', 'abcdefghij']);
  });
});

// ---- the independent codec on its own: bytes worked out by hand ------------------------

describe('the JSON-driven codec itself', () => {
  const hex = (s: string): string => s.replace(/\s+/g, '');
  const req = (name: string): JsonMessageSpec => loadJson(name)!;

  it('keeps // inside strings when it strips comments', () => {
    expect(parseJsonWithComments('{ "a": "http://x//y", // gone\n "b": 1 }')).toEqual({ a: 'http://x//y', b: 1 });
  });

  it('writes unsigned varints 7 bits at a time, low group first', () => {
    for (const [v, bytes] of [
      [0, '00'],
      [127, '7f'],
      [128, '8001'],
      [300, 'ac02'],
      [0xffff_ffff, 'ffffffff0f'],
    ] as const) {
      const s = new ByteSink();
      s.unsignedVarint(v);
      expect(s.toBuffer().toString('hex')).toBe(bytes);
      expect(new ByteSource(Buffer.from(bytes, 'hex')).unsignedVarint()).toBe(v);
    }
  });

  it('writes compact strings and a tagged-field section in flexible versions', () => {
    // ApiVersionsRequest v3: two compact strings (length + 1), no tagged fields.
    const bytes = encodeMessage(req('ApiVersionsRequest'), 3, { clientSoftwareName: 'a', clientSoftwareVersion: 'bc' });
    expect(bytes.toString('hex')).toBe(hex('02 61  03 6263  00'));
  });

  it('writes a tagged field only when it differs from its default, as tag, size, bytes', () => {
    const spec = req('ApiVersionsResponse');
    const value = { errorCode: 0, apiKeys: [], throttleTimeMs: 0, finalizedFeaturesEpoch: 300n };
    // error code, compact empty array, throttle time, then 1 tagged field:
    // tag 1, 8 bytes, the int64. SupportedFeatures (empty), FinalizedFeatures
    // (empty) and ZkMigrationReady (false) are at their defaults: not written.
    expect(encodeMessage(spec, 3, value).toString('hex')).toBe(hex('0000 01 00000000 01 01 08 000000000000012c'));
    expect(encodeMessage(spec, 3, { ...value, finalizedFeaturesEpoch: -1n }).toString('hex')).toBe(hex('0000 01 00000000 00'));
    const back = decodeAll(spec, 3, Buffer.from(hex('0000 01 00000000 01 01 08 000000000000012c'), 'hex'));
    expect(back).toMatchObject({ finalizedFeaturesEpoch: 300n, supportedFeatures: [], zkMigrationReady: false });
  });

  it('writes a nullable tagged string with a null default only when not null', () => {
    const spec = req('FetchRequest');
    const base = { maxWaitMs: 0, minBytes: 0, topics: [], forgottenTopicsData: [] };
    // ReplicaId (default -1), MaxWaitMs, MinBytes, MaxBytes (default), IsolationLevel,
    // SessionId, SessionEpoch (default -1), Topics, ForgottenTopicsData, RackId:
    const fixed = hex('ffffffff 00000000 00000000 7fffffff 00 00000000 ffffffff 01 01 01');
    expect(encodeMessage(spec, 12, { ...base, clusterId: null }).toString('hex')).toBe(fixed + '00');
    // An empty string is not the default: one tagged field, tag 0, 1 byte, compact "".
    expect(encodeMessage(spec, 12, { ...base, clusterId: '' }).toString('hex')).toBe(fixed + hex('01 00 01 01'));
  });

  it('writes nulls as -1 lengths in classic versions and 0 in flexible ones', () => {
    expect(encodeMessage(req('MetadataRequest'), 1, { topics: null }).toString('hex')).toBe('ffffffff');
    const fetch = req('FetchResponse');
    const partition = { partitionIndex: 0, errorCode: 0, highWatermark: 0n, abortedTransactions: null, records: null };
    const v4 = encodeMessage(fetch, 4, { responses: [{ topic: '', partitions: [partition] }] }).toString('hex');
    expect(v4.endsWith(hex('ffffffff ffffffff'))).toBe(true); // aborted transactions, records
    const v12 = encodeMessage(fetch, 12, { responses: [{ topic: '', partitions: [partition] }] }).toString('hex');
    expect(v12.endsWith(hex('00 ffffffff 00 00 00 00'))).toBe(true); // aborted, preferred replica, records, tags ×3
  });

  it('frames requests with header v2 (client id still a classic string) and ApiVersions responses with header v0', () => {
    const request = encodeRequestFrame(FRAMES, req('ApiVersionsRequest'), 3, 1, 'x', { clientSoftwareName: '', clientSoftwareVersion: '' });
    expect(request.toString('hex')).toBe(hex('0012 0003 00000001 0001 78 00  01 01 00'));
    const response = encodeResponseFrame(FRAMES, req('ApiVersionsResponse'), 3, 1, { errorCode: 0, apiKeys: [], throttleTimeMs: 0 });
    expect(response.toString('hex')).toBe(hex('00000001  0000 01 00000000 00'));
    const heartbeat = encodeResponseFrame(FRAMES, req('HeartbeatResponse'), 4, 1, { throttleTimeMs: 0, errorCode: 0 });
    expect(heartbeat.toString('hex')).toBe(hex('00000001 00  00000000 0000 00'));
  });

  it('refuses a non-default value in a version without the field, unless the field is ignorable', () => {
    const fetch = req('FetchRequest');
    const base = { maxWaitMs: 0, minBytes: 0, topics: [] };
    expect(() => encodeMessage(fetch, 11, { ...base, clusterId: 'c' })).not.toThrow(); // ignorable
    expect(() => encodeMessage(loadJson('CreateTopicsRequest', OLDER_DIR)!, 0, { topics: [], timeoutMs: 0, validateOnly: true })).toThrow(/validateOnly/);
  });

  it('skips tags it does not know, and rejects bytes left over', () => {
    const spec = req('HeartbeatResponse');
    const seen: number[] = [];
    const value = decodeAll(spec, 4, Buffer.from(hex('00000000 0000 01 09 02 abcd'), 'hex'), { onUnknownTag: (_w, tag) => seen.push(tag) });
    expect([value, seen]).toEqual([{ throttleTimeMs: 0, errorCode: 0 }, [9]]);
    expect(() => decodeAll(spec, 4, Buffer.from(hex('00000000 0000 00 00'), 'hex'))).toThrow(/left after/);
  });
});

// ---- the checker catches what it is for ------------------------------------------------

describe('the cross-check', () => {
  const { Fetch, Metadata, ApiVersions } = apis;

  /** A deep copy of a declaration with one field (by Kafka path) changed. */
  function mutate(m: MessageSpec, path: string, change: (f: Record<string, unknown>) => void): MessageSpec {
    const copy = structuredClone(m) as unknown as { fields: Array<Record<string, unknown>> };
    let fields = copy.fields;
    const names = path.split('.');
    for (const [i, name] of names.entries()) {
      const f = fields.find((x) => x.name === name)!;
      if (i === names.length - 1) change(f);
      else fields = f.fields as Array<Record<string, unknown>>;
    }
    return copy as unknown as MessageSpec;
  }

  const kinds = (m: MessageSpec): string[] =>
    compareBoth(m)
      .differences.filter((d) => !ALLOWED.some((a) => matches(d, a)))
      .map((d) => `${d.path} ${d.kind}`);

  it('tells when a declaration claims versions the vendored JSON does not have', () => {
    const ahead = { ...Fetch.request, validVersions: '0-19' };
    const c = compareBoth(ahead);
    expect(c.differences.filter((d) => d.kind === 'versions-beyond-json').map((d) => d.detail)).toEqual([
      'declares 4-19, the vendored FetchRequest.json defines 4-18',
    ]);
    // Below the newest snapshot's lowest version, the older one must define it.
    const below = compareMessage({ ...Fetch.request, validVersions: '0-18' }, jsonOf(Fetch.request), new Versions(0, 3));
    expect(below.differences.map((d) => d.kind)).toContain('versions-beyond-json');
  });

  it('checks the versions Kafka 4.0 removed against the definitions that still had them', () => {
    const { OffsetCommit } = apis;
    expect(jsonOf(OffsetCommit.request).validVersions.lo).toBeGreaterThan(1);
    expect(kinds(OffsetCommit.request)).toEqual([]);
    // CommitTimestamp is in v1 only, a version 4.3's definitions no longer have.
    expect(kinds(mutate(OffsetCommit.request, 'Topics.Partitions.CommitTimestamp', (f) => (f.versions = '1-2')))).toEqual([
      'Topics.Partitions.CommitTimestamp versions',
    ]);
  });

  /** A deep copy of a declaration without the fields at these Kafka paths. */
  function without(m: MessageSpec, ...paths: string[]): MessageSpec {
    return paths.reduce((copy, path) => {
      const dot = path.lastIndexOf('.');
      const drop = (f: Record<string, unknown>): void => {
        f.fields = (f.fields as Array<Record<string, unknown>>).filter((x) => x.name !== path.slice(dot + 1));
      };
      if (dot >= 0) return mutate(copy, path.slice(0, dot), drop);
      const whole = structuredClone(copy) as unknown as Record<string, unknown>;
      drop(whole);
      return whole as unknown as MessageSpec;
    }, m);
  }

  it('checks a version added to a declaration against the JSON at once', () => {
    // Metadata as declared at v7, then raised to v8 without v8's new fields: the diff names them.
    const v7 = without(Metadata.response, 'Topics.TopicAuthorizedOperations', 'ClusterAuthorizedOperations');
    const raised = { ...v7, validVersions: '0-8' };
    expect(kinds({ ...v7, validVersions: '0-7' })).toEqual([]);
    expect(kinds(raised)).toEqual(['ClusterAuthorizedOperations missing-field', 'Topics.TopicAuthorizedOperations missing-field']);
    expect(compared(raised)).toContain(8);
  });

  it('finds a wrong tag, nullability, version range or default', () => {
    expect(kinds(mutate(Fetch.response, 'Responses.Partitions.CurrentLeader', (f) => (f.tag = 3)))).toEqual([
      'Responses.Partitions.CurrentLeader tag',
    ]);
    expect(kinds(mutate(Metadata.response, 'Brokers.Rack', (f) => delete f.nullableVersions))).toContain('Brokers.Rack nullable');
    expect(kinds(mutate(Metadata.response, 'Topics.Partitions.OfflineReplicas', (f) => (f.versions = '4+')))).toEqual([
      'Topics.Partitions.OfflineReplicas versions',
    ]);
    expect(kinds(mutate(ApiVersions.response, 'FinalizedFeaturesEpoch', (f) => (f.default = 0)))).toEqual(['FinalizedFeaturesEpoch default']);
  });

  it('fails a round trip when the codec disagrees with the JSON on the wire', () => {
    const wrongTag = mutate(Fetch.response, 'Responses.Partitions.CurrentLeader', (f) => (f.tag = 3));
    expect(() => {
      for (let i = 0; i < 20; i++) roundTrip(wrongTag, 12, new Rng(i), i);
    }).toThrow();
    const notNullable = mutate(Metadata.response, 'Brokers.Rack', (f) => delete f.nullableVersions);
    expect(() => {
      for (let i = 0; i < 20; i++) roundTrip(notNullable, 5, new Rng(i), i);
    }).toThrow();
  });
});
