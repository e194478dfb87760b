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
import { parseArgs } from 'node:util';
import { BROKER_CONFIG_DEFAULTS } from '../../src/broker/configs.js';
import { Admin } from '../../src/client/admin.js';
import type { LatencySummary } from '../../src/client/load/histogram.js';
import { startProducerThread } from '../../src/client/load/producer-thread.js';
import { BrokerProcess } from '../../src/lab/broker-process.js';
import { kafkajsNewGroup } from '../../src/lab/new-group/kafkajs.js';
import type { ClientRequests } from '../../src/lab/new-group/measure.js';
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

interface Run {
  from: string;
  rep: number;
  /** consumer.connect() to GROUP_JOIN. */
  joinMs: number;
  /** GROUP_JOIN to the first record sent after it. */
  firstAfterJoinMs: number;
  /** GROUP_JOIN to that record's send time. */
  firstSentAfterJoinMs: number;
  afterJoin: LatencySummary;
  all: LatencySummary;
  requests: ClientRequests[];
}

async function once(b: BrokerProcess, from: string, rep: number): Promise<Run> {
  const topic = `e2e-${from}-${rep}`;
  const admin = await Admin.connect(b.bootstrap);
  await admin.createTopic(topic, 1);
  admin.close();
  const boundMs = delayMs + seconds * 1000 + 60_000;
  const producer = await startProducerThread({ host: b.host, port: b.port, topic, partitions: [0], recordsPerBatch: 1, valueBytes, acks: 1, window: 64, targetRecordsPerSecond: rate, maxRecords: Number.MAX_SAFE_INTEGER, maxMs: boundMs });
  try {
    const r = await kafkajsNewGroup({ bootstrap: b.bootstrap, topic, groupId: `new-group-${topic}`, fromBeginning: from === 'earliest', producer, windowMs: seconds * 1000, boundMs });
    return { from, rep, joinMs: r.joinMs, firstAfterJoinMs: r.firstAfterMs, firstSentAfterJoinMs: r.firstSentAfterMs, afterJoin: r.afterAssignment, all: r.all, requests: r.requests ?? [] };
  } finally {
    await producer.stop();
  }
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
  const rows = runs.map((r) => [r.from, String(r.rep), r.joinMs.toFixed(0), r.firstAfterJoinMs.toFixed(1), r.firstSentAfterJoinMs.toFixed(1), String(r.afterJoin.count), p(r.afterJoin, 50), p(r.afterJoin, 99), p(r.afterJoin, 99.9), r.afterJoin.maxMs.toFixed(1), String(r.all.count), p(r.all, 99)]);
  console.log(table(['from', 'rep', 'join ms', 'first after join ms', 'it was sent after join ms', 'records', 'p50 ms', 'p99 ms', 'p99.9 ms', 'max ms', 'all records', 'all p99 ms'], rows));
  console.log('\nkafkajs\'s own timing of its requests after the assignment (ms): round trip, and held in its queue before being written');
  console.log(table(['from', 'rep', 'request', 'count', 'round trip p99', 'round trip max', 'queued p99', 'queued max'], runs.flatMap((r) => r.requests.map((q) => [r.from, String(r.rep), q.api, String(q.count), String(q.roundTripP99Ms), String(q.roundTripMaxMs), String(q.queuedP99Ms), String(q.queuedMaxMs)]))));
  const out = args.out ?? join(root, 'reports', `e2e-latency-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  mkdirSync(join(out, '..'), { recursive: true });
  writeFileSync(out, JSON.stringify({ bench: 'e2e-latency', command: process.argv.join(' '), environment: environment(), seconds, rate, valueBytes, delayMs, runs }, null, 2));
  console.log(`wrote ${out}`);
}

await main();
