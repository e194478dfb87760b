// A producer at a fixed rate and a consumer tailing the same partition at
// the same time: the shape of end-to-end latency and live-swap runs.
import { Admin } from '../../client/admin.js';
import { consumeLoad, type ConsumerLoadResult } from '../../client/load/consumer.js';
import type { ProducerLoadResult } from '../../client/load/producer.js';
import type { BrokerProcess } from '../broker-process.js';
import type { IntegrityCheck } from '../results.js';
import { produce } from './common.js';

export interface TailRun {
  p: ProducerLoadResult;
  c: ConsumerLoadResult;
  integrity: IntegrityCheck;
}

export async function tailRun(b: BrokerProcess, o: { topic: string; rate: number; seconds: number; valueBytes: number; recordsPerBatch: number; run: string; onTick?: (elapsedMs: number, admin: Admin) => Promise<void> }): Promise<TailRun> {
  const total = Math.round(o.rate * o.seconds);
  const admin = await Admin.connect(b.bootstrap);
  try {
    const consuming = consumeLoad({
      host: b.host,
      port: b.port,
      topic: o.topic,
      from: new Map([[0, 0n]]),
      expectRecords: total,
      maxMs: o.seconds * 1000 + 30_000,
      maxBytes: 4 * 1024 * 1024,
      partitionMaxBytes: 4 * 1024 * 1024,
      maxWaitMs: 500,
      onTick: o.onTick ? (ms) => o.onTick!(ms, admin) : undefined,
    });
    const p = await produce(b, { topic: o.topic, partitions: [0], recordsPerBatch: o.recordsPerBatch, valueBytes: o.valueBytes, acks: 1, window: 64, targetRecordsPerSecond: o.rate, maxRecords: total, maxMs: o.seconds * 1000 + 30_000 });
    const c = await consuming;
    return { p, c, integrity: c.integrity.report(o.run, new Map([[p.producerId, p.sentRecords]])) };
  } finally {
    admin.close();
  }
}
