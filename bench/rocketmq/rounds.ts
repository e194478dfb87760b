// bench/rocketmq/rounds: a RocketMQ receive against a Kafka fetch on one
// live `mqlab serve`, round after round, each round on topics, groups and
// connections of its own: 1 KiB messages sent `--per` to a request, then a
// Kafka consumer fetches them (32 records' bytes a fetch) and RocketMQ
// receive loops take them (32 per ReceiveMessage, one AckMessage each, 4
// loops). The broker's CPU per message of each, and of its main thread and
// its other threads (V8's compiler and GC helpers) from
// /proc/<pid>/task/*/stat. Round 1 is the warm-up; round 2 is the first a
// queue comes after another (where V8 deoptimizes what it specialized to
// one queue); later rounds are the steady state. Compare builds with
// alternated runs: this machine moves a run's figures by a fifth.
// `--batches 8,32` runs each round at each batch size (messages a
// ReceiveMessage takes, records a fetch asks for) and fits the steady
// rounds' medians to cost = per request / batch + per message: what a
// receive (with its ack) or a fetch costs whatever it carries, and what
// each message adds.
// `--value-bytes 64` sends smaller messages (1024 by default): what a
// message costs whatever its size, against what its bytes add.
// `--loops 1,4,16` runs each round with that many receive loops at once
// (4 by default), in turn on the one broker: the fewer, the more often the
// broker sleeps between requests and pays for waking. `--overlap-acks`
// sends each ack alongside the loop's next receive, as RocketMQ's
// PushConsumer does (rocketReceiveLoad overlapAcks).
//
//   node dist/bench/rocketmq/rounds.js [--rounds 4] [--messages 64000] [--per 1] [--engine segmented] [--batches 32] [--value-bytes 1024] [--loops 4] [--overlap-acks]
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Admin } from '../../src/client/admin.js';
import { consumeLoad } from '../../src/client/load/consumer.js';
import { produceLoad } from '../../src/client/load/producer.js';
import { rocketReceiveLoad, rocketSendLoad } from '../../src/client/load/rocketmq.js';
import { BrokerProcess, cpuSecondsBetween } from '../../src/lab/broker-process.js';
import { kafkaBatchBytes } from '../../src/lab/scenarios/protocols-runs.js';
import { table } from '../lib/stats.js';

const { values: args } = parseArgs({ options: { rounds: { type: 'string', default: '4' }, messages: { type: 'string', default: '64000' }, per: { type: 'string', default: '1' }, engine: { type: 'string', default: 'segmented' }, batches: { type: 'string', default: '32' }, 'value-bytes': { type: 'string', default: '1024' }, loops: { type: 'string', default: '4' }, 'overlap-acks': { type: 'boolean', default: false } } });
const LOOPS = args.loops!.split(',').map(Number);
if (LOOPS.some((n) => !Number.isInteger(n) || n < 1 || n > 64)) throw new Error(`--loops: counts from 1 to 64, got ${args.loops}`);
const ROUNDS = Number(args.rounds);
const MESSAGES = Number(args.messages);
const PER = Number(args.per);
const VALUE_BYTES = Number(args['value-bytes']);
if (!Number.isInteger(VALUE_BYTES) || VALUE_BYTES < 1 || VALUE_BYTES > 1024 * 1024) throw new Error(`--value-bytes: 1 to 1 MiB, got ${args['value-bytes']}`);
const BATCHES = args.batches!.split(',').map(Number);
const MAX_MS = 120_000;
if (!Number.isInteger(ROUNDS) || ROUNDS < 2) throw new Error(`--rounds: at least 2 (the first is the warm-up), got ${args.rounds}`);
if (!Number.isInteger(MESSAGES) || MESSAGES <= 0 || MESSAGES % PER !== 0) throw new Error(`--messages must be a positive multiple of --per (${PER}), got ${args.messages}`);
// RocketMQ's proxy takes at most 32 a receive (src/protocol/rocketmq/settings.ts); a fetch asks for whole batches of --per.
if (BATCHES.some((n) => !Number.isInteger(n) || n < 1 || n > 32 || n % PER !== 0)) throw new Error(`--batches: sizes from 1 to 32, multiples of --per (${PER}), got ${args.batches}`);

/** Clock ticks of user and system time per thread of a process: the main thread (its tid is the pid) and the rest summed. */
function threadTicks(pid: number): { main: number; others: number } {
  let main = 0;
  let others = 0;
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    let stat: string;
    try {
      stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
    } catch {
      continue; // a thread gone meanwhile
    }
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(f[11]) + Number(f[12]);
    if (tid === String(pid)) main += ticks;
    else others += ticks;
  }
  return { main, others };
}

/** Linux's USER_HZ: /proc's stat counts CPU time in hundredths of a second. */
const TICKS_PER_SECOND = 100;

interface Cost {
  us: number;
  mainUs: number;
  othersUs: number;
}

async function measure(b: BrokerProcess, run: () => Promise<number>): Promise<Cost> {
  const s0 = await b.stats();
  const t0 = threadTicks(b.pid);
  const n = await run();
  const t1 = threadTicks(b.pid);
  const s1 = await b.stats();
  if (n === 0) throw new Error('no message got through');
  const perMessage = (ticks: number): number => (ticks / TICKS_PER_SECOND) * 1e6 / n;
  return { us: (cpuSecondsBetween(s0, s1) * 1e6) / n, mainUs: perMessage(t1.main - t0.main), othersUs: perMessage(t1.others - t0.others) };
}

const dir = mkdtempSync(join(tmpdir(), 'mqlab-rounds-'));
const b = await BrokerProcess.start(['--data-dir', dir, '--engine', args.engine!, '--flush', 'none', '--transfer', 'sendfile'], 0, { rocketmqPort: 0 });
const rows: string[][] = [];
const steady: Array<{ batch: number; kafka: number; rocket: number }> = [];
/** Steady rounds' RocketMQ and Kafka figures by loop count (first batch size). */
const byLoops = new Map<number, Array<{ kafka: number; rocket: number }>>();
try {
  for (let round = 1; round <= ROUNDS; round++) for (const batch of BATCHES) for (const loops of LOOPS) {
    const rmqTopic = `rmq-round-${round}-${batch}-${loops}`;
    const kafkaTopic = `kafka-round-${round}-${batch}-${loops}`;
    const a = await Admin.connect(b.bootstrap);
    try {
      await a.createTopic(rmqTopic, 1, { 'message.type': 'NORMAL' });
      await a.createTopic(kafkaTopic, 1);
    } finally {
      a.close();
    }
    const sent = await rocketSendLoad({ endpoint: b.rocketmqEndpoint!, topic: rmqTopic, messagesPerRequest: PER, valueBytes: VALUE_BYTES, window: 64, maxMessages: MESSAGES, maxMs: MAX_MS, producerId: BigInt(100 + round) });
    const produced = await produceLoad({ host: b.host, port: b.port, topic: kafkaTopic, partitions: [0], recordsPerBatch: PER, valueBytes: VALUE_BYTES, acks: 1, window: 64, targetRecordsPerSecond: 0, maxRecords: MESSAGES, maxMs: MAX_MS });
    const fetchBytes = (batch / PER) * kafkaBatchBytes(PER, VALUE_BYTES);
    const kafka = await measure(b, async () => (await consumeLoad({ host: b.host, port: b.port, topic: kafkaTopic, from: new Map([[0, 0n]]), expectRecords: produced.ackedRecords, maxMs: MAX_MS, maxBytes: fetchBytes, partitionMaxBytes: fetchBytes })).received);
    const rocket = await measure(b, async () => (await rocketReceiveLoad({ endpoint: b.rocketmqEndpoint!, topic: rmqTopic, group: `${rmqTopic}-readers`, batch, loops, expectMessages: sent.ackedMessages, maxMs: MAX_MS, overlapAcks: args['overlap-acks'] })).received);
    const what = round === 1 ? 'warm-up' : round === 2 ? 'first after another' : 'steady';
    const f = (x: number): string => x.toFixed(2);
    rows.push([String(round), what, String(batch), String(loops), f(kafka.us), `${f(kafka.mainUs)} / ${f(kafka.othersUs)}`, f(rocket.us), `${f(rocket.mainUs)} / ${f(rocket.othersUs)}`, (rocket.us / kafka.us).toFixed(2)]);
    if (round >= 3 && loops === LOOPS[0]) steady.push({ batch, kafka: kafka.us, rocket: rocket.us });
    if (round >= 3 && batch === BATCHES[0]) byLoops.set(loops, [...(byLoops.get(loops) ?? []), { kafka: kafka.us, rocket: rocket.us }]);
  }
} finally {
  await b.stop();
  rmSync(dir, { recursive: true, force: true });
}
console.log(`${MESSAGES} messages of ${VALUE_BYTES} bytes a round, ${PER} per request and batch, ${args.engine} engine, ${LOOPS.join(' / ')} receive loops${args['overlap-acks'] ? ', acks alongside the next receive' : ''}; broker µs of CPU a message (main thread / other threads from /proc, in 10 ms ticks)`);
console.log(table(['round', 'what', 'batch', 'loops', 'Kafka fetch', 'main / others', 'RocketMQ receive + ack', 'main / others', 'RocketMQ ÷ Kafka'], rows));
if (LOOPS.length > 1 && byLoops.size > 0) {
  const med = (xs: number[]): number => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)]!;
  console.log(`\nSteady rounds' medians by receive loops at once (batches of ${BATCHES[0]}), broker µs of CPU a message:`);
  console.log(table(['loops', 'Kafka fetch', 'RocketMQ receive + ack', 'RocketMQ ÷ Kafka'], LOOPS.map((l) => {
    const xs = byLoops.get(l) ?? [];
    const k = med(xs.map((x) => x.kafka));
    const r = med(xs.map((x) => x.rocket));
    return [String(l), k.toFixed(2), r.toFixed(2), (r / k).toFixed(2)];
  })));
}
const sizes = [...new Set(steady.map((s) => s.batch))];
if (sizes.length >= 2) {
  // The medians of the steady rounds per batch size, fitted by least squares to cost(b) = request / b + message.
  const median = (xs: number[]): number => xs.sort((x, y) => x - y)[Math.floor(xs.length / 2)]!;
  const fit = (cost: (s: (typeof steady)[number]) => number): { request: number; message: number } => {
    const points = sizes.map((b) => ({ x: 1 / b, y: median(steady.filter((s) => s.batch === b).map(cost)) }));
    const mx = points.reduce((n, p) => n + p.x, 0) / points.length;
    const my = points.reduce((n, p) => n + p.y, 0) / points.length;
    const request = points.reduce((n, p) => n + (p.x - mx) * (p.y - my), 0) / points.reduce((n, p) => n + (p.x - mx) ** 2, 0);
    return { request, message: my - request * mx };
  };
  const k = fit((s) => s.kafka);
  const r = fit((s) => s.rocket);
  console.log(`\nFitted over batches of ${sizes.join(', ')} (steady rounds' medians, ${LOOPS[0]} loops), broker µs of CPU:`);
  console.log(table(['', 'per request', 'per message'], [
    ['Kafka fetch', k.request.toFixed(1), k.message.toFixed(2)],
    ['RocketMQ receive + ack', r.request.toFixed(1), r.message.toFixed(2)],
  ]));
}
