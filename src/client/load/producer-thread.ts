// The load producer on a thread of its own, for end-to-end latency runs
// whose consumer works on the main thread: a consumer decoding there must
// not delay sends, or latency measured from the intended send time would
// count the consumer's own CPU as broker latency.
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import { packageRoot } from '../../native/addon.js';
import type { ProducerLoadOptions } from './producer.js';

/** Milliseconds since the epoch at µs resolution, comparable across the threads of this process. */
export const nowMs = (): number => performance.timeOrigin + performance.now();

/** What can cross to a thread: no callbacks, no AbortSignal. */
export type ThreadProducerOptions = Omit<ProducerLoadOptions, 'stop' | 'onAck'>;

export interface ProducerThread {
  /** A record's stamp (µs on the producer thread's clock) in nowMs() terms. */
  sentMs(stampMicros: number): number;
  /** Rejects if the producer stops before stop(): a failure, or its maxMs/maxRecords reached. */
  readonly failed: Promise<never>;
  /** Ends the thread, and with it the producer's connection. */
  stop(): Promise<void>;
}

export async function startProducerThread(o: ThreadProducerOptions): Promise<ProducerThread> {
  // The built JavaScript, also when the caller runs as TypeScript (the
  // tests): a worker cannot load a .ts file.
  const worker = new Worker(join(packageRoot(), 'dist', 'src', 'client', 'load', 'producer-worker.js'), { workerData: o });
  let stopping = false;
  const failed = new Promise<never>((_, reject) => {
    worker.once('error', reject);
    worker.once('exit', (code) => {
      if (!stopping) reject(new Error(`the producer thread ended (exit code ${code}) before it was stopped`));
    });
  });
  failed.catch(() => undefined); // for callers that never race it
  let origin: number;
  try {
    origin = await Promise.race([new Promise<number>((resolve) => worker.once('message', resolve)), failed]);
  } catch (err) {
    stopping = true;
    await worker.terminate();
    throw err;
  }
  return {
    sentMs: (stampMicros) => origin + stampMicros / 1000,
    failed,
    async stop() {
      stopping = true;
      await worker.terminate();
    },
  };
}
