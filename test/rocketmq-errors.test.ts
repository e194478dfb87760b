// Errors answer with RocketMQ's status codes, through the official client
// where it lets a request through and through a raw gRPC client where it
// checks first; topic message types set over Kafka's CreateTopics; a
// malformed request never takes the endpoint down. Unimplemented RPCs say so.
import { closeSync, openSync, readFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FilterExpression, type Producer, type SimpleConsumer } from 'rocketmq-client-nodejs';
import { startTestBroker, type TestBroker } from './helpers/broker.js';
import { rawClient, rawReceive, rawSettings, rawUnary, startProducer, startSimpleConsumer, type RawClient } from './helpers/rocketmq.js';
import { until } from './helpers/until.js';

const ENGINES = ['segmented', 'commitlog'] as const;
const MAX_BATCH = 100_000;
/** message.max.bytes less the room kept for properties (publish.ts PROPERTY_ROOM_BYTES). */
const MAX_BODY = MAX_BATCH - 64 * 1024;

const message = (topic: string, extra: Record<string, unknown> = {}, body = Buffer.from('x')) => ({
  topic: { name: topic },
  body,
  systemProperties: { messageId: '01ABC', messageType: 'NORMAL', bornTimestamp: { seconds: String(Math.floor(Date.now() / 1000)) }, queueId: 0, ...extra },
});

describe.each(ENGINES)('RocketMQ error statuses (%s)', (engine) => {
  let broker: TestBroker;
  let raw: RawClient;
  const clients: (Producer | SimpleConsumer)[] = [];
  beforeAll(async () => {
    broker = await startTestBroker({ 'mqlab.storage.engine': engine, 'message.max.bytes': String(MAX_BATCH) }, { rocketmq: true });
    broker.broker.createTopic('normal', 2);
    const kafka = new Kafka({ clientId: 'admin', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'fifo', numPartitions: 1, configEntries: [{ name: 'message.type', value: 'FIFO' }] }] });
    await expect(admin.createTopics({ topics: [{ topic: 'bad', configEntries: [{ name: 'message.type', value: 'WEIRD' }] }] })).rejects.toThrow();
    await admin.disconnect();
    raw = rawClient(broker.rocketmqEndpoint!);
  });
  afterAll(async () => {
    raw?.close();
    for (const c of clients.splice(0)) await c.shutdown().catch(() => undefined);
    await broker?.destroy();
  });

  it('QueryRoute: a queue per partition, READ_WRITE, this endpoint, the topic type; TOPIC_NOT_FOUND otherwise', async () => {
    const r = await rawUnary(raw, 'QueryRoute', { topic: { name: 'normal' } });
    expect(r.status.code).toBe('OK');
    expect(r.messageQueues.map((q: any) => [q.id, q.permission, q.acceptMessageTypes])).toEqual([[0, 'READ_WRITE', ['NORMAL']], [1, 'READ_WRITE', ['NORMAL']]]);
    expect(r.messageQueues[0].broker.endpoints.addresses[0]).toEqual({ host: '127.0.0.1', port: broker.rocketmq!.port });
    expect((await rawUnary(raw, 'QueryRoute', { topic: { name: 'fifo' } })).messageQueues[0].acceptMessageTypes).toEqual(['FIFO']);
    expect((await rawUnary(raw, 'QueryRoute', { topic: { name: 'nope' } })).status.code).toBe('TOPIC_NOT_FOUND');
    // A group's retry topic before its first retry: said in the name the client asked for.
    expect((await rawUnary(raw, 'QueryRoute', { topic: { name: '%RETRY%nobody' } })).status).toMatchObject({ code: 'TOPIC_NOT_FOUND', message: 'no topic "%RETRY%nobody" (stored as "RETRY.nobody"): a group\'s retry topic is made with its first retry' });
  });

  it('an ack with the handle a ChangeInvisibleDuration replaced says so', async () => {
    broker.broker.createTopic('renewals', 1);
    expect((await rawUnary(raw, 'SendMessage', { messages: [message('renewals')] })).status.code).toBe('OK');
    const [, delivery] = await rawReceive(raw, { group: { name: 'renewer' }, messageQueue: { topic: { name: 'renewals' }, id: 0 }, filterExpression: { type: 'TAG', expression: '*' }, batchSize: 1, invisibleDuration: { seconds: '30' } });
    const old = delivery.message.systemProperties.receiptHandle;
    const renewed = await rawUnary(raw, 'ChangeInvisibleDuration', { group: { name: 'renewer' }, topic: { name: 'renewals' }, receiptHandle: old, invisibleDuration: { seconds: '30' }, messageId: delivery.message.systemProperties.messageId });
    expect(renewed.status.code).toBe('OK');
    const ack = await rawUnary(raw, 'AckMessage', { group: { name: 'renewer' }, topic: { name: 'renewals' }, entries: [{ messageId: delivery.message.systemProperties.messageId, receiptHandle: old }] });
    expect(ack.entries[0].status).toMatchObject({ code: 'INVALID_RECEIPT_HANDLE', message: expect.stringContaining('its invisible time was changed (ChangeInvisibleDuration answers a new handle)') });
    expect((await rawUnary(raw, 'AckMessage', { group: { name: 'renewer' }, topic: { name: 'renewals' }, entries: [{ messageId: delivery.message.systemProperties.messageId, receiptHandle: renewed.receiptHandle }] })).status.code).toBe('OK');
  });

  it('SendMessage: TOPIC_NOT_FOUND, MESSAGE_BODY_TOO_LARGE, MESSAGE_PROPERTY_CONFLICT_WITH_TYPE, a FIFO message with its group', async () => {
    const send = async (m: object) => (await rawUnary(raw, 'SendMessage', { messages: [m] })).status;
    expect((await send(message('nope'))).code).toBe('TOPIC_NOT_FOUND');
    expect((await send(message('normal', {}, Buffer.alloc(MAX_BODY + 1)))).code).toBe('MESSAGE_BODY_TOO_LARGE');
    const fits = await rawUnary(raw, 'SendMessage', { messages: [message('normal', {}, Buffer.alloc(MAX_BODY))] });
    expect(fits.status.code).toBe('OK');
    expect(fits.entries[0].offset).toBe('0');
    expect((await send(message('normal', { messageType: 'FIFO', messageGroup: 'g' }))).code).toBe('MESSAGE_PROPERTY_CONFLICT_WITH_TYPE');
    expect((await send(message('normal', { messageGroup: 'g' }))).code).toBe('MESSAGE_PROPERTY_CONFLICT_WITH_TYPE');
    expect((await send(message('fifo'))).code).toBe('MESSAGE_PROPERTY_CONFLICT_WITH_TYPE');
    const fifo = await send(message('fifo', { messageType: 'FIFO', messageGroup: 'g' }));
    expect(fifo.code).toBe('OK');
    expect((await send(message('normal', { queueId: 7 }))).code).toBe('BAD_REQUEST');
    const reserved = await rawUnary(raw, 'SendMessage', { messages: [{ ...message('normal'), userProperties: { 'rmq.tag': 'sneaky' } }] });
    expect(reserved.status.code).toBe('ILLEGAL_MESSAGE_PROPERTY_KEY');
    expect(broker.broker.engine.highWatermark({ topic: 'normal', partition: 0 })).toBe(1n); // only the one that fit
  });

  it('the official client: TOPIC_NOT_FOUND on send; the settings\' body limit applies client-side', async () => {
    const producer = await startProducer(broker.rocketmqEndpoint!, ['normal']);
    clients.push(producer);
    await expect(producer.send({ topic: 'nope', body: Buffer.from('x') })).rejects.toMatchObject({ code: 40402 });
    await expect(producer.send({ topic: 'normal', body: Buffer.alloc(MAX_BODY + 1) })).rejects.toThrow(/exceeds the threshold, max size=34464/);
  });

  it('ReceiveMessage: ILLEGAL_FILTER_EXPRESSION for SQL92 and tag expressions that do not parse', async () => {
    const sql = await startSimpleConsumer(broker.rocketmqEndpoint!, 'sql', { normal: new FilterExpression('a > ', 2 /* FilterType.SQL */) as unknown as string });
    clients.push(sql);
    await expect(sql.receive(1, 10_000)).rejects.toMatchObject({ code: 40010, message: expect.stringMatching(/SQL92 filter "a > ": expected/) });
    const replies = await rawReceive(raw, { group: { name: 'g' }, messageQueue: { topic: { name: 'normal' }, id: 0 }, filterExpression: { type: 'TAG', expression: 'A ||' }, batchSize: 1, invisibleDuration: { seconds: '10' }, longPollingTimeout: { seconds: '0' } });
    expect(replies.map((r) => r.status?.code)).toEqual(['ILLEGAL_FILTER_EXPRESSION']);
  });

  it('QueryOffset: beginning, end, and the first message at or after a time', async () => {
    const producer = await startProducer(broker.rocketmqEndpoint!, ['normal']);
    clients.push(producer);
    const q = (policy: string, ts?: number) => rawUnary(raw, 'QueryOffset', { messageQueue: { topic: { name: 'normal' }, id: 0 }, queryOffsetPolicy: policy, ...(ts === undefined ? {} : { timestamp: { seconds: String(Math.floor(ts / 1000)), nanos: (ts % 1000) * 1e6 } }) });
    const before = (await q('END')).offset;
    const t = Date.now();
    await producer.send({ topic: 'normal', body: Buffer.from('later') });
    expect((await q('BEGINNING')).offset).toBe('0');
    expect((await q('END')).offset).toBe(String(BigInt(before) + 1n));
    // All sends so far went to queue 0 (the client's Producer only writes queue 0).
    expect((await q('TIMESTAMP', t - 1)).offset).toBe(before);
    expect((await q('TIMESTAMP', t + 3_600_000)).offset).toBe(String(BigInt(before) + 1n));
  });

  it('EndTransaction checks its input; QueryAssignment its topic and group; PullConsumer settings are refused', async () => {
    const r = await rawUnary(raw, 'EndTransaction', { topic: { name: 'normal' } });
    expect(r.status.code).toBe('BAD_REQUEST'); // no resolution
    const stale = await rawUnary(raw, 'EndTransaction', { topic: { name: 'normal' }, messageId: '01AB', transactionId: '7.01AB', resolution: 'COMMIT' });
    expect(stale.status.code).toBe('INVALID_TRANSACTION_ID');
    expect((await rawUnary(raw, 'QueryAssignment', {})).status.code).toBe('ILLEGAL_TOPIC');
    expect((await rawUnary(raw, 'QueryAssignment', { topic: { name: 'normal' } })).status.code).toBe('ILLEGAL_CONSUMER_GROUP');
    expect((await rawUnary(raw, 'QueryAssignment', { topic: { name: 'nope' }, group: { name: 'g' } })).status.code).toBe('TOPIC_NOT_FOUND');
    const settings = await rawSettings(raw, { clientType: 'LITE_PUSH_CONSUMER' });
    expect(settings.status.code).toBe('NOT_IMPLEMENTED');
  });

  it('malformed requests answer errors and the endpoint keeps serving', async () => {
    // Bytes that are no protobuf at all: BAD_REQUEST, as the endpoint answers every bad request (not a bare gRPC error).
    const garbage = await new Promise<{ err: grpc.ServiceError | null; res?: Buffer }>((resolve) => {
      raw.makeUnaryRequest('/apache.rocketmq.v2.MessagingService/SendMessage', (b: Buffer) => b, (b: Buffer) => b, Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f, 0x01]), (err, res) => resolve({ err, res }));
    });
    expect(garbage.err).toBeNull();
    // SendMessageResponse: field 1 (status), whose field 1 (code) is BAD_REQUEST, 40000.
    expect(garbage.res!.subarray(0, 6)).toEqual(Buffer.from([0x0a, garbage.res![1]!, 0x08, 0xc0, 0xb8, 0x02]));
    // Well-formed protobuf with nothing in it.
    for (const method of ['QueryRoute', 'SendMessage', 'AckMessage', 'ChangeInvisibleDuration', 'QueryOffset', 'Heartbeat']) {
      const r = await rawUnary(raw, method, {});
      expect(r.status.code, method).not.toBe('INTERNAL_ERROR');
    }
    expect((await rawReceive(raw, {}))[0].status.code).toBe('ILLEGAL_CONSUMER_GROUP');
    expect((await rawReceive(raw, { group: { name: 'g' } }))[0].status.code).toBe('ILLEGAL_TOPIC');
    const ack = await rawUnary(raw, 'AckMessage', { group: { name: 'g' }, topic: { name: 'normal' }, entries: [{ messageId: 'x', receiptHandle: 'not-a-handle' }] });
    expect(ack.status.code).toBe('INVALID_RECEIPT_HANDLE');
    const renew = await rawUnary(raw, 'ChangeInvisibleDuration', { group: { name: 'g' }, topic: { name: 'normal' }, receiptHandle: '1.0.5.000000000000.1', invisibleDuration: { seconds: '10' } });
    expect(renew.status.code).toBe('INVALID_RECEIPT_HANDLE');
    // Still serving.
    expect((await rawUnary(raw, 'QueryRoute', { topic: { name: 'normal' } })).status.code).toBe('OK');
  });

  it.runIf(engine === 'segmented')('a receive that meets a corrupt batch after taking a message answers MESSAGE_CORRUPTED and holds none of its bytes against the unsent bounds', async () => {
    broker.broker.createTopic('corrupt', 1);
    for (let i = 0; i < 3; i++) expect((await rawUnary(raw, 'SendMessage', { messages: [message('corrupt', {}, Buffer.alloc(1000, i))] })).status.code).toBe('OK');
    // The second batch's last byte flipped on disk: its CRC-32C no longer matches. A queue's first read is its first batch alone, so the receive takes offset 0 before it reads the second.
    const file = join(broker.dataDir, 'log', 'corrupt-0', '00000000000000000000.log');
    const log = readFileSync(file);
    const second = 12 + log.readInt32BE(8);
    const last = second + 12 + log.readInt32BE(second + 8) - 1;
    const fd = openSync(file, 'r+');
    try {
      writeSync(fd, Buffer.from([log[last]! ^ 0xff]), 0, 1, last);
    } finally {
      closeSync(fd);
    }
    const replies = await rawReceive(raw, { group: { name: 'corrupt-readers' }, messageQueue: { topic: { name: 'corrupt' }, id: 0 }, filterExpression: { type: 'TAG', expression: '*' }, batchSize: 32, invisibleDuration: { seconds: '30' } });
    expect(replies.map((r) => r.status?.code ?? 'message')).toEqual(['MESSAGE_CORRUPTED']);
    expect(replies[0].status.message).toMatch(/corrupt-0 offset 1/);
    expect(broker.rocketmq!.unsentBytes()).toBe(0);
    // Still serving: a receive of another queue gets its message.
    const ok = await rawReceive(raw, { group: { name: 'corrupt-readers' }, messageQueue: { topic: { name: 'normal' }, id: 0 }, filterExpression: { type: 'TAG', expression: '*' }, batchSize: 1, invisibleDuration: { seconds: '30' }, longPollingTimeout: { seconds: '0' } });
    expect(ok[0].status.code).not.toBe('INTERNAL_ERROR');
  });

  it('a receive whose caller went away mid long poll takes nothing', async () => {
    const request = { group: { name: 'gone' }, messageQueue: { topic: { name: 'normal' }, id: 1 }, filterExpression: { type: 'TAG', expression: '*' }, batchSize: 1, invisibleDuration: { seconds: '60' }, longPollingTimeout: { seconds: '10' } };
    const call = raw.ReceiveMessage(request, { deadline: Date.now() + 20_000 });
    const ended = new Promise<void>((resolve) => call.on('error', () => resolve()));
    await until('the receive to wait in the broker', () => broker.rocketmq!.receiving() === 1);
    call.cancel();
    await ended;
    const sent = await rawUnary(raw, 'SendMessage', { messages: [message('normal', { queueId: 1 })] });
    expect(sent.status.code).toBe('OK');
    const replies = await rawReceive(raw, { ...request, longPollingTimeout: { seconds: '5' } });
    const got = replies.filter((r) => r.message);
    expect(got.map((r) => [r.message.systemProperties.queueOffset, r.message.systemProperties.deliveryAttempt])).toEqual([[sent.entries[0].offset, 1]]);
    await until('the abandoned long poll to end', () => broker.rocketmq!.receiving() === 0);
  });
});
