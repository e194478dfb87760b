// The pieces of the latency scenario: a producer on its own thread whose
// stamps read back on this thread's clock, the load consumer's stop signal
// and per-record hook, the accounting from the assignment, and the deadline.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { consumeLoad } from '../src/client/load/consumer.js';
import { nowMs, startProducerThread } from '../src/client/load/producer-thread.js';
import { atMost, Deadline } from '../src/lab/new-group/deadline.js';
import { AfterAssignment } from '../src/lab/new-group/measure.js';
import { startTestBroker, type TestBroker } from './helpers/broker.js';

describe('a producer thread and the load consumer', () => {
  let broker: TestBroker;
  beforeAll(async () => {
    broker = await startTestBroker();
    broker.broker.topics.create('thread', 1);
  });
  afterAll(async () => broker.destroy());

  it("stamps records on its own clock, read back on this one's; stopping early reads no further", async () => {
    const before = nowMs();
    const producer = await startProducerThread({ host: '127.0.0.1', port: broker.port, topic: 'thread', partitions: [0], recordsPerBatch: 10, valueBytes: 100, acks: 1, window: 8, targetRecordsPerSecond: 0, maxRecords: 1000, maxMs: 20_000 });
    // It stops by itself at maxRecords: `failed` says so.
    await expect(producer.failed).rejects.toThrow(/ended \(exit code 0\) before it was stopped/);
    const after = nowMs();
    const sent: number[] = [];
    const stop = new AbortController();
    const onRecord = (r: { sentMicros: number }): void => {
      sent.push(producer.sentMs(r.sentMicros));
      stop.abort();
    };
    // 2 KiB a fetch: the first answer holds a few of the 1,000 records.
    const c = await consumeLoad({ host: '127.0.0.1', port: broker.port, topic: 'thread', from: new Map([[0, 0n]]), expectRecords: 1000, maxMs: 20_000, maxBytes: 1 << 20, partitionMaxBytes: 2048, stop: stop.signal, onRecord });
    expect(c.fetches).toBe(1);
    expect(c.received).toBe(sent.length);
    expect(sent.length).toBeGreaterThan(0);
    expect(sent.length).toBeLessThan(1000);
    for (const s of sent) expect(s >= before && s <= after).toBe(true);
    await producer.stop();
  });
});

describe('latency from the assignment', () => {
  it('counts only records sent after the assignment, until one sent a window later arrives', async () => {
    const m = new AfterAssignment(2000);
    expect(m.stage).toBe('no assignment yet');
    expect(m.record(90, 100)).toBe(false); // before the assignment: in "all" only
    m.assigned(100);
    m.assigned(500); // a later rebalance does not move it
    expect(m.record(99, 110)).toBe(false); // sent before it
    expect(m.record(104, 130)).toBe(false); // the first after it: 26 ms
    expect(m.record(1200, 1205)).toBe(false); // after the first second: 5 ms
    expect(m.record(2100, 2101)).toBe(true); // sent at the window's end: over
    expect(m.record(2200, 2201)).toBe(true); // no longer counted
    await m.over;
    const r = m.result();
    expect([r.firstAfterMs, r.firstSentAfterMs]).toEqual([30, 4]);
    expect([r.afterAssignment.count, r.afterFirstSecond.count, r.all.count]).toEqual([2, 1, 5]);
    expect(r.afterAssignment.maxMs).toBeCloseTo(26, 1);
    expect(r.afterFirstSecond.maxMs).toBeCloseTo(5, 1);
    expect(r.timeline.maxMs[0]).toBe(26);
    expect(r.timeline.maxMs[11]).toBe(5);
    expect(r.timeline.maxMs.slice(1, 11).every((x) => x === null)).toBe(true);
  });

  it('a deadline fails what is still pending with the reason at that moment, and never fires once cleared', async () => {
    vi.useFakeTimers();
    try {
      let stage = 'joining';
      const d = new Deadline(5000, () => stage);
      const pending = d.race(new Promise(() => undefined));
      stage = 'reading';
      vi.advanceTimersByTime(5000);
      await expect(pending).rejects.toThrow('reading after 5 s');
      const cleared = new Deadline(5000, () => 'late');
      const done = cleared.race(Promise.resolve('done'));
      cleared.clear();
      vi.advanceTimersByTime(10_000);
      await expect(done).resolves.toBe('done');
      const cleanup = atMost(1000, new Promise(() => undefined));
      vi.advanceTimersByTime(1000);
      await expect(cleanup).resolves.toBeUndefined();
    } finally {
      vi.useRealTimers();
    }
  });
});
