// Partition 0 of a topic filled as fast as the broker answers: one
// connection, a window of pipelined requests, acks=1. What every benchmark
// does to have a log to measure (or to measure the filling itself).
import { produceLoad, type ProducerLoadResult } from '../../src/client/load/producer.js';

export interface FillSettings {
  topic: string;
  recordsPerBatch: number;
  valueBytes: number;
  maxRecords: number;
  window?: number;
}

/** Throws, naming `what`, if any request failed. */
export async function fillPartition(broker: { host: string; port: number }, s: FillSettings, what: string): Promise<ProducerLoadResult> {
  const load = await produceLoad({
    host: broker.host,
    port: broker.port,
    topic: s.topic,
    partitions: [0],
    recordsPerBatch: s.recordsPerBatch,
    valueBytes: s.valueBytes,
    acks: 1,
    window: s.window ?? 64,
    targetRecordsPerSecond: 0,
    maxRecords: s.maxRecords,
    maxMs: 600_000,
  });
  if (load.errors > 0) throw new Error(`${what} failed: ${load.firstError}`);
  return load;
}
