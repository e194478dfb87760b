// `mqlab bench` with no suite name: the lab, the project's main job. The
// quick suite runs every claim scenario small (about 3 minutes); --full
// repeats each configuration three times at larger sizes; --scenario runs
// named ones. Raw results and a self-contained HTML report go to reports/.
import type { Command } from 'commander';
import { runLab } from '../lab/run-lab.js';
import { SCENARIOS } from '../lab/scenarios/index.js';
import { loadRun, writeReport } from '../lab/report/write.js';
import { renderComparison } from '../lab/report/compare.js';
import { writeFileSync } from 'node:fs';

export function addLabActions(bench: Command, program: Command): void {
  bench
    .option('--full', 'the complete suite: larger runs, 3 repetitions per configuration')
    .option('--scenario <names>', `run only these scenarios, comma-separated (${SCENARIOS.map((s) => s.name).join(', ')})`)
    .option('--data-dir <dir>', 'where the lab brokers keep their data (removed after)', './data')
    .option('--reports-dir <dir>', 'where the results and the report go', 'reports')
    .action(async (o: { full?: boolean; scenario?: string; dataDir: string; reportsDir: string }) => {
      const suite = o.scenario ? 'scenario' : o.full ? 'full' : 'quick';
      const tty = process.stderr.isTTY ? process.stderr : null;
      console.error(`mqlab lab: ${suite === 'scenario' ? `scenarios ${o.scenario}` : `${suite} suite`} (data under ${o.dataDir}, reports in ${o.reportsDir})`);
      const run = await runLab({ suite, scenarios: o.scenario?.split(',').map((s) => s.trim()), dataDir: o.dataDir, progress: tty, log: (line) => console.error(line) });
      const paths = writeReport(run, o.reportsDir);
      console.log(`results: ${paths.json}\nreport:  ${paths.html}\nlatest:  ${paths.latest}`);
      const lost = run.scenarios.flatMap((s) => s.integrity).reduce((n, c) => n + c.lost, 0);
      if (lost > 0) console.error(`WARNING: ${lost} records were lost in this run (see the report)`);
    });

  program
    .command('report')
    .description('render a comparison of two lab runs (reports/<time>.json files)')
    .argument('<a>', 'the first run\'s JSON results')
    .argument('<b>', 'the second run\'s JSON results')
    .option('--out <file>', 'where to write the HTML', 'reports/comparison.html')
    .action((a: string, b: string, o: { out: string }) => {
      try {
        writeFileSync(o.out, renderComparison(loadRun(a), loadRun(b)));
        console.log(o.out);
      } catch (err) {
        console.error(`mqlab report: ${(err as Error).message}`);
        process.exit(1);
      }
    });
}
