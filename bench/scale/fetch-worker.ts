// The body of one fetch-fleet thread (fetch-fleet.ts): says it is ready,
// waits for the word, then runs its consumers, each reading the partition
// from start to end, and sends back what they read.
import { performance } from 'node:perf_hooks';
import { parentPort, workerData } from 'node:worker_threads';
import { fetchLoop } from '../../src/client/load/fetch-loop.js';
import type { FetchShare, FetchThreadSummary } from './fetch-fleet.js';

const share = workerData as FetchShare;
parentPort!.once('message', async () => {
  const elu0 = performance.eventLoopUtilization();
  const runs = await Promise.all(
    Array.from({ length: share.consumers }, () => fetchLoop(share.host, share.port, share.topic, share.endOffset, share.recordsPerBatch, share.batchBytes, share.maxBytes)),
  );
  const summary: FetchThreadSummary = { bytes: runs.map((r) => r.bytes), seconds: runs.map((r) => r.seconds), eventLoopBusy: performance.eventLoopUtilization(elu0).utilization };
  parentPort!.postMessage(summary);
});
parentPort!.postMessage('ready');
