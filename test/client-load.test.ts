// The load generator against a real broker: stamped records come back with
// exact lost/duplicated counts, a fixed rate is kept, and a consumer that
// reads a partition twice reports the duplicates.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { consumeLoad } from '../src/client/load/consumer.js';
import { summarize } from '../src/client/load/histogram.js';
import { IntegrityTracker, MAX_TRACKED_SEQUENCE } from '../src/client/load/integrity.js';
import { produceLoad } from '../src/client/load/producer.js';
import { startTestBroker, type TestBroker } from './helpers/broker.js';
import { until } from './helpers/until.js';

describe('load generator', () => {
  let broker: TestBroker;
  beforeAll(async () => {
    broker = await startTestBroker();
    broker.broker.topics.create('load', 2);
  });
  afterAll(async () => broker.destroy());

  it('produces stamped records as fast as acknowledged, and the consumer accounts for every one', async () => {
    const p = await produceLoad({ host: '127.0.0.1', port: broker.port, topic: 'load', partitions: [0, 1], recordsPerBatch: 10, valueBytes: 100, acks: 1, window: 8, targetRecordsPerSecond: 0, maxRecords: 5000, maxMs: 20_000 });
    expect([p.sentRecords, p.ackedRecords, p.errors]).toEqual([5000, 5000, 0]);
    expect(summarize(p.latency).count).toBe(500);
    const c = await consumeLoad({ host: '127.0.0.1', port: broker.port, topic: 'load', from: new Map([[0, 0n], [1, 0n]]), expectRecords: 5000, maxMs: 20_000, maxBytes: 1 << 20, partitionMaxBytes: 64 * 1024 });
    expect(c.integrity.report('run', new Map([[p.producerId, p.sentRecords]]))).toEqual({ run: 'run', sent: 5000, received: 5000, lost: 0, duplicated: 0 });
    expect(summarize(c.latency).count).toBe(5000);
    // Reading partition 0 again: its records count as duplicates, none lost.
    const again = await consumeLoad({ host: '127.0.0.1', port: broker.port, topic: 'load', from: new Map([[0, 0n]]), expectRecords: 2500, maxMs: 20_000, maxBytes: 1 << 20, partitionMaxBytes: 64 * 1024, integrity: c.integrity });
    expect(again.received).toBe(2500);
    expect(c.integrity.report('run', new Map([[p.producerId, p.sentRecords]]))).toMatchObject({ lost: 0, duplicated: 2500 });
    // With a group: an OffsetCommit after each fetch, the broker holding the last position.
    const committing = await consumeLoad({ host: '127.0.0.1', port: broker.port, topic: 'load', from: new Map([[1, 0n]]), expectRecords: 2500, maxMs: 20_000, maxBytes: 1 << 20, partitionMaxBytes: 16 * 1024, commitGroup: 'load-committers' });
    expect(committing.commits).toBe(committing.fetches);
    expect(committing.commits).toBeGreaterThan(1);
    expect(broker.broker.coordinator.committed('load-committers', 'load', 1).offset).toBe(committing.positions.get(1));
  });

  it('produces at Produce v13 by topic id, and refuses to start without the id', async () => {
    broker.broker.topics.create('load-by-id', 1);
    const topicId = broker.broker.topics.get('load-by-id')!.id;
    const options = { host: '127.0.0.1', port: broker.port, topic: 'load-by-id', partitions: [0], recordsPerBatch: 10, valueBytes: 50, acks: 1, window: 4, targetRecordsPerSecond: 0, maxRecords: 400, maxMs: 20_000, apiVersion: 13 } as const;
    const p = await produceLoad({ ...options, topicId });
    expect([p.ackedRecords, p.errors]).toEqual([400, 0]);
    expect(broker.broker.engine.highWatermark({ topic: 'load-by-id', partition: 0 })).toBe(400n);
    await expect(produceLoad(options)).rejects.toThrow(/Produce v13 names topics by id/);
  });

  it('awaits beforeClose once every answer is in, and only then finishes', async () => {
    const events: string[] = [];
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let acked = 0;
    const run = produceLoad({
      host: '127.0.0.1', port: broker.port, topic: 'load', partitions: [0], recordsPerBatch: 5, valueBytes: 32, acks: 1, window: 4, targetRecordsPerSecond: 0, maxRecords: 200, maxMs: 10_000,
      onAck: (_first, records) => (acked += records),
      beforeClose: () => {
        events.push(`beforeClose after ${acked} acked`);
        return held;
      },
    }).then((r) => {
      events.push('finished');
      return r;
    });
    await until('beforeClose is called', () => events.length > 0);
    // Still held open: nothing settles until the fleet lets go.
    await new Promise((r) => setImmediate(r));
    expect(events).toEqual(['beforeClose after 200 acked']);
    release();
    expect((await run).ackedRecords).toBe(200);
    expect(events).toEqual(['beforeClose after 200 acked', 'finished']);
  });

  it('keeps a fixed rate, and counts records never seen as lost', async () => {
    const p = await produceLoad({ host: '127.0.0.1', port: broker.port, topic: 'load', partitions: [0], recordsPerBatch: 5, valueBytes: 64, acks: -1, window: 4, targetRecordsPerSecond: 2000, maxRecords: 1000, maxMs: 10_000 });
    expect(p.ackedRecords).toBe(1000);
    expect(p.seconds).toBeGreaterThan(0.45);
    expect(p.seconds).toBeLessThan(2);
    const tracker = new IntegrityTracker();
    for (let s = 0; s < 990; s++) tracker.add(p.producerId, s);
    expect(tracker.report('partial', new Map([[p.producerId, 1000]]))).toMatchObject({ lost: 10, duplicated: 0 });
  });

  it('counts a stamp no load tool writes as foreign, without growing a bitmap to its sequence', () => {
    const tracker = new IntegrityTracker();
    tracker.add(7n, MAX_TRACKED_SEQUENCE);
    expect([tracker.received, tracker.foreign]).toEqual([1, 0]);
    [MAX_TRACKED_SEQUENCE + 1, 776_000_000, -1, 1.5, Number.NaN, 2 ** 53].forEach((s, i) => {
      tracker.add(7n, s);
      expect([tracker.received, tracker.foreign]).toEqual([1, i + 1]);
    });
    expect(tracker.has(7n, MAX_TRACKED_SEQUENCE)).toBe(true);
    expect(tracker.report('foreign', new Map([[7n, 1]]))).toMatchObject({ received: 1, lost: 1, duplicated: 0 });
  });
});
