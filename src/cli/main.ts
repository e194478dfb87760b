#!/usr/bin/env -S node --min-semi-space-size=16
// The node flag above is BROKER_NODE_FLAGS (src/server/heap-policy.ts): a
// test holds the two to each other.
// The `mqlab` command.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Command } from 'commander';
import { packageRoot } from '../native/addon.js';
import { addKafkaCommands } from './kafka-commands.js';
import { addSecurityCommands } from './security-commands.js';
import { addAclCommands } from './acl-commands.js';
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

/** A subcommand's options as the benchmark script's flags (they share names). */
function forwarded(cmd: Command): string[] {
  const values = cmd.opts<Record<string, unknown>>();
  const args: string[] = [];
  for (const opt of cmd.options) {
    const v = values[opt.attributeName()];
    if (v === undefined || v === false) continue;
    args.push(opt.long!);
    if (v !== true) args.push(String(v));
  }
  return args;
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
  .action((_o: unknown, cmd: Command) => runBench('transfer', forwarded(cmd)));

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
  .option('--many-partitions <n>', 'instead: n partitions (10000, say) per engine against 1: create and reopen time, memory and fds per partition, append and read throughput')
  .option('--max-open-files <list>', 'with --many-partitions: open-file limits to run with ("default": the engine\'s, half of ulimit -n)', 'default,1000')
  .option('--rounds <n>', 'with --many-partitions: appends per partition', '4')
  .option('--out <file>', 'JSON result file (default reports/storage-<time>.json)')
  .action((_o: unknown, cmd: Command) => runBench('storage', forwarded(cmd)));

bench
  .command('broker')
  .description('produce and fetch through a live mqlab serve per engine, produce against a raw write(2) loop of the same batches in the same rep, fetch per transfer strategy; optionally a CPU-profile breakdown per produce request')
  .option('--reps <n>', 'runs per configuration (default 5; 1 with --quick)')
  .option('--mib <n>', 'MiB produced per engine, record size and rep (default 256; 128 with --quick)')
  .option('--record-bytes <list>', 'record sizes, comma-separated', '1024,100')
  .option('--batch-bytes <n>', 'records per batch are chosen so a batch is nearest this size', '16384')
  .option('--batch-records <n>', 'records per batch, for every size (overrides --batch-bytes)')
  .option('--window <n>', 'produce requests in flight', '64')
  .option('--fetch-mib <n>', 'MiB per fetch request', '4')
  .option('--engines <list>', 'engines (default: all)')
  .option('--strategies <list>', 'transfer strategies (default: all)')
  .option('--produce-only', 'skip the fetches', false)
  .option('--profile', 'then one more produce per engine and size under --cpu-prof: where the broker\'s time goes per request', false)
  .option('--profile-interval-us <n>', 'sampling interval of --profile', '250')
  .option('--quick', 'one rep of 128 MiB', false)
  .option('--out <file>', 'JSON result file (default reports/broker-<time>.json)')
  .action((_o: unknown, cmd: Command) => runBench('broker', forwarded(cmd)));

// No commander defaults here either: the script picks full or --quick sizes.
bench
  .command('workers')
  .description('produce through one mqlab serve node against several (--workers, a node per thread), a connection per partition to its leader, with the broker\'s and the load generator\'s CPU and a raw write(2) loop in the same rep')
  .option('--reps <n>', 'runs per engine and worker count (default 3; 1 with --quick)')
  .option('--mib <n>', 'MiB produced per run, over all partitions (default 1024; 64 with --quick)')
  .option('--record-bytes <n>', 'record size (default 1024)')
  .option('--batch-bytes <n>', 'records per batch are chosen so a batch is nearest this size (default 16384)')
  .option('--workers <list>', 'worker counts to compare; the topic has one partition per node of the largest (default 1,2)')
  .option('--engines <list>', 'engines (default: all)')
  .option('--window <n>', 'produce requests in flight per connection (default 64)')
  .option('--quick', 'one rep of 64 MiB', false)
  .option('--out <file>', 'JSON result file (default reports/broker-workers-<time>.json)')
  .action((_o: unknown, cmd: Command) => runBench('workers', forwarded(cmd)));

// No commander defaults here: the script picks full or --quick sizes for flags not given.
bench
  .command('scale')
  .description('a live mqlab serve at scale, per engine: 1,000 producer connections (latency, CPU), 100 consumers of one partition per transfer strategy, recovery of 1 GiB after SIGKILL and after a clean stop')
  .option('--quick', 'small sizes, under a minute: to see that it works, not to measure', false)
  .option('--sections <list>', 'connections,fan-out,recovery (default: all)')
  .option('--engines <list>', 'engines (default: all)')
  .option('--connections <n>', 'producer connections (default 1000; quick 100)')
  .option('--rate <n>', 'records per second per connection (default 100)')
  .option('--batch-records <list>', 'records per produce request, a run each (default 1,10; quick 1)')
  .option('--partitions <n>', 'partitions of the producers\' topic (default 8)')
  .option('--seconds <n>', 'seconds measured per connections run (default 20; quick 3)')
  .option('--warmup-seconds <n>', 'seconds sent before measuring (default 2; quick 1)')
  .option('--window <n>', 'produce requests in flight per connection (default 5)')
  .option('--producer-threads <n>', 'threads carrying the producer connections (default: cores - 1, at least 1)')
  .option('--consumer-threads <n>', 'threads carrying the consumers (default: one per core)')
  .option('--consumers <n>', 'consumers of the one partition (default 100; quick 10)')
  .option('--fanout-mib <n>', 'MiB in that partition (default 256; quick 16)')
  .option('--fetch-mib <n>', 'MiB per fetch request (default 1)')
  .option('--strategies <list>', 'transfer strategies (default: all)')
  .option('--reps <n>', 'fan-out runs per strategy (default 1)')
  .option('--recovery-mib <n>', 'MiB produced before the kill (default 1024; quick 32)')
  .option('--recovery-reps <n>', 'recovery runs per engine (default 3; quick 1)')
  .option('--record-bytes <n>', 'record size (default 1024)')
  .option('--p99-ms <n>', 'the produce p99 target (default 10)')
  .option('--out <file>', 'JSON result file (default reports/scale-<time>.json)')
  .action((_o: unknown, cmd: Command) => runBench('scale', forwarded(cmd)));

bench
  .command('kafka-versions')
  .description("produce and fetch at Kafka 4.3's newest versions (Produce v13, Fetch v18) against the pre-flexible ones (v7, v11), per engine")
  .option('--reps <n>', 'runs per engine', '3')
  .option('--mib <n>', 'MiB produced per version, engine and rep', '128')
  .option('--record-bytes <n>', 'record size', '1024')
  .option('--batch-records <n>', 'records per batch', '16')
  .option('--window <n>', 'produce requests in flight', '64')
  .option('--fetch-mib <n>', 'MiB per fetch request', '4')
  .option('--fetch-passes <n>', 'passes over the topic per fetch version, the versions taking turns', '4')
  .option('--engines <list>', 'engines (default: all)')
  .option('--out <file>', 'JSON result file (default reports/kafka-versions-<time>.json)')
  .action((_o: unknown, cmd: Command) => runBench('kafka-versions', forwarded(cmd)));

bench
  .command('kafka-transactions')
  .description('transactional produce (transactions of 1, 10, 100 requests) against idempotent, per engine: what markers and the coordinator cost')
  .option('--reps <n>', 'runs per engine', '3')
  .option('--records <n>', 'records per mode, engine and rep', '200000')
  .option('--record-bytes <n>', 'record size', '1024')
  .option('--batch-records <n>', 'records per produce request', '16')
  .option('--sizes <list>', 'produce requests per transaction', '1,10,100')
  .option('--engines <list>', 'engines (default: all)')
  .option('--out <file>', 'JSON result file (default reports/kafka-transactions-<time>.json)')
  .action((_o: unknown, cmd: Command) => runBench('kafka-transactions', forwarded(cmd)));

bench
  .command('e2e-latency')
  .description('how soon a kafkajs consumer of a new group gets records once assigned, against mqlab serve with Kafka\'s default initial rebalance delay (kafkajs is a dev dependency)')
  .option('--reps <n>', 'runs per starting point', '1')
  .option('--seconds <n>', 'seconds measured from the assignment', '10')
  .option('--rate <n>', 'records per second', '5000')
  .option('--value-bytes <n>', 'record value size', '1024')
  .option('--delay-ms <n>', 'group.initial.rebalance.delay.ms (default: the broker default)')
  .option('--from <list>', 'where the new group starts reading: latest (kafkajs default), earliest', 'latest')
  .option('--out <file>', 'JSON result file (default reports/e2e-latency-<time>.json)')
  .action((_o: unknown, cmd: Command) => runBench('e2e-latency', forwarded(cmd)));

bench
  .command('compaction')
  .description('the log cleaner: MB/s cleaned, and produce/fetch throughput of another partition with the cleaner off, at its I/O budget and unlimited')
  .option('--mib <n>', 'MiB of the compacted partition', '128')
  .option('--keys <n>', 'distinct keys in it', '10000')
  .option('--record-bytes <n>', 'value size of its records', '200')
  .option('--seconds <n>', 'seconds of traffic per round', '3')
  .option('--budget-mib <n>', 'the I/O budget (log.cleaner.io.max.bytes.per.second) in MiB/s', '16')
  .option('--reps <n>', 'rounds of each', '3')
  .option('--out <file>', 'JSON result file (default reports/compaction-<time>.json)')
  .action((_o: unknown, cmd: Command) => runBench('compaction', forwarded(cmd)));

bench
  .command('crc32c')
  .description('CRC-32C: the addon (SSE4.2) against @node-rs/crc32')
  .action(() => runBench('crc32c', []));

addServeCommand(program);
addKafkaCommands(program);
addSecurityCommands(program);
addAclCommands(program);

await program.parseAsync(process.argv);
