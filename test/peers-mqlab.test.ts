// mqlab as a peer of the comparison, through the lab's Kafka drivers
// (mqlab's own client and kafkajs) and the RocketMQ driver
// (rocketmq-client-nodejs): each passes the conformance check against a
// `mqlab serve` the server spec starts and stops by pid. Then --target:
// a second mqlab stands in for an external cluster the drivers are only
// given the address of; they delete the topics they created and nothing
// else, and the RocketMQ driver uses a topic created beforehand, ignoring
// what another run left in it.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Admin } from '../src/client/admin.js';
import { BrokerProcess } from '../src/lab/broker-process.js';
import type { DriverFactory, PeerConsumer } from '../src/lab/peers/driver.js';
import { kafkaDriver } from '../src/lab/peers/drivers/kafka.js';
import { kafkajsDriver } from '../src/lab/peers/drivers/kafkajs.js';
import { rocketmqDriver } from '../src/lab/peers/drivers/rocketmq.js';
import { javaStringHash, rocketmqLeanDriver } from '../src/lab/peers/drivers/rocketmq-lean.js';
import { payloadTemplate, readStamp, stamp } from '../src/lab/peers/payload.js';
import { mqlabServer } from '../src/lab/peers/servers/mqlab.js';
import { parseTarget } from '../src/lab/peers/targets.js';
import { checkPeer } from './helpers/peer-conformance.js';
import { testRandom } from './helpers/seed.js';
import { Progress } from './helpers/until.js';

const random = testRandom('peers-mqlab.test.ts');

describe('mqlab as a peer', () => {
  it('mqlab client: segmented, sendfile, mode fsync (flush batch)', async () => {
    const r = await checkPeer({ server: mqlabServer('segmented', 'sendfile', false), driver: kafkaDriver, mode: 'fsync', random });
    expect(r.received).toEqual({ shared: 300, single: 300 });
    expect(r.server.version).toMatch(/^mqlab \d/);
  });

  it('kafkajs: segmented, sendfile, mode on (flush none)', async () => {
    const r = await checkPeer({ server: mqlabServer('segmented', 'sendfile', false), driver: kafkajsDriver, mode: 'on', random });
    expect(r.received).toEqual({ shared: 300, single: 300 });
  });

  it('rocketmq-client-nodejs: commitlog, mmap, mode on', async () => {
    const r = await checkPeer({ server: mqlabServer('commitlog', 'mmap', true), driver: rocketmqDriver, mode: 'on', random });
    expect(r.received).toEqual({ shared: 300, single: 300 });
  });

  it('lean gRPC client: commitlog, mmap, mode fsync', async () => {
    const r = await checkPeer({ server: mqlabServer('commitlog', 'mmap', true), driver: rocketmqLeanDriver, mode: 'fsync', random });
    expect(r.received).toEqual({ shared: 300, single: 300 });
  });

  it('the lean client picks a keyed message\'s queue as RocketMQ\'s SelectMessageQueueByHash (Java\'s String.hashCode)', () => {
    // "...".hashCode() as jshell printed it (OpenJDK 17).
    expect(javaStringHash('')).toBe(0);
    expect(javaStringHash('key-1')).toBe(101943363);
    expect(javaStringHash('hello world, this overflows')).toBe(161437415);
    expect(javaStringHash('Ünïcødé-κλειδί')).toBe(1455065878);
    expect(javaStringHash('polygenelubricants')).toBe(-2147483648);
  });

  it('the lean client refuses a target that is not mqlab', async () => {
    await expect(rocketmqLeanDriver({ endpoint: { host: '127.0.0.1', port: 1 }, mode: 'on', messageSize: 64 })).rejects.toThrow(/runs against mqlab only/);
  });

  it('an unknown mode is refused before anything starts', async () => {
    await expect(mqlabServer('segmented', 'sendfile', false).start('/nonexistent', 'everysec')).rejects.toThrow(/no persistence mode "everysec" \(expected on or fsync\)/);
  });
});

/** What each consumer of a subscription received, by stamp sequence. */
interface FlowResult {
  perConsumer: Map<number, number>[];
}

/**
 * The conformance flow against a target the driver only has the address of:
 * subscriptions "shared" (two consumers) and "single", `n` stamped
 * messages, half keyed; every one received once per subscription.
 * `createConsumersTogether`: the consumers start at once (the RocketMQ
 * driver's wait for each one's first receive then overlaps).
 */
async function flow(driver: Awaited<ReturnType<DriverFactory>>, topic: string, n: number, createConsumersTogether = false): Promise<FlowResult> {
  const progress = new Progress();
  const perConsumer = [new Map<number, number>(), new Map<number, number>(), new Map<number, number>()];
  const on = (i: number) => (payload: Buffer): void => {
    const s = readStamp(payload)!;
    perConsumer[i]!.set(s.sequence, (perConsumer[i]!.get(s.sequence) ?? 0) + 1);
    progress.made();
  };
  const specs: [string, number][] = [['shared', 0], ['shared', 1], ['single', 2]];
  let consumers: PeerConsumer[] = [];
  if (createConsumersTogether) consumers = await Promise.all(specs.map(([sub, i]) => driver.createConsumer(topic, sub, on(i))));
  else for (const [sub, i] of specs) consumers.push(await driver.createConsumer(topic, sub, on(i)));
  const producer = await driver.createProducer(topic);
  const template = payloadTemplate(64, random);
  await Promise.all(Array.from({ length: n }, (_, i) => producer.sendAsync(i % 2 ? `key-${i % 7}` : null, stamp(template, 1, i))));
  const distinct = (ms: Map<number, number>[]): number => new Set(ms.flatMap((m) => [...m.keys()])).size;
  await progress.until(`${n} messages in each subscription`, () => distinct(perConsumer.slice(0, 2)) >= n && distinct(perConsumer.slice(2)) >= n);
  for (const c of consumers) await c.close();
  await producer.close();
  for (const [name, ms] of [['shared', perConsumer.slice(0, 2)], ['single', perConsumer.slice(2)]] as const) {
    const counts = new Map<number, number>();
    for (const m of ms) for (const [seq, k] of m) counts.set(seq, (counts.get(seq) ?? 0) + k);
    expect(counts.size, `${name}: distinct`).toBe(n);
    expect([...counts.values()].filter((k) => k > 1), `${name}: duplicates`).toEqual([]);
    expect([...counts.keys()].every((seq) => seq < n), `${name}: only this run's messages`).toBe(true);
  }
  return { perConsumer };
}

describe('--target: a broker the lab did not start', () => {
  let dir: string;
  let external: BrokerProcess;
  let admin: Admin;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'mqlab-peer-target-'));
    external = await BrokerProcess.start(['--data-dir', dir], 0, { rocketmqPort: 0 });
    admin = await Admin.connect(external.bootstrap);
    await admin.createTopic('keep-me', 2);
    await admin.createTopic('rmq-bench', 2);
  });

  afterAll(async () => {
    admin?.close();
    await external?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it.each([
    ['mqlab client', kafkaDriver],
    ['kafkajs', kafkajsDriver],
  ] as const)('kafka=… through %s: the run\'s topic is created and deleted, the one already there is kept', async (_name, factory) => {
    const target = parseTarget(`kafka=${external.bootstrap}`);
    const driver = await factory({ endpoint: target.endpoint, mode: 'off', messageSize: 64 });
    try {
      await expect(driver.createTopic('keep-me', 2)).rejects.toThrow(/exists already and was not created by this run/);
      const topic = `target-${random.int(0, 1e9)}`;
      await driver.createTopic(topic, 3);
      await driver.createTopic(topic, 3); // idempotent for its own
      const r = await flow(driver, topic, 200);
      // The shared subscription's two consumers split the partitions: both had messages.
      expect(r.perConsumer[0]!.size).toBeGreaterThan(0);
      expect(r.perConsumer[1]!.size).toBeGreaterThan(0);
      await driver.deleteTopics();
      const names = (await admin.listTopics()).map((t) => t.name);
      expect(names).toContain('keep-me');
      expect(names).not.toContain(topic);
    } finally {
      await driver.close();
    }
  });

  it('rocketmq=…/TOPIC: a missing topic is refused with how to create it; the given one is used and kept; another run\'s messages in it are not received', async () => {
    const target = parseTarget(`rocketmq=${external.rocketmqEndpoint}/rmq-bench`);
    expect(target.endpoint.kafkaAdmin).toBeUndefined();
    const topic = target.topics[0]!;
    // Another run's messages, already in the topic (stamped with sequences this run uses too).
    const earlier = await rocketmqDriver({ endpoint: target.endpoint, mode: 'off', messageSize: 64 });
    const old = await earlier.createProducer(topic);
    const template = payloadTemplate(64, random);
    await Promise.all(Array.from({ length: 20 }, (_, i) => old.sendAsync(null, stamp(template, 9, i))));
    await old.close();
    await earlier.close();

    const driver = await rocketmqDriver({ endpoint: target.endpoint, mode: 'off', messageSize: 64 });
    try {
      await expect(driver.createTopic('not-there', 2)).rejects.toThrow(/topic not-there does not exist on the RocketMQ cluster at .*mqadmin updateTopic .* -t not-there/);
      await driver.createTopic(topic, 2);
      const r = await flow(driver, topic, 100, true);
      expect(r.perConsumer.every((m) => [...m.keys()].every((seq) => seq < 100))).toBe(true);
      await driver.deleteTopics();
      expect((await admin.listTopics()).map((t) => t.name)).toContain(topic);
    } finally {
      await driver.close();
    }
  });
});
