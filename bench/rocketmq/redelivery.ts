// bench/rocketmq/redelivery: what it costs to deliver again what a failed
// consumer left. A live `mqlab serve` per engine: `messages` (1 KiB, 16 per
// SendMessage) are received with a 1 s invisible time and never acked (the
// consumer died); once that time is over, the receive loops (32 per
// ReceiveMessage, one AckMessage each, 4 loops) take them all again, and
// the broker's CPU per message is read from its /proc stats. For scale, a
// first delivery of as many messages on another topic, in the same broker.
//
//   node dist/bench/rocketmq/redelivery.js [--messages 32000] [--engines segmented,commitlog]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { BrokerProcess, cpuSecondsBetween } from '../../src/lab/broker-process.js';
import { Admin } from '../../src/client/admin.js';
import { rocketReceiveLoad, rocketSendLoad, rocketTakeWithoutAck } from '../../src/client/load/rocketmq.js';
import { table } from '../lib/stats.js';

const { values: args } = parseArgs({ options: { messages: { type: 'string', default: '32000' }, engines: { type: 'string', default: 'segmented,commitlog' } } });
const MESSAGES = Number(args.messages);
const ENGINES = args.engines!.split(',');
const MAX_MS = 120_000;
// Sends carry 16 messages each: every count is a whole number of them.
for (const n of [MESSAGES]) if (!Number.isInteger(n) || n < 0 || n % 16 !== 0) throw new Error(`message counts must be multiples of 16 (16 per SendMessage), got ${n}`);
const INVISIBLE_S = 1;

async function run(engine: string): Promise<string[]> {
  const dir = mkdtempSync(join(tmpdir(), 'mqlab-redelivery-'));
  const b = await BrokerProcess.start(['--data-dir', dir, '--engine', engine, '--flush', 'none'], 0, { rocketmqPort: 0 });
  try {
    const endpoint = b.rocketmqEndpoint!;
    const admin = await Admin.connect(b.bootstrap);
    for (const t of ['first', 'again']) await admin.createTopic(t, 1, { 'message.type': 'NORMAL' });
    admin.close();
    const send = async (topic: string): Promise<void> => {
      const r = await rocketSendLoad({ endpoint, topic, messagesPerRequest: 16, valueBytes: 1024, window: 64, maxMessages: MESSAGES, maxMs: MAX_MS, producerId: 7n });
      if (r.errors > 0 || r.ackedMessages < MESSAGES) throw new Error(`send to ${topic}: ${r.firstError ?? `${r.ackedMessages} of ${MESSAGES} acked`}`);
    };
    const receive = async (topic: string): Promise<number> => {
      const s1 = await b.stats();
      const r = await rocketReceiveLoad({ endpoint, topic, group: 'g', batch: 32, loops: 4, expectMessages: MESSAGES, maxMs: MAX_MS });
      const s2 = await b.stats();
      if (r.errors > 0 || r.received < MESSAGES) throw new Error(`receive from ${topic}: ${r.firstError ?? `${r.received} of ${MESSAGES}`}`);
      return (cpuSecondsBetween(s1, s2) * 1e6) / MESSAGES;
    };
    await send('first');
    const first = await receive('first');
    await send('again');
    await rocketTakeWithoutAck(endpoint, 'g', 'again', MESSAGES, INVISIBLE_S);
    await sleep(INVISIBLE_S * 1000 + 500);
    const again = await receive('again');
    return [engine, first.toFixed(2), again.toFixed(2), (again / first).toFixed(2)];
  } finally {
    await b.interrupt();
    rmSync(dir, { recursive: true, force: true });
  }
}

console.log(`${MESSAGES} messages of 1 KiB, received and acked: first deliveries, and deliveries again after a consumer took them all and died (${INVISIBLE_S} s invisible)`);
const rows: string[][] = [];
for (const engine of ENGINES) rows.push(await run(engine));
console.log(table(['engine', 'first delivery broker µs/message', 'delivered again µs/message', '× first'], rows));
