// Cross-checks the addon's system-call counters against `strace -c -f`: a
// child process sends through one strategy under strace, prints its own
// counters, and we compare the data-path calls each strategy makes.
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import type { StrategyName, SyscallCounts } from '../../src/native/addon.js';
import { DATA_PATH, parseStraceSummary } from '../../src/lab/strace.js';

export { straceAvailable } from '../../src/lab/strace.js';

export interface StraceCheck {
  strategy: StrategyName;
  calls: string[];
  addon: number;
  strace: number;
  differencePercent: number;
}

export function straceCheck(childScript: string, port: number, file: string, strategy: StrategyName, size: number, count: number): StraceCheck {
  const out = join(tmpdir(), `mqlab-strace-${process.pid}-${strategy}.txt`);
  const r = spawnSync(
    'strace',
    ['-f', '-c', '-o', out, process.execPath, childScript, String(port), file, strategy, String(size), String(count)],
    { encoding: 'utf8' },
  );
  if (r.status !== 0) throw new Error(`strace run failed: ${r.stderr}`);
  const addonCounts = JSON.parse(r.stdout) as SyscallCounts;
  const traced = parseStraceSummary(readFileSync(out, 'utf8'));
  rmSync(out, { force: true });
  const spec = DATA_PATH[strategy];
  const addon = spec.addon.reduce((n, k) => n + addonCounts[k], 0);
  const strace = spec.strace.reduce((n, k) => n + (traced[k] ?? 0), 0);
  return { strategy, calls: spec.strace, addon, strace, differencePercent: (100 * Math.abs(strace - addon)) / Math.max(addon, 1) };
}
