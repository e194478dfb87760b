// bench/rocketmq/held: what a receive costs while the group has many
// messages out (received, not yet acked: a slow consumer, long invisible
// times, a push consumer's cache). A live `mqlab serve` per engine and per
// count: a first consumer of the group takes `held` messages with a
// 10-minute invisible time and never acks them; then the receive loops
// (32 per ReceiveMessage, one AckMessage each, 4 loops, 1 KiB) take the
// next `messages`, and the broker's CPU per message is read from its
// /proc stats. The ratio is against no messages held, in the same run.
//
//   node dist/bench/rocketmq/held.js [--messages 40000] [--held 0,10000,50000] [--engines segmented,commitlog]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { BrokerProcess, cpuSecondsBetween } from '../../src/lab/broker-process.js';
import { Admin } from '../../src/client/admin.js';
import { rocketReceiveLoad, rocketSendLoad, rocketTakeWithoutAck } from '../../src/client/load/rocketmq.js';
import { table } from '../lib/stats.js';

const { values: args } = parseArgs({ options: { messages: { type: 'string', default: '40000' }, held: { type: 'string', default: '0,10000,50000' }, engines: { type: 'string', default: 'segmented,commitlog' } } });
const MESSAGES = Number(args.messages);
const HELD = args.held!.split(',').map(Number);
const ENGINES = args.engines!.split(',');
const MAX_MS = 120_000;
// Sends carry 16 messages each: every count is a whole number of them.
for (const n of [MESSAGES, ...HELD]) if (!Number.isInteger(n) || n < 0 || n % 16 !== 0) throw new Error(`message counts must be multiples of 16 (16 per SendMessage), got ${n}`);
/** Warm-up on a topic of its own, so V8 has compiled the path before the measured receives. */
const WARM = 20_000;

interface Row {
  engine: string;
  held: number;
  usPerMessage: number;
  perSecond: number;
}

async function run(engine: string, held: number): Promise<Row> {
  const dir = mkdtempSync(join(tmpdir(), 'mqlab-held-'));
  const b = await BrokerProcess.start(['--data-dir', dir, '--engine', engine, '--flush', 'none'], 0, { rocketmqPort: 0 });
  try {
    const endpoint = b.rocketmqEndpoint!;
    const admin = await Admin.connect(b.bootstrap);
    for (const t of ['warm', 't']) await admin.createTopic(t, 1, { 'message.type': 'NORMAL' });
    admin.close();
    const send = async (topic: string, n: number): Promise<void> => {
      const r = await rocketSendLoad({ endpoint, topic, messagesPerRequest: 16, valueBytes: 1024, window: 64, maxMessages: n, maxMs: MAX_MS, producerId: 7n });
      if (r.errors > 0 || r.ackedMessages < n) throw new Error(`send to ${topic}: ${r.firstError ?? `${r.ackedMessages} of ${n} acked`}`);
    };
    const receive = async (topic: string, n: number): Promise<{ seconds: number }> => {
      const r = await rocketReceiveLoad({ endpoint, topic, group: 'g', batch: 32, loops: 4, expectMessages: n, maxMs: MAX_MS });
      if (r.errors > 0 || r.received < n) throw new Error(`receive from ${topic}: ${r.firstError ?? `${r.received} of ${n}`}`);
      return r;
    };
    await send('warm', WARM);
    await receive('warm', WARM);
    await send('t', held + MESSAGES);
    if (held > 0) await rocketTakeWithoutAck(endpoint, 'g', 't', held, 600);
    const s1 = await b.stats();
    const r = await receive('t', MESSAGES);
    const s2 = await b.stats();
    return { engine, held, usPerMessage: (cpuSecondsBetween(s1, s2) * 1e6) / MESSAGES, perSecond: MESSAGES / r.seconds };
  } finally {
    await b.interrupt();
    rmSync(dir, { recursive: true, force: true });
  }
}

console.log(`${MESSAGES} messages of 1 KiB received and acked per run, with ${HELD.join(', ')} messages of the group out and never acked`);
const rows: Row[] = [];
for (const engine of ENGINES) for (const held of HELD) rows.push(await run(engine, held));
console.log(
  table(
    ['engine', 'messages out', 'broker µs/message', 'messages/s', '× with none out'],
    rows.map((r) => {
      const none = rows.find((x) => x.engine === r.engine && x.held === 0);
      return [r.engine, r.held.toLocaleString('en-US'), r.usPerMessage.toFixed(2), Math.round(r.perSecond).toLocaleString('en-US'), none ? (r.usPerMessage / none.usPerMessage).toFixed(2) : '–'];
    }),
  ),
);
