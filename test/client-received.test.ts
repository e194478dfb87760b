// The load tools' reading of ReceiveMessage answers and their hand-built
// AckMessage requests, against protobufjs (through proto-loader, without the
// broker's hand decoders): the ids and handles a walk picks out are the
// bytes that were encoded, and the ack built from them decodes to the
// request protobufjs would have built, for ids and handles of any length
// (one- and two-byte varint lengths) and in any UTF-8.
import * as protoLoader from '@grpc/proto-loader';
import type { ServiceDefinition } from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { GrpcMessageReader, unframe } from '../src/client/load/grpc-messages.js';
import { AckBuilder, ackRequest, ackRequestHead, readAnswerInto, readReceived } from '../src/client/load/received.js';
import { LOADER_OPTIONS, protoRoot } from '../src/protocol/rocketmq/proto.js';

const pkg = protoLoader.loadSync('apache/rocketmq/v2/service.proto', { ...LOADER_OPTIONS, includeDirs: [protoRoot()] });
const service = pkg['apache.rocketmq.v2.MessagingService'] as ServiceDefinition;

const answer = (content: Record<string, unknown>): Buffer => service.ReceiveMessage!.responseSerialize(content);

describe('a ReceiveMessage answer read by offsets', () => {
  const messages = [
    { id: '01ABC', handle: 'h'.repeat(10), body: Buffer.from('first') },
    { id: 'ünïcødé-✓', handle: 'x'.repeat(200), body: Buffer.alloc(300, 7) },
    { id: 'm'.repeat(130), handle: '句柄'.repeat(40), body: Buffer.alloc(0) },
  ];
  const answers = [
    answer({ status: { code: 'OK', message: 'OK' } }),
    ...messages.map((m) =>
      answer({
        message: {
          topic: { name: 't' },
          userProperties: { k: 'v' },
          systemProperties: { tag: 'A', keys: ['k1', 'k2'], messageId: m.id, bodyDigest: { type: 'CRC32', checksum: '0' }, bornTimestamp: { seconds: '1', nanos: 5 }, receiptHandle: m.handle, deliveryAttempt: 2, queueOffset: '300' },
          body: m.body,
        },
      }),
    ),
    answer({ deliveryTimestamp: { seconds: '2', nanos: 0 } }),
  ];

  it('picks out the status, and each message body, id and handle', () => {
    const bodies: Array<Buffer | null> = [];
    const { deliveries, code } = readReceived(answers, (body, system) => {
      bodies.push(body);
      expect(system).not.toBeNull();
    });
    expect(code).toBe(20000);
    expect(deliveries.map((d) => [d.messageId.toString(), d.receiptHandle.toString()])).toEqual(messages.map((m) => [m.id, m.handle]));
    expect(bodies).toEqual(messages.map((m) => m.body));
  });

  it('builds an ack that protobufjs decodes to the same request', () => {
    const { deliveries } = readReceived(answers, () => undefined);
    const bytes = ackRequest(ackRequestHead('the-group', 'the-topic'), deliveries);
    expect(service.AckMessage!.requestDeserialize(bytes)).toEqual(
      service.AckMessage!.requestDeserialize(service.AckMessage!.requestSerialize({ group: { name: 'the-group' }, topic: { name: 'the-topic' }, entries: messages.map((m) => ({ messageId: m.id, receiptHandle: m.handle })) })),
    );
    expect(service.AckMessage!.requestDeserialize(ackRequest(ackRequestHead('g', 't'), []))).toMatchObject({ group: { name: 'g' }, topic: { name: 't' }, entries: [] });
  });

  it("builds the same ack as it reads, past its writer's first 2 KiB, and again once taken", () => {
    const builder = new AckBuilder(ackRequestHead('the-group', 'the-topic'));
    // Five times the three messages: about 3 KiB of entries.
    const times = 5;
    const entries = Array.from({ length: times }, () => messages.map((m) => ({ messageId: m.id, receiptHandle: m.handle }))).flat();
    const expected = service.AckMessage!.requestSerialize({ group: { name: 'the-group' }, topic: { name: 'the-topic' }, entries });
    expect(expected.length).toBeGreaterThan(2048);
    for (let pass = 0; pass < 2; pass++) {
      const bodies: Array<Buffer | null> = [];
      const codes: number[] = [];
      for (let t = 0; t < times; t++) codes.push(...answers.map((a) => readAnswerInto(Buffer.from(a), (body) => bodies.push(body && Buffer.from(body)), builder)));
      expect(codes).toEqual(Array.from({ length: times }, () => [20000, -1, -1, -1, -1]).flat());
      expect(builder.count).toBe(times * messages.length);
      expect(bodies).toEqual(Array.from({ length: times }, () => messages.map((m) => m.body)).flat());
      expect(service.AckMessage!.requestDeserialize(builder.request())).toEqual(service.AckMessage!.requestDeserialize(expected));
      expect(builder.count).toBe(0);
    }
  });

  it('refuses a truncated answer', () => {
    const whole = answers[1]!;
    expect(() => readReceived([whole.subarray(0, whole.length - 1)], () => undefined)).toThrow(/truncated/);
  });
});

describe("an answer's gRPC messages from the DATA pieces they came in", () => {
  const frame = (m: Buffer): Buffer => {
    const prefix = Buffer.alloc(5);
    prefix.writeUInt32BE(m.length, 1);
    return Buffer.concat([prefix, m]);
  };
  const messages = [Buffer.alloc(0), Buffer.from('one'), Buffer.alloc(40_000, 9), Buffer.from('last')];
  const whole = Buffer.concat(messages.map(frame));

  it('cuts the same messages at every split of the bytes (seeded)', () => {
    const seed = 1206;
    console.log(`unframe splits: seed ${seed}`);
    let state = seed;
    const next = (n: number): number => {
      state = (state * 1103515245 + 12345) % 2 ** 31;
      return state % n;
    };
    for (let trial = 0; trial < 200; trial++) {
      const cuts = [...new Set(Array.from({ length: 1 + next(8) }, () => next(whole.length)))].sort((a, b) => a - b);
      const pieces = [0, ...cuts].map((c, k) => whole.subarray(c, k < cuts.length ? cuts[k] : whole.length));
      expect(unframe(pieces)).toEqual(messages);
    }
  });

  it('hands each message on while its piece is current, from a read buffer reused for every piece', () => {
    const reused = Buffer.alloc(whole.length);
    for (const cuts of [[1, 3, 5, 6, 40_007, 40_011], [4, 20_000], [whole.length - 1]]) {
      const got: Buffer[] = [];
      const reader = new GrpcMessageReader((m) => got.push(Buffer.from(m)));
      for (const [k, c] of [0, ...cuts].entries()) {
        const piece = whole.subarray(c, k < cuts.length ? cuts[k] : whole.length);
        piece.copy(reused);
        reader.push(reused.subarray(0, piece.length));
        reused.fill(0xee);
      }
      reader.end();
      expect(got).toEqual(messages);
    }
  });

  it('refuses a truncated answer and a compressed message', () => {
    expect(() => unframe([whole.subarray(0, whole.length - 1)])).toThrow(/truncated/);
    expect(() => unframe([Buffer.from([1, 0, 0, 0, 0])])).toThrow(/compressed/);
  });
});
