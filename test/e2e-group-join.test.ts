// A consumer of a new group, kafkajs and librdkafka (kcat): the initial
// rebalance delay holds its JoinGroup, as Kafka's InitialDelayedJoin does,
// and nothing after it: a record produced once the consumer has its
// assignment comes at once. The group coordinator runs on a ManualClock, so
// the delay passes only when the test advances it: "the join waited for the
// delay" and "the record did not wait for another" are orderings, not
// timings. The record is produced once the consumer's fetch waits at the
// broker, and the consumers' long polls are set far above the bound on the
// record, so a waiting fetch that the append failed to wake would show.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import type { Readable } from 'node:stream';
import { Kafka, logLevel, type Consumer, type Producer } from 'kafkajs';
import { afterEach, describe, expect, it } from 'vitest';
import { startTestBroker, type TestBroker } from './helpers/broker.js';
import { ManualClock } from './helpers/manual-clock.js';
import { missing } from './helpers/requires.js';

const hasKcat = spawnSync('kcat', ['-V']).status === 0;
/** Large, as the issue suggests: no test could pass by waiting it out. */
const DELAY = 20_000;
/** The consumers' fetch max wait; the broker caps it at 30 s. */
const FETCH_WAIT_MS = 25_000;
/** How long anything that should be prompt may take here (a noisy 2-core machine). */
const BOUND_MS = 15_000;

/** Resolves with `p`, or rejects naming what did not happen within `ms`. */
async function bounded<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`no ${what} within ${ms} ms`)), ms)));
  try {
    return await Promise.race([p, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** Resolves with the first line of `stream` that matches. */
function line(stream: Readable, match: RegExp): Promise<string> {
  return new Promise((resolve) => {
    let buffered = '';
    const onData = (d: Buffer): void => {
      buffered += d.toString();
      const hit = buffered.split('\n').find((l) => match.test(l));
      if (hit === undefined) return;
      stream.off('data', onData);
      resolve(hit);
    };
    stream.on('data', onData);
  });
}

describe('a consumer of a new group', () => {
  let broker: TestBroker | undefined;
  let producer: Producer | undefined;
  const consumers: Consumer[] = [];
  const children: ChildProcess[] = [];
  afterEach(async () => {
    for (const c of children.splice(0)) if (c.exitCode === null) c.kill('SIGKILL');
    // A consumer stops only once its long poll returns; closing the broker ends that poll.
    const stopping = consumers.splice(0).map((c) => c.disconnect().catch(() => undefined));
    await producer?.disconnect().catch(() => undefined);
    await broker?.destroy();
    await Promise.all(stopping);
    broker = producer = undefined;
  });

  /**
   * A broker whose group timers run on `clock` (or Node's), a topic, a
   * producer, and `fetchWaits`: resolves when a fetch of the topic waits for
   * data at the broker (the consumer has its assignment and its position).
   */
  async function setup(topic: string, clock?: ManualClock): Promise<{ kafka: Kafka; fetchWaits: Promise<void> }> {
    broker = await startTestBroker({ 'group.initial.rebalance.delay.ms': String(clock ? DELAY : 3000) }, { groupClock: clock });
    const fetchWaits = new Promise<void>((resolve) => {
      const ignore = (): void => undefined;
      broker!.broker.observe({ produced: ignore, fetched: ignore, failed: ignore, waiting: (ps) => ps.some((p) => p.topic === topic) && resolve() });
    });
    const kafka = new Kafka({ clientId: 'join-delay', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 1 }] });
    await admin.disconnect();
    producer = kafka.producer();
    await producer.connect();
    return { kafka, fetchWaits };
  }

  /**
   * A kafkajs consumer of `groupId`, started. It reads from the earliest
   * offset: on an empty topic the record is at offset 0 whenever it looks.
   * (From the latest, a record produced between GROUP_JOIN and the
   * consumer's ListOffsets is skipped, in Kafka as here: no test could
   * count on it.)
   */
  async function kafkajsConsumer(kafka: Kafka, groupId: string, topic: string) {
    const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: FETCH_WAIT_MS });
    consumers.push(consumer);
    const joined = new Promise<void>((resolve) => consumer.on(consumer.events.GROUP_JOIN, () => resolve()));
    let gotRecord!: (v: string) => void;
    const record = new Promise<string>((resolve) => (gotRecord = resolve));
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    // run() returns once the group is joined: not awaited, the join is held.
    const running = consumer.run({ eachMessage: async ({ message }) => gotRecord(message.value!.toString()) });
    return { joined, record, running };
  }

  /** The join is held until the delay has passed on the clock, and is answered the moment it has. */
  async function passTheDelay(clock: ManualClock, groupId: string): Promise<void> {
    await bounded(clock.whenSet((ms) => ms === DELAY), BOUND_MS, 'JoinGroup reaching the coordinator');
    clock.advance(DELAY - 1);
    expect(broker!.broker.coordinator.describe(groupId).state).toBe('PreparingRebalance');
    clock.advance(1);
    expect(broker!.broker.coordinator.describe(groupId).state).toBe('CompletingRebalance');
  }

  it('kafkajs: the JoinGroup waits out the initial delay; a record produced after GROUP_JOIN comes without waiting for another', async () => {
    const clock = new ManualClock();
    const { kafka, fetchWaits } = await setup('fresh', clock);
    const c = await kafkajsConsumer(kafka, 'new-kafkajs', 'fresh');
    await passTheDelay(clock, 'new-kafkajs');
    await bounded(c.joined, BOUND_MS, 'GROUP_JOIN after the delay');
    await c.running;
    await bounded(fetchWaits, BOUND_MS, 'fetch waiting at the broker');
    await producer!.send({ topic: 'fresh', messages: [{ value: 'after-assignment' }] });
    expect(await bounded(c.record, BOUND_MS, 'record after the assignment')).toBe('after-assignment');
    // The clock never moved again: no group timer stood between the consumer and its record.
    expect(clock.now).toBe(DELAY);
    expect(broker!.broker.coordinator.describe('new-kafkajs').state).toBe('Stable');
  });

  it.skipIf(missing('kcat', hasKcat))('kcat: the JoinGroup waits out the initial delay; a record produced after kcat logs its assignment comes without waiting for another', async () => {
    const clock = new ManualClock();
    const { fetchWaits } = await setup('fresh-kcat', clock);
    const child = spawn('kcat', ['-b', broker!.bootstrap, '-G', 'new-kcat', '-c', '1', '-f', '%s\\n', '-u', '-X', 'auto.offset.reset=earliest', '-X', `fetch.wait.max.ms=${FETCH_WAIT_MS}`, 'fresh-kcat'], { stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(child);
    const exited = new Promise<number | null>((resolve) => child.once('close', resolve));
    const assigned = line(child.stderr!, /rebalanced.*assigned: fresh-kcat \[0\]/);
    const record = line(child.stdout!, /./);
    await passTheDelay(clock, 'new-kcat');
    await bounded(assigned, BOUND_MS, 'assignment logged by kcat');
    await bounded(fetchWaits, BOUND_MS, 'fetch waiting at the broker');
    await producer!.send({ topic: 'fresh-kcat', messages: [{ value: 'after-assignment' }] });
    expect(await bounded(record, BOUND_MS, 'record after the assignment')).toBe('after-assignment');
    expect(await bounded(exited, BOUND_MS, 'kcat exit after its one record')).toBe(0);
    expect(clock.now).toBe(DELAY);
  });

  // The wiring of the real timers and the config. The proof that nothing
  // after the join waits on a group timer is the manual-clock tests above;
  // an upper bound in wall-clock time here would only measure the machine.
  it("kafkajs on Node's timers with Kafka's default 3 s delay: the join takes the delay, then the record comes", async () => {
    const { kafka, fetchWaits } = await setup('fresh-real');
    const started = performance.now();
    const c = await kafkajsConsumer(kafka, 'new-real', 'fresh-real');
    await bounded(c.joined, 3000 + BOUND_MS, 'GROUP_JOIN after the delay');
    // A lower bound only, which load cannot break (less a millisecond: libuv rounds timer starts down).
    expect(performance.now() - started).toBeGreaterThanOrEqual(3000 - 1);
    await c.running;
    await bounded(fetchWaits, BOUND_MS, 'fetch waiting at the broker');
    await producer!.send({ topic: 'fresh-real', messages: [{ value: 'after-assignment' }] });
    expect(await bounded(c.record, BOUND_MS, 'record after the assignment')).toBe('after-assignment');
  });
});
