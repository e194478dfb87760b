// `strace -c` as a second opinion on the addon's system-call counters: its
// summary table parsed, and which calls make up each strategy's data path.
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { StrategyName, SyscallCounts } from '../native/addon.js';

/** What strace calls them (glibc's pread is pread64) and what the addon counts. */
export const DATA_PATH: Record<StrategyName, { strace: string[]; addon: (keyof SyscallCounts)[] }> = {
  sendfile: { strace: ['sendfile'], addon: ['sendfile'] },
  mmap: { strace: ['write', 'writev'], addon: ['write', 'writev'] },
  copy: { strace: ['pread64', 'write', 'writev'], addon: ['pread', 'write', 'writev'] },
};

export function straceAvailable(): boolean {
  return spawnSync('strace', ['-V'], { stdio: 'ignore' }).status === 0;
}

/** Calls per system call from an `strace -c` summary. */
export function parseStraceSummary(text: string): Record<string, number> {
  const calls: Record<string, number> = {};
  for (const line of text.split('\n')) {
    // % time  seconds  usecs/call  calls  [errors]  syscall
    const cols = line.trim().split(/\s+/);
    if (cols.length < 5 || !/^\d/.test(cols[0]!)) continue;
    calls[cols[cols.length - 1]!] = Number(cols[3]);
  }
  return calls;
}

/**
 * Attaches `strace -c -f` to a running process for the duration of `work`,
 * then returns its call counts. Attaching slows the traced process: figures
 * measured meanwhile are not throughput figures.
 */
export async function straceDuring(pid: number, work: () => Promise<void>): Promise<Record<string, number>> {
  const out = join(tmpdir(), `mqlab-strace-${process.pid}-${pid}-${Date.now()}.txt`);
  const child = spawn('strace', ['-c', '-f', '-p', String(pid), '-o', out], { stdio: ['ignore', 'ignore', 'pipe'] });
  // strace says "Process N attached" on stderr once it is in place.
  await new Promise<void>((resolve, reject) => {
    let err = '';
    const timer = setTimeout(() => reject(new Error(`strace did not attach: ${err}`)), 5000);
    child.stderr!.on('data', (d: Buffer) => {
      err += d.toString();
      if (/attached/.test(err)) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => reject(new Error(`strace exited with ${code}: ${err}`)));
  });
  try {
    await work();
  } finally {
    const done = new Promise((r) => child.once('exit', r));
    child.kill('SIGINT');
    await done;
  }
  const text = readFileSync(out, 'utf8');
  rmSync(out, { force: true });
  return parseStraceSummary(text);
}
