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

  it('seed 1, calls 38, 81 and 192: megabyte names are refused before they are echoed, and no status message quotes more than 1,000 characters', async () => {
    const huge = 'n'.repeat(1 << 20);
    // A namespace was echoed in every queue of the route, every assignment and every received message.
    const route = await unary(client, 'QueryRoute', { topic: { name: 'f-normal', resourceNamespace: huge } });
    expect(route.status.code).toBe('ILLEGAL_TOPIC');
    expect(route.messageQueues).toEqual([]);
    const assignment = await unary(client, 'QueryAssignment', { topic: { name: 'f-normal' }, group: { name: huge } });
    expect(assignment.status.code).toBe('ILLEGAL_CONSUMER_GROUP');
    // A name that is just unknown is quoted, cut.
    const unknown = await unary(client, 'QueryRoute', { topic: { name: 'x'.repeat(249) } });
    expect(unknown.status.code).toBe('TOPIC_NOT_FOUND');
    const long = await unary(client, 'SendMessage', { messages: [message(huge, 'NORMAL')] });
    expect(long.status.code).toBe('TOPIC_NOT_FOUND');
    expect(long.status.message.length).toBeLessThanOrEqual(1000);
    expect(long.entries ?? []).toEqual([]);
  });

  it('seed 518743877, call 3889: a Telemetry command that does not decode is answered BAD_REQUEST and the stream goes on; check-backs racing it never leave the call open', async () => {
    const telemetry = rpc('Telemetry');
    const settings = encode(telemetry.request, { settings: { clientType: 'PRODUCER', publishing: { topics: [{ name: 'f-tx' }] } } });
    // The finding's second command: a length that runs past the end.
    const broken = Buffer.from('12060a04', 'hex');
    // Half messages of this client id are checked back every 100 ms, to whichever of its streams is open.
    for (let i = 0; i < 20; i++) {
      const r = await unary(client, 'SendMessage', { messages: [message('f-tx', 'TRANSACTION', { messageId: `TX${i}` })] }, 'finding-client');
      expect(r.status.code).toBe('OK');
    }
    const calls = await Promise.all(Array.from({ length: 300 }, () => callRaw(client, telemetry.path, 'bidi', [settings, broken, settings], 'finding-client', 10_000)));
    for (const c of calls) {
      expect(c.code, c.details).toBe(grpc.status.OK);
      const answers = c.responses.map((b) => decode(telemetry.response, b)).filter((a) => a.status);
      // A stream open 50 ms past its last settings also gets them answered again (settings-echo.ts): on a loaded machine, an OK more, anywhere after the first.
      const codes = answers.map((a) => a.status.code);
      const bad = codes.indexOf('BAD_REQUEST');
      expect(codes.filter((code) => code !== 'OK')).toEqual(['BAD_REQUEST']);
      expect([bad >= 1, codes.length - bad - 1 >= 1]).toEqual([true, true]);
      expect(answers[bad]!.status.message).toMatch(/^the request does not decode as TelemetryCommand: /);
    }
  });

  it('seed 518743877: a unary request or a receive that does not decode is answered BAD_REQUEST', async () => {
    for (const name of ['QueryRoute', 'SendMessage', 'AckMessage', 'ReceiveMessage']) {
      const r = rpc(name);
      const res = await callRaw(client, r.path, r.kind === 'serverStream' ? 'serverStream' : 'unary', [Buffer.from([0x0a, 0x05, 0x01])], 'finding-client', 10_000);
      expect(res.code, name).toBe(grpc.status.OK);
      expect(decode(r.response, res.responses[0]!).status.code, name).toBe('BAD_REQUEST');
    }
  });
});
