// The body of one producer-fleet thread (producer-fleet.ts): its share of
// the connections, each a paced produceLoad, all due to start at one instant
// at evenly spread phases of the send interval, measured from the end of a
// warm-up; then one summary back.
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { parentPort, workerData } from 'node:worker_threads';
import { newLatencyHistogram } from '../../src/client/load/histogram.js';
import { produceLoad, type ProducerLoadResult } from '../../src/client/load/producer.js';
import type { FleetShare, ThreadSummary } from './producer-fleet.js';

const share = workerData as FleetShare;
const o = share.load;
const interval = (1e6 * o.recordsPerBatch) / share.ratePerConnection;
// The instant, on this thread's clock (threads have their own time origins).
const startAt = (share.startAtEpochMs - performance.timeOrigin) * 1000;
const measureFrom = startAt + share.warmupMs * 1000;
// Records of requests due after the warm-up and acknowledged: due, not
// answered, after it, or a backlog from the warm-up would count as rate.
const measuredPerConnection = new Array<number>(share.connections).fill(0);

// The event loop's busy share once measuring: is this thread the limit?
// And how late its timers ran: a send due while the loop was held up is
// late by that much, and the latency (counted from the due time) says so.
let elu0 = performance.eventLoopUtilization();
const loopDelay = monitorEventLoopDelay({ resolution: 1 });
setTimeout(
  () => {
    elu0 = performance.eventLoopUtilization();
    loopDelay.enable();
  },
  Math.max(0, measureFrom / 1000 - performance.now()),
);

// Every connection stays open until all have had their last answer: the
// first to finish would otherwise close while the others still send, and
// the closes (the FIN exchanges run in both processes' system calls on
// loopback) land in the latency of the last requests.
let finished = 0;
let allFinished!: () => void;
const allDone = new Promise<void>((resolve) => (allFinished = resolve));
const runs: Promise<ProducerLoadResult>[] = [];
for (let k = 0; k < share.connections; k++) {
  const g = share.firstConnection + k;
  const phase = (g / share.totalConnections) * interval;
  runs.push(
    produceLoad({
      ...o,
      partitions: [share.partitions[g % share.partitions.length]!],
      targetRecordsPerSecond: share.ratePerConnection,
      maxRecords: Number.MAX_SAFE_INTEGER,
      maxMs: share.warmupMs + o.maxMs,
      startAtMicros: startAt + phase,
      latencyFromMicros: measureFrom,
      // Under overload an answer may take seconds: a latency to record, not a lost connection.
      responseTimeoutMs: share.warmupMs + o.maxMs + 60_000,
      beforeClose: () => {
        if (++finished === share.connections) allFinished();
        return allDone;
      },
      onAck: (firstSequence, records, ok) => {
        if (ok && startAt + phase + (firstSequence / o.recordsPerBatch) * interval >= measureFrom) measuredPerConnection[k] = measuredPerConnection[k]! + records;
      },
    }),
  );
  // Opened at a bounded pace: a burst of a thousand SYNs at once overflows
  // the listen backlog (511) and costs the late ones a 1 s retransmit.
  if (k % share.openBurst === share.openBurst - 1) await new Promise((r) => setTimeout(r, 1));
}
const results = await Promise.all(runs);
const elu = performance.eventLoopUtilization(elu0);
loopDelay.disable();
const latency = newLatencyHistogram();
for (const r of results) latency.add(r.latency);
const summary: ThreadSummary = {
  connections: results.length,
  sentRecords: results.reduce((n, r) => n + r.sentRecords, 0),
  ackedRecords: results.reduce((n, r) => n + r.ackedRecords, 0),
  measuredPerConnection,
  errors: results.reduce((n, r) => n + r.errors, 0),
  firstError: results.find((r) => r.firstError)?.firstError ?? null,
  bytes: results.reduce((n, r) => n + r.bytes, 0),
  seconds: Math.max(...results.map((r) => r.seconds)),
  eventLoopBusy: elu.utilization,
  eventLoopDelayMs: { p99: loopDelay.percentile(99) / 1e6, max: loopDelay.max / 1e6 },
  latency,
};
parentPort!.postMessage(summary);
