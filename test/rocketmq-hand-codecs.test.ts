// The hand-written codecs of the hot RPCs against proto-loader's: requests
// decode to the same plain objects, field by field (toStrictEqual), for
// varied requests (every field, unicode, int64 past 2^53 and negative,
// unknown enum numbers, repeated and merged fields); bytes they leave to
// proto-loader (null) include every mutated request whose decode they could
// get wrong. Answers encode to the same bytes.
import * as protoLoader from '@grpc/proto-loader';
import { describe, expect, it } from 'vitest';
import { incoming } from '../src/protocol/rocketmq/convert.js';
import { ackEcho, decodeAckMessageRequest, decodePlainAcks, decodeReceiveMessageRequest, PlainAcks } from '../src/protocol/rocketmq/decode-requests.js';
import { decodeSendRequest } from '../src/protocol/rocketmq/decode-send.js';
import { EchoedAcks, encodeAckEcho, encodeAckMessageResponse, encodeSendAnswer } from '../src/protocol/rocketmq/encode-answers.js';
import { NativeSend } from '../src/protocol/rocketmq/native-send.js';
import { LOADER_OPTIONS, messagingService, protoRoot, statusCodes } from '../src/protocol/rocketmq/proto.js';
import { SendAnswer } from '../src/protocol/rocketmq/send-answer.js';
import { OK as OK_STATUS } from '../src/protocol/rocketmq/status.js';
import { Prng } from './helpers/prng.js';
import { native } from '../src/native/addon.js';

/* eslint-disable @typescript-eslint/no-explicit-any -- proto messages are loader objects */
type Pb = Record<string, any>;

// proto-loader's own methods, without proto.ts's hand codecs.
const pkg = protoLoader.loadSync('apache/rocketmq/v2/service.proto', { ...LOADER_OPTIONS, includeDirs: [protoRoot()] });
const loader = pkg['apache.rocketmq.v2.MessagingService'] as unknown as Record<string, { requestSerialize(x: Pb): Buffer; requestDeserialize(b: Buffer): Pb; responseSerialize(x: Pb): Buffer }>;
const codes = statusCodes(pkg);

/** A seeded generator (test/helpers/prng.ts), as a function of [0, 1), so a failure repeats. */
function rng(seed: number): () => number {
  const p = new Prng(seed);
  return () => p.u32() / 0x1_0000_0000;
}

const STRINGS = ['', 'a', 'TagA', 'ключ', '😀 emoji', 'x'.repeat(42), 'y'.repeat(43), 'z'.repeat(200), '\u00e9\u4e2d', 'a\u0000b'];
const INT64S = ['0', '1', '-1', '1764000000', '9007199254740993', '-9007199254740993', '9223372036854775807', '-9223372036854775808', '562949953421312', '72057594037927935'];

function pick<T>(r: () => number, xs: readonly T[]): T {
  return xs[Math.floor(r() * xs.length)]!;
}

function time(r: () => number): Pb {
  return { seconds: pick(r, INT64S), nanos: pick(r, [0, 1, 999_999_999, -5, 123_000_000]) };
}

function systemProperties(r: () => number): Pb {
  const sp: Pb = {};
  const maybe = (p: number, f: () => void): void => {
    if (r() < p) f();
  };
  maybe(0.5, () => (sp.tag = pick(r, STRINGS)));
  maybe(0.5, () => (sp.keys = Array.from({ length: Math.floor(r() * 4) }, () => pick(r, STRINGS))));
  maybe(0.8, () => (sp.messageId = pick(r, STRINGS)));
  maybe(0.2, () => (sp.bodyDigest = { type: pick(r, ['CRC32', 'MD5', 'SHA1', 'DIGEST_TYPE_UNSPECIFIED', 9]), checksum: pick(r, STRINGS) }));
  maybe(0.7, () => (sp.bodyEncoding = pick(r, ['IDENTITY', 'GZIP', 'ENCODING_UNSPECIFIED', 5, -3])));
  maybe(0.7, () => (sp.messageType = pick(r, ['NORMAL', 'FIFO', 'DELAY', 'TRANSACTION', 'LITE', 'PRIORITY', 'MESSAGE_TYPE_UNSPECIFIED', 11])));
  maybe(0.7, () => (sp.bornTimestamp = time(r)));
  maybe(0.7, () => (sp.bornHost = pick(r, STRINGS)));
  maybe(0.1, () => (sp.storeTimestamp = time(r)));
  maybe(0.1, () => (sp.storeHost = pick(r, STRINGS)));
  maybe(0.3, () => (sp.deliveryTimestamp = time(r)));
  maybe(0.1, () => (sp.receiptHandle = pick(r, STRINGS)));
  maybe(0.6, () => (sp.queueId = pick(r, [0, 1, 127, 128, 2 ** 31 - 1, -1])));
  maybe(0.1, () => (sp.queueOffset = pick(r, INT64S)));
  maybe(0.1, () => (sp.invisibleDuration = time(r)));
  maybe(0.1, () => (sp.deliveryAttempt = pick(r, [0, 1, 16, 300])));
  maybe(0.3, () => (sp.messageGroup = pick(r, STRINGS)));
  maybe(0.3, () => (sp.traceContext = pick(r, STRINGS)));
  maybe(0.1, () => (sp.orphanedTransactionRecoveryDuration = time(r)));
  maybe(0.05, () => (sp.deadLetterQueue = { topic: 't', messageId: 'm' }));
  maybe(0.1, () => (sp.liteTopic = pick(r, STRINGS)));
  maybe(0.1, () => (sp.priority = pick(r, [0, 3, 2 ** 30])));
  return sp;
}

function message(r: () => number): Pb {
  const m: Pb = {};
  if (r() < 0.9) m.topic = r() < 0.3 ? { resourceNamespace: pick(r, STRINGS), name: pick(r, STRINGS) } : { name: pick(r, STRINGS) };
  if (r() < 0.4) m.userProperties = Object.fromEntries(Array.from({ length: 1 + Math.floor(r() * 4) }, () => [pick(r, STRINGS), pick(r, STRINGS)]));
  if (r() < 0.95) m.systemProperties = systemProperties(r);
  if (r() < 0.9) m.body = pick(r, [Buffer.alloc(0), Buffer.from('hi'), Buffer.alloc(1024, 0x2e), Buffer.alloc(300, 7)]);
  return m;
}

/** A message's own bytes (a SendMessageRequest of it, less the field's tag and length). */
function messageBytes(m: Pb): Buffer {
  const b = loader.SendMessage!.requestSerialize({ messages: [m] });
  let at = 1;
  while (b[at]! >= 128) at++;
  return b.subarray(at + 1);
}

function lengthDelimited(fieldNo: number, body: Buffer): Buffer {
  const len: number[] = [];
  let n = body.length;
  while (n >= 128) {
    len.push((n & 127) | 128);
    n >>>= 7;
  }
  len.push(n);
  return Buffer.concat([Buffer.from([fieldNo * 8 + 2, ...len]), body]);
}

/** The hand decoder agrees with proto-loader: same object, or null (left to it). `mine` says it must not be null. */
function agree(method: string, hand: (b: Buffer) => Pb | null, bytes: Buffer, mine: boolean): void {
  const ours = hand(bytes);
  if (mine) expect(ours, 'decoded by hand').not.toBeNull();
  if (ours === null) return;
  expect(ours).toStrictEqual(loader[method]!.requestDeserialize(bytes));
}

/** The born time given a message without one, both ways. */
const NOW = 1_764_000_000_000;

/** A parsed message as compared: its user properties as entries, in their order (the order they are stored in). */
function comparable(p: Pb): Pb {
  return { ...p, message: { ...p.message, userProperties: [...p.message.userProperties] } };
}

/** What proto-loader's decode and then incoming() make of the bytes (an Error if proto-loader throws). */
function theirSend(bytes: Buffer): Pb[] | Error {
  try {
    return ((loader.SendMessage!.requestDeserialize(bytes).messages ?? []) as Pb[]).map((m) => comparable(incoming(m, NOW)));
  } catch (err) {
    return err as Error;
  }
}

/** decode-send.ts agrees with proto-loader then incoming(), or leaves the bytes to them (null). `mine` says it must not be null. */
function agreeSend(bytes: Buffer, mine: boolean): boolean {
  const ours = decodeSendRequest(bytes, NOW);
  if (mine) expect(ours, 'decoded by hand').not.toBeNull();
  if (ours === null) return false;
  const theirs = theirSend(bytes);
  expect(theirs).not.toBeInstanceOf(Error);
  expect(ours.messages.map(comparable)).toStrictEqual(theirs);
  return true;
}

describe('SendMessageRequest decoded by hand, straight into what the broker takes', () => {
  it('is what proto-loader decodes and incoming() converts, on 2,000 varied requests', () => {
    console.log('SendMessageRequest decoding: seeds 1, 2, 3, 8');
    const r = rng(1);
    let byHand = 0;
    for (let i = 0; i < 2000; i++) {
      const messages = Array.from({ length: 1 + Math.floor(r() * 4) }, () => message(r));
      const bytes = loader.SendMessage!.requestSerialize({ messages });
      const plain = messages.every((m) => !m.systemProperties?.deadLetterQueue);
      agreeSend(bytes, plain);
      if (plain) byHand++;
    }
    expect(byHand).toBeGreaterThan(1500);
  });

  it('merges repeated fields as protobufjs does: the last message field wins, repeated and map fields add up', () => {
    const r = rng(2);
    for (let i = 0; i < 300; i++) {
      const a = message(r);
      const b = message(r);
      delete a.systemProperties?.deadLetterQueue;
      delete b.systemProperties?.deadLetterQueue;
      const merged = lengthDelimited(1, Buffer.concat([messageBytes(a), messageBytes(b)]));
      agreeSend(Buffer.concat([merged, loader.SendMessage!.requestSerialize({ messages: [a] })]), true);
    }
  });

  it('the lean load client\'s and the official clients\' requests are decoded by hand', () => {
    const born = { seconds: '1764000000', nanos: 123_000_000 };
    const m = (sp: Pb): Pb => ({ topic: { name: 'orders' }, systemProperties: { messageId: '01AABB', bornTimestamp: born, bornHost: '10.0.0.1', queueId: 0, ...sp }, body: Buffer.alloc(1024, 1) });
    for (const sp of [
      { messageType: 'NORMAL', bodyEncoding: 'IDENTITY' },
      { messageType: 'FIFO', bodyEncoding: 'IDENTITY', messageGroup: 'g', tag: 'TagA', keys: ['k1', 'k2'] },
      { messageType: 'DELAY', bodyEncoding: 'GZIP', deliveryTimestamp: born, traceContext: '00-abc-def-01' },
      { messageType: 'TRANSACTION', bodyEncoding: 'IDENTITY', orphanedTransactionRecoveryDuration: { seconds: '5', nanos: 0 } },
    ]) {
      agreeSend(loader.SendMessage!.requestSerialize({ messages: [m(sp), { ...m(sp), userProperties: { b: '1', a: '', 7: 'seven', __proto__x: 'p' } }] }), true);
    }
    agreeSend(Buffer.alloc(0), true);
  });

  it('leaves to proto-loader, or decodes alike, every truncated, corrupted or extended request', () => {
    const r = rng(3);
    for (let i = 0; i < 3000; i++) {
      const messages = Array.from({ length: 1 + Math.floor(r() * 2) }, () => message(r));
      let bytes = Buffer.from(loader.SendMessage!.requestSerialize({ messages }));
      const kind = i % 4;
      if (kind === 0) bytes = bytes.subarray(0, Math.floor(r() * bytes.length));
      else if (kind === 1) {
        for (let k = 0; k < 1 + r() * 3; k++) bytes[Math.floor(r() * Math.min(bytes.length, 200))] = Math.floor(r() * 256);
      } else if (kind === 2) bytes = Buffer.concat([bytes, Buffer.from([pick(r, [0x10, 0x18, 0x22, 0x0a, 0x08]), 0x01, 0x02])]);
      else {
        // A field of the message or its properties with another wire type.
        const at = Math.floor(r() * bytes.length);
        bytes[at] = (bytes[at]! & ~7) | pick(r, [0, 1, 2, 5]);
      }
      agreeSend(bytes, false);
    }
  });

  it('takes user properties as proto-loader does: integer-like keys first, __proto__ a key like any, a later value replacing', () => {
    const entry = (k: string, v: string): Buffer => lengthDelimited(2, Buffer.concat([lengthDelimited(1, Buffer.from(k)), lengthDelimited(2, Buffer.from(v))]));
    const body = Buffer.concat([entry('b', '1'), entry('10', 'ten'), entry('__proto__', 'x'), entry('a', '2'), entry('2', 'two'), entry('b', '3'), entry('', 'empty')]);
    expect(agreeSend(lengthDelimited(1, body), true)).toBe(true);
    expect([...decodeSendRequest(lengthDelimited(1, body), NOW)!.messages[0]!.message.userProperties.keys()]).toEqual(['2', '10', 'b', '__proto__', 'a', '']);
  });

  it('topics and hosts alike from message to message are read alike, and ones differing in a byte are told apart', () => {
    const m = (topic: string, host: string): Pb => ({ topic: { name: topic }, systemProperties: { bornHost: host, bornTimestamp: { seconds: '1', nanos: 0 } } });
    for (const pairs of [[['ab', 'h1'], ['ac', 'h2'], ['ab', 'h1'], ['ab', 'h2']], [['ключ', 'é'], ['ключ', 'è'], ['', ''], ['t'.repeat(300), 'h'.repeat(70)], ['t'.repeat(300), 'h'.repeat(70)]]]) {
      const bytes = loader.SendMessage!.requestSerialize({ messages: pairs.map(([t, h]) => m(t!, h!)) });
      agreeSend(bytes, true);
      agreeSend(bytes, true);
    }
  });

  it('messages without keys or user properties share an empty array and Map that refuse changes', () => {
    const bytes = loader.SendMessage!.requestSerialize({ messages: [{ topic: { name: 't' }, systemProperties: { messageId: 'a' } }, { topic: { name: 't' } }, { topic: { name: 't' }, userProperties: { k: 'v' }, systemProperties: { keys: ['x'] } }] });
    const [a, b, c] = decodeSendRequest(bytes, NOW)!.messages.map((p) => p.message);
    expect(a!.keys).toBe(b!.keys);
    expect(a!.userProperties).toBe(b!.userProperties);
    expect(() => a!.keys.push('k')).toThrow(TypeError);
    expect(() => a!.userProperties.set('k', 'v')).toThrow(TypeError);
    expect(() => a!.userProperties.delete('k')).toThrow(TypeError);
    expect(() => a!.userProperties.clear()).toThrow(TypeError);
    expect([a!.keys.length, a!.userProperties.size, b!.keys.length, b!.userProperties.size]).toEqual([0, 0, 0, 0]);
    expect(c!.keys).toEqual(['x']);
    expect([...c!.userProperties]).toEqual([['k', 'v']]);
  });

  it('reads times and types as incoming() does, past 2^53 ms and before 1970 too', () => {
    const r = rng(8);
    for (let i = 0; i < 500; i++) {
      const t = (): Pb => ({ seconds: pick(r, [...INT64S, '8796093022207', '8796093022208', '-8796093022208', '99999999999999']), nanos: pick(r, [0, 1, 999_999_999, -5, -999_999_999, 2 ** 31 - 1, -(2 ** 31)]) });
      const sp: Pb = { bornTimestamp: t(), messageType: pick(r, ['NORMAL', 'TRANSACTION', 'PRIORITY', 7, 100, -2]), bodyEncoding: pick(r, ['GZIP', 'IDENTITY', 2, 3, -1]), queueId: pick(r, [0, 5, -1, 2 ** 31 - 1]) };
      if (r() < 0.5) sp.deliveryTimestamp = t();
      agreeSend(loader.SendMessage!.requestSerialize({ messages: [{ topic: { name: 't' }, systemProperties: sp }] }), true);
    }
  });
});

describe('AckMessageRequest and ReceiveMessageRequest decoded by hand', () => {
  it('are what proto-loader decodes', () => {
    const r = rng(4);
    for (let i = 0; i < 500; i++) {
      const ack: Pb = { entries: Array.from({ length: Math.floor(r() * 33) }, () => ({ messageId: pick(r, STRINGS), receiptHandle: pick(r, STRINGS), ...(r() < 0.1 ? { liteTopic: pick(r, STRINGS) } : {}) })) };
      if (r() < 0.9) ack.group = { name: pick(r, STRINGS) };
      if (r() < 0.9) ack.topic = { resourceNamespace: pick(r, STRINGS), name: pick(r, STRINGS) };
      agree('AckMessage', decodeAckMessageRequest, loader.AckMessage!.requestSerialize(ack), true);
      const receive: Pb = {
        group: { name: pick(r, STRINGS) },
        messageQueue: { topic: { name: pick(r, STRINGS) }, id: pick(r, [0, 3, 300]), permission: pick(r, ['READ_WRITE', 'READ', 'PERMISSION_UNSPECIFIED', 9]) },
        batchSize: pick(r, [0, 1, 32, 1000]),
        autoRenew: r() < 0.5,
      };
      if (r() < 0.8) receive.filterExpression = { type: pick(r, ['TAG', 'SQL', 'FILTER_TYPE_UNSPECIFIED']), expression: pick(r, ['*', 'A || B', '']) };
      if (r() < 0.8) receive.invisibleDuration = time(r);
      if (r() < 0.8) receive.longPollingTimeout = time(r);
      if (r() < 0.2) receive.attemptId = pick(r, STRINGS);
      const withBroker = r() < 0.1;
      if (withBroker) receive.messageQueue.broker = { name: 'b', id: 0 };
      agree('ReceiveMessage', decodeReceiveMessageRequest, loader.ReceiveMessage!.requestSerialize(receive), !withBroker);
    }
  });

  it('leave to proto-loader, or decode alike, corrupted requests', () => {
    const r = rng(5);
    for (let i = 0; i < 2000; i++) {
      const method = i % 2 === 0 ? 'AckMessage' : 'ReceiveMessage';
      const hand = i % 2 === 0 ? decodeAckMessageRequest : decodeReceiveMessageRequest;
      const request = i % 2 === 0
        ? { group: { name: 'g' }, topic: { name: 't' }, entries: [{ messageId: 'm', receiptHandle: '1.0.5.abcdefabcdef.1' }, { messageId: 'n', receiptHandle: 'h' }] }
        : { group: { name: 'g' }, messageQueue: { topic: { name: 't' }, id: 0, permission: 'READ_WRITE' }, filterExpression: { type: 'TAG', expression: '*' }, batchSize: 32, invisibleDuration: { seconds: '60', nanos: 0 }, longPollingTimeout: { seconds: '0', nanos: 5e8 } };
      const bytes = Buffer.from(loader[method]!.requestSerialize(request));
      for (let k = 0; k < 1 + r() * 2; k++) bytes[Math.floor(r() * bytes.length)] = Math.floor(r() * 256);
      let theirs: Pb | Error;
      try {
        theirs = loader[method]!.requestDeserialize(bytes);
      } catch (err) {
        theirs = err as Error;
      }
      const ours = hand(bytes);
      if (ours === null) continue;
      expect(theirs).not.toBeInstanceOf(Error);
      expect(ours).toStrictEqual(theirs);
    }
  });
});

describe('SendMessageResponse and AckMessageResponse encoded by hand', () => {
  const OK = { code: 'OK', message: 'OK' };
  const sendAnswers: Pb[] = [
    { status: OK, entries: [{ status: OK, messageId: '01AA', transactionId: '', offset: '-1', recallHandle: '' }] },
    { status: OK, entries: Array.from({ length: 16 }, (_, i) => ({ status: OK, messageId: `01AA${i}`, transactionId: '', offset: String(2n ** 40n + BigInt(i)), recallHandle: '' })) },
    { status: { code: 'BAD_REQUEST', message: 'x'.repeat(1000) } },
    { status: { code: 'MESSAGE_BODY_TOO_LARGE', message: 'ключ 😀' }, entries: [{ status: { code: 'INTERNAL_ERROR', message: '' }, messageId: '', transactionId: 'tx', offset: '0', recallHandle: 'r'.repeat(300) }] },
    { status: OK, entries: [{ status: OK, messageId: 'm', offset: '9223372036854775807' }, { status: OK, messageId: 'm', offset: '-9223372036854775808' }, { status: OK, offset: 12 }, { status: OK, offset: '0009007199254740993' }] },
    { status: {}, entries: [] },
    { status: { code: 'OK' }, entries: [{}], extra: 'ignored' },
    {},
    { status: null, entries: null },
    { status: { code: 'OK', message: undefined }, entries: [{ status: undefined, messageId: null }] },
  ];
  it.each(sendAnswers.map((a, i) => [i, a] as const))('SendMessageResponse %i as a plain object (an error\'s answer): the service writes proto-loader\'s bytes', (_i, answer) => {
    expect(messagingService().SendMessage!.responseSerialize(answer).toString('hex')).toBe(loader.SendMessage!.responseSerialize(answer).toString('hex'));
  });

  it('a SendAnswer: the bytes proto-loader writes for its plain form, on 2,000 varied answers', () => {
    const seed = 7;
    console.log(`SendAnswer encoding: seed ${seed}`);
    const r = rng(seed);
    const OFFSETS: (number | bigint)[] = [0, 1, 127, 128, 2 ** 31 - 1, 2 ** 31, 2 ** 32 + 5, Number.MAX_SAFE_INTEGER, 2n ** 53n + 1n, 2n ** 63n - 1n, 17n];
    for (let i = 0; i < 2000; i++) {
      const n = 1 + Math.floor(r() * 20);
      const answer = new SendAnswer(Array.from({ length: n }, () => pick(r, STRINGS)));
      for (let k = 0; k < n; k++) {
        const kind = r();
        if (kind < 0.6) answer.stored(k, pick(r, OFFSETS));
        else if (kind < 0.7) answer.transaction(k, pick(r, STRINGS), pick(r, OFFSETS));
        else if (kind < 0.8) answer.delayed(k, pick(r, STRINGS));
        else if (kind < 0.9) answer.failed(k, { code: pick(r, ['INTERNAL_ERROR', 'BAD_REQUEST', 'MESSAGE_BODY_TOO_LARGE', 'TOPIC_NOT_FOUND']), message: pick(r, STRINGS) });
      }
      const plain = { status: answer.status, entries: answer.entries };
      const theirs = loader.SendMessage!.responseSerialize(plain).toString('hex');
      expect(encodeSendAnswer(answer, codes)!.toString('hex')).toBe(theirs);
      expect(messagingService().SendMessage!.responseSerialize(answer).toString('hex')).toBe(theirs);
    }
  });

  it('a SendAnswer with a status code the protos do not name is left to proto-loader', () => {
    const answer = new SendAnswer(['a', 'b']);
    answer.stored(0, 5);
    answer.failed(1, { code: 'NO_SUCH_CODE', message: 'm' });
    expect(encodeSendAnswer(answer, codes)).toBeNull();
    // An offset no int64 holds: proto-loader's to refuse or wrap, not ours.
    const far = new SendAnswer(['a']);
    far.stored(0, 2n ** 64n);
    expect(encodeSendAnswer(far, codes)).toBeNull();
    const service = messagingService();
    expect(service.SendMessage!.responseSerialize(answer).toString('hex')).toBe(loader.SendMessage!.responseSerialize({ status: answer.status, entries: answer.entries }).toString('hex'));
  });

  it('AckMessageResponse: the bytes proto-loader writes', () => {
    const r = rng(6);
    for (let i = 0; i < 300; i++) {
      const entries = Array.from({ length: Math.floor(r() * 33) }, () => ({ messageId: pick(r, STRINGS), receiptHandle: pick(r, STRINGS), status: r() < 0.8 ? OK : { code: pick(r, ['INVALID_RECEIPT_HANDLE', 'INTERNAL_ERROR', 'MULTIPLE_RESULTS']), message: pick(r, STRINGS) } }));
      const answer = { status: r() < 0.5 ? OK : { code: 'MULTIPLE_RESULTS', message: pick(r, STRINGS) }, entries };
      expect(encodeAckMessageResponse(answer, codes)!.toString('hex')).toBe(loader.AckMessage!.responseSerialize(answer).toString('hex'));
    }
  });

  it('AckMessageResponse of acks that all succeeded, from the request\'s own entries: the bytes proto-loader writes', () => {
    const r = rng(7);
    const ids = ['m', '01AABBCCDDEEFF00112233445566778899', '1.0.123456.a1b2c3d4e5f6.1z', 'x'.repeat(127), 'x'.repeat(128), '', 'ключ', 'a\u0000b'];
    let echoed = 0;
    for (let i = 0; i < 400; i++) {
      // Most requests from repeatable texts only, the others from all.
      const pool = r() < 0.6 ? ids.slice(0, 4) : ids;
      const entries = Array.from({ length: 1 + Math.floor(r() * 32) }, () => ({ messageId: pick(r, pool), receiptHandle: pick(r, pool), ...(r() < 0.005 ? { liteTopic: 't' } : {}) }));
      const request = loader.AckMessage!.requestSerialize({ group: { name: 'g' }, topic: { name: 't' }, entries });
      const decoded = decodeAckMessageRequest(request)!;
      const echo = ackEcho(decoded);
      // Only entries whose bytes an answer can repeat, all of them: ASCII, not empty, under 128 bytes, no other field.
      const repeatable = entries.every((e) => !('liteTopic' in e) && [e.messageId, e.receiptHandle].every((t) => t !== '' && t.length < 128 && /^[\x00-\x7f]*$/.test(t)));
      expect(echo !== null).toBe(repeatable);
      // The service's reading of the plainest requests (PlainAcks): the same group, topic, entries and echo, from the bytes.
      const plain = decodePlainAcks(request);
      expect(plain !== null).toBe(repeatable);
      if (plain !== null) {
        expect([plain.group, plain.topic, plain.entries()]).toStrictEqual([decoded.group, decoded.topic, decoded.entries]);
        expect(plain.echo).toStrictEqual(echo);
        expect(messagingService().AckMessage!.requestDeserialize(request)).toBeInstanceOf(PlainAcks);
      }
      if (echo === null) continue;
      echoed++;
      const answer = { status: OK, entries: decoded.entries.map((e: Pb) => ({ messageId: e.messageId, receiptHandle: e.receiptHandle, status: OK })) };
      const theirs = loader.AckMessage!.responseSerialize(answer).toString('hex');
      expect(encodeAckEcho(echo, codes).toString('hex')).toBe(theirs);
      expect(messagingService().AckMessage!.responseSerialize(new EchoedAcks(echo)).toString('hex')).toBe(theirs);
    }
    expect(echoed).toBeGreaterThan(100);
    // The marker is not a field: the decoded request is still proto-loader's object.
    const one = loader.AckMessage!.requestSerialize({ entries: [{ messageId: 'm', receiptHandle: 'h' }] });
    expect(decodeAckMessageRequest(one)).toStrictEqual(loader.AckMessage!.requestDeserialize(one));
  });

  it('echoes entries that other fields come between (a request written in pieces) as proto-loader answers them', () => {
    // Protobuf merges concatenated messages: entries, then the group and topic (one name long), then more entries.
    const handle = (i: number): string => `1.0.${1000 + i}.a1b2c3d4e5f6.1z`;
    const entries = (from: number, n: number): Pb[] => Array.from({ length: n }, (_, i) => ({ messageId: `01AABBCCDDEEFF00112233445566${String(from + i).padStart(6, '0')}`, receiptHandle: handle(from + i) }));
    for (const topic of ['t', 'x'.repeat(100)]) {
      const request = Buffer.concat([loader.AckMessage!.requestSerialize({ entries: entries(0, 3) }), loader.AckMessage!.requestSerialize({ group: { name: 'g' }, topic: { name: topic } }), loader.AckMessage!.requestSerialize({ entries: entries(3, 4) })]);
      const plain = decodePlainAcks(request)!;
      expect(plain.count).toBe(7);
      const answer = { status: OK, entries: plain.entries().map((e) => ({ ...e, status: OK })) };
      expect(encodeAckEcho(plain.echo, codes).toString('hex')).toBe(loader.AckMessage!.responseSerialize(answer).toString('hex'));
    }
  });

  it('echoes in the addon only what fits: -1 for a span outside the request or an answer larger than its buffer, errors for bad arguments', () => {
    const bytes = Buffer.from('0123456789');
    const ok = Uint8Array.from([8, 0]);
    const spans = Float64Array.from([0, 4, 6, 10]);
    const out = Buffer.alloc(64);
    // 0a 02 ok, then each entry: 12 len entry 1a 02 ok.
    expect(native.rmqAckEcho(out, bytes, spans, 2, ok)).toBe(4 + 2 * (2 + 4 + 4));
    expect(out.subarray(0, 24).toString('hex')).toBe('0a020800' + '1208' + Buffer.from('0123').toString('hex') + '1a020800' + '1208' + Buffer.from('6789').toString('hex') + '1a020800');
    expect(native.rmqAckEcho(Buffer.alloc(23), bytes, spans, 2, ok)).toBe(-1);
    expect(native.rmqAckEcho(out, bytes, Float64Array.from([6, 11]), 1, ok)).toBe(-1);
    expect(native.rmqAckEcho(out, bytes, Float64Array.from([5, 4]), 1, ok)).toBe(-1);
    expect(() => native.rmqAckEcho(out, bytes, spans, 3, ok)).toThrow(/count past spans/);
    expect(() => native.rmqAckEcho(out, bytes, spans, 1, new Uint8Array(128))).toThrow(/under 128 bytes/);
  });

  it('leaves to proto-loader what it does not know', () => {
    for (const answer of [
      { status: { code: 'NO_SUCH_CODE', message: 'm' } },
      { status: { code: 20000, message: 'm' } },
      { status: 'OK' },
      { status: OK, entries: [{ messageId: 7 }] },
      { status: OK, entries: [{ receiptHandle: 1n }] },
      { status: OK, entries: [{ messageId: 'm', status: { code: 'NO_SUCH_CODE' } }] },
      { status: OK, entries: [5] },
      { status: OK, entries: {} },
    ]) {
      expect(encodeAckMessageResponse(answer, codes)).toBeNull();
      // The service then answers exactly as proto-loader does, an error included.
      const bytesOrError = (f: () => Buffer): string => {
        try {
          return f().toString('hex');
        } catch (err) {
          return `error: ${(err as Error).message}`;
        }
      };
      expect(bytesOrError(() => messagingService().AckMessage!.responseSerialize(answer))).toBe(bytesOrError(() => loader.AckMessage!.responseSerialize(answer)));
    }
  });

  it('the service passes Buffers on and encodes the rest as proto-loader does', () => {
    const service = messagingService();
    const bytes = Buffer.from([1, 2, 3]);
    expect(service.SendMessage!.responseSerialize(bytes)).toBe(bytes);
    const odd = { status: { code: 20000, message: 'm' } };
    expect(service.SendMessage!.responseSerialize(odd).toString('hex')).toBe(loader.SendMessage!.responseSerialize(odd).toString('hex'));
    for (const method of ['Heartbeat', 'ReceiveMessage', 'SendMessage', 'QueryRoute']) {
      for (const answer of [{ status: OK_STATUS }, { status: OK_STATUS }, { status: { ...OK_STATUS } }, { status: OK_STATUS, entries: [] }]) {
        expect(service[method]!.responseSerialize(answer).toString('hex')).toBe((loader[method] as any).responseSerialize(answer).toString('hex'));
      }
    }
    const send = loader.SendMessage!.requestSerialize({ messages: [{ topic: { name: 't' }, body: Buffer.from('b'), systemProperties: { bornTimestamp: { seconds: '1764000000', nanos: 0 } } }] });
    // A plain request is the addon's (rocketmq-native-send.test.ts), its bytes kept for decode-send.ts; one it leaves is decode-send.ts's.
    const native = service.SendMessage!.requestDeserialize(send);
    expect(native).toBeInstanceOf(NativeSend);
    expect(decodeSendRequest((native as NativeSend).bytes, NOW)!.messages.map(comparable)).toStrictEqual(theirSend(send));
    const delayed = loader.SendMessage!.requestSerialize({ messages: [{ topic: { name: 't' }, body: Buffer.from('b'), systemProperties: { messageType: 'DELAY', deliveryTimestamp: { seconds: '1764000000', nanos: 0 } } }] });
    expect((service.SendMessage!.requestDeserialize(delayed) as { messages: Pb[] }).messages.map((p) => comparable({ ...p, message: { ...p.message, bornTimestampMs: 0n } }))).toStrictEqual((theirSend(delayed) as Pb[]).map((p) => ({ ...p, message: { ...p.message, bornTimestampMs: 0n } })));
    // Bytes the hand decoder leaves alone (a dead-letter property) come as proto-loader's objects.
    const unusual = loader.SendMessage!.requestSerialize({ messages: [{ topic: { name: 't' }, systemProperties: { deadLetterQueue: { topic: 't', messageId: 'm' } } }] });
    expect(service.SendMessage!.requestDeserialize(unusual)).toStrictEqual(loader.SendMessage!.requestDeserialize(unusual));
  });
});
