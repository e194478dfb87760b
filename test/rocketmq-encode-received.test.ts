// encodeReceived writes a delivery's ReceiveMessageResponse itself; decoded,
// it is what proto-loader's encoding of outgoing() decodes to, field for
// field, for messages with and without each optional property.
import { describe, expect, it } from 'vitest';
import type { Popped } from '../src/broker/rocketmq/delivery.js';
import { outgoing } from '../src/protocol/rocketmq/convert.js';
import { BODY_COPY_LIMIT, encodeDeliveries, encodeReceived } from '../src/protocol/rocketmq/encode-received.js';
import { messagingService } from '../src/protocol/rocketmq/proto.js';

const plain = {
  messageId: '01AABBCCDDEEFF00112233445566778899',
  body: Buffer.from('hello'),
  tag: null,
  keys: [] as string[],
  messageGroup: null,
  deliveryTimestampMs: null,
  bornTimestampMs: 1_764_000_000_123n,
  bornHost: '10.0.0.7',
  bodyEncoding: 'IDENTITY' as const,
  traceContext: null,
  userProperties: new Map<string, string>(),
};

const cases: [string, Popped][] = [
  ['a plain message', { message: plain, partition: 0, offset: 0, attempt: 1, token: 'abcdefabcdef.1', invisibleMs: 30_000 }],
  [
    'every optional property, unicode, a large offset',
    {
      message: { ...plain, tag: 'TagÄ', keys: ['k1', '', 'ключ'], messageGroup: 'g-1', deliveryTimestampMs: 1_764_000_999_999n, bodyEncoding: 'GZIP', traceContext: 'trace', userProperties: new Map([['a', '1'], ['ü', '']]) },
      partition: 7,
      offset: 2 ** 40 + 5,
      attempt: 3,
      token: 'abcdefabcdef.zz',
      invisibleMs: 1_500,
    },
  ],
  ['a time before 1970, an empty body, a large body', { message: { ...plain, bornTimestampMs: -1_001n, body: Buffer.alloc(0), keys: ['only'] }, partition: 1, offset: 127, attempt: 128, token: 'h', invisibleMs: 999 }],
  ['times near the ends of int64', { message: { ...plain, bornTimestampMs: 2n ** 62n + 1n, deliveryTimestampMs: -(2n ** 62n) - 7n }, partition: 2, offset: Number.MAX_SAFE_INTEGER, attempt: 1, token: 'h', invisibleMs: 1_000 }],
  ['a 20 KiB body and property', { message: { ...plain, body: Buffer.alloc(20 * 1024, 7), userProperties: new Map([['x'.repeat(300), 'y'.repeat(17_000)]]) }, partition: 0, offset: 16_384, attempt: 1, token: 'h'.repeat(200), invisibleMs: 43_200_000 }],
];

describe('encodeReceived', () => {
  const method = messagingService().ReceiveMessage!;
  it.each(cases)('decodes as proto-loader encodes it: %s', (_name, p) => {
    const topic = p.partition === 7 ? { resourceNamespace: 'ns', name: 'orders' } : { name: 'orders' };
    const ours = method.responseDeserialize(encodeReceived(p, topic, '127.0.0.1:8081'));
    const theirs = method.responseDeserialize(method.responseSerialize({ message: outgoing(p, topic, '127.0.0.1:8081') }));
    expect(ours).toEqual(theirs);
    expect(ours.message.systemProperties.receiptHandle).toBe(`1.${p.partition}.${p.offset}.${p.token}`);
    expect(ours.message.body).toEqual(p.message.body);
    // Framed for the transport: gRPC's prefix (not compressed, the length), then the same bytes.
    const plain = encodeReceived(p, topic, '127.0.0.1:8081');
    const framed = encodeReceived(p, topic, '127.0.0.1:8081', true);
    expect([framed[0], framed.readUInt32BE(1), framed.subarray(5)]).toEqual([0, plain.length, plain]);
  });

  it('encodes the topic and store host of each call, whether the objects repeat or change', () => {
    const topics: { resourceNamespace?: string; name?: string }[] = [{ name: 'a' }, { resourceNamespace: 'ns', name: 'b' }];
    const p = cases[1]![1];
    for (const [topic, host] of [[topics[0]!, 'h1:1'], [topics[0]!, 'h1:1'], [topics[1]!, 'h1:1'], [topics[1]!, 'h2:22'], [topics[0]!, 'h2:22']] as const) {
      const ours = method.responseDeserialize(encodeReceived(p, topic, host));
      expect(ours).toEqual(method.responseDeserialize(method.responseSerialize({ message: outgoing(p, topic, host) })));
    }
    // The same object changed in place is encoded as it is now.
    const changing: { resourceNamespace?: string; name?: string } = { name: 'first' };
    for (const name of ['first', 'second', '']) {
      changing.name = name;
      changing.resourceNamespace = name === 'second' ? 'ns2' : undefined;
      expect(method.responseDeserialize(encodeReceived(p, changing, 'h'))).toEqual(method.responseDeserialize(method.responseSerialize({ message: outgoing(p, changing, 'h') })));
    }
  });
  it('a receive\'s deliveries come back to back, small bodies copied in, a large one a piece of its own (its own buffer)', () => {
    const topic = { name: 'orders' };
    const list = [cases[0]![1], cases[1]![1], cases[4]![1], cases[2]![1]];
    expect(cases[4]![1].message.body.length).toBeGreaterThanOrEqual(BODY_COPY_LIMIT);
    const pieces = encodeDeliveries(list, topic, 'h:1');
    expect(pieces).toHaveLength(3);
    expect(pieces[1]).toBe(cases[4]![1].message.body);
    expect(Buffer.concat(pieces)).toEqual(Buffer.concat(list.map((p) => encodeReceived(p, topic, 'h:1', true))));
  });
});
