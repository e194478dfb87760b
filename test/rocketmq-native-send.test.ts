// The addon's SendMessageRequest reader (native/rmq_send.cc, through
// native-send.ts) against the JavaScript path it stands in for:
// decode-send.ts, checkMessage's checks of the message itself, and
// encodeMessageBatch. Wherever the addon takes a request, the JavaScript
// path must take it too, pass every message, and write the same batch, tag
// codes, ids and answer, byte for byte. Seeds are printed.
import * as protoLoader from '@grpc/proto-loader';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { encodeMessageBatch } from '../src/broker/rocketmq/message-batch.js';
import { checkMessageAlone } from '../src/broker/rocketmq/publish.js';
import { decodeSendRequest } from '../src/protocol/rocketmq/decode-send.js';
import { encodeSendAnswer } from '../src/protocol/rocketmq/encode-answers.js';
import { MAX_NATIVE_MESSAGES, nativeSend } from '../src/protocol/rocketmq/native-send.js';
import { native } from '../src/native/addon.js';
import { LOADER_OPTIONS, messagingService, protoRoot, statusCodes } from '../src/protocol/rocketmq/proto.js';
import { SendAnswer } from '../src/protocol/rocketmq/send-answer.js';
import { Prng } from './helpers/prng.js';

/* eslint-disable @typescript-eslint/no-explicit-any -- proto messages are loader objects */
type Pb = Record<string, any>;

const pkg = protoLoader.loadSync('apache/rocketmq/v2/service.proto', { ...LOADER_OPTIONS, includeDirs: [protoRoot()] });
const loader = pkg['apache.rocketmq.v2.MessagingService'] as unknown as Record<string, { requestSerialize(x: Pb): Buffer; responseSerialize(x: Pb): Buffer }>;
const codes = statusCodes(pkg);
const encode = (messages: Pb[]): Buffer => loader.SendMessage!.requestSerialize({ messages });

/** The born time given a message without one, both ways. */
const NOW = 1_764_000_000_123;

function rng(seed: number): () => number {
  const p = new Prng(seed);
  return () => p.u32() / 0x1_0000_0000;
}

function pick<T>(r: () => number, xs: readonly T[]): T {
  return xs[Math.floor(r() * xs.length)]!;
}

const IDS = ['01AABBCCDDEEFF00112233445566778899', '', 'ключ', 'a\u0000b', 'x'.repeat(200), '😀'];
const GOOD_TAGS = ['TagA', 'Tag B', ' TagC ', 'ключ-1', '\u3000x', 'x'.repeat(300)];
const TAGS = [...GOOD_TAGS, ' ', '', 'a|b', 'ключ', '😀', '\u3000'];
const KEYS = ['', 'k1', 'ключ', 'x'.repeat(100)];
const GOOD_PROPERTY_KEYS = ['a', 'b', 'ключ', 'rmq', '__proto__', '1a', '-1'];
const PROPERTY_KEYS = [...GOOD_PROPERTY_KEYS, '123', '0', 'rmq.x', ''];
const PROPERTY_VALUES = ['', 'v', 'значение', 'x'.repeat(70)];
const GOOD_TYPES = [undefined, 'NORMAL', 'MESSAGE_TYPE_UNSPECIFIED'];
const TYPES = [...GOOD_TYPES, 'FIFO', 'DELAY', 'TRANSACTION', 'LITE'];
const BODIES = [0, 1, 100, 1024, 1024, 9000];

/** A time a producer sends (mostly), or one checkMessage or the addon may refuse. */
function born(r: () => number, good: boolean): Pb {
  if (good || r() < 0.9) {
    const ms = NOW - Math.floor(r() * 1e9);
    return { seconds: String(Math.floor(ms / 1000)), nanos: (ms % 1000) * 1e6 + Math.floor(r() * 1e6) };
  }
  return { seconds: pick(r, ['0', '-1', '253402300799', '253402300800', '9223372036854775807', '8796093022208']), nanos: pick(r, [0, -5, 999_999_999, 1_000_000_000]) };
}

/** A request to one topic and queue; a clean one (half) has nothing the addon leaves, the others may have anything. */
function request(r: () => number): Pb[] {
  const clean = r() < 0.5;
  const dirt = (p: number): boolean => !clean && r() < p;
  const topic = dirt(0.05) ? '' : pick(r, ['orders', 'orders', 'ключ-topic']);
  const queueId = pick(r, [0, 0, 3]);
  const fifo = r() < 0.25;
  return Array.from({ length: 1 + Math.floor(r() * 20) }, () => {
    const sp: Pb = { messageId: pick(r, IDS), queueId: dirt(0.03) ? pick(r, [1, -1]) : queueId };
    const maybe = (p: number, f: () => void): void => {
      if (r() < p) f();
    };
    maybe(0.5, () => (sp.tag = pick(r, clean ? GOOD_TAGS : TAGS)));
    maybe(0.3, () => (sp.keys = Array.from({ length: Math.floor(r() * 4) }, () => pick(r, KEYS))));
    maybe(0.8, () => (sp.messageType = pick(r, clean ? GOOD_TYPES : TYPES)));
    // A request's messages are all of one type: with a message group (FIFO) or without.
    if (clean ? fifo : r() < 0.25) {
      sp.messageGroup = pick(r, ['g1', '', 'группа']);
      if (clean) sp.messageType = pick(r, [undefined, 'FIFO']);
    }
    maybe(0.9, () => (sp.bornTimestamp = born(r, clean)));
    maybe(0.7, () => (sp.bornHost = pick(r, ['127.0.0.1', '', 'хост'])));
    maybe(0.7, () => (sp.bodyEncoding = pick(r, ['IDENTITY', 'GZIP', 'ENCODING_UNSPECIFIED', 5])));
    maybe(0.1, () => (sp.traceContext = pick(r, ['00-abc-def-01', ''])));
    if (dirt(0.04)) sp.deliveryTimestamp = born(r, false);
    maybe(0.3, () => (sp.bodyDigest = { type: 'CRC32', checksum: 'ABCD1234' }));
    maybe(0.03, () => (sp.storeHost = 'h'));
    maybe(0.03, () => (sp.receiptHandle = 'rh'));
    maybe(0.03, () => (sp.queueOffset = pick(r, ['5', '-1'])));
    maybe(0.03, () => (sp.deliveryAttempt = 2));
    maybe(0.03, () => (sp.invisibleDuration = { seconds: '30', nanos: 0 }));
    maybe(0.03, () => (sp.storeTimestamp = born(r, false)));
    maybe(0.03, () => (sp.orphanedTransactionRecoveryDuration = { seconds: '5', nanos: 0 }));
    maybe(0.02, () => (sp.priority = 3));
    if (dirt(0.02)) sp.liteTopic = 'lt';
    const m: Pb = { topic: dirt(0.03) ? { name: 'other' } : { name: topic, ...(r() < 0.2 ? { resourceNamespace: 'ns' } : {}) }, body: Buffer.alloc(pick(r, BODIES), Math.floor(r() * 256)) };
    if (clean || r() < 0.95) m.systemProperties = sp;
    if (r() < 0.25) m.userProperties = Object.fromEntries(Array.from({ length: 1 + Math.floor(r() * 3) }, () => [pick(r, clean ? GOOD_PROPERTY_KEYS : PROPERTY_KEYS), pick(r, PROPERTY_VALUES)]));
    return m;
  });
}

/** The addon's reading of `bytes` agrees with the JavaScript path's; returns whether the addon took it. */
function agree(bytes: Buffer): boolean {
  const ours = nativeSend(bytes, NOW);
  if (ours === null) return false;
  const js = decodeSendRequest(bytes, NOW);
  expect(js, 'decode-send.ts reads what the addon read').not.toBeNull();
  const messages = js!.messages;
  expect(ours.messageIds.length).toBe(messages.length);
  let maxBody = 0;
  messages.forEach((p, i) => {
    expect(p.topic).toBe(ours.topic);
    expect(p.queueId).toBe(ours.queueId);
    expect(checkMessageAlone(p.message, Infinity)).toBe(ours.messageType);
    expect(ours.messageIds.at(i)).toBe(p.message.messageId);
    maxBody = Math.max(maxBody, p.message.body.length);
  });
  expect(ours.maxBody).toBe(maxBody);
  const theirs = encodeMessageBatch(messages.map((p) => p.message));
  expect(ours.batch.toString('hex')).toBe(theirs.batch.toString('hex'));
  expect([...ours.tagCodes]).toStrictEqual([...theirs.tagCodes]);
  // The answer, from the request's id bytes: proto-loader's bytes for its plain form, for offsets one after
  // another (the addon writes it: native/rmq_send_answer.cc) from either side of a varint's byte, and not (the general path).
  const base = [0, 120, 2 ** 40][bytes.length % 3]!;
  const apart = bytes.length % 5 === 0;
  const answer = new SendAnswer(ours.messageIds);
  messages.forEach((_, i) => answer.stored(i, base + (apart ? 2 * i : i)));
  expect(encodeSendAnswer(answer, codes)!.toString('hex')).toBe(loader.SendMessage!.responseSerialize({ status: answer.status, entries: answer.entries }).toString('hex'));
  return true;
}

describe('SendMessageRequest read by the addon into its record batch', () => {
  it('writes what decode-send.ts, checkMessage and encodeMessageBatch make of it, on 3,000 varied requests', () => {
    const seed = 20261205;
    console.log(`native send: seed ${seed}`);
    const r = rng(seed);
    let taken = 0;
    for (let i = 0; i < 3000; i++) if (agree(encode(request(r)))) taken++;
    console.log(`native send: ${taken} of 3,000 taken`);
    // Every clean request (about half) is taken; of the others, few.
    expect(taken).toBeGreaterThan(1400);
  });

  it('takes the plain requests of the load client and the official client, and of FIFO producers', () => {
    const bornAt = { seconds: '1764000000', nanos: 123_000_000 };
    const m = (i: number, sp: Pb): Pb => ({ topic: { name: 'orders' }, systemProperties: { messageId: `01AABB${i}`, bornTimestamp: bornAt, bornHost: '10.0.0.1', queueId: 0, bodyEncoding: 'IDENTITY', ...sp }, body: Buffer.alloc(1024, i) });
    for (const sp of [{ messageType: 'NORMAL' }, { messageType: 'NORMAL', tag: 'TagA', keys: ['k1', '', 'k2'] }, { messageType: 'FIFO', messageGroup: 'g' }, { messageGroup: 'g', bodyDigest: { type: 'CRC32', checksum: '0' } }, { bodyEncoding: 'GZIP', traceContext: '00-abc-def-01' }]) {
      expect(agree(encode(Array.from({ length: 16 }, (_, i) => m(i, sp))))).toBe(true);
      expect(agree(encode([{ ...m(0, sp), userProperties: { b: '1', a: '', x7: 'seven' } }]))).toBe(true);
    }
    // No system properties at all: an empty id, born now.
    expect(agree(encode([{ topic: { name: 'orders' }, body: Buffer.from('x') }]))).toBe(true);
  });

  it('takes the official client\'s own bytes (its PublishingMessage, serialized by google-protobuf)', () => {
    const require = createRequire(import.meta.url);
    const { PublishingMessage } = require('rocketmq-client-nodejs/dist/message/PublishingMessage.js') as { PublishingMessage: new (m: Pb, settings: Pb, txEnabled: boolean) => { toProtobuf(ns: string, mq: Pb): unknown } };
    const servicePb = require('rocketmq-client-nodejs/proto/apache/rocketmq/v2/service_pb.js') as { SendMessageRequest: new () => { addMessages(m: unknown): void; serializeBinary(): Uint8Array } };
    for (const m of [
      { topic: 'orders', body: Buffer.alloc(1024, 1) },
      { topic: 'orders', body: Buffer.from('hello'), tag: 'TagA', keys: ['k1', 'k2'], properties: new Map([['a', '1'], ['b', '2']]) },
      { topic: 'orders', body: Buffer.from('hello'), messageGroup: 'g1' },
    ]) {
      const req = new servicePb.SendMessageRequest();
      for (let i = 0; i < 3; i++) req.addMessages(new PublishingMessage(m, { maxBodySizeBytes: 4 * 1024 * 1024 }, false).toProtobuf('', { queueId: 0 }));
      expect(agree(Buffer.from(req.serializeBinary()))).toBe(true);
    }
  });

  it('leaves what it need not know to the JavaScript path: other types, a delivery time, several queues, bad tags and keys, integer-like keys', () => {
    const m = (sp: Pb, extra: Pb = {}): Pb => ({ topic: { name: 'orders' }, systemProperties: { messageId: '01AA', queueId: 0, ...sp }, body: Buffer.from('b'), ...extra });
    for (const messages of [
      [m({ messageType: 'DELAY', deliveryTimestamp: { seconds: '1764000000', nanos: 0 } })],
      [m({ messageType: 'TRANSACTION' })],
      [m({ messageType: 'FIFO' })],
      [m({ messageGroup: 'g', messageType: 'NORMAL' })],
      [m({}), m({ queueId: 1 })],
      [m({}), { ...m({}), topic: { name: 'other' } }],
      [m({ tag: ' ' })],
      [m({ tag: 'a|b' })],
      [m({ tag: '\u3000' })],
      [m({}, { userProperties: { 7: 'x' } })],
      [m({}, { userProperties: { 'rmq.tag': 'x' } })],
      [m({}, { userProperties: { '': 'x' } })],
      [m({ bornTimestamp: { seconds: '-1', nanos: 0 } })],
      [m({ queueId: -1 })],
      [{ ...m({}), topic: { name: '' } }],
    ]) {
      expect(nativeSend(encode(messages), NOW)).toBeNull();
    }
    // A field twice (the decoder keeps the last), and strings that are not UTF-8.
    const one = encode([m({ tag: 'TagA' })]);
    expect(agree(one)).toBe(true);
    const message = one.subarray(2); // past the field's tag and one-byte length
    const twice = Buffer.concat([Buffer.from([0x0a, 2 * message.length]), message, message]);
    expect(decodeSendRequest(twice, NOW)).not.toBeNull();
    expect(nativeSend(twice, NOW)).toBeNull();
    const notUtf8 = Buffer.from(one);
    notUtf8[notUtf8.indexOf('TagA')] = 0xff;
    expect(nativeSend(notUtf8, NOW)).toBeNull();
    expect(nativeSend(Buffer.alloc(0), NOW)).toBeNull();
    // More messages than its tables hold.
    expect(nativeSend(encode(Array.from({ length: MAX_NATIVE_MESSAGES + 1 }, () => m({}))), NOW)).toBeNull();
  });

  it('agrees, or leaves the bytes, on 4,000 truncated, corrupted and extended requests', () => {
    const seed = 20261206;
    console.log(`native send, damaged requests: seed ${seed}`);
    const r = rng(seed);
    let taken = 0;
    for (let i = 0; i < 4000; i++) {
      let bytes = Buffer.from(encode(request(r).slice(0, 3)));
      const kind = i % 5;
      if (kind === 0) bytes = bytes.subarray(0, Math.floor(r() * bytes.length));
      else if (kind === 1) for (let k = 0; k < 1 + r() * 3; k++) bytes[Math.floor(r() * bytes.length)] = Math.floor(r() * 256);
      else if (kind === 2) bytes = Buffer.concat([bytes, Buffer.from([pick(r, [0x10, 0x18, 0x22, 0x0a, 0x08]), 0x01, 0x02])]);
      else if (kind === 3) {
        const at = Math.floor(r() * bytes.length);
        bytes[at] = (bytes[at]! & ~7) | pick(r, [0, 1, 2, 5]);
      } else {
        // A byte of a string or body made one no UTF-8 has.
        bytes[Math.floor(r() * bytes.length)] = pick(r, [0x80, 0xc0, 0xed, 0xf5, 0xff]);
      }
      if (agree(bytes)) taken++;
    }
    console.log(`native send: ${taken} of 4,000 damaged requests taken`);
    expect(taken).toBeGreaterThan(400);
  });

  it('is the service\'s reading of a plain SendMessage', () => {
    const bytes = encode([{ topic: { name: 'orders' }, systemProperties: { messageId: '01AA', messageType: 'NORMAL', bornTimestamp: { seconds: '1764000000', nanos: 0 } }, body: Buffer.from('b') }]);
    expect(messagingService().SendMessage!.requestDeserialize(bytes)?.constructor.name).toBe('NativeSend');
  });

  it('rmqStoredAnswer says when its room is short and refuses ids outside the request', () => {
    const ids = Buffer.from('xxabcdyy');
    const spans = new Float64Array([2, 4, 4, 6]);
    const ok = Buffer.from([8, 0]);
    expect(native.rmqStoredAnswer(Buffer.alloc(20), ids, spans, 2, 127, ok)).toBe(-1);
    const room = Buffer.alloc(256);
    const n = native.rmqStoredAnswer(room, ids, spans, 2, 127, ok);
    const out = room.subarray(0, n);
    // The ids' bytes, and offsets 127 and 128: either side of a varint's second byte.
    const decoded = (messagingService().SendMessage as unknown as { responseDeserialize(b: Buffer): Pb }).responseDeserialize(out);
    expect(decoded.entries.map((e: Pb) => [e.messageId, e.offset])).toEqual([['ab', '127'], ['cd', '128']]);
    expect(() => native.rmqStoredAnswer(out, ids, new Float64Array([2, 9]), 1, 0, ok)).toThrow(/outside ids/);
    expect(() => native.rmqStoredAnswer(out, ids, spans, 3, 0, ok)).toThrow(/out of range/);
    expect(() => native.rmqStoredAnswer(out, ids, spans, 2, 2 ** 53, ok)).toThrow(/out of range/);
  });
});
