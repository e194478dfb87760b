// bench/rocketmq/queue-state: what a consumer group's pop state of a queue
// (src/broker/rocketmq/queue-state.ts) costs per message, without the log,
// the encoder or the network. Steady: receives of 32 (one token and
// deadline each, as a receive hands them out), each acked in full four
// receives later (the bench loops' 128 out), with the looks a receive and
// a commit take (expired, lowWatermark). Held: 1,000,000 messages out at
// once, then all acked: the heap each message out takes, and deliver and
// ack at that size. Best of five passes (the machine is shared); compare
// builds by running this in each.
//
//   node --expose-gc dist/bench/rocketmq/queue-state.js
import { QueueState, type DeliveryOptions } from '../../src/broker/rocketmq/queue-state.js';
import { table } from '../lib/stats.js';

const plain: DeliveryOptions = { messageGroup: null, priorAttempts: 0, renewFor: null, renewMs: 0, renewUntil: 0 };
const RECEIVE = 32;
const token = (r: number): string => `0123456789ab.${r.toString(36)}`;
let sink = 0;

function steady(): number {
  const s = new QueueState(0);
  const out: Array<[first: number, token: string]> = [];
  let next = 0;
  let r = 0;
  const step = (): void => {
    const t = token(r++);
    const deadline = Date.now() + 60_000;
    const first = next;
    for (let i = 0; i < RECEIVE; i++) {
      s.nextScan = next + 1;
      s.deliver(next++, deadline, t, plain);
    }
    out.push([first, t]);
    if (out.length > 4) {
      const [f, ft] = out.shift()!;
      for (let i = 0; i < RECEIVE; i++) if (s.ack(f + i, ft) !== 'acked') throw new Error(`offset ${f + i} not acked`);
    }
    sink += s.lowWatermark() + s.expired(Date.now(), 256).length;
  };
  const RECEIVES = 20_000;
  for (let i = 0; i < RECEIVES; i++) step();
  let best = Infinity;
  for (let pass = 0; pass < 5; pass++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < RECEIVES; i++) step();
    best = Math.min(best, Number(process.hrtime.bigint() - t0) / RECEIVES / RECEIVE);
  }
  return best;
}

/** One pass of held(): its own call, so its state is unreachable once it returns (a loop's slot could keep the last pass's alive through the next one's first gc()). */
function heldPass(n: number, gc: () => void): { bytes: number; deliverNs: number; ackNs: number } {
  gc();
  const before = process.memoryUsage().heapUsed;
  const s = new QueueState(0);
  const t0 = process.hrtime.bigint();
  for (let r = 0; r < n / RECEIVE; r++) {
    const t = token(r);
    const deadline = Date.now() + 600_000;
    for (let i = 0; i < RECEIVE; i++) s.deliver(r * RECEIVE + i, deadline, t, plain);
  }
  const t1 = process.hrtime.bigint();
  gc();
  const bytes = (process.memoryUsage().heapUsed - before) / n;
  s.nextScan = n;
  const t2 = process.hrtime.bigint();
  for (let r = 0; r < n / RECEIVE; r++) {
    const t = token(r);
    for (let i = 0; i < RECEIVE; i++) if (s.ack(r * RECEIVE + i, t) !== 'acked') throw new Error(`offset ${r * RECEIVE + i} not acked`);
  }
  const t3 = process.hrtime.bigint();
  if (s.lowWatermark() !== n) throw new Error(`low watermark ${s.lowWatermark()} after every ack, not ${n}`);
  return { bytes, deliverNs: Number(t1 - t0) / n, ackNs: Number(t3 - t2) / n };
}

function held(n: number): { bytes: number; deliverNs: number; ackNs: number } {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('run with node --expose-gc, to read the heap a message out takes');
  let best = { bytes: Infinity, deliverNs: Infinity, ackNs: Infinity };
  for (let pass = 0; pass < 5; pass++) {
    const p = heldPass(n, gc);
    best = { bytes: Math.min(best.bytes, p.bytes), deliverNs: Math.min(best.deliverNs, p.deliverNs), ackNs: Math.min(best.ackNs, p.ackNs) };
  }
  return best;
}

const s = steady();
const h = held(1_000_000);
console.log('The pop state of one queue, per message (best of five passes):');
console.log(
  table(
    ['case', 'ns a message', 'heap bytes a message out'],
    [
      ['128 out: deliver, ack, the looks of a receive and a commit', s.toFixed(0), ''],
      ['1,000,000 out: deliver', h.deliverNs.toFixed(0), h.bytes.toFixed(1)],
      ['1,000,000 out: ack', h.ackNs.toFixed(0), ''],
    ],
  ),
);
if (sink === 0.5) console.log(sink);
