// bench/rocketmq/pop-inprocess: what a receive costs in the broker's own
// RocketMQ code, without the network: a broker in this process (real log
// files, real pop journal), 1 KiB messages stored `--per` to a batch, then
// received 32 at a time as the endpoint does (PopService.pop), encoded as
// the answer's bytes (encodeDeliveries) and acked from a request's bytes
// (ackEach over ackHandles). Wall time per message of each step, after a
// warm-up on a topic of its own; the machine's noise moves network runs by
// a fifth, and this by less, so compare builds with alternated runs of it.
// `--batch 8` receives 8 at a time instead (at most 32, as the endpoint).
// `--reps 5` drains that many topics of `--messages` each and gives each
// step's least: the machine's noise only ever adds time, so the least of
// several is the steadiest figure to compare builds by.
//
//   node dist/bench/rocketmq/pop-inprocess.js [--messages 96000] [--per 16] [--engine segmented] [--batch 32] [--reps 1]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { PopJournal } from '../../src/broker/rocketmq/pop-journal.js';
import { PopService } from '../../src/broker/rocketmq/pop-service.js';
import { publish } from '../../src/broker/rocketmq/publish.js';
import type { RocketMessage } from '../../src/broker/rocketmq/message-record.js';
import { ackHandles, handleOf } from '../../src/broker/rocketmq/receipt-handle.js';
import { answersLeave } from '../../src/protocol/before-answers.js';
import { deliveriesSent, encodeDeliveries } from '../../src/protocol/rocketmq/encode-received.js';
import { applyProperties, DEFAULT_SERVE_SETTINGS } from '../../src/server/settings.js';
import { startBroker } from '../../src/server/start.js';
import { table } from '../lib/stats.js';

const { values: args } = parseArgs({ options: { messages: { type: 'string', default: '96000' }, per: { type: 'string', default: '16' }, engine: { type: 'string', default: 'segmented' }, batch: { type: 'string', default: '32' }, reps: { type: 'string', default: '1' } } });
const MESSAGES = Number(args.messages);
const PER = Number(args.per);
const WARM = 64_000;
const BATCH = Number(args.batch);
const REPS = Number(args.reps);
if (!Number.isInteger(REPS) || REPS < 1) throw new Error(`--reps: at least 1, got ${args.reps}`);
if (!Number.isInteger(BATCH) || BATCH < 1 || BATCH > 32) throw new Error(`--batch: 1 to 32, got ${args.batch}`);
for (const n of [MESSAGES, WARM]) if (!Number.isInteger(n) || n <= 0 || n % PER !== 0) throw new Error(`--messages must be a multiple of --per (${PER}), got ${n}`);

const dir = mkdtempSync(join(tmpdir(), 'mqlab-pop-inprocess-'));
const running = await startBroker(applyProperties(DEFAULT_SERVE_SETTINGS, { port: '0', 'log.dirs': dir, 'mqlab.flush': 'none', 'mqlab.storage.engine': args.engine! }));
const broker = running.broker;
for (const t of ['warm', ...Array.from({ length: REPS }, (_, i) => `measured-${i}`)]) broker.topics.create(t, 1, { 'message.type': 'NORMAL' });
const journal = new PopJournal(broker.engine, broker.topics, () => undefined);
journal.open(() => -1n);
const pop = new PopService(broker, () => undefined, () => false, journal, 200);
const body = Buffer.alloc(1024, 7);
let id = 0;

async function fill(topic: string, n: number): Promise<void> {
  for (let i = 0; i < n; i += PER) {
    const messages: RocketMessage[] = [];
    for (let k = 0; k < PER; k++) {
      messages.push({ messageId: `AC11000100002A9F${String(id++).padStart(16, '0')}`, body, tag: null, keys: [], messageGroup: null, deliveryTimestampMs: null, bornTimestampMs: BigInt(Date.now()), bornHost: '127.0.0.1', bodyEncoding: 'IDENTITY', traceContext: null, userProperties: new Map() });
    }
    await publish(broker, topic, 0, messages);
  }
}

/** Receives, encodes and acks all `n`; wall µs per message of each step. */
async function drain(topic: string, n: number): Promise<{ pop: number; encode: number; ack: number }> {
  const ns = { pop: 0n, encode: 0n, ack: 0n };
  const resource = { resourceNamespace: '', name: topic };
  for (let got = 0; got < n; ) {
    const t0 = process.hrtime.bigint();
    const popped = await pop.pop({ group: 'g', topic, partition: 0, batchSize: BATCH, invisibleMs: 30_000, pollMs: 0, filter: { all: true }, renewFor: null, cancelled: () => false });
    // As the endpoint's answer would (before-answers.ts): the deliveries' journal records are written first.
    answersLeave();
    const t1 = process.hrtime.bigint();
    const pieces = encodeDeliveries(popped, resource, '127.0.0.1:8081');
    const t2 = process.hrtime.bigint();
    if (pieces.length === 0) throw new Error('no answer encoded');
    // As the endpoint does once the answer has left: its buffer is used again.
    deliveriesSent(pieces);
    // The AckMessage's handles as its request carries them: bytes, one after another.
    const handles = popped.map((p) => handleOf(p.partition, p.offset, p.token));
    const bytes = Buffer.from(handles.join(''), 'latin1');
    const at = [0];
    for (const h of handles) at.push(at.at(-1)! + h.length);
    const t3 = process.hrtime.bigint();
    const acked = pop.ackEach('g', topic, handles.length, ackHandles(bytes, handles.length, (i) => at[i]!, (i) => at[i + 1]!));
    answersLeave();
    if (acked.stored !== null) await acked.stored;
    const t4 = process.hrtime.bigint();
    const failed = acked.errors.find((e) => e !== null);
    if (failed) throw failed;
    if (popped.length === 0) throw new Error(`${topic}: nothing to receive after ${got} of ${n}`);
    ns.pop += t1 - t0;
    ns.encode += t2 - t1;
    ns.ack += t4 - t3;
    got += popped.length;
  }
  const us = (x: bigint): number => Number(x) / 1e3 / n;
  return { pop: us(ns.pop), encode: us(ns.encode), ack: us(ns.ack) };
}

try {
  await fill('warm', WARM);
  await drain('warm', WARM);
  const runs: Array<{ pop: number; encode: number; ack: number }> = [];
  for (let i = 0; i < REPS; i++) {
    await fill(`measured-${i}`, MESSAGES);
    runs.push(await drain(`measured-${i}`, MESSAGES));
  }
  const least = (f: (r: { pop: number; encode: number; ack: number }) => number): number => Math.min(...runs.map(f));
  const r = { pop: least((x) => x.pop), encode: least((x) => x.encode), ack: least((x) => x.ack), all: least((x) => x.pop + x.encode + x.ack) };
  console.log(`${MESSAGES} messages, ${PER} per batch, ${args.engine} engine, receives of ${BATCH}: wall µs a message${REPS > 1 ? `, the least of ${REPS} runs each` : ''}`);
  console.log(table(['pop', 'encode', 'ack', 'all'], [[r.pop.toFixed(2), r.encode.toFixed(2), r.ack.toFixed(2), r.all.toFixed(2)]]));
} finally {
  journal.close();
  await running.close();
  rmSync(dir, { recursive: true, force: true });
}
