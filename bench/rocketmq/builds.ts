// bench/rocketmq/builds: the RocketMQ endpoint's broker CPU per message in
// two builds of mqlab, side by side: one broker per build, both up at once,
// the same sends and receives (1 KiB, 16 per SendMessage; receives of 32,
// one AckMessage each, 4 loops) in rounds whose order alternates, so the
// machine's drift over the run falls on both alike. On this shared machine
// one build's CPU per message moves by a third between runs a minute
// apart: a before-and-after from two separate runs says little, this says
// it to about 5% (run it with one build on both sides to see the noise).
// Each build is a checkout with its `dist` built (`npm run prepare`).
//
//   node dist/bench/rocketmq/builds.js --a ../before --b . [--rounds 16] [--messages 6400] [--engine segmented]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { cpuSecondsBetween, type BrokerProcess } from '../../src/lab/broker-process.js';
import { Admin } from '../../src/client/admin.js';
import { rocketReceiveLoad, rocketSendLoad } from '../../src/client/load/rocketmq.js';

const { values: args } = parseArgs({ options: { a: { type: 'string' }, b: { type: 'string' }, rounds: { type: 'string', default: '16' }, messages: { type: 'string', default: '6400' }, engine: { type: 'string', default: 'segmented' } } });
if (!args.a || !args.b) {
  console.error('usage: node dist/bench/rocketmq/builds.js --a <checkout> --b <checkout> [--rounds 16] [--messages 6400] [--engine segmented|commitlog]');
  process.exit(2);
}
const ROUNDS = Number(args.rounds);
const MESSAGES = Number(args.messages);
const MAX_MS = 120_000;

interface Side {
  name: string;
  broker: BrokerProcess;
  dir: string;
  sendUs: number;
  receiveUs: number;
}

async function start(checkout: string, tag: string): Promise<Side> {
  const lab = (await import(pathToFileURL(join(resolve(checkout), 'dist', 'src', 'lab', 'broker-process.js')).href)) as typeof import('../../src/lab/broker-process.js');
  const dir = mkdtempSync(join(tmpdir(), `mqlab-builds-${tag}-`));
  const broker = await lab.BrokerProcess.start(['--data-dir', dir, '--engine', args.engine!, '--flush', 'none', '--transfer', 'sendfile'], 0, { rocketmqPort: 0 });
  const admin = await Admin.connect(broker.bootstrap);
  try {
    for (const t of ['warm', ...Array.from({ length: ROUNDS }, (_, r) => `r${r}`)]) await admin.createTopic(t, 1, { 'message.type': 'NORMAL' });
  } finally {
    admin.close();
  }
  const side: Side = { name: `${tag} (${checkout})`, broker, dir, sendUs: 0, receiveUs: 0 };
  // Warm: V8 compiles the hot paths after thousands of calls.
  await send(side, 'warm', 20_000, 1n);
  await receive(side, 'warm', 20_000);
  return side;
}

async function send(s: Side, topic: string, n: number, producerId: bigint): Promise<void> {
  const r = await rocketSendLoad({ endpoint: s.broker.rocketmqEndpoint!, topic, messagesPerRequest: 16, valueBytes: 1024, window: 64, maxMessages: n, maxMs: MAX_MS, producerId });
  if (r.errors > 0 || r.ackedMessages < n) throw new Error(`${s.name}: send to ${topic}: ${r.ackedMessages} of ${n} stored, ${r.errors} errors (${r.firstError})`);
}

async function receive(s: Side, topic: string, n: number): Promise<void> {
  const r = await rocketReceiveLoad({ endpoint: s.broker.rocketmqEndpoint!, topic, group: `${topic}-readers`, batch: 32, loops: 4, expectMessages: n, maxMs: MAX_MS });
  if (r.errors > 0 || r.received < n) throw new Error(`${s.name}: receive from ${topic}: ${r.received} of ${n}, ${r.errors} errors (${r.firstError})`);
}

/** Broker CPU µs spent during `work`. */
async function cpuUs(s: Side, work: () => Promise<void>): Promise<number> {
  const before = await s.broker.stats();
  await work();
  return cpuSecondsBetween(before, await s.broker.stats()) * 1e6;
}

const a = await start(args.a, 'a');
const b = await start(args.b, 'b');
try {
  for (let r = 0; r < ROUNDS; r++) {
    const order = r % 2 === 0 ? [a, b] : [b, a];
    for (const s of order) s.sendUs += await cpuUs(s, () => send(s, `r${r}`, MESSAGES, BigInt(10 + r)));
    for (const s of order) s.receiveUs += await cpuUs(s, () => receive(s, `r${r}`, MESSAGES));
  }
  const n = ROUNDS * MESSAGES;
  console.log(`${ROUNDS} rounds of ${MESSAGES} messages each way, ${args.engine} engine; broker µs per message:`);
  for (const s of [a, b]) console.log(`  ${s.name}: send 16 per request ${(s.sendUs / n).toFixed(2)}, receive 32 + ack ${(s.receiveUs / n).toFixed(2)}`);
  console.log(`b ÷ a: send ${(b.sendUs / a.sendUs).toFixed(3)}, receive ${(b.receiveUs / a.receiveUs).toFixed(3)}`);
} finally {
  for (const s of [a, b]) {
    await s.broker.interrupt();
    rmSync(s.dir, { recursive: true, force: true });
  }
}
