#!/usr/bin/env node
// The `mqlab` command.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Command } from 'commander';
import { packageRoot } from '../native/addon.js';
import { addKafkaCommands } from './kafka-commands.js';
import { addLabActions } from './lab-commands.js';
import { addServeCommand } from './serve.js';

const program = new Command();
program
  .name('mqlab')
  .description('A Kafka-wire-compatible message broker and a lab that measures how it moves bytes.')
  .version('0.1.0');

/** Benchmarks run as their own process, so CPU figures are theirs alone. */
function runBench(name: string, args: string[]): never {
  const script = join(packageRoot(), 'dist', 'bench', name, 'run.js');
  if (!existsSync(script)) {
    console.error(`mqlab: ${script} is missing; run \`npm install\` (or \`npm run build\`) first`);
    process.exit(2);
  }
  const r = spawnSync(process.execPath, [script, ...args], { stdio: 'inherit' });
  process.exit(r.status ?? 1);
}

const bench = program
  .command('bench')
  .description('the lab: run the claim scenarios against live brokers and write an HTML report (quick suite by default); or one benchmark by name');
addLabActions(bench, program);

bench
  .command('transfer')
  .description('file-to-socket transfer: sendfile vs mmap+write vs pread+write, against a C reference')
  .option('--reps <n>', 'runs per configuration (median and spread are reported)', '3')
  .option('--mib-per-run <n>', 'MiB moved per run', '512')
  .option('--sizes <list>', 'transfer sizes in bytes, comma-separated', '16384,262144,1048576,67108864')
  .option('--strace', 'cross-check the addon system-call counts with strace -c -f', false)
  .option('--out <file>', 'JSON result file (default reports/transfer-<time>.json)')
  .action((o: { reps: string; mibPerRun: string; sizes: string; strace: boolean; out?: string }) => {
    const args = ['--reps', o.reps, '--mib-per-run', o.mibPerRun, '--sizes', o.sizes];
    if (o.strace) args.push('--strace');
    if (o.out) args.push('--out', o.out);
    runBench('transfer', args);
  });

bench
  .command('storage')
  .description('append/read throughput of each storage engine x flush policy x partitions, against raw write(2) baselines')
  .option('--reps <n>', 'runs per configuration', '1')
  .option('--mib <n>', 'MiB appended per configuration', '128')
  .option('--batch-mib <n>', 'MiB appended per configuration under flush=batch', '32')
  .option('--partitions <list>', 'partition counts', '1,16,256,1024')
  .option('--record-bytes <list>', 'record sizes in bytes', '100,1024')
  .option('--engines <list>', 'engines to run (default: all)')
  .option('--flush <list>', 'flush policies', 'none,interval,batch')
  .option('--out <file>', 'JSON result file (default reports/storage-<time>.json)')
  .action((o: Record<string, string | undefined>) => {
    const args: string[] = [];
    for (const [flag, key] of [['--reps', 'reps'], ['--mib', 'mib'], ['--batch-mib', 'batchMib'], ['--partitions', 'partitions'], ['--record-bytes', 'recordBytes'], ['--engines', 'engines'], ['--flush', 'flush'], ['--out', 'out']] as const) {
      if (o[key] !== undefined) args.push(flag, o[key]!);
    }
    runBench('storage', args);
  });

bench
  .command('broker')
  .description('produce and fetch through a live mqlab serve, per engine x transfer strategy')
  .option('--reps <n>', 'runs per configuration', '3')
  .option('--mib <n>', 'MiB produced per engine and rep', '256')
  .option('--record-bytes <n>', 'record size', '1024')
  .option('--batch-records <n>', 'records per batch', '16')
  .option('--window <n>', 'produce requests in flight', '64')
  .option('--fetch-mib <n>', 'MiB per fetch request', '4')
  .option('--engines <list>', 'engines (default: all)')
  .option('--strategies <list>', 'transfer strategies (default: all)')
  .option('--out <file>', 'JSON result file (default reports/broker-<time>.json)')
  .action((o: Record<string, string | undefined>) => {
    const args: string[] = [];
    for (const [flag, key] of [['--reps', 'reps'], ['--mib', 'mib'], ['--record-bytes', 'recordBytes'], ['--batch-records', 'batchRecords'], ['--window', 'window'], ['--fetch-mib', 'fetchMib'], ['--engines', 'engines'], ['--strategies', 'strategies'], ['--out', 'out']] as const) {
      if (o[key] !== undefined) args.push(flag, o[key]!);
    }
    runBench('broker', args);
  });

bench
  .command('crc32c')
  .description('CRC-32C: the addon (SSE4.2) against @node-rs/crc32')
  .action(() => runBench('crc32c', []));

addServeCommand(program);
addKafkaCommands(program);

await program.parseAsync(process.argv);
