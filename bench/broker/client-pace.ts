// bench/broker/client-pace: how much a broker's CPU per message depends on
// how fast its client asks. One live `mqlab serve`; 1 KiB messages stored
// one to a batch; a Kafka consumer fetches them 32 records a fetch, and
// RocketMQ receive loops take them 32 a ReceiveMessage with one AckMessage
// each (4 loops), with the client spinning `--spins` µs of its own CPU
// before each fetch or receive, as a client with work to do per batch does.
// The broker does the same work per message whatever the spin; what changes
// is how often it sleeps between requests and pays to wake (a blocking
// epoll_wait, the scheduler, cold caches on a virtual CPU). Broker CPU per
// message, msg/s, and each protocol's CPU at that spin over its own at
// none, medians of the rounds after the first (each round on topics of its
// own, spins in alternating order).
//
//   node dist/bench/broker/client-pace.js [--spins 0,100,200,400,800] [--rounds 4] [--messages 64000]
import { mkdtempSync, rmSync } from 'node:fs';
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

const { values: args } = parseArgs({ options: { spins: { type: 'string', default: '0,100,200,400,800' }, rounds: { type: 'string', default: '4' }, messages: { type: 'string', default: '64000' } } });
const SPINS = args.spins!.split(',').map(Number);
const ROUNDS = Number(args.rounds);
const MESSAGES = Number(args.messages);
if (SPINS.some((s) => !Number.isInteger(s) || s < 0 || s > 10_000)) throw new Error(`--spins: µs from 0 to 10000, got ${args.spins}`);
if (!Number.isInteger(ROUNDS) || ROUNDS < 2) throw new Error(`--rounds: at least 2 (the first is the warm-up), got ${args.rounds}`);
if (!Number.isInteger(MESSAGES) || MESSAGES < 320 || MESSAGES % 32 !== 0) throw new Error(`--messages: a multiple of 32 from 320, got ${args.messages}`);
const BATCH = 32;
const VALUE_BYTES = 1024;
const MAX_MS = 300_000;

/** Busy for `us` µs of this process's CPU: work the client does per batch. */
function spin(us: number): void {
  const end = performance.now() + us / 1000;
  while (performance.now() < end);
}

const dir = mkdtempSync(join(tmpdir(), 'mqlab-client-pace-'));
const b = await BrokerProcess.start(['--data-dir', dir, '--flush', 'none', '--transfer', 'sendfile'], 0, { rocketmqPort: 0 });
type Figure = { us: number; rate: number };
const seen = new Map<string, Figure[]>();
async function measure(key: string, round: number, run: () => Promise<number>): Promise<void> {
  const before = await b.stats();
  const t = performance.now();
  const n = await run();
  const after = await b.stats();
  if (n !== MESSAGES) throw new Error(`${key}: ${n} of ${MESSAGES} messages came`);
  if (round > 1) seen.set(key, [...(seen.get(key) ?? []), { us: (cpuSecondsBetween(before, after) * 1e6) / n, rate: n / ((performance.now() - t) / 1000) }]);
}
try {
  for (let round = 1; round <= ROUNDS; round++) {
    const spins = round % 2 === 1 ? SPINS : [...SPINS].reverse();
    for (const us of spins) {
      const kafkaTopic = `kafka-${round}-${us}`;
      const rmqTopic = `rmq-${round}-${us}`;
      const a = await Admin.connect(b.bootstrap);
      try {
        await a.createTopic(kafkaTopic, 1);
        await a.createTopic(rmqTopic, 1, { 'message.type': 'NORMAL' });
      } finally {
        a.close();
      }
      await produceLoad({ host: b.host, port: b.port, topic: kafkaTopic, partitions: [0], recordsPerBatch: 1, valueBytes: VALUE_BYTES, acks: 1, window: 64, targetRecordsPerSecond: 0, maxRecords: MESSAGES, maxMs: MAX_MS });
      await rocketSendLoad({ endpoint: b.rocketmqEndpoint!, topic: rmqTopic, messagesPerRequest: 1, valueBytes: VALUE_BYTES, window: 64, maxMessages: MESSAGES, maxMs: MAX_MS, producerId: BigInt(round * 10_000 + us) });
      const pause = us === 0 ? undefined : () => spin(us);
      const fetchBytes = BATCH * kafkaBatchBytes(1, VALUE_BYTES);
      await measure(`kafka ${us}`, round, async () => (await consumeLoad({ host: b.host, port: b.port, topic: kafkaTopic, from: new Map([[0, 0n]]), expectRecords: MESSAGES, maxMs: MAX_MS, maxBytes: fetchBytes, partitionMaxBytes: fetchBytes, onTick: pause })).received);
      await measure(`rocketmq ${us}`, round, async () => (await rocketReceiveLoad({ endpoint: b.rocketmqEndpoint!, topic: rmqTopic, group: `${rmqTopic}-readers`, batch: BATCH, loops: 4, expectMessages: MESSAGES, maxMs: MAX_MS, beforeReceive: pause })).received);
    }
  }
} finally {
  await b.stop();
  rmSync(dir, { recursive: true, force: true });
}
const median = (xs: number[]): number => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)]!;
const fig = (key: string): Figure => {
  const xs = seen.get(key)!;
  return { us: median(xs.map((x) => x.us)), rate: median(xs.map((x) => x.rate)) };
};
console.log(`${MESSAGES} messages of ${VALUE_BYTES} bytes a round, 1 per batch, ${BATCH} per fetch or receive; medians of rounds 2 to ${ROUNDS}; broker µs of CPU a message`);
console.log(table(['client spin µs / request', 'Kafka fetch', 'msg/s', '÷ unspun', 'RocketMQ receive + ack', 'msg/s', '÷ unspun', 'RocketMQ ÷ Kafka'], SPINS.map((us) => {
  const k = fig(`kafka ${us}`);
  const r = fig(`rocketmq ${us}`);
  const k0 = fig(`kafka ${SPINS[0]}`);
  const r0 = fig(`rocketmq ${SPINS[0]}`);
  return [String(us), k.us.toFixed(2), Math.round(k.rate).toLocaleString('en-US'), (k.us / k0.us).toFixed(2), r.us.toFixed(2), Math.round(r.rate).toLocaleString('en-US'), (r.us / r0.us).toFixed(2), (r.us / k.us).toFixed(2)];
})));
