// bench/e2e-latency: how soon a kafkajs consumer of a NEW group gets records
// once it has its assignment, against a live `mqlab serve` with Kafka's
// default group.initial.rebalance.delay.ms. A producer (own thread) sends
// 1 KiB records at 5,000/s from before the consumer joins; latency runs from
// each record's intended send time to the consumer holding it, and counts
// only records sent after the consumer's GROUP_JOIN (the assignment), for
// `--seconds` after it. "all" counts every record the consumer got, records
// sent while its JoinGroup waited out the delay included (--from earliest
// reads those first, as a Kafka consumer would).
//
//   node dist/bench/e2e-latency/run.js [--reps 1] [--seconds 10] [--rate 5000]
//     [--value-bytes 1024] [--delay-ms <broker default>] [--from latest,earliest] [--out F]
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { Worker } from 'node:worker_threads';
import { Kafka, logLevel } from 'kafkajs';
import { BROKER_CONFIG_DEFAULTS } from '../../src/broker/configs.js';
import { Admin } from '../../src/client/admin.js';
import { newLatencyHistogram, recordMicros, summarize, type LatencySummary } from '../../src/client/load/histogram.js';
import type { ProducerLoadOptions } from '../../src/client/load/producer.js';
import { BrokerProcess } from '../../src/lab/broker-process.js';
import { packageRoot } from '../../src/native/addon.js';
import { environment } from '../lib/environment.js';
import { table } from '../lib/stats.js';

const { values: args } = parseArgs({
  options: {
    reps: { type: 'string', default: '1' },
    seconds: { type: 'string', default: '10' },
    rate: { type: 'string', default: '5000' },
    'value-bytes': { type: 'string', default: '1024' },
    'delay-ms': { type: 'string', default: BROKER_CONFIG_DEFAULTS['group.initial.rebalance.delay.ms'] },
    from: { type: 'string', default: 'latest' },
    out: { type: 'string' },
  },
});
const seconds = Number(args.seconds);
const rate = Number(args.rate);
const valueBytes = Number(args['value-bytes']);
const delayMs = Number(args['delay-ms']);

/** Milliseconds since the epoch at µs resolution, comparable across threads. */
const nowMs = (): number => performance.timeOrigin + performance.now();

interface Run {
  from: string;
  rep: number;
  /** consumer.connect() to GROUP_JOIN. */
  joinMs: number;
  /** GROUP_JOIN to the first record sent after it. */
  firstAfterJoinMs: number;
  afterJoin: LatencySummary;
  all: LatencySummary;
}

async function once(b: BrokerProcess, from: string, rep: number): Promise<Run> {
  const topic = `e2e-${from}-${rep}`;
  const admin = await Admin.connect(b.bootstrap);
  await admin.createTopic(topic, 1);
  admin.close();
  const producerOptions: ProducerLoadOptions = { host: b.host, port: b.port, topic, partitions: [0], recordsPerBatch: 1, valueBytes, acks: 1, window: 64, targetRecordsPerSecond: rate, maxRecords: Number.MAX_SAFE_INTEGER, maxMs: delayMs + seconds * 1000 + 60_000 };
  const worker = new Worker(new URL('./producer-worker.js', import.meta.url), { workerData: producerOptions });
  const producerOrigin = await new Promise<number>((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
  });

  const kafka = new Kafka({ clientId: 'e2e-latency', brokers: [b.bootstrap], logLevel: logLevel.NOTHING });
  const consumer = kafka.consumer({ groupId: `new-group-${topic}` });
  const afterJoin = newLatencyHistogram();
  const all = newLatencyHistogram();
  let joinedAt = 0;
  let firstAfterJoinMs = NaN;
  let finish!: () => void;
  const finished = new Promise<void>((r) => (finish = r));
  consumer.on(consumer.events.GROUP_JOIN, () => (joinedAt ||= nowMs()));
  const started = nowMs();
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: from === 'earliest' });
  await consumer.run({
    eachBatch: async ({ batch }) => {
      const now = nowMs();
      for (const m of batch.messages) {
        const sentMs = producerOrigin + m.value!.readDoubleBE(0) / 1000;
        const micros = (now - sentMs) * 1000;
        recordMicros(all, micros);
        if (joinedAt === 0 || sentMs < joinedAt) continue;
        if (Number.isNaN(firstAfterJoinMs)) firstAfterJoinMs = now - joinedAt;
        if (sentMs >= joinedAt + seconds * 1000) return finish();
        recordMicros(afterJoin, micros);
      }
    },
  });
  const deadline = setTimeout(finish, delayMs + seconds * 1000 + 60_000);
  await finished;
  clearTimeout(deadline);
  await consumer.disconnect();
  await worker.terminate();
  return { from, rep, joinMs: joinedAt - started, firstAfterJoinMs, afterJoin: summarize(afterJoin), all: summarize(all) };
}

async function main(): Promise<void> {
  const root = packageRoot();
  const dir = join(root, 'data', 'bench', 'e2e-latency');
  const runs: Run[] = [];
  for (let rep = 1; rep <= Number(args.reps); rep++) {
    for (const from of args.from!.split(',')) {
      rmSync(dir, { recursive: true, force: true });
      mkdirSync(dir, { recursive: true });
      // Kafka's default delay unless told otherwise: the lab's brokers start with 0.
      const b = await BrokerProcess.start(['--data-dir', dir, '--set', `group.initial.rebalance.delay.ms=${delayMs}`]);
      try {
        process.stderr.write(`e2e-latency: ${from}, rep ${rep}, delay ${delayMs} ms, ${rate}/s of ${valueBytes} B for ${seconds} s after the assignment\n`);
        runs.push(await once(b, from, rep));
      } finally {
        await b.stop();
      }
    }
  }
  const p = (s: LatencySummary, q: number): string => (s.percentiles.find((x) => x.percentile === q)?.ms ?? NaN).toFixed(1);
  const rows = runs.map((r) => [r.from, String(r.rep), r.joinMs.toFixed(0), r.firstAfterJoinMs.toFixed(1), String(r.afterJoin.count), p(r.afterJoin, 50), p(r.afterJoin, 99), p(r.afterJoin, 99.9), r.afterJoin.maxMs.toFixed(1), String(r.all.count), p(r.all, 99)]);
  console.log(table(['from', 'rep', 'join ms', 'first after join ms', 'records', 'p50 ms', 'p99 ms', 'p99.9 ms', 'max ms', 'all records', 'all p99 ms'], rows));
  const out = args.out ?? join(root, 'reports', `e2e-latency-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  mkdirSync(join(out, '..'), { recursive: true });
  writeFileSync(out, JSON.stringify({ bench: 'e2e-latency', command: process.argv.join(' '), environment: environment(), seconds, rate, valueBytes, delayMs, runs }, null, 2));
  console.log(`wrote ${out}`);
}

await main();
