// What the RocketMQ gRPC fuzzer found (test/fuzz-rocketmq.test.ts), one
// test each, named by the seed and call that found it.
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Admin } from '../src/client/admin.js';
import { startTestBroker, type TestBroker } from './helpers/broker.js';
import { callRaw, openChannel, unary } from './fuzz/grpc-calls.js';
import { decode, encode, rpc } from './fuzz/rocketmq-schema.js';

/* eslint-disable @typescript-eslint/no-explicit-any -- decoded proto objects */

const nowSeconds = (): string => String(Math.floor(Date.now() / 1000));
const message = (topic: string, type: string, sp: Record<string, unknown> = {}, extra: Record<string, unknown> = {}) => ({
  topic: { name: topic },
  body: Buffer.from('x'),
  systemProperties: { messageId: 'FINDING', messageType: type, bornTimestamp: { seconds: nowSeconds() }, queueId: 0, ...sp },
  ...extra,
});

describe('RocketMQ requests the fuzzer found answered wrongly', () => {
  let broker: TestBroker;
  let client: grpc.Client;

  beforeAll(async () => {
    broker = await startTestBroker({ 'transaction.timeout.ms': '100', 'transaction.check.interval.ms': '100' }, { rocketmq: true });
    const admin = await Admin.connect(broker.bootstrap);
    for (const [name, type] of [['f-normal', 'NORMAL'], ['f-delay', 'DELAY'], ['f-tx', 'TRANSACTION']]) await admin.createTopic(name!, 2, { 'message.type': type! });
    admin.close();
    client = openChannel(broker.rocketmqEndpoint!);
  });
  afterAll(async () => {
    client?.close();
    await broker?.destroy();
  });

  it('seed 1, call 235: a born time past what an int64 of ms holds is BAD_REQUEST, not INTERNAL_ERROR (and a delivery time ILLEGAL_DELIVERY_TIME)', async () => {
    const born = await unary(client, 'SendMessage', { messages: [message('f-normal', 'NORMAL', { bornTimestamp: { seconds: '830620499377194050' } })] });
    expect(born.status).toMatchObject({ code: 'BAD_REQUEST', message: expect.stringMatching(/^born timestamp .* expected a time from 1970 to 9999$/) });
    const early = await unary(client, 'SendMessage', { messages: [message('f-normal', 'NORMAL', { bornTimestamp: { seconds: '-1' } })] });
    expect(early.status.code).toBe('BAD_REQUEST');
    // Past JavaScript's dates: the timer's message used to throw formatting it.
    const due = await unary(client, 'SendMessage', { messages: [message('f-delay', 'DELAY', { deliveryTimestamp: { seconds: '9000000000000' } })] });
    expect(due.status.code).toBe('ILLEGAL_DELIVERY_TIME');
    // The last millisecond of 9999 is a time: far, so refused by the timer's own bound.
    const far = await unary(client, 'SendMessage', { messages: [message('f-delay', 'DELAY', { deliveryTimestamp: { seconds: '253402300799', nanos: 999_000_000 } })] });
    expect(far.status).toMatchObject({ code: 'ILLEGAL_DELIVERY_TIME', message: expect.stringMatching(/timer\.max\.delay\.ms/) });
  });

  it('seed 309523073, call 1709: a transactional message whose properties overflow a batch is MESSAGE_PROPERTIES_TOO_LARGE, not CODE_UNSPECIFIED', async () => {
    const keys = Array.from({ length: 20_000 }, (_, i) => `key-${i}-${'k'.repeat(60)}`);
    for (const [topic, type] of [['f-tx', 'TRANSACTION'], ['f-normal', 'NORMAL']]) {
      const r = await unary(client, 'SendMessage', { messages: [message(topic!, type!, { keys })] });
      expect(r.status, topic).toMatchObject({ code: 'MESSAGE_PROPERTIES_TOO_LARGE', message: expect.stringMatching(/^the properties take \d+ bytes; at most 64512 are accepted$/) });
    }
    // Properties just within the bound are stored, whatever store takes them.
    const fits = await unary(client, 'SendMessage', { messages: [message('f-tx', 'TRANSACTION', {}, { userProperties: { p: 'v'.repeat(60_000) } })] });
    expect(fits.status.code).toBe('OK');
  });
});
