// bench/scale: a live `mqlab serve` at scale, per engine, in three sections:
//   connections  1,000 producer connections at 100 msg/s each: achieved
//                rate, latency from the intended send time, broker and
//                generator CPU, and the target p99 ≤ 10 ms;
//   fan-out      100 consumers reading one partition at once, per transfer
//                strategy: GB/s, broker CPU s/GB, the addon's calls and
//                copies per GB, the sendfile/copy CPU ratio;
//   recovery     1 GiB in a fresh broker's first segment, SIGKILL, start on
//                the same data: time to listening, to Metadata, to a
//                ListOffsets giving the acknowledged high watermark; and the
//                same after a clean stop.
//
//   node dist/bench/scale/run.js [--quick] [--sections connections,fan-out,recovery]
//     [--engines …] [--connections 1000] [--rate 100] [--batch-records 1] [--seconds 20]
//     [--producer-threads N] [--consumer-threads N] [--consumers 100] [--fanout-mib 256] [--recovery-mib 1024] [--out F] (options.ts)
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../../src/native/addon.js';
import { environment } from '../lib/environment.js';
import { runConnections, type ConnectionsResult } from './connections.js';
import { runFanOut, type FanOutResult } from './fan-out.js';
import { parseScaleOptions } from './options.js';
import { runRecovery, type RecoveryResult } from './recovery.js';
import { connectionsReport, fanOutReport, fanOutRows, recoveryReport, recoveryRows, targetsReport, type Target } from './tables.js';

const o = parseScaleOptions(process.argv.slice(2));
const s = o.sizes;
const root = packageRoot();
const base = join(root, 'data', 'bench', 'scale');
const tty = process.stderr.isTTY;
const progress = (text: string): void => {
  if (tty) process.stderr.write(`\r${text}`.padEnd(80));
};
const started = Date.now();

const connections: ConnectionsResult[] = [];
const fanOut: FanOutResult[] = [];
const recovery: RecoveryResult[] = [];
const targets: Target[] = [];
const print = (text: string): void => {
  if (tty) process.stderr.write('\r'.padEnd(80) + '\r');
  console.log(text + '\n');
};

print(`Scale: ${o.quick ? 'quick mode (small sizes: to see that it works, not to measure)' : 'full size'}; engines ${o.engines.join(', ')}.`);
if (o.sections.includes('connections')) {
  for (const batchRecords of o.batchRecords) {
    for (const engine of o.engines) {
      progress(`connections ${engine}: ${s.connections} connections, ${batchRecords} record(s)/request, ${s.seconds} s`);
      connections.push(
        await runConnections(engine, join(base, engine), {
          connections: s.connections,
          ratePerConnection: s.rate,
          recordBytes: s['record-bytes'],
          batchRecords,
          partitions: s.partitions,
          seconds: s.seconds,
          warmupSeconds: s['warmup-seconds'],
          threads: o.producerThreads,
          window: s.window,
          p99TargetMs: s['p99-ms'],
        }),
      );
    }
  }
  const r = connectionsReport(connections, s['p99-ms']);
  targets.push(...r.targets);
  print(r.text);
}
let fanOutTable: ReturnType<typeof fanOutRows> | null = null;
if (o.sections.includes('fan-out')) {
  for (const engine of o.engines) {
    fanOut.push(await runFanOut(engine, join(base, engine), { consumers: s.consumers, mib: s['fanout-mib'], fetchMib: s['fetch-mib'], recordBytes: s['record-bytes'], strategies: o.strategies, reps: s.reps, threads: o.consumerThreads }, progress));
  }
  fanOutTable = fanOutRows(fanOut);
  print(fanOutReport(fanOut, fanOutTable.rows, fanOutTable.ratios));
}
let recoveryTable: ReturnType<typeof recoveryRows> | null = null;
if (o.sections.includes('recovery')) {
  for (const engine of o.engines) {
    recovery.push(await runRecovery(engine, join(base, engine), { mib: s['recovery-mib'], recordBytes: s['record-bytes'], reps: s['recovery-reps'] }, progress));
  }
  recoveryTable = recoveryRows(recovery);
  print(recoveryReport(recovery, recoveryTable));
  for (const r of recoveryTable.filter((x) => x.kind !== 'empty')) {
    targets.push({ target: `${r.engine} ${r.kind}: ListOffsets gives the acknowledged high watermark`, measured: r.hwMatches ? 'yes' : 'no', met: r.hwMatches });
  }
}
rmSync(base, { recursive: true, force: true });
if (targets.length > 0) print(targetsReport(targets));

const out = o.out ?? join(root, 'reports', `scale-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
mkdirSync(join(out, '..'), { recursive: true });
writeFileSync(
  out,
  JSON.stringify(
    {
      bench: 'scale',
      command: process.argv.join(' '),
      environment: environment(),
      quick: o.quick,
      options: { engines: o.engines, sections: o.sections, strategies: o.strategies, producerThreads: o.producerThreads, consumerThreads: o.consumerThreads, batchRecords: o.batchRecords, ...s },
      seconds: (Date.now() - started) / 1000,
      connections,
      fanOut: fanOutTable ? { results: fanOut, rows: fanOutTable.rows, ratios: fanOutTable.ratios } : null,
      recovery: recoveryTable ? { results: recovery, rows: recoveryTable } : null,
      targets,
    },
    null,
    2,
  ),
);
console.log(`wrote ${out} (${((Date.now() - started) / 1000).toFixed(0)} s)`);
