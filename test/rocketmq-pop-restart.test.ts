// What consumers have taken outlives a broker killed with SIGKILL (the pop
// journal, RocketMQ's pop checkpoints): a message received and not acked
// stays invisible until its deadline, its receipt handle still acks it or
// changes its invisible time, its delivery attempt counts on, and a message
// acked above the committed offset is not delivered again. Raw gRPC against
// `mqlab serve` children, both engines.
import { afterEach, describe, expect, it } from 'vitest';
import { Admin } from '../src/client/admin.js';
import { tempDir } from './helpers/files.js';
import { kafkaHeaders } from './helpers/kafka-headers.js';
import { rawClient, rawUnary, type RawClient } from './helpers/rocketmq.js';
import { RocketServe } from './helpers/rocketmq-serve.js';

const ENGINES = ['segmented', 'commitlog'] as const;

/* eslint-disable @typescript-eslint/no-explicit-any -- raw proto objects */
function receive(raw: RawClient, batchSize: number, pollSeconds: number, topic = 'jobs', invisibleSeconds = 60): Promise<any[]> {
  const request = { group: { name: 'workers' }, messageQueue: { topic: { name: topic }, id: 0 }, filterExpression: { type: 'TAG', expression: '*' }, batchSize, invisibleDuration: { seconds: String(invisibleSeconds) }, longPollingTimeout: { seconds: String(pollSeconds) } };
  return new Promise((resolve, reject) => {
    const out: any[] = [];
    const call = raw.ReceiveMessage(request, { deadline: Date.now() + 30_000 });
    call.on('data', (d: any) => d.message && out.push(d.message));
    call.on('end', () => resolve(out));
    call.on('error', reject);
  });
}

const seen = (ms: any[]) => ms.map((m) => [m.body.toString(), m.systemProperties.deliveryAttempt]);

/** Receives (long polls of 3 s) until something comes, for at most 20 s. */
async function receiveSome(raw: RawClient, invisibleSeconds: number): Promise<any[]> {
  const until = Date.now() + 20_000;
  let got: any[] = [];
  while (got.length === 0 && Date.now() < until) got = await receive(raw, 10, 3, 'jobs', invisibleSeconds);
  return got;
}

describe.each(ENGINES)('RocketMQ in-flight messages across a SIGKILL (%s)', (engine) => {
  let serve: RocketServe | undefined;
  let raw: RawClient | undefined;
  const tmp = tempDir('mqlab-pop-restart-');
  afterEach(async () => {
    raw?.close();
    await serve?.kill();
    tmp.cleanup();
  });

  it('keeps them invisible, ackable by their handles and counting attempts; acked ones stay acked', async () => {
    serve = await RocketServe.start(tmp.dir, { 'mqlab.storage.engine': engine });
    const admin = await Admin.connect(serve.bootstrap);
    await admin.createTopic('jobs', 1, { 'message.type': 'NORMAL' });
    admin.close();
    raw = rawClient(serve.endpoint);
    for (let i = 0; i < 6; i++) {
      const r = await rawUnary(raw, 'SendMessage', { messages: [{ topic: { name: 'jobs' }, body: Buffer.from(`m${i}`), systemProperties: { messageId: `01M${i}`, messageType: 'NORMAL', bornTimestamp: { seconds: String(Math.floor(Date.now() / 1000)) }, queueId: 0 } }] });
      expect(r.status.code).toBe('OK');
    }
    const taken = await receive(raw, 4, 1);
    expect(seen(taken)).toEqual([['m0', 1], ['m1', 1], ['m2', 1], ['m3', 1]]);
    const handle = (i: number) => taken[i].systemProperties.receiptHandle;
    const ack = (i: number) => rawUnary(raw!, 'AckMessage', { group: { name: 'workers' }, topic: { name: 'jobs' }, entries: [{ messageId: `01M${i}`, receiptHandle: handle(i) }] });
    // m2 is acked before m0 and m1 are: above the committed offset.
    expect((await ack(2)).status.code).toBe('OK');

    raw.close();
    await serve.kill();
    serve = await serve.restart();
    raw = rawClient(serve.endpoint);

    // m0, m1 and m3 are out for another minute, m2 is done: only m4 and m5 come.
    expect(seen(await receive(raw, 10, 1))).toEqual([['m4', 1], ['m5', 1]]);
    // The handles given before the kill still work.
    expect((await ack(1)).status.code).toBe('OK');
    const changed = await rawUnary(raw, 'ChangeInvisibleDuration', { group: { name: 'workers' }, topic: { name: 'jobs' }, receiptHandle: handle(0), invisibleDuration: { seconds: '1' }, messageId: '01M0' });
    expect(changed.status.code).toBe('OK');
    // m0 comes back after its new second, as its second delivery.
    expect(seen(await receiveSome(raw, 60))).toEqual([['m0', 2]]);
  });

  it('counts a retry\'s attempts on from the group\'s retry topic, and its handle from before the kill still works', async () => {
    serve = await RocketServe.start(tmp.dir, { 'mqlab.storage.engine': engine });
    const admin = await Admin.connect(serve.bootstrap);
    await admin.createTopic('jobs', 1, { 'message.type': 'NORMAL' });
    admin.close();
    raw = rawClient(serve.endpoint);
    const sent = await rawUnary(raw, 'SendMessage', { messages: [{ topic: { name: 'jobs' }, body: Buffer.from('m0'), systemProperties: { messageId: '01R0', messageType: 'NORMAL', queueId: 0 } }] });
    expect(sent.status.code).toBe('OK');
    expect(seen(await receive(raw, 10, 1, 'jobs', 1))).toEqual([['m0', 1]]);
    // Not acked: revived into RETRY.workers, and received from there (a retry's handle) for a minute.
    const retried = await receiveSome(raw, 60);
    expect(seen(retried)).toEqual([['m0', 2]]);
    expect(retried[0].topic.name).toBe('jobs');
    expect(retried[0].systemProperties.receiptHandle).toMatch(/^2\./);

    raw.close();
    await serve.kill();
    serve = await serve.restart();
    raw = rawClient(serve.endpoint);

    // Out for another minute; its handle shortens that to a second, and it comes back as attempt 3.
    expect(seen(await receive(raw, 10, 1))).toEqual([]);
    const changed = await rawUnary(raw, 'ChangeInvisibleDuration', { group: { name: 'workers' }, topic: { name: 'jobs' }, receiptHandle: retried[0].systemProperties.receiptHandle, invisibleDuration: { seconds: '1' }, messageId: '01R0' });
    expect(changed.status.code).toBe('OK');
    const third = await receiveSome(raw, 60);
    expect(seen(third)).toEqual([['m0', 3]]);
    expect(third[0].systemProperties.messageId).toBe('01R0');
    const acked = await rawUnary(raw, 'AckMessage', { group: { name: 'workers' }, topic: { name: 'jobs' }, entries: [{ messageId: '01R0', receiptHandle: third[0].systemProperties.receiptHandle }] });
    expect(acked.status.code).toBe('OK');
    // Nothing comes back.
    expect(seen(await receive(raw, 10, 2))).toEqual([]);
  });

  it('revives what was out before the kill though its consumer never comes back', async () => {
    serve = await RocketServe.start(tmp.dir, { 'mqlab.storage.engine': engine });
    const admin = await Admin.connect(serve.bootstrap);
    await admin.createTopic('jobs', 1, { 'message.type': 'NORMAL' });
    // Made now, so a Kafka consumer can wait on it (the broker makes it at the first retry otherwise).
    await admin.createTopic('RETRY.workers', 1);
    admin.close();
    raw = rawClient(serve.endpoint);
    expect((await rawUnary(raw, 'SendMessage', { messages: [{ topic: { name: 'jobs' }, body: Buffer.from('m0'), systemProperties: { messageId: '01K0', messageType: 'NORMAL', queueId: 0 } }] })).status.code).toBe('OK');
    expect(seen(await receive(raw, 10, 1, 'jobs', 2))).toEqual([['m0', 1]]);
    raw.close();
    raw = undefined;
    await serve.kill();
    serve = await serve.restart();

    // No RocketMQ client comes: the copy appears in RETRY.workers by itself once its invisible time is over.
    const copies = await kafkaHeaders(serve.bootstrap, 'RETRY.workers');
    expect(copies[0]).toMatchObject({ 'rmq.msg.id': '01K0', 'rmq.retry.topic': 'jobs', 'rmq.reconsume.time': '1' });
  });

  it('keeps acks whose offset commit was not stored yet; a clean stop stores it', async () => {
    // The committed offset would reach the offset store only in an hour: the pop journal alone keeps the acks.
    serve = await RocketServe.start(tmp.dir, { 'mqlab.storage.engine': engine, 'rocketmq.offset.commit.interval.ms': '3600000' });
    let admin = await Admin.connect(serve.bootstrap);
    await admin.createTopic('jobs', 1, { 'message.type': 'NORMAL' });
    raw = rawClient(serve.endpoint);
    const messages = Array.from({ length: 6 }, (_, i) => ({ topic: { name: 'jobs' }, body: Buffer.from(`m${i}`), systemProperties: { messageId: `01M${i}`, messageType: 'NORMAL', queueId: 0 } }));
    expect((await rawUnary(raw, 'SendMessage', { messages })).status.code).toBe('OK');
    const taken = await receive(raw, 10, 1);
    expect(seen(taken)).toEqual(messages.map((_, i) => [`m${i}`, 1]));
    const acked = await rawUnary(raw, 'AckMessage', { group: { name: 'workers' }, topic: { name: 'jobs' }, entries: taken.slice(0, 4).map((m) => ({ messageId: m.systemProperties.messageId, receiptHandle: m.systemProperties.receiptHandle })) });
    expect(acked.status.code).toBe('OK');
    expect((await admin.groupOffsets('workers')).get('jobs')?.get(0)).toBeUndefined();
    admin.close();

    raw.close();
    await serve.kill();
    serve = await serve.restart();
    raw = rawClient(serve.endpoint);
    // m0 to m3 are acked, m4 and m5 out for another minute: nothing comes.
    expect(seen(await receive(raw, 10, 1))).toEqual([]);
    raw.close();
    raw = undefined;
    // SIGTERM: the broker commits what the acks moved before it exits.
    await serve.stop();
    serve = await serve.restart();
    admin = await Admin.connect(serve.bootstrap);
    expect((await admin.groupOffsets('workers')).get('jobs')?.get(0)).toBe(4n);
    admin.close();
  });

  it('finds a FIFO group\'s held messages again behind the one still out', async () => {
    serve = await RocketServe.start(tmp.dir, { 'mqlab.storage.engine': engine });
    const admin = await Admin.connect(serve.bootstrap);
    await admin.createTopic('orders', 1, { 'message.type': 'FIFO' });
    admin.close();
    raw = rawClient(serve.endpoint);
    for (const [i, group] of ['A', 'A', 'B', 'A'].entries()) {
      const r = await rawUnary(raw, 'SendMessage', { messages: [{ topic: { name: 'orders' }, body: Buffer.from(`${group}${i}`), systemProperties: { messageId: `01F${i}`, messageType: 'FIFO', messageGroup: group, bornTimestamp: { seconds: String(Math.floor(Date.now() / 1000)) }, queueId: 0 } }] });
      expect(r.status.code).toBe('OK');
    }
    // One of each group is out: A0 and B2; A1 and A3 wait behind A0.
    const taken = await receive(raw, 10, 1, 'orders');
    expect(seen(taken)).toEqual([['A0', 1], ['B2', 1]]);

    raw.close();
    await serve.kill();
    serve = await serve.restart();
    raw = rawClient(serve.endpoint);

    // Still nothing of A while A0 is out.
    expect(seen(await receive(raw, 10, 1, 'orders'))).toEqual([]);
    const acked = await rawUnary(raw, 'AckMessage', { group: { name: 'workers' }, topic: { name: 'orders' }, entries: [{ messageId: '01F0', receiptHandle: taken[0].systemProperties.receiptHandle }] });
    expect(acked.status.code).toBe('OK');
    expect(seen(await receive(raw, 10, 1, 'orders'))).toEqual([['A1', 1]]);
  });
});
