// What every benchmark result records about where it ran.
import { readFileSync } from 'node:fs';
import { cpus, release, totalmem } from 'node:os';

export function environment(): Record<string, unknown> {
  return { node: process.version, kernel: release(), cpu: cpus()[0]?.model, cores: cpus().length, memoryBytes: totalmem() };
}

/** CPU seconds (user + system) a process has used, from /proc (Linux). */
export function processCpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may hold spaces) start after ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]); // utime, stime
  return ticks / CLOCK_TICKS;
}

/** sysconf(_SC_CLK_TCK): 100 on every Linux this runs on. */
const CLOCK_TICKS = 100;
