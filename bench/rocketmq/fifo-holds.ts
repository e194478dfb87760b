// bench/rocketmq/fifo-holds: what a FIFO receive's bookkeeping costs as the
// message groups that wait grow, in-process. `groups` message groups each
// have one message out and `depth` more held behind it; each round is what
// a receive of 32 does to the holds after 32 acks: 32 groups released, the
// ready heads taken in offset order (shift, then out again), the lowest
// held offset read (the commit's low watermark) and a newly scanned message
// held. The ratio is against the fewest groups, in the same run.
//
//   node dist/bench/rocketmq/fifo-holds.js [--groups 10,1000,10000,50000] [--rounds 20000] [--seed N]
import { parseArgs } from 'node:util';
import { FifoHolds } from '../../src/broker/rocketmq/fifo-holds.js';
import { seededRandom } from '../../src/lab/random.js';
import { table } from '../lib/stats.js';

const { values: args } = parseArgs({ options: { groups: { type: 'string', default: '10,1000,10000,50000' }, rounds: { type: 'string', default: '20000' }, depth: { type: 'string', default: '2' }, seed: { type: 'string' } } });
const GROUPS = args.groups!.split(',').map(Number);
const ROUNDS = Number(args.rounds);
const DEPTH = Number(args.depth);
const SEED = Number(args.seed ?? Date.now() % 100_000);
const BATCH = 32;
console.log(`seed ${SEED} (--seed ${SEED} repeats it), ${ROUNDS} rounds of ${BATCH} acks and takes, ${DEPTH} held per group`);

function run(groups: number): number {
  const random = seededRandom(SEED, `fifo-holds-${groups}`).next;
  const f = new FifoHolds();
  const names = Array.from({ length: groups }, (_, i) => `group-${i}`);
  let offset = 0;
  for (const g of names) f.taken(g);
  for (let d = 0; d < DEPTH; d++) for (const g of names) f.hold(g, offset++);
  const start = process.hrtime.bigint();
  for (let round = 0; round < ROUNDS; round++) {
    for (let i = 0; i < BATCH; i++) f.release(names[Math.floor(random() * groups)]!);
    for (let n = 0; n < BATCH; n++) {
      const next = f.nextReady();
      if (next === null) break;
      f.shift(next.group);
      f.taken(next.group);
      // The scan meets the group's next message: it queues behind.
      f.hold(next.group, offset++);
    }
    if (f.lowest() === null) throw new Error('nothing held');
  }
  return Number(process.hrtime.bigint() - start) / 1e3 / ROUNDS;
}

run(GROUPS[0]!); // warm-up: V8 compiles the path
const rows = GROUPS.map((g) => ({ groups: g, us: run(g) }));
console.log(
  table(
    ['waiting groups', 'µs per receive of 32', `× ${GROUPS[0]} groups`],
    rows.map((r) => [r.groups.toLocaleString('en-US'), r.us.toFixed(2), (r.us / rows[0]!.us).toFixed(2)]),
  ),
);
