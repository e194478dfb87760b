// The pop state keeps a queue's offsets as numbers, exact below 2^53: a
// queue whose log reaches past that is refused to RocketMQ receives by
// name, and the broker goes on serving its other queues and Kafka's
// consumers. No log gets there by appends (2^53 messages); the test makes
// one by moving a real segment file's base offset there before a restart.
import { readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Admin } from '../src/client/admin.js';
import { startTestBroker, type TestBroker } from './helpers/broker.js';
import { tempDir } from './helpers/files.js';
import { rawClient, rawReceive, rawUnary, type RawClient } from './helpers/rocketmq.js';

const PAST = 2n ** 53n;

/* eslint-disable @typescript-eslint/no-explicit-any -- raw proto objects */
function receive(raw: RawClient, topic: string): Promise<any[]> {
  return rawReceive(raw, { group: { name: 'g' }, messageQueue: { topic: { name: topic }, id: 0 }, filterExpression: { type: 'TAG', expression: '*' }, batchSize: 8, invisibleDuration: { seconds: '30' }, longPollingTimeout: { seconds: '0' } });
}

function send(raw: RawClient, topic: string, body: string): Promise<any> {
  return rawUnary(raw, 'SendMessage', { messages: [{ topic: { name: topic }, body: Buffer.from(body), systemProperties: { messageId: `01${topic}${body}`, messageType: 'NORMAL', bornTimestamp: { seconds: String(Math.floor(Date.now() / 1000)) }, queueId: 0 } }] });
}

/** Moves the partition's only segment to base offset `base`: its file names and its batch's base offset (outside the batch CRC). */
function moveSegment(partitionDir: string, base: bigint): void {
  const files = readdirSync(partitionDir);
  const log = files.filter((f) => f.endsWith('.log'));
  expect(log).toEqual(['00000000000000000000.log']);
  for (const f of files) if (f.endsWith('.index') || f.endsWith('.timeindex')) rmSync(join(partitionDir, f));
  const bytes = readFileSync(join(partitionDir, log[0]!));
  bytes.writeBigInt64BE(base, 0);
  writeFileSync(join(partitionDir, log[0]!), bytes);
  renameSync(join(partitionDir, log[0]!), join(partitionDir, `${String(base).padStart(20, '0')}.log`));
}

describe('RocketMQ receives and offsets past 2^53 - 1', () => {
  const tmp = tempDir('mqlab-offset-limit-');
  let b: TestBroker | undefined;
  let raw: RawClient | undefined;
  afterEach(async () => {
    raw?.close();
    await b?.destroy();
    tmp.cleanup();
  });

  it('refuses the queue by name, and serves the broker\'s other queues as before', async () => {
    const configs = { 'log.dirs': tmp.dir, 'mqlab.storage.engine': 'segmented' };
    b = await startTestBroker(configs, { rocketmq: true });
    const admin = await Admin.connect(b.bootstrap);
    for (const t of ['far', 'near']) await admin.createTopic(t, 1, { 'message.type': 'NORMAL' });
    admin.close();
    raw = rawClient(b.rocketmqEndpoint!);
    for (const t of ['far', 'near']) expect((await send(raw, t, 'm0')).status.code).toBe('OK');
    raw.close();
    await b.destroy();

    moveSegment(join(tmp.dir, 'log', 'far-0'), PAST);
    b = await startTestBroker(configs, { rocketmq: true });
    expect(b.broker.engine.highWatermark({ topic: 'far', partition: 0 }) >= PAST).toBe(true);
    raw = rawClient(b.rocketmqEndpoint!);
    const far = await receive(raw, 'far');
    expect(far.map((d) => d.status?.code)).toEqual(['UNSUPPORTED']);
    expect(far[0].status.message).toMatch(/far-0 has offsets past 2\^53 - 1 \(900719925474099\d\)/);
    // The broker goes on: the other queue is received, acked and sent to.
    const near = await receive(raw, 'near');
    const messages = near.filter((d) => d.message).map((d) => d.message);
    expect(messages.map((m) => m.body.toString())).toEqual(['m0']);
    const ack = await rawUnary(raw, 'AckMessage', { group: { name: 'g' }, topic: { name: 'near' }, entries: [{ messageId: messages[0].systemProperties.messageId, receiptHandle: messages[0].systemProperties.receiptHandle }] });
    expect(ack.status.code).toBe('OK');
    expect((await send(raw, 'near', 'm1')).status.code).toBe('OK');
  });
});
