// kafkajs transactions against a real broker on loopback, both engines:
// send, sendOffsets, commit and abort; a read_committed consumer (kafkajs's
// default) sees no aborted record and nothing past the last stable offset,
// a read_uncommitted one sees everything; a second instance of a
// transactional id fences the first; a transaction left open past its
// timeout is aborted; and a transaction open when the broker is killed
// with SIGKILL commits after the restart.
import { Kafka, logLevel, type Consumer } from 'kafkajs';
import { afterEach, describe, expect, it } from 'vitest';
import type { FetchResult } from '../src/broker/broker.js';
import { startTestBroker, type TestBroker } from './helpers/broker.js';
import { tempDir } from './helpers/files.js';
import { RocketServe } from './helpers/rocketmq-serve.js';
import { Progress, until } from './helpers/until.js';

const kafkaFor = (bootstrap: string): Kafka =>
  new Kafka({ clientId: 'txn-e2e', brokers: [bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 10, initialRetryTime: 50, maxRetryTime: 500 } });

const progress = new Progress();

/** A consumer from the beginning that records each value it is given, in order. */
async function reader(kafka: Kafka, groupId: string, topic: string, seen: string[], readUncommitted = false): Promise<Consumer> {
  const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 100, readUncommitted });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ message }) => {
      seen.push(message.value!.toString());
      progress.made();
    },
  });
  return consumer;
}

const values = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => ({ value: `${prefix}${i}` }));

describe.each(['segmented', 'commitlog'])('kafkajs transactions (%s)', (engine) => {
  let broker: TestBroker | undefined;
  const clients: { disconnect(): Promise<void> }[] = [];
  const track = <T extends { disconnect(): Promise<void> }>(c: T): T => {
    clients.push(c);
    return c;
  };
  afterEach(async () => {
    for (const c of clients.splice(0)) await c.disconnect().catch(() => undefined);
    await broker?.destroy();
    broker = undefined;
  });

  it('commits and aborts; read_committed sees no aborted record and nothing past the last stable offset; offsets commit with the transaction', async () => {
    broker = await startTestBroker({ 'mqlab.storage.engine': engine });
    const b = broker;
    const kafka = kafkaFor(b.bootstrap);
    const admin = track(kafka.admin());
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'orders', numPartitions: 1 }, { topic: 'in', numPartitions: 1 }] });
    // Every fetch answered for orders-0, so the test knows when the consumer has asked again.
    const fetches: FetchResult[] = [];
    b.broker.observe({ produced: () => undefined, failed: () => undefined, fetched: (rs) => {
      for (const r of rs) if (r.topic === 'orders') fetches.push(r);
      progress.made();
    } });

    const producer = track(kafka.producer({ transactionalId: 'relay', maxInFlightRequests: 1, idempotent: true }));
    await producer.connect();
    const t1 = await producer.transaction();
    await t1.send({ topic: 'orders', messages: values('c', 5) });
    await t1.sendOffsets({ consumerGroupId: 'relay-group', topics: [{ topic: 'in', partitions: [{ partition: 0, offset: '5' }] }] });
    await t1.commit();
    const t2 = await producer.transaction();
    await t2.send({ topic: 'orders', messages: values('a', 4) });
    await t2.sendOffsets({ consumerGroupId: 'relay-group', topics: [{ topic: 'in', partitions: [{ partition: 0, offset: '9' }] }] });
    await t2.abort();
    expect(b.broker.coordinator.committed('relay-group', 'in', 0).offset).toBe(5n); // the aborted transaction's offsets never land

    const t3 = await producer.transaction();
    await t3.send({ topic: 'orders', messages: values('o', 3) });
    // A plain producer's records behind the open transaction: stable only once it ends.
    const plain = track(kafka.producer());
    await plain.connect();
    await plain.send({ topic: 'orders', messages: values('p', 2) });
    // c0-4 (0-4), commit (5), a0-3 (6-9), abort (10), o0-2 (11-13), p0-1 (14-15)
    const seen: string[] = [];
    track(await reader(kafka, 'readers', 'orders', seen));
    await progress.until('the committed records', () => seen.length >= 5);
    // Two more fetches answered at the last stable offset (the open transaction's first) and nothing new: it stops there.
    const at = fetches.length;
    await progress.until('two more fetches', () => fetches.slice(at).filter((r) => r.lastStableOffset === 11n).length >= 2);
    expect(seen).toEqual(['c0', 'c1', 'c2', 'c3', 'c4']);
    await t3.commit();
    await progress.until('the rest', () => seen.length >= 10);
    expect(seen).toEqual(['c0', 'c1', 'c2', 'c3', 'c4', 'o0', 'o1', 'o2', 'p0', 'p1']);

    // read_uncommitted: the aborted ones too, the markers never.
    const all: string[] = [];
    track(await reader(kafka, 'uncommitted', 'orders', all, true));
    await progress.until('everything', () => all.length >= 14);
    expect(all).toEqual(['c0', 'c1', 'c2', 'c3', 'c4', 'a0', 'a1', 'a2', 'a3', 'o0', 'o1', 'o2', 'p0', 'p1']);
  });

  it('fences the first instance of a transactional id when a second starts; aborts a transaction open past its timeout', async () => {
    broker = await startTestBroker({ 'mqlab.storage.engine': engine, 'transaction.abort.timed.out.transaction.cleanup.interval.ms': '50' });
    const kafka = kafkaFor(broker.bootstrap);
    const admin = track(kafka.admin());
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'fenced', numPartitions: 2 }] });
    const first = track(kafka.producer({ transactionalId: 'worker', maxInFlightRequests: 1, idempotent: true }));
    await first.connect();
    const zombie = await first.transaction();
    await zombie.send({ topic: 'fenced', messages: [{ value: 'zombie', partition: 0 }] });
    const second = track(kafka.producer({ transactionalId: 'worker', maxInFlightRequests: 1, idempotent: true }));
    await second.connect();
    const live = await second.transaction(); // kafkajs asks InitProducerId here: the zombie's transaction is aborted, the epoch bumped
    await expect(zombie.commit()).rejects.toThrow(/epoch|fenced/i);
    await live.send({ topic: 'fenced', messages: [{ value: 'live', partition: 0 }] });
    await live.commit();
    const seen: string[] = [];
    track(await reader(kafka, 'fence-readers', 'fenced', seen));
    await progress.until('the live record', () => seen.length >= 1);
    expect(seen).toEqual(['live']);

    const slow = track(kafka.producer({ transactionalId: 'slow', maxInFlightRequests: 1, idempotent: true, transactionTimeout: 300 }));
    await slow.connect();
    const lapsed = await slow.transaction();
    await lapsed.send({ topic: 'fenced', messages: [{ value: 'lapsed', partition: 1 }] });
    const txns = broker.broker.transactions.coordinator;
    await until('the lapsed transaction is aborted', () => txns.describe('slow')?.state === 'CompleteAbort', 5_000_000);
    await expect(lapsed.commit()).rejects.toThrow(/epoch|fenced/i);
  });

  it('commits a transaction that was open when the broker was killed with SIGKILL, after the restart; a new instance aborts another', async () => {
    const tmp = tempDir('mqlab-txn-kill-');
    let serve = await RocketServe.start(tmp.dir, { 'mqlab.storage.engine': engine });
    try {
      const kafka = kafkaFor(serve.bootstrap);
      const admin = track(kafka.admin());
      await admin.connect();
      await admin.createTopics({ topics: [{ topic: 'survives', numPartitions: 2 }] });
      const producer = track(kafka.producer({ transactionalId: 'across', maxInFlightRequests: 1, idempotent: true }));
      await producer.connect();
      const open = await producer.transaction();
      await open.send({ topic: 'survives', messages: [{ value: 'k0', partition: 0 }, { value: 'k1', partition: 1 }] });
      await open.sendOffsets({ consumerGroupId: 'across-group', topics: [{ topic: 'survives', partitions: [{ partition: 0, offset: '1' }] }] });
      const doomed = track(kafka.producer({ transactionalId: 'doomed', maxInFlightRequests: 1, idempotent: true }));
      await doomed.connect();
      const lost = await doomed.transaction();
      await lost.send({ topic: 'survives', messages: [{ value: 'doomed', partition: 1 }] });

      await serve.kill();
      serve = await serve.restart();

      await open.commit(); // the coordinator's state survived: the same transaction ends
      const again = track(kafka.producer({ transactionalId: 'doomed', maxInFlightRequests: 1, idempotent: true }));
      await again.connect();
      const next = await again.transaction(); // InitProducerId: the transaction the kill left open is aborted
      await next.send({ topic: 'survives', messages: [{ value: 'after', partition: 1 }] });
      await next.commit();
      const seen: string[] = [];
      track(await reader(kafka, 'after-kill', 'survives', seen));
      // 'after' lies behind 'doomed' in partition 1: seen only because that transaction was aborted, and 'doomed' with it.
      await progress.until('the committed records', () => seen.length >= 3);
      expect(seen.sort()).toEqual(['after', 'k0', 'k1']);
      const offsets = await admin.fetchOffsets({ groupId: 'across-group', topics: ['survives'] });
      expect(offsets[0]!.partitions.find((p) => p.partition === 0)!.offset).toBe('1');
    } finally {
      for (const c of clients.splice(0)) await c.disconnect().catch(() => undefined);
      await serve.kill();
      tmp.cleanup();
    }
  });
});
