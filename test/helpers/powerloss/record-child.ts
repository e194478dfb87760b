// Runs the power-loss workload (test/fixtures/powerloss-child.mjs) under
// strace and returns the trace.
//
// Why strace rather than an fs shim inside the child: it records what the
// kernel was asked, by every thread (-f catches the libuv pool threads that
// run the async fdatasyncs), whatever API made the call (node:fs, a future
// native write path), with the exact bytes (-xx -s), and it orders the
// child's acknowledgements (its writes to stdout) against those syncs in
// one trace, with no seam in the engines and nothing replaced. A shim would
// need the engines to take an injected fs, and would see calls as
// JavaScript made them, not as they reached the kernel.
//
// libuv may submit file I/O through io_uring, where strace sees only
// io_uring_enter: UV_USE_IO_URING=0 keeps it off (Node 20.11+ defaults to
// off anyway), and the recording refuses a trace with io_uring in it.
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const CHILD = join(import.meta.dirname, '..', '..', 'fixtures', 'powerloss-child.mjs');

const TRACED = [
  'openat', 'open', 'creat', 'close',
  'write', 'pwrite64', 'writev', 'pwritev', 'pwritev2',
  'fsync', 'fdatasync', 'sync_file_range', 'fallocate', 'ftruncate', 'truncate',
  'rename', 'renameat', 'renameat2', 'unlink', 'unlinkat', 'mkdir', 'mkdirat', 'rmdir',
  'link', 'linkat', 'symlink', 'symlinkat', 'io_uring_setup',
];

/** strace is installed and may trace here (a container can forbid ptrace). */
export function straceAvailable(): boolean {
  return spawnSync('strace', ['-f', '-qq', '-o', '/dev/null', 'true'], { stdio: 'ignore' }).status === 0;
}

export interface ChildRun {
  engine: string;
  /** none | batch | <interval ms> */
  flush: string;
  seed: number;
  rounds: number;
  /** Where the child's engine lives (must not exist yet). */
  dataDir: string;
  tracePath: string;
}

/** Runs the child to its end under strace; returns the trace's text. */
export async function recordChild(run: ChildRun): Promise<string> {
  const args = [
    '-f', '-y', '-ttt', '-xx', '-qq', '-s', String(4 << 20), '--seccomp-bpf',
    '-e', `trace=${TRACED.join(',')}`, '-o', run.tracePath,
    process.execPath, CHILD, run.engine, run.dataDir, run.flush, String(run.seed), String(run.rounds),
  ];
  const child = spawn('strace', args, { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, UV_USE_IO_URING: '0' } });
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const [code] = (await once(child, 'exit')) as [number | null];
  if (code !== 0) throw new Error(`the power-loss child under strace exited with ${code}: ${err}`);
  return readFileSync(run.tracePath, 'latin1');
}
