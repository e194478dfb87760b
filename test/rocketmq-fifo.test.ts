// FIFO message groups, on both engines: on a topic with message.type=FIFO a
// consumer group gets the messages of each message group in order, one in
// flight per message group (the next is not handed out until the previous
// is acked; a redelivery of the one in flight comes before its successors),
// and a slow message group does not hold up the others. Records are written
// through the broker core with the rmq.message.group header (what a FIFO
// producer stores), in a seeded random interleaving.
import { afterEach, describe, expect, it } from 'vitest';
import type { MessageView, Producer, SimpleConsumer } from 'rocketmq-client-nodejs';
import { encodeBatch } from '../src/records/index.js';
import { startTestBroker, type TestBroker } from './helpers/broker.js';
import { committedAt } from './helpers/broker-events.js';
import { receiveUntil, startProducer, startSimpleConsumer } from './helpers/rocketmq.js';
import { seededRandom } from '../src/lab/random.js';

const ENGINES = ['segmented', 'commitlog'] as const;
const SEED = Number(process.env.MQLAB_TEST_SEED ?? Date.now() % 100_000);
console.log(`rocketmq-fifo seed ${SEED} (MQLAB_TEST_SEED=${SEED} repeats it)`);


const GROUPS = ['A', 'B', 'C'];
const PER_GROUP = 5;

/** A seeded interleaving of A-0..A-4, B-0..B-4, C-0..C-4, each group in order. */
function interleaving(seed: number): string[] {
  const next = seededRandom(seed, 'fifo').next;
  const left = new Map(GROUPS.map((g) => [g, 0]));
  const out: string[] = [];
  while (out.length < GROUPS.length * PER_GROUP) {
    const open = GROUPS.filter((g) => left.get(g)! < PER_GROUP);
    const g = open[Math.floor(next() * open.length)]!;
    out.push(`${g}-${left.get(g)!}`);
    left.set(g, left.get(g)! + 1);
  }
  return out;
}

describe.each(ENGINES)('RocketMQ FIFO message groups (%s)', (engine) => {
  let broker: TestBroker | undefined;
  const clients: SimpleConsumer[] = [];
  afterEach(async () => {
    for (const c of clients.splice(0)) await c.shutdown().catch(() => undefined);
    await broker?.destroy();
    broker = undefined;
  });

  async function setup(): Promise<string[]> {
    broker = await startTestBroker({ 'mqlab.storage.engine': engine }, { rocketmq: true });
    broker.broker.createTopic('orders', 1, { 'message.type': 'FIFO' });
    const order = interleaving(SEED);
    // Batches of 1 to 3 records, as producers would send them.
    for (let i = 0; i < order.length; ) {
      const n = Math.min(order.length - i, 1 + (i % 3));
      const records = order.slice(i, i + n).map((body) => ({ key: null, value: Buffer.from(body), headers: [{ key: 'rmq.message.group', value: Buffer.from(body[0]!) }] }));
      const r = await broker.broker.produce('orders', 0, encodeBatch({ baseTimestamp: BigInt(Date.now()), records }), -1);
      expect(r.error).toBe('NONE');
      i += n;
    }
    return order;
  }

  it('delivers each message group in order, one in flight per group; a slow group holds up only itself', async () => {
    const order = await setup();
    const consumer = await startSimpleConsumer(broker!.rocketmqEndpoint!, 'fifo-readers', { orders: '*' }, 3_000);
    clients.push(consumer);
    const delivered: string[] = [];
    let slow: MessageView | undefined;
    const deadline = Date.now() + 30_000;
    // Phase 1: ack everything but C-0. A and B drain completely; C stays at C-0.
    while (delivered.filter((b) => b[0] !== 'C').length < 2 * PER_GROUP) {
      if (Date.now() > deadline) throw new Error(`seed ${SEED}: stuck after ${delivered.join(' ')}`);
      const got = await consumer.receive(32, 30_000);
      // Never two of one group in one receive.
      const groups = got.map((m) => m.messageGroup);
      expect(new Set(groups).size, `seed ${SEED}`).toBe(groups.length);
      for (const m of got) {
        expect(m.messageGroup).toBe(m.body.toString()[0]);
        delivered.push(m.body.toString());
        if (m.body.toString() === 'C-0') slow = m;
        else await consumer.ack(m);
      }
    }
    expect(delivered.filter((b) => b[0] === 'C'), `seed ${SEED}`).toEqual(['C-0']);
    for (const g of ['A', 'B']) expect(delivered.filter((b) => b[0] === g)).toEqual([0, 1, 2, 3, 4].map((i) => `${g}-${i}`));
    // Nothing else of C while C-0 is out: a marker of another group, sent
    // last, is the next and only thing received (C-1 to C-4 came before it).
    const marker = encodeBatch({ baseTimestamp: BigInt(Date.now()), records: [{ key: null, value: Buffer.from('D-0'), headers: [{ key: 'rmq.message.group', value: Buffer.from('D') }] }] });
    expect((await broker!.broker.produce('orders', 0, marker, -1)).error).toBe('NONE');
    const next = await receiveUntil(consumer, (all) => all.some((m) => m.body.toString() === 'D-0'), 30_000);
    expect(next.map((m) => m.body.toString()), `seed ${SEED}`).toEqual(['D-0']);
    await consumer.ack(next[0]!);
    // The committed offset stops at C-0 (nothing is committed when C-0 is the first record).
    const c0 = order.indexOf('C-0');
    await broker!.rocketmq!.commitOffsets();
    expect(broker!.broker.coordinator.committed('fifo-readers', 'orders', 0).offset).toBe(c0 === 0 ? -1n : BigInt(c0));

    // Phase 2: ack C-0: C-1 comes. Left unacked (1 s invisible), C-1 comes back (attempt 2) before C-2.
    await consumer.ack(slow!);
    const c1 = await consumer.receive(32, 1_000);
    expect(c1.map((m) => [m.body.toString(), m.deliveryAttempt])).toEqual([['C-1', 1]]);
    let again: MessageView[] = [];
    while (again.length === 0) {
      if (Date.now() > deadline) throw new Error(`seed ${SEED}: C-1 never came back`);
      again = await consumer.receive(32, 30_000);
    }
    expect(again.map((m) => [m.body.toString(), m.deliveryAttempt])).toEqual([['C-1', 2]]);
    // Delivered again from its own queue, in order: FIFO deliveries are not revived to the retry topic.
    expect(broker!.broker.topics.get('RETRY.fifo-readers')).toBeUndefined();
    await consumer.ack(again[0]!);
    // The rest of C, in order, one at a time.
    const rest: string[] = [];
    while (rest.length < 3) {
      if (Date.now() > deadline) throw new Error(`seed ${SEED}: stuck after C ${rest.join(' ')}`);
      const got = await consumer.receive(32, 30_000);
      expect(got.length).toBeLessThanOrEqual(1);
      for (const m of got) {
        rest.push(m.body.toString());
        await consumer.ack(m);
      }
    }
    expect(rest).toEqual(['C-2', 'C-3', 'C-4']);
    // Every record acked, the marker D-0 after them included.
    await committedAt(broker!.broker, 'fifo-readers', 'orders', 0, BigInt(order.length + 1));
  });

  it("the official Producer's FIFO sends come back in order per message group", async () => {
    broker = await startTestBroker({ 'mqlab.storage.engine': engine }, { rocketmq: true });
    broker.broker.createTopic('sent', 1, { 'message.type': 'FIFO' });
    const producer: Producer = await startProducer(broker.rocketmqEndpoint!, ['sent']);
    const order = interleaving(SEED);
    try {
      for (const body of order) await producer.send({ topic: 'sent', body: Buffer.from(body), messageGroup: body[0]! } as never);
    } finally {
      await producer.shutdown().catch(() => undefined);
    }
    const consumer = await startSimpleConsumer(broker.rocketmqEndpoint!, 'sent-readers', { sent: '*' });
    clients.push(consumer);
    const seen = new Map(GROUPS.map((g) => [g, [] as string[]]));
    const deadline = Date.now() + 30_000;
    while ([...seen.values()].reduce((n, v) => n + v.length, 0) < order.length) {
      if (Date.now() > deadline) throw new Error(`seed ${SEED}: stuck after ${JSON.stringify([...seen])}`);
      for (const m of await consumer.receive(32, 30_000)) {
        expect(m.messageGroup).toBe(m.body.toString()[0]);
        seen.get(m.messageGroup!)!.push(m.body.toString());
        await consumer.ack(m);
      }
    }
    for (const g of GROUPS) expect(seen.get(g), `seed ${SEED}`).toEqual([0, 1, 2, 3, 4].map((i) => `${g}-${i}`));
  });

  it('fifo=false on the group delivers a FIFO topic like a NORMAL one', async () => {
    const order = await setup();
    broker!.broker.groupConfigs.alter('unordered', [{ name: 'fifo', value: 'false' }]);
    const consumer = await startSimpleConsumer(broker!.rocketmqEndpoint!, 'unordered', { orders: '*' });
    clients.push(consumer);
    const got = await consumer.receive(32, 30_000);
    expect(got.map((m) => m.body.toString())).toEqual(order);
  });
});
