// What the scale benchmark prints: one table per section, medians (with the
// range when repeated), and the lines that say how to read them.
import { fmtSpread, spread, table } from '../lib/stats.js';
import { SATURATED_BUSY, type ConnectionsResult } from './connections.js';
import type { FanOutResult, FanOutSample } from './fan-out.js';
import type { RecoveryResult, StartKind } from './recovery.js';

const int = (n: number): string => Math.round(n).toLocaleString('en-US');
const pct = (x: number | null): string => (x === null || Number.isNaN(x) ? '-' : `${Math.round(100 * x)}%`);
const ms = (n: number): string => (n >= 100 ? n.toFixed(0) : n.toFixed(n >= 10 ? 1 : 2));

export function connectionsReport(results: ConnectionsResult[], p99TargetMs: number): { text: string; targets: Target[] } {
  const first = results[0]!;
  const lines = [
    `Connections: ${int(first.connections)} producer connections, ${int(first.targetRecordsPerSecond / first.connections)} msg/s each of ${first.recordBytes} B, ${first.seconds.toFixed(0)} s measured after ${first.warmupSeconds} s of warm-up; acks=1, flush none; latency per produce request from its intended send time (no coordinated omission).`,
    table(
      ['engine', 'records/request', 'requests/s asked', 'msg/s asked', 'msg/s achieved', 'per connection: slowest, median', 'p50 ms', 'p99 ms', 'p99.9 ms', 'max ms', 'errors'],
      results.map((r) => [r.engine, String(r.batchRecords), int(r.requestsPerSecondTarget), int(r.targetRecordsPerSecond), int(r.achievedRecordsPerSecond), `${r.perConnectionRecordsPerSecond.min.toFixed(1)}, ${r.perConnectionRecordsPerSecond.median.toFixed(1)}`, ms(r.latencyMs.p50), ms(r.latencyMs.p99), ms(r.latencyMs.p999), ms(r.latencyMs.max), String(r.errors)]),
    ),
    '',
    table(
      ['engine', 'records/request', 'broker CPU cores', 'broker CPU µs/msg', 'cores at the asked rate', 'broker loop on CPU', 'broker loop waiting for CPU', 'generator CPU cores', 'generator loops busy', 'generator loop delay p99/max ms', `machine busy cores (of ${first.cpu.cores})`],
      results.map((r) => [r.engine, String(r.batchRecords), r.brokerCores.toFixed(2), r.brokerCpuMicrosPerRecord.toFixed(1), ((r.brokerCpuMicrosPerRecord * r.targetRecordsPerSecond) / 1e6).toFixed(2), pct(r.cpu.brokerMainOnCpu), pct(r.cpu.brokerMainWaiting), r.generator.cores.toFixed(2), r.generator.eventLoopBusy.map(pct).join(' '), r.generator.eventLoopDelayMs.map((d) => `${d.p99.toFixed(1)}/${d.max.toFixed(0)}`).join(' '), r.cpu.machineBusyCores.toFixed(2)]),
    ),
    `limits: ${first.limits.note}`,
    `load generator: ${first.generator.threads} worker thread(s) of this process (--producer-threads; default: a core left to the broker's event loop), ~${int(first.connections / first.generator.threads)} connections each; a thread whose event loop is ≥ ${Math.round(100 * SATURATED_BUSY)}% busy would be the limit, not the broker. Broker loop: its main thread on a CPU, and runnable but waiting for one (/proc schedstat); the two near 100% together: the broker is saturated. Generator loop delay: how late its timers ran; a request due meanwhile went out that much late, and its latency counts from when it was due.`,
    ...results
      .filter((r) => r.achievedRecordsPerSecond < 0.98 * r.targetRecordsPerSecond)
      .map((r) => `  ${r.engine}, ${r.batchRecords} record(s)/request: overloaded (${int(r.achievedRecordsPerSecond)} of ${int(r.targetRecordsPerSecond)} msg/s); requests held back by the window past the end were never sent and are not in the percentiles, so these are a floor.`),
    ...results.filter((r) => r.generator.saturated).map((r) => `  ${r.engine}, ${r.batchRecords} record(s)/request: the generator saturated (loops ${r.generator.eventLoopBusy.map(pct).join(', ')}): read its latencies as an upper bound for the broker's (more --producer-threads spread it, taking CPU the broker could use on a small machine).`),
    ...results.filter((r) => r.listenOverflows).map((r) => `  ${r.engine}, ${r.batchRecords} record(s)/request: ${r.listenOverflows} connection(s) overflowed a listen backlog meanwhile (machine-wide count): some started late.`),
    ...results.filter((r) => r.errors > 0).map((r) => `  ${r.engine}: ${r.errors} produce errors, first: ${r.firstError}`),
  ];
  const targets = results.map((r) => ({
    target: `${r.engine}, ${r.batchRecords} record(s)/request: p99 ≤ ${p99TargetMs} ms at ${int(r.targetRecordsPerSecond)} msg/s`,
    measured: `p99 ${ms(r.latencyMs.p99)} ms at ${int(r.achievedRecordsPerSecond)} msg/s`,
    met: r.p99Met,
  }));
  return { text: lines.join('\n'), targets };
}

export interface FanOutRow {
  engine: string;
  strategy: string;
  gbPerSecond: ReturnType<typeof spread>;
  brokerCpuSecondsPerGB: ReturnType<typeof spread>;
  syscallsPerGB: ReturnType<typeof spread>;
  sendsPerGB: ReturnType<typeof spread>;
  copiedPerByte: ReturnType<typeof spread>;
  clientCpuSecondsPerGB: ReturnType<typeof spread>;
  /** The busiest consumer thread's event loop. */
  clientEventLoopBusy: ReturnType<typeof spread>;
  machineBusyCores: ReturnType<typeof spread>;
  brokerMainOnCpu: ReturnType<typeof spread>;
  brokerMainWaiting: ReturnType<typeof spread>;
}

export interface FanOutRatio {
  engine: string;
  /** Broker CPU per GB, sendfile over copy (below 1: zero copy saves CPU). */
  sendfileOverCopyCpu: ReturnType<typeof spread>;
  sendfileOverCopyGbPerSecond: ReturnType<typeof spread>;
}

export function fanOutRows(results: FanOutResult[]): { rows: FanOutRow[]; ratios: FanOutRatio[] } {
  const rows: FanOutRow[] = [];
  const ratios: FanOutRatio[] = [];
  for (const r of results) {
    const of = (strategy: string): FanOutSample[] => r.samples.filter((s) => s.strategy === strategy);
    for (const strategy of [...new Set(r.samples.map((s) => s.strategy))]) {
      const ss = of(strategy);
      const sp = (f: (s: FanOutSample) => number): ReturnType<typeof spread> => spread(ss.map(f));
      rows.push({
        engine: r.engine,
        strategy,
        gbPerSecond: sp((s) => s.gbPerSecond),
        brokerCpuSecondsPerGB: sp((s) => s.brokerCpuSecondsPerGB),
        syscallsPerGB: sp((s) => s.syscallsPerGB),
        sendsPerGB: sp((s) => s.sendsPerGB),
        copiedPerByte: sp((s) => s.copiedPerByte),
        clientCpuSecondsPerGB: sp((s) => s.clientCpuSeconds / (s.bytes / 1e9)),
        clientEventLoopBusy: sp((s) => Math.max(...s.clientEventLoopBusy)),
        machineBusyCores: sp((s) => s.cpu.machineBusyCores),
        brokerMainOnCpu: sp((s) => s.cpu.brokerMainOnCpu ?? NaN),
        brokerMainWaiting: sp((s) => s.cpu.brokerMainWaiting ?? NaN),
      });
    }
    const sendfile = of('sendfile');
    const copy = of('copy');
    if (sendfile.length > 0 && copy.length > 0) {
      // Paired by rep: the two ran on the same broker minutes apart.
      const pairs = sendfile.map((s) => [s, copy.find((c) => c.rep === s.rep)!] as const).filter(([, c]) => c);
      ratios.push({
        engine: r.engine,
        sendfileOverCopyCpu: spread(pairs.map(([s, c]) => s.brokerCpuSecondsPerGB / c.brokerCpuSecondsPerGB)),
        sendfileOverCopyGbPerSecond: spread(pairs.map(([s, c]) => s.gbPerSecond / c.gbPerSecond)),
      });
    }
  }
  return { rows, ratios };
}

export function fanOutReport(results: FanOutResult[], rows: FanOutRow[], ratios: FanOutRatio[]): string {
  const first = results[0]!;
  const s0 = first.samples[0]!;
  const reps = Math.max(...first.samples.map((s) => s.rep)) + 1;
  return [
    `Fan-out: ${s0.consumers} consumers of one partition (${(first.partitionBytes / 2 ** 20).toFixed(0)} MiB) on ${s0.clientEventLoopBusy.length} thread(s), each reading it from start to end, one fetch in flight each; strategies swapped live; ${reps} rep(s)${reps > 1 ? ', median (min–max)' : ''}.`,
    table(
      ['engine', 'strategy', 'GB/s', 'broker CPU s/GB', 'syscalls/GB', 'sends/GB', 'copies/byte', 'consumers CPU s/GB', 'busiest consumer loop', 'broker loop on CPU', 'broker loop waiting', 'machine busy cores'],
      rows.map((r) => [
        r.engine,
        r.strategy,
        fmtSpread(r.gbPerSecond),
        fmtSpread(r.brokerCpuSecondsPerGB, 3),
        fmtSpread(r.syscallsPerGB, 0),
        fmtSpread(r.sendsPerGB, 0),
        fmtSpread(r.copiedPerByte),
        fmtSpread(r.clientCpuSecondsPerGB, 3),
        pct(r.clientEventLoopBusy.median),
        pct(r.brokerMainOnCpu.median),
        pct(r.brokerMainWaiting.median),
        r.machineBusyCores.median.toFixed(2),
      ]),
    ),
    '',
    table(
      ['engine', 'sendfile/copy broker CPU per GB', 'sendfile/copy GB/s'],
      ratios.map((x) => [x.engine, fmtSpread(x.sendfileOverCopyCpu), fmtSpread(x.sendfileOverCopyGbPerSecond)]),
    ),
  ].join('\n');
}

export interface RecoveryRow {
  engine: string;
  kind: StartKind;
  listeningMs: ReturnType<typeof spread>;
  metadataMs: ReturnType<typeof spread>;
  listOffsetsMs: ReturnType<typeof spread>;
  hwMatches: boolean;
}

export function recoveryRows(results: RecoveryResult[]): RecoveryRow[] {
  const kinds: StartKind[] = ['empty', 'after SIGKILL', 'after clean stop', 'after SIGKILL past a snapshot'];
  return results.flatMap((r) =>
    kinds.map((kind) => {
      const ts = r.timings.filter((t) => t.kind === kind);
      return { engine: r.engine, kind, listeningMs: spread(ts.map((t) => t.listeningMs)), metadataMs: spread(ts.map((t) => t.metadataMs).filter(Number.isFinite)), listOffsetsMs: spread(ts.map((t) => t.listOffsetsMs).filter(Number.isFinite)), hwMatches: ts.every((t) => t.hwMatches) };
    }),
  );
}

export function recoveryReport(results: RecoveryResult[], rows: RecoveryRow[]): string {
  const first = results[0]!;
  const reps = Math.max(...first.timings.map((t) => t.rep)) + 1;
  return [
    `Recovery: ${(first.logBytes / 2 ** 30).toFixed(2)} GiB in one partition of a fresh broker, then SIGKILL and start; then clean stop and start; then SIGKILL (past the snapshot of producer state that start wrote) and start. Milliseconds from spawn; page cache warm; ${reps} rep(s)${reps > 1 ? ', median (min–max)' : ''}.`,
    table(
      ['engine', 'start', 'log files', 'listening ms', 'Metadata ms', 'ListOffsets ms', 'high watermark = acknowledged'],
      rows.map((r) => {
        const res = results.find((x) => x.engine === r.engine)!;
        return [r.engine, r.kind, r.kind === 'empty' ? '0' : String(res.logFiles), fmtSpread(r.listeningMs, 0), fmtSpread(r.metadataMs, 0), fmtSpread(r.listOffsetsMs, 0), r.kind === 'empty' ? '-' : r.hwMatches ? 'yes' : 'NO'];
      }),
    ),
    // What recovery said of the data (an empty start has nothing to say of
    // it), each line once with how many starts said it.
    ...results.flatMap((r) => {
      const said = new Map<string, number>();
      for (const t of r.timings.filter((x) => x.kind !== 'empty')) {
        for (const l of t.recoveryLog) {
          const line = `${r.engine} ${t.kind}: ${l.replace(/^.*? recovery: /, 'recovery: ').replace(/\S*\/bench\/scale\/[^/\s]+\//g, '')}`;
          said.set(line, (said.get(line) ?? 0) + 1);
        }
      }
      return [...said].map(([line, n]) => `  ${line}${n > 1 ? ` (${n} starts)` : ''}`);
    }),
  ].join('\n');
}

export interface Target {
  target: string;
  measured: string;
  met: boolean;
}

export function targetsReport(targets: Target[]): string {
  return table(['target', 'measured', 'met'], targets.map((t) => [t.target, t.measured, t.met ? 'yes' : 'NO']));
}
