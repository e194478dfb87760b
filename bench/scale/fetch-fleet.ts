// Many consumers of one partition at once (fetchLoop each), spread over
// worker threads like the producer fleet, so that receiving (a copy out of
// the kernel per byte, whatever the broker's strategy) is not held to one
// event loop. Every thread opens nothing until all are up; the clock runs
// from the word go to the last consumer's end.
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import { packageRoot } from '../../src/native/addon.js';

/** What one thread runs (its workerData). */
export interface FetchShare {
  host: string;
  port: number;
  topic: string;
  endOffset: bigint;
  recordsPerBatch: number;
  batchBytes: number;
  maxBytes: number;
  consumers: number;
}

export interface FetchThreadSummary {
  /** Per consumer. */
  bytes: number[];
  seconds: number[];
  eventLoopBusy: number;
}

export interface FetchFleetResult {
  bytes: number;
  seconds: number;
  /** Each consumer's time to read the whole partition. */
  consumerSeconds: number[];
  /** This process's CPU (every thread) from go to the end. */
  cpuSeconds: number;
  eventLoopBusy: number[];
}

export async function runFetchFleet(o: Omit<FetchShare, 'consumers'> & { consumers: number; threads: number }): Promise<FetchFleetResult> {
  const threads = Math.max(1, Math.min(o.threads, o.consumers));
  const script = join(packageRoot(), 'dist', 'bench', 'scale', 'fetch-worker.js');
  const workers = Array.from({ length: threads }, (_, t) => {
    const share: FetchShare = { host: o.host, port: o.port, topic: o.topic, endOffset: o.endOffset, recordsPerBatch: o.recordsPerBatch, batchBytes: o.batchBytes, maxBytes: o.maxBytes, consumers: Math.floor(o.consumers / threads) + (t < o.consumers % threads ? 1 : 0) };
    return new Worker(script, { workerData: share });
  });
  try {
    const phases = workers.map(phasesOf);
    await Promise.all(phases.map((p) => p.ready));
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    for (const w of workers) w.postMessage('go');
    const summaries = await Promise.all(phases.map((p) => p.summary));
    const seconds = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    return {
      bytes: summaries.reduce((n, s) => n + s.bytes.reduce((a, b) => a + b, 0), 0),
      seconds,
      consumerSeconds: summaries.flatMap((s) => s.seconds),
      cpuSeconds: (cpu.user + cpu.system) / 1e6,
      eventLoopBusy: summaries.map((s) => s.eventLoopBusy),
    };
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
}

/** A thread's two messages, "ready" and its summary; an exit or error before either fails what is still to come. */
function phasesOf(w: Worker): { ready: Promise<void>; summary: Promise<FetchThreadSummary> } {
  let ready!: () => void;
  let summary!: (s: FetchThreadSummary) => void;
  const fails: ((err: Error) => void)[] = [];
  const p = {
    ready: new Promise<void>((resolve, reject) => ((ready = resolve), fails.push(reject))),
    summary: new Promise<FetchThreadSummary>((resolve, reject) => ((summary = resolve), fails.push(reject))),
  };
  // Settled ones ignore a later reject; neither may go unhandled when the other failed first.
  p.ready.catch(() => undefined);
  p.summary.catch(() => undefined);
  w.on('message', (m: 'ready' | FetchThreadSummary) => (m === 'ready' ? ready() : summary(m)));
  const fail = (err: Error): void => fails.forEach((f) => f(err));
  w.once('error', fail);
  w.once('exit', (code) => fail(new Error(`a fetch-fleet thread exited (code ${code}) before its summary`)));
  return p;
}
