// Timers and open transactions survive a SIGKILL of `mqlab serve`, both
// engines: a delayed message due while the broker was down is delivered at
// once after the restart, one due later on time; a half message open at
// the kill is checked back with its producer (which reconnects by itself)
// after the restart, and its checker's COMMIT applies.
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { Producer, SimpleConsumer } from 'rocketmq-client-nodejs';
import { tempDir } from './helpers/files.js';
import { receiveUntil, startProducer, startSimpleConsumer } from './helpers/rocketmq.js';
import { RocketServe } from './helpers/rocketmq-serve.js';
import { receiveStamped } from './helpers/rocketmq-timing.js';
import { COMMIT, txProducer } from './helpers/rocketmq-transaction.js';

const ENGINES = ['segmented', 'commitlog'] as const;

async function createTopic(bootstrap: string, topic: string, type: string): Promise<void> {
  const admin = new Kafka({ clientId: 'admin', brokers: [bootstrap], logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: 1, configEntries: [{ name: 'message.type', value: type }] }] });
  await admin.disconnect();
}

describe.each(ENGINES)('RocketMQ timers and transactions across SIGKILL (%s)', (engine) => {
  const tmp = tempDir('mqlab-rmq-crash-');
  let serve: RocketServe | undefined;
  const clients: (Producer | SimpleConsumer)[] = [];
  afterEach(async () => {
    for (const c of clients.splice(0)) await c.shutdown().catch(() => undefined);
    // SIGTERM, not SIGKILL, after the clients shut down: the official client
    // drops its stream listeners on shutdown before the server's answer
    // arrives, so a connection reset then would be an uncaught error in it.
    await serve?.stop();
    serve = undefined;
  });
  afterAll(() => tmp.cleanup());

  it('a delayed message due during the downtime comes at once after the restart; one due later comes on time', async () => {
    serve = await RocketServe.start(`${tmp.dir}/delay`, { 'mqlab.storage.engine': engine });
    await createTopic(serve.bootstrap, 'later', 'DELAY');
    const producer = await startProducer(serve.endpoint, ['later']);
    clients.push(producer); // alive across the kill (see afterEach)
    const sentAt = Date.now();
    await producer.send({ topic: 'later', body: Buffer.from('due in the downtime'), deliveryTimestamp: new Date(sentAt + 1_500) });
    await producer.send({ topic: 'later', body: Buffer.from('due after the restart'), deliveryTimestamp: new Date(sentAt + 9_000) });
    await serve.kill();
    // The broker stays down past the first delivery time: real time has to
    // pass (the broker is another process, on the system clock), so one
    // timer to that moment; nothing else is awaited meanwhile.
    await new Promise((r) => setTimeout(r, sentAt + 2_000 - Date.now()));
    serve = await serve.restart();
    const consumer = await startSimpleConsumer(serve.endpoint, 'g', { later: '*' });
    clients.push(consumer);
    const readyAt = Date.now();
    const got = await receiveStamped(consumer, 2, 20_000);
    expect(got.map((g) => g.m.body.toString())).toEqual(['due in the downtime', 'due after the restart']);
    const [first, second] = got;
    // Overdue: in its queue by the time a consumer can ask, so the first receive returns it.
    expect(first!.at - readyAt, 'the overdue one, from the consumer being ready').toBeLessThanOrEqual(1_000);
    const lateness = second!.at - second!.m.deliveryTimestamp!.getTime();
    expect(lateness).toBeGreaterThanOrEqual(0);
    expect(lateness).toBeLessThanOrEqual(1_000);
  });

  it('a half message open at the kill is checked back after the restart and committed', async () => {
    const settings = { 'mqlab.storage.engine': engine, 'transaction.timeout.ms': '1000', 'transaction.check.interval.ms': '1000' };
    serve = await RocketServe.start(`${tmp.dir}/tx`, settings);
    await createTopic(serve.bootstrap, 'orders', 'TRANSACTION');
    const { producer, checked } = await txProducer(serve.endpoint, 'orders', () => COMMIT);
    clients.push(producer);
    const done = producer.beginTransaction();
    await producer.send({ topic: 'orders', body: Buffer.from('committed before') }, done);
    await done.commit();
    const open = await producer.send({ topic: 'orders', body: Buffer.from('open at the kill') }, producer.beginTransaction());
    await serve.kill();
    serve = await serve.restart();
    const consumer = await startSimpleConsumer(serve.endpoint, 'g', { orders: '*' });
    clients.push(consumer);
    const got = await receiveUntil(consumer, (all) => all.length >= 2, 15_000, 30_000);
    expect(got.map((m) => m.body.toString())).toEqual(['committed before', 'open at the kill']);
    expect(checked.map((m) => m.messageId)).toContain(open.messageId);
    expect(checked.map((m) => m.body.toString())).not.toContain('committed before');
    // Nothing more: the commit is recorded, so no further check commits it twice.
    expect(await consumer.receive(16, 15_000)).toEqual([]);
  });
});
