// `mqlab bench` with no suite name: the lab, the project's main job. The
// quick suite runs every claim scenario small (about 2 minutes); --full
// repeats each configuration three times at larger sizes; --smoke runs them
// at their smallest, to see that they work; --scenario runs named ones
// (at the full sizes with --full). Random choices come from --seed, or a
// fresh seed that is printed and recorded.
// Raw results and a self-contained HTML report go to reports/.
//
// The runner, the report writer and the workload reader are imported when a
// lab command runs: every `mqlab` command loads this file, and a lab broker
// (`mqlab serve`) restarted hundreds of times should not pay for them.
import type { Command } from 'commander';
import { writeFileSync } from 'node:fs';
import { freshSeed } from '../lab/random.js';
import { SCENARIO_NAMES } from '../lab/scenarios/names.js';
import type { Workload } from '../lab/workload.js';
import type { PeerOptions } from '../lab/context.js';

interface LabFlags {
  full?: boolean;
  smoke?: boolean;
  scenario?: string;
  workload?: string;
  messageSize?: string;
  producerRate?: string;
  partitions?: string;
  durationSeconds?: string;
  records?: string;
  seed?: string;
  peers?: string;
  target?: string[];
  dataDir: string;
  reportsDir: string;
}

/** The workload fields given as flags. */
function flagFields(o: LabFlags): Record<string, string> {
  const out: Record<string, string> = {};
  if (o.messageSize !== undefined) out.messageSize = o.messageSize;
  if (o.producerRate !== undefined) out.producerRate = o.producerRate;
  if (o.partitions !== undefined) out.partitionsPerTopic = o.partitions;
  if (o.durationSeconds !== undefined) out.testDurationSeconds = o.durationSeconds;
  if (o.records !== undefined) out.records = o.records;
  return out;
}

export function addLabActions(bench: Command, program: Command): void {
  bench
    .option('--full', 'the complete suite: larger runs, 3 repetitions per configuration (with --scenario: those scenarios at full size)')
    .option('--smoke', 'every scenario at its smallest (about half a minute): checks the lab runs end to end; the figures say little')
    .option('--scenario <names>', `run only these scenarios, comma-separated (${SCENARIO_NAMES.join(', ')})`)
    .option('--workload <file>', 'a YAML workload (OpenMessaging Benchmark fields: messageSize, producerRate, partitionsPerTopic, testDurationMinutes; mqlab: records, testDurationSeconds)')
    .option('--message-size <bytes>', 'record value size (default 1024)')
    .option('--producer-rate <n>', 'records/s of the fixed-rate runs (two-reads, live-swap, latency)')
    .option('--partitions <n>', 'partitions of the throughput topic (and a point of the partitions sweep)')
    .option('--duration-seconds <n>', 'length of the timed runs')
    .option('--records <n>', 'records per produce run')
    .option('--peers <ids>', 'the peers scenario: only these systems, comma-separated (default every installed one; see mqlab peers)')
    .option('--target <system=addresses>', 'the peers scenario: also an external cluster, kafka=host:port[,host:port…] or rocketmq=host:port/TOPIC (repeatable)', (v: string, prev: string[] = []) => [...prev, v])
    .option('--seed <n>', 'seed of every random choice (crash: when each kill comes); default a fresh one, printed and recorded')
    .option('--data-dir <dir>', 'where the lab brokers keep their data (removed after)', './data')
    .option('--reports-dir <dir>', 'where the results and the report go', 'reports')
    .action(async (o: LabFlags) => {
      const { checkWorkload, readWorkloadFile } = await import('../lab/workload.js');
      const { runLab } = await import('../lab/run-lab.js');
      const { writeReport } = await import('../lab/report/write.js');
      const { unexpectedLoss } = await import('../lab/report/sections.js');
      let workload: Workload;
      let seed: number;
      let peers: PeerOptions;
      try {
        const { parseTargets } = await import('../lab/peers/targets.js');
        const { targetContenders } = await import('../lab/peers/catalogue.js');
        peers = { systems: o.peers?.split(',').map((s) => s.trim()).filter(Boolean), targets: parseTargets(o.target ?? []).flatMap(targetContenders) };
        if (o.smoke && o.full) throw new Error('--smoke and --full exclude each other');
        seed = o.seed === undefined ? freshSeed() : Number(o.seed);
        if (!Number.isSafeInteger(seed) || seed < 0) throw new Error(`--seed must be a non-negative integer, got "${o.seed}"`);
        const runsPeers = o.full || (o.scenario ?? '').split(',').some((s) => s.trim() === 'peers');
        if ((o.peers || o.target) && !runsPeers) throw new Error('--peers and --target belong to the peers scenario: add --scenario peers (or --full)');
        workload = { ...(o.workload ? readWorkloadFile(o.workload) : {}), ...checkWorkload(flagFields(o), 'flags') };
      } catch (err) {
        console.error(`mqlab bench: ${(err as Error).message}`);
        process.exit(2);
      }
      const suite = o.scenario ? 'scenario' : o.full ? 'full' : 'quick';
      const tty = process.stderr.isTTY ? process.stderr : null;
      const sizes = o.smoke ? ' at smoke sizes' : o.full && suite === 'scenario' ? ' at full sizes' : '';
      console.error(`mqlab lab: ${suite === 'scenario' ? `scenarios ${o.scenario}` : `${suite} suite`}${sizes}, seed ${seed} (data under ${o.dataDir}, reports in ${o.reportsDir})`);
      const run = await runLab({ suite, scenarios: o.scenario?.split(',').map((s) => s.trim()), dataDir: o.dataDir, progress: tty, log: (line) => console.error(line), workload, smoke: o.smoke, full: o.full, seed, peers });
      const paths = writeReport(run, o.reportsDir);
      console.log(`results: ${paths.json}\nreport:  ${paths.html}\nlatest:  ${paths.latest}`);
      // Loss a claim expects (acks=0 at a kill) is the claim shown, not a warning.
      const lost = unexpectedLoss(run.scenarios.flatMap((s) => s.integrity));
      if (lost > 0) console.error(`WARNING: ${lost} records were lost in this run (see the report)`);
    });

  program
    .command('peers')
    .description('the peers comparison\'s systems: which are installed, and the apt line for the others (--install runs it, as root)')
    .option('--install', 'install the missing peers with apt-get (root only)')
    .action(async (o: { install?: boolean }) => {
      const { CATALOGUE } = await import('../lab/peers/catalogue.js');
      const { spawnSync } = await import('node:child_process');
      const missing = new Set<string>();
      for (const s of CATALOGUE) {
        const ok = s.server.installed();
        if (!ok) for (const p of s.server.apt.replace(/^.*install\s+(-y\s+)?/, '').split(/\s+/)) if (p) missing.add(p);
        console.log(`${s.id.padEnd(16)} ${s.label} (${s.client}): ${ok ? 'installed' : `not installed — ${s.server.apt}`}`);
      }
      if (!o.install) return;
      if (missing.size === 0) return console.log('every peer is installed');
      if (process.getuid?.() !== 0) {
        console.error(`mqlab peers --install: needs root; run: apt-get update && apt-get install -y ${[...missing].join(' ')}`);
        process.exit(1);
      }
      const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
      for (const args of [['update'], ['install', '-y', ...missing]]) {
        const r = spawnSync('apt-get', args, { stdio: 'inherit', env });
        if (r.status !== 0) {
          console.error(`mqlab peers --install: apt-get ${args.join(' ')} failed (${r.status ?? r.signal})`);
          process.exit(1);
        }
      }
    });

  program
    .command('report')
    .description('compare runs: two lab runs (reports/<time>.json) side by side, or any number of OpenMessaging Benchmark results (reports/<time>-omb/*.json, OMB\'s own, or lab runs with a peers comparison) across drivers')
    .argument('<files...>', 'JSON results: lab runs or OMB results')
    .option('--out <file>', 'where to write the HTML', 'reports/comparison.html')
    .action(async (files: string[], o: { out: string }) => {
      const { readFileSync } = await import('node:fs');
      const { loadRun } = await import('../lab/report/write.js');
      const { renderComparison } = await import('../lab/report/compare.js');
      const { isOmbResult, renderOmbComparison } = await import('../lab/report/omb-compare.js');
      try {
        const parsed = files.map((file) => {
          let value: unknown;
          try {
            value = JSON.parse(readFileSync(file, 'utf8'));
          } catch (err) {
            throw new Error(`${file}: ${(err as Error).message}`);
          }
          return { file, value };
        });
        const omb = parsed.filter((p) => isOmbResult(p.value));
        const runs = parsed.filter((p) => !isOmbResult(p.value)).map((p) => ({ file: p.file, run: loadRun(p.file) }));
        let html: string;
        if (omb.length === 0 && runs.length === 2) html = renderComparison(runs[0]!.run, runs[1]!.run);
        else {
          const results = [
            ...omb.map((p) => ({ source: p.file, result: p.value as Record<string, unknown> })),
            ...runs.flatMap(({ file, run }) => run.scenarios.flatMap((s) => (s.omb ?? []).map((result) => ({ source: file, result })))),
          ];
          if (results.length === 0) throw new Error('give two lab runs, or OpenMessaging Benchmark results (a lab run counts when it has a peers comparison)');
          html = renderOmbComparison(results);
        }
        writeFileSync(o.out, html);
        console.log(o.out);
      } catch (err) {
        console.error(`mqlab report: ${(err as Error).message}`);
        process.exit(1);
      }
    });
}
