// A lab run: the chosen scenarios one after another, each against brokers
// of its own, then the raw results and the report written side by side.
import { join, resolve } from 'node:path';
import { LabContext } from './context.js';
import { gitRevision, labEnvironment } from './environment.js';
import { freshSeed } from './random.js';
import { RESULTS_SCHEMA, type LabRun, type ScenarioResult } from './results.js';
import { SCENARIOS, scenarioByName, type Scenario } from './scenarios/index.js';
import type { PeerOptions } from './context.js';
import type { Workload } from './workload.js';

export interface LabOptions {
  suite: 'quick' | 'full' | 'scenario';
  /** With suite 'scenario': which ones. */
  scenarios?: string[];
  dataDir: string;
  progress: NodeJS.WriteStream | null;
  log: (line: string) => void;
  workload?: Workload;
  /** Every size at its smallest (the tests' end-to-end runs); not with the full suite. */
  smoke?: boolean;
  /** With suite 'scenario': the full suite's sizes. */
  full?: boolean;
  /** Seed of every random choice; a fresh one (recorded in the results) if not given. */
  seed?: number;
  /** The peers comparison: which systems (by id; all by default) and external targets. */
  peers?: PeerOptions;
}

export async function runLab(o: LabOptions): Promise<LabRun> {
  const chosen: Scenario[] = o.suite === 'scenario' ? (o.scenarios ?? []).map(scenarioByName) : SCENARIOS.filter((s) => o.suite === 'full' || !s.fullSuiteOnly);
  if (o.smoke && (o.suite === 'full' || o.full)) throw new Error('a smoke run is the smallest there is: it cannot also be the full suite');
  const seed = o.seed ?? freshSeed();
  const ctx = new LabContext(resolve(o.dataDir, 'lab'), o.smoke ? 'smoke' : o.suite === 'full' || o.full ? 'full' : 'quick', o.progress, o.workload ?? {}, seed, o.peers);
  const run: LabRun = {
    schema: RESULTS_SCHEMA,
    startedAt: new Date().toISOString(),
    command: process.argv.join(' '),
    gitRevision: gitRevision(),
    suite: o.suite,
    ...(o.smoke ? { smoke: true } : {}),
    ...(o.full && o.suite === 'scenario' ? { full: true } : {}),
    seed,
    workload: { ...o.workload },
    environment: labEnvironment(o.dataDir),
    scenarios: [],
  };
  try {
    for (const s of chosen) {
      const started = Date.now();
      let result: ScenarioResult;
      try {
        result = { name: s.name, title: s.title, claim: s.claim, ...(await s.run(ctx)) };
      } catch (err) {
        // A scenario that breaks is reported as such; the others still run.
        result = failed(s, err as Error);
      }
      ctx.endProgress();
      o.log(`${s.name}: ${result.verdict.held === true ? 'held' : result.verdict.held === false ? 'did not hold' : 'inconclusive'} — ${result.verdict.measured} (${((Date.now() - started) / 1000).toFixed(0)} s)`);
      run.scenarios.push(result);
    }
  } finally {
    await ctx.close();
  }
  return run;
}

function failed(s: Scenario, err: Error): ScenarioResult {
  return {
    name: s.name,
    title: s.title,
    claim: s.claim,
    verdict: { held: null, measured: 'the scenario failed', summary: `The scenario did not complete: ${err.message}` },
    charts: [],
    tables: [],
    integrity: [],
    settings: {},
    notes: [err.stack ?? err.message],
  };
}
