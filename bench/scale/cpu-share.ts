// Who had the CPU during a run, from /proc: the whole machine's busy cores
// (this machine may be shared, and the broker and the load generator share
// it anyway), and the broker's main thread (its event loop) on a CPU and
// waiting in the run queue for one. A main thread that is on a CPU or
// waiting for one nearly all the time is saturated, whatever its CPU seconds
// say; one that mostly waits is starved by other work.
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { performance } from 'node:perf_hooks';

export interface CpuSnapshot {
  atMs: number;
  /** Jiffies since boot, all CPUs: busy, and in all. */
  machineBusy: number;
  machineTotal: number;
  /** The broker's main thread, ns since it started: on a CPU, and runnable but waiting. */
  mainOnCpuNs: number | null;
  mainWaitingNs: number | null;
}

export interface CpuShare {
  cores: number;
  /** Busy cores of the whole machine, on average. */
  machineBusyCores: number;
  /** Shares of the wall time (0–1): the broker's main thread on a CPU, and waiting for one. */
  brokerMainOnCpu: number | null;
  brokerMainWaiting: number | null;
}

export function cpuSnapshot(brokerPid: number): CpuSnapshot {
  // cpu  user nice system idle iowait irq softirq steal ...
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = f;
  const busy = user + nice + system + irq + softirq + steal;
  let mainOnCpuNs: number | null = null;
  let mainWaitingNs: number | null = null;
  try {
    // The thread whose id is the process's own is its main thread.
    const [run, wait] = readFileSync(`/proc/${brokerPid}/task/${brokerPid}/schedstat`, 'utf8').trim().split(/\s+/).map(Number);
    mainOnCpuNs = run ?? null;
    mainWaitingNs = wait ?? null;
  } catch {
    // No schedstat (a kernel without CONFIG_SCHED_INFO): the shares stay unknown.
  }
  return { atMs: performance.now(), machineBusy: busy, machineTotal: busy + idle + iowait, mainOnCpuNs, mainWaitingNs };
}

export function cpuShareBetween(a: CpuSnapshot, b: CpuSnapshot): CpuShare {
  const cores = cpus().length;
  const wallNs = (b.atMs - a.atMs) * 1e6;
  const share = (x: number | null, y: number | null): number | null => (x === null || y === null ? null : (y - x) / wallNs);
  return {
    cores,
    machineBusyCores: (cores * (b.machineBusy - a.machineBusy)) / Math.max(1, b.machineTotal - a.machineTotal),
    brokerMainOnCpu: share(a.mainOnCpuNs, b.mainOnCpuNs),
    brokerMainWaiting: share(a.mainWaitingNs, b.mainWaitingNs),
  };
}
