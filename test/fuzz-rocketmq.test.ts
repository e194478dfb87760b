// The RocketMQ gRPC endpoint under mutated requests: valid requests of
// every RPC of apache.rocketmq.v2.MessagingService (unary, ReceiveMessage's
// server stream, Telemetry's bidi stream), built from the vendored protos
// and mutated at the protobuf level (missing and empty fields, huge and
// badly encoded strings, huge bytes, absurd numbers, unknown enum values,
// unknown fields and groups, wire types and lengths that lie, cuts, flips,
// random bytes, messages past the receive limit), sent over real gRPC
// channels to `mqlab serve` in a child process. Every call must end before
// its deadline with a gRPC status or an answer carrying a RocketMQ status
// (never INTERNAL_ERROR); the broker must log no error, stay within
// 512 MiB, keep serving a well-behaved client (send, receive, ack round
// trips), and leave the data written before the run as it was, also after
// a restart.
//
// MQLAB_FUZZ_SEED reproduces a run; MQLAB_FUZZ_GRPC_CALLS sets its size.
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Admin } from '../src/client/admin.js';
import { envCount, fuzzSeed, Prng } from './helpers/prng.js';
import { ServeProcess } from './helpers/serve-process.js';
import { tempDir } from './helpers/files.js';
import { openChannel, receive, unary } from './fuzz/grpc-calls.js';
import { RmqProbe, PROBE_TOPIC } from './fuzz/rocketmq-probe.js';
import { runGrpcFuzz, type GrpcRunStats } from './fuzz/rocketmq-runner.js';
import type { FuzzWorld, MessageKind } from './fuzz/rocketmq-seeds.js';
import { readRmqWitness, rmqSnapshot, writeRmqWitness } from './fuzz/rocketmq-witness.js';
import { snapshot, writeWitness } from './fuzz/witness.js';

const SEED = fuzzSeed('MQLAB_FUZZ_SEED', 'RocketMQ gRPC fuzz');
const CALLS = envCount('MQLAB_FUZZ_GRPC_CALLS', 3000);
const MiB = 1024 * 1024;
const RSS_LIMIT_BYTES = 512 * MiB;
/** The endpoint's receive limit with the default message.max.bytes. */
const MAX_RECEIVE_BYTES = 4 * MiB;
const mib = (n: number): string => `${(n / MiB).toFixed(1)} MiB`;

// Transactions checked back within the run, so check-backs go to the fuzzed Telemetry streams too.
const BROKER_FLAGS = ['--rocketmq-port', '0', '--set', 'transaction.timeout.ms=1000', '--set', 'transaction.check.interval.ms=2000', '--set', 'group.initial.rebalance.delay.ms=0'];

const FUZZ_TOPICS: { name: string; queues: number; type: MessageKind }[] = [
  { name: 'fz-normal', queues: 4, type: 'NORMAL' },
  { name: 'fz-fifo', queues: 2, type: 'FIFO' },
  { name: 'fz-delay', queues: 2, type: 'DELAY' },
  { name: 'fz-tx', queues: 2, type: 'TRANSACTION' },
];

/* eslint-disable @typescript-eslint/no-explicit-any -- decoded proto objects */

/** The fuzz topics, some messages in each, and the handles and ids the broker issues for them. */
async function buildWorld(bootstrap: string, client: grpc.Client, port: number): Promise<FuzzWorld> {
  const admin = await Admin.connect(bootstrap);
  try {
    for (const t of FUZZ_TOPICS) await admin.createTopic(t.name, t.queues, { 'message.type': t.type });
    await admin.createTopic(PROBE_TOPIC, 1);
  } finally {
    admin.close();
  }
  const world: FuzzWorld = { port, topics: FUZZ_TOPICS, groups: ['fz-group-a', 'fz-group-b', 'fz-group-c'], receiptHandles: [], recallHandles: [], transactions: [] };
  const now = Math.floor(Date.now() / 1000);
  for (const t of FUZZ_TOPICS) {
    const messages = Array.from({ length: 16 }, (_, i) => {
      const sp: Record<string, unknown> = { messageId: `SETUP-${t.name}-${i}`, messageType: t.type, bornTimestamp: { seconds: String(now) }, queueId: i % t.queues, tag: i % 2 ? 'A' : 'B' };
      if (t.type === 'FIFO') sp.messageGroup = `mg-${i % 3}`;
      // Due in an hour: recallable throughout the run.
      if (t.type === 'DELAY') sp.deliveryTimestamp = { seconds: String(now + 3600) };
      return { topic: { name: t.name }, systemProperties: sp, body: Buffer.from(`setup ${i}`) };
    });
    const sent = await unary(client, 'SendMessage', { messages });
    if (sent.status.code !== 'OK') throw new Error(`setup send to ${t.name}: ${sent.status.code} ${sent.status.message}`);
    for (const e of sent.entries) {
      if (e.recallHandle) world.recallHandles.push({ topic: t.name, handle: e.recallHandle });
      if (e.transactionId) world.transactions.push({ topic: t.name, messageId: e.messageId, transactionId: e.transactionId });
    }
  }
  for (const group of world.groups) {
    for (let q = 0; q < 4; q++) {
      const answers = await receive(client, { group: { name: group }, messageQueue: { topic: { name: 'fz-normal' }, id: q }, filterExpression: { type: 'TAG', expression: '*' }, batchSize: 2, invisibleDuration: { seconds: '3600' }, longPollingTimeout: { seconds: '0' } });
      for (const a of answers.slice(1)) world.receiptHandles.push({ topic: 'fz-normal', group, messageId: a.message.systemProperties.messageId, handle: a.message.systemProperties.receiptHandle });
    }
  }
  return world;
}

function summary(s: GrpcRunStats, broker: ServeProcess, rssMax: number, probe: RmqProbe): string {
  const top = (m: Record<string, number>): string => Object.entries(m).sort((a, b) => b[1] - a[1]).map(([k, v]) => `    ${v.toString().padStart(7)}  ${k}`).join('\n');
  return [
    `seed ${SEED}: ${s.calls} calls in ${s.seconds.toFixed(1)} s (${Math.round(s.calls / s.seconds)} calls/s), slowest ${s.slowestMs.toFixed(0)} ms`,
    `  CPU: broker ${broker.cpuSeconds().toFixed(1)} s; broker RSS: max sampled ${mib(rssMax)}, high-water mark ${mib(broker.peakRssBytes())}`,
    `  probe: ${probe.rounds} send-receive-ack rounds, slowest ${probe.maxLatencyMs.toFixed(0)} ms`,
    `  RPCs:\n${top(s.byRpc)}`,
    `  mutations (calls with each):\n${top(s.byMutation)}`,
    `  outcomes:\n${top(s.byOutcome)}`,
  ].join('\n');
}

describe('the RocketMQ gRPC endpoint under fuzzed requests', () => {
  const tmp = tempDir('mqlab-fuzz-rocketmq-');
  let broker: ServeProcess;

  beforeAll(async () => {
    broker = await ServeProcess.start(tmp.dir, BROKER_FLAGS);
  });
  afterAll(async () => {
    await broker?.kill();
    tmp.cleanup();
  });

  it(`answers ${CALLS} mutated calls with a status before their deadline, and loses nothing`, { timeout: 120_000 + CALLS * 10 }, async () => {
    const rng = new Prng(SEED);
    const bootstrap = `127.0.0.1:${broker.port}`;
    const target = `127.0.0.1:${broker.rocketmqPort}`;
    const setup = openChannel(target);
    await writeWitness(bootstrap, rng.fork());
    const written = await writeRmqWitness(bootstrap, setup, rng.fork());
    const before = { kafka: await snapshot(bootstrap), rmq: await rmqSnapshot(bootstrap), read: await readRmqWitness(setup, 'witness-reader-before') };
    // A fresh group reads every witness message (the seed decides how many: 20 to 60).
    expect(before.read.length).toBe(written);
    const world = await buildWorld(bootstrap, setup, broker.rocketmqPort!);

    const probeChannel = openChannel(target);
    const probe = new RmqProbe(probeChannel);
    let rssMax = broker.rssBytes();
    const stats = await runGrpcFuzz(rng.fork(), world, {
      target,
      calls: CALLS,
      concurrency: 16,
      channels: 4,
      maxReceiveBytes: MAX_RECEIVE_BYTES,
      validShare: 0.05,
      deadlineMs: 10_000,
      deadlinePerMiBMs: 10_000,
      progressEvery: 100,
      onProgress: () => {
        if (!broker.exited) rssMax = Math.max(rssMax, broker.rssBytes());
        probe.poke();
      },
    });
    await probe.settle();
    console.log(summary(stats, broker, rssMax, probe));
    if (stats.findings.length > 0) {
      const file = join(tmpdir(), `mqlab-fuzz-rocketmq-${SEED}-findings.json`);
      writeFileSync(file, JSON.stringify(stats.findings, null, 1));
      console.log(`${stats.findings.length} findings, each with the bytes sent, in ${file}`);
      for (const f of stats.findings.slice(0, 10)) console.log(`  call ${f.call} ${f.rpc} [${f.mutations.join('+')}]: ${f.problem}`);
    }

    expect(broker.exited, broker.tail).toBe(false);
    expect(stats.findings.map((f) => `call ${f.call} ${f.rpc}: ${f.problem}`).slice(0, 20)).toEqual([]);
    expect(stats.calls).toBe(CALLS);
    expect(probe.failure).toBeNull();
    expect(probe.rounds).toBeGreaterThan(0);
    expect(probe.maxLatencyMs).toBeLessThan(5000);
    expect(broker.strayLines).toEqual([]);
    expect(broker.errorLines).toEqual([]);
    expect(broker.peakRssBytes()).toBeLessThan(RSS_LIMIT_BYTES);

    expect(await snapshot(bootstrap)).toEqual(before.kafka);
    expect(await rmqSnapshot(bootstrap)).toEqual(before.rmq);
    expect(await readRmqWitness(setup, 'witness-reader-after')).toEqual(before.read);
    setup.close();
    probeChannel.close();

    // And after a clean restart (recovery reads what the fuzzing left on disk).
    expect(await broker.stop()).toEqual({ code: 0, signal: null });
    broker = await ServeProcess.start(tmp.dir, BROKER_FLAGS);
    const again = openChannel(`127.0.0.1:${broker.rocketmqPort}`);
    try {
      expect(await snapshot(`127.0.0.1:${broker.port}`)).toEqual(before.kafka);
      expect(await rmqSnapshot(`127.0.0.1:${broker.port}`)).toEqual(before.rmq);
      expect(await readRmqWitness(again, 'witness-reader-restarted')).toEqual(before.read);
    } finally {
      again.close();
    }
  });
});
