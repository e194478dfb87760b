// Cross-checks the addon's system-call counters against `strace -c -f`: a
// child process sends through one strategy under strace, prints its own
// counters, and we compare the data-path calls each strategy makes.
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import type { StrategyName, SyscallCounts } from '../../src/native/addon.js';

export interface StraceCheck {
  strategy: StrategyName;
  calls: string[];
  addon: number;
  strace: number;
  differencePercent: number;
}

// What strace calls them (glibc's pread is pread64) and what the addon does.
const DATA_PATH: Record<StrategyName, { strace: string[]; addon: (keyof SyscallCounts)[] }> = {
  sendfile: { strace: ['sendfile'], addon: ['sendfile'] },
  mmap: { strace: ['write', 'writev'], addon: ['write', 'writev'] },
  copy: { strace: ['pread64', 'write', 'writev'], addon: ['pread', 'write', 'writev'] },
};

export function straceAvailable(): boolean {
  return spawnSync('strace', ['-V'], { stdio: 'ignore' }).status === 0;
}

function parseStraceSummary(text: string): Record<string, number> {
  const calls: Record<string, number> = {};
  for (const line of text.split('\n')) {
    // % time  seconds  usecs/call  calls  [errors]  syscall
    const cols = line.trim().split(/\s+/);
    if (cols.length < 5 || !/^\d/.test(cols[0]!)) continue;
    const name = cols[cols.length - 1]!;
    calls[name] = Number(cols[3]);
  }
  return calls;
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
