// The targets as ratios within a rep: on a shared VM whose disk and
// CPU speed drift by several times between minutes, a figure is only judged
// against one measured in the same rep, and the verdict is on the median of
// the reps' ratios.
import { fmtSpread, spread, type Spread } from '../lib/stats.js';

export interface Sample {
  rep: number;
  /** segmented, commitlog, or "C reference". */
  engine: string;
  recordBytes: number;
  /** produce, raw write (paired with that engine's produce), fetch <strategy>, sendfile (the C reference). */
  what: string;
  /** Records/s (produce), writes/s (raw write), requests/s (fetch), sends/s (reference). */
  rate: number;
  mbPerSecond: number;
  /** CPU seconds per GB moved: the broker's for produce and fetch, this process's for the raw loop, the C sender's for the reference. */
  cpuSecondsPerGB: number;
  /** Produce only: the load generator's (this process's) CPU seconds per GB, and the cores it kept busy. */
  loadCpuSecondsPerGB?: number;
  loadCores?: number;
  /** Raw write only: whether it ran before its produce. */
  first?: boolean;
}

export interface Target {
  target: string;
  measured: string;
  met: 'yes' | 'NO' | 'n/a' | 'info';
  /** The per-rep values the verdict is on. */
  values: number[];
}

export const PRODUCE_VS_RAW = 0.8;
export const CPU_PER_GB = 0.6;
export const SMALL_RECORD_BYTES = 100;
export const SMALL_RECORDS_PER_SECOND = 3_000_000;
export const RAW_FAST_ENOUGH_MBPS = 400;
export const COMMITLOG_PRODUCE = 0.95;
export const COMMITLOG_FETCH = 0.9;
export const FETCH_VS_C = 0.85;

function verdict(s: Spread, ok: (median: number) => boolean): 'yes' | 'NO' | 'n/a' {
  return s.runs === 0 ? 'n/a' : ok(s.median) ? 'yes' : 'NO';
}

export function targets(samples: readonly Sample[], engines: readonly string[], sizes: readonly number[], reps: number): Target[] {
  const find = (rep: number, engine: string, recordBytes: number, what: string): Sample | undefined =>
    samples.find((s) => s.rep === rep && s.engine === engine && s.recordBytes === recordBytes && s.what === what);
  /** f over the reps where every sample it needs exists. */
  const perRep = (f: (rep: number) => number | undefined): number[] =>
    Array.from({ length: reps }, (_, rep) => f(rep)).filter((x): x is number => x !== undefined && Number.isFinite(x));
  const ratio = (a: Sample | undefined, b: Sample | undefined): number | undefined => (a && b ? a.mbPerSecond / b.mbPerSecond : undefined);
  const out: Target[] = [];
  const row = (target: string, values: number[], ok: (m: number) => boolean, digits = 2, suffix = ''): void => {
    const s = spread(values);
    out.push({ target, measured: fmtSpread(s, digits) + suffix, met: verdict(s, ok), values });
  };
  const hasFetch = samples.some((s) => s.what.startsWith('fetch '));
  for (const size of sizes) {
    for (const engine of engines) {
      row(`${engine} ${size} B produce ÷ raw write loop, same rep ≥ ${PRODUCE_VS_RAW}×`, perRep((r) => ratio(find(r, engine, size, 'produce'), find(r, engine, size, 'raw write'))), (m) => m >= PRODUCE_VS_RAW);
      row(`${engine} ${size} B broker CPU per GB produced ≤ ${CPU_PER_GB} s`, perRep((r) => find(r, engine, size, 'produce')?.cpuSecondsPerGB), (m) => m <= CPU_PER_GB);
      if (size === SMALL_RECORD_BYTES) {
        const name = `${engine} ${size} B records/s ≥ ${SMALL_RECORDS_PER_SECOND / 1e6}M (reps whose raw loop ≥ ${RAW_FAST_ENOUGH_MBPS} MB/s)`;
        const eligible = perRep((r) => ((find(r, engine, size, 'raw write')?.mbPerSecond ?? 0) >= RAW_FAST_ENOUGH_MBPS ? find(r, engine, size, 'produce')?.rate : undefined));
        const all = perRep((r) => find(r, engine, size, 'produce')?.rate);
        if (eligible.length === 0) out.push({ target: name, measured: `n/a (raw loop < ${RAW_FAST_ENOUGH_MBPS} MB/s); all reps ${fmtSpread(spread(all.map((x) => x / 1e6)))}M`, met: 'n/a', values: [] });
        else row(name, eligible.map((x) => x / 1e6), (m) => m >= SMALL_RECORDS_PER_SECOND / 1e6, 2, `M (${eligible.length} of ${all.length} reps)`);
      }
    }
    if (engines.includes('segmented') && engines.includes('commitlog')) {
      const c = (r: number, what: string): Sample | undefined => find(r, 'commitlog', size, what);
      const s = (r: number, what: string): Sample | undefined => find(r, 'segmented', size, what);
      row(`commitlog ÷ segmented ${size} B produce ≥ ${COMMITLOG_PRODUCE}×`, perRep((r) => ratio(c(r, 'produce'), s(r, 'produce'))), (m) => m >= COMMITLOG_PRODUCE);
      // The engines run a minute apart; each against its own raw loop takes the disk's drift out.
      const normalized = perRep((r) => {
        const a = ratio(c(r, 'produce'), c(r, 'raw write'));
        const b = ratio(s(r, 'produce'), s(r, 'raw write'));
        return a !== undefined && b !== undefined ? a / b : undefined;
      });
      out.push({ target: `  the same, each ÷ its own raw loop`, measured: fmtSpread(spread(normalized)), met: 'info', values: normalized });
      if (hasFetch) row(`commitlog ÷ segmented ${size} B fetch sendfile ≥ ${COMMITLOG_FETCH}×`, perRep((r) => ratio(c(r, 'fetch sendfile'), s(r, 'fetch sendfile'))), (m) => m >= COMMITLOG_FETCH);
    }
    if (hasFetch) {
      for (const engine of engines) {
        row(`${engine} ${size} B fetch sendfile ≥ ${FETCH_VS_C}× the C sendfile reference`, perRep((r) => ratio(find(r, engine, size, 'fetch sendfile'), find(r, 'C reference', size, 'sendfile'))), (m) => m >= FETCH_VS_C);
      }
    }
  }
  return out;
}
