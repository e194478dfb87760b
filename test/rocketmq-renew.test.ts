// Auto renew (what push consumers ask for): a delivery stays invisible past
// its invisible time while the client that received it keeps its Telemetry
// stream open, and comes back (attempt 2) once the client is gone. Raw gRPC
// with the client-id metadata every official client sends.
import * as grpc from '@grpc/grpc-js';
import { afterEach, expect, it } from 'vitest';
import { startTestBroker, type TestBroker } from './helpers/broker.js';
import { rawClient, rawUnary, type RawClient } from './helpers/rocketmq.js';

let broker: TestBroker | undefined;
afterEach(async () => {
  await broker?.destroy();
  broker = undefined;
});

function as(clientId: string): grpc.Metadata {
  const m = new grpc.Metadata();
  m.set('x-mq-client-id', clientId);
  return m;
}

/* eslint-disable @typescript-eslint/no-explicit-any -- raw proto objects */
function receive(raw: RawClient, clientId: string, pollSeconds: number): Promise<any[]> {
  const request = { group: { name: 'renewers' }, messageQueue: { topic: { name: 'jobs' }, id: 0 }, filterExpression: { type: 'TAG', expression: '*' }, batchSize: 8, autoRenew: true, invisibleDuration: { seconds: '1' }, longPollingTimeout: { seconds: String(pollSeconds) } };
  return new Promise((resolve, reject) => {
    const out: any[] = [];
    const call = raw.ReceiveMessage(request, as(clientId), { deadline: Date.now() + 30_000 });
    call.on('data', (d: any) => d.message && out.push(d.message));
    call.on('end', () => resolve(out));
    call.on('error', reject);
  });
}

it('an auto-renewed delivery stays out while its client is connected, and comes back when it leaves', async () => {
  broker = await startTestBroker({}, { rocketmq: true });
  broker.broker.createTopic('jobs', 1);
  const raw = rawClient(broker.rocketmqEndpoint!);
  try {
    const sent = await rawUnary(raw, 'SendMessage', { messages: [{ topic: { name: 'jobs' }, body: Buffer.from('slow'), systemProperties: { messageId: '01ABC', messageType: 'NORMAL', bornTimestamp: { seconds: String(Math.floor(Date.now() / 1000)) }, queueId: 0 } }] });
    expect(sent.status.code).toBe('OK');
    // The holder connects its Telemetry stream (and gets its settings back).
    const stream = raw.Telemetry(as('holder'));
    const settled = new Promise<void>((resolve) => stream.once('data', () => resolve()));
    stream.write({ settings: { clientType: 'PUSH_CONSUMER', subscription: { group: { name: 'renewers' }, subscriptions: [{ topic: { name: 'jobs' }, expression: { type: 'TAG', expression: '*' } }] } } });
    await settled;
    const first = await receive(raw, 'holder', 5);
    expect(first.map((m) => [m.body.toString(), m.systemProperties.deliveryAttempt])).toEqual([['slow', 1]]);
    // Three invisible times pass in this long poll: renewed each time, never redelivered.
    expect(await receive(raw, 'other', 3)).toEqual([]);
    // The holder goes away: at its next deadline the message is free again.
    stream.end();
    await new Promise<void>((resolve) => stream.on('end', () => resolve()).on('error', () => resolve()).resume());
    let again: any[] = [];
    const deadline = Date.now() + 20_000;
    while (again.length === 0 && Date.now() < deadline) again = await receive(raw, 'other', 3);
    expect(again.map((m) => [m.body.toString(), m.systemProperties.deliveryAttempt])).toEqual([['slow', 2]]);
  } finally {
    raw.close();
  }
});
