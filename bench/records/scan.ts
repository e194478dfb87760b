// bench/records/scan: what recovery's scan of a log (scanValidPrefix) costs
// per batch at 1,000, 10,000 and 100,000 batches. The time per batch should
// not grow with the log (a test checks the scan's result, not its speed).
import { encodeBatch, scanValidPrefix } from '../../src/records/index.js';
import { table } from '../lib/stats.js';

const one = encodeBatch({ baseTimestamp: 1_700_000_000_000n, records: Array.from({ length: 4 }, (_, i) => ({ key: Buffer.from(`k${i}`), value: Buffer.alloc(300, i) })) });
const counts = [1_000, 10_000, 100_000];
const rows: string[][] = [];
let first = 0;
for (const n of counts) {
  const log = Buffer.concat(Array.from({ length: n }, () => one));
  // Best of five: the machine is shared.
  let best = Infinity;
  for (let round = 0; round < 5; round++) {
    const t = process.hrtime.bigint();
    const r = scanValidPrefix(log, 1 << 20);
    const ns = Number(process.hrtime.bigint() - t);
    if (r.batches !== n || r.stop !== 'end') throw new Error(`scanned ${r.batches} of ${n} batches (${r.stop})`);
    best = Math.min(best, ns);
  }
  const perBatch = best / n;
  if (first === 0) first = perBatch;
  rows.push([n.toLocaleString('en-US'), (log.length / 1e6).toFixed(1), (perBatch / 1000).toFixed(2), ((log.length / best) * 1e3).toFixed(0), (perBatch / first).toFixed(2)]);
}
console.log(table(['batches', 'MB', 'µs a batch', 'MB/s', 'per batch ÷ 1,000 batches'], rows));
