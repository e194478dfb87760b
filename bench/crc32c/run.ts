// bench/crc32c: the addon's SSE4.2 CRC-32C against @node-rs/crc32 (a
// maintained package with its binary inside the registry package), at the
// sizes Kafka batches come in. Keep the faster: see src/native/crc32c.ts.
import { crc32c as nodeRs } from '@node-rs/crc32';
import { randomBytes } from 'node:crypto';
import { Bench } from 'tinybench';
import { crc32c as addon } from '../../src/native/crc32c.js';
import { fmtBytes, table } from '../lib/stats.js';

const sizes = [64, 1024, 16 * 1024, 1024 * 1024];
const rows: string[][] = [];
for (const size of sizes) {
  const data = randomBytes(size);
  const bench = new Bench({ time: 300, warmup: true });
  let sink = 0;
  bench.add('addon', () => void (sink ^= addon(data)));
  bench.add('@node-rs/crc32', () => void (sink ^= nodeRs(data)));
  await bench.run();
  const [a, b] = bench.tasks.map((t) => t.result!);
  const opsA = (a as { throughput: { mean: number } }).throughput.mean;
  const opsB = (b as { throughput: { mean: number } }).throughput.mean;
  rows.push([fmtBytes(size), (opsA * size / 1e9).toFixed(2), (opsB * size / 1e9).toFixed(2), (opsA / opsB).toFixed(2)]);
  if (sink === 0.5) console.log(sink); // keep the results alive
}
console.log(table(['size', 'addon GB/s', '@node-rs/crc32 GB/s', 'addon vs node-rs'], rows));
