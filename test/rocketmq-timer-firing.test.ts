// The timer store on its own, over an in-process broker: each delayed
// message is appended at its own delivery time, not when its wheel slot
// ends (slots of 2 s here, so the difference is plain); a message scheduled
// into the slot being fired, or recalled from it, is honoured; a request's
// messages stored together (one timer-log write, across a file roll) all
// come, each once, and survive a restart; and a restart in the middle of a
// slot does not append again what was appended before it.
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { RocketMessage } from '../src/broker/rocketmq/message-record.js';
import { TimerError, TimerStore, type Scheduled, type TimerSettings } from '../src/broker/rocketmq/timer/timer-store.js';
import { scanRecords } from '../src/broker/rocketmq/transaction/half-log-read.js';
import { startTestBroker, type TestBroker } from './helpers/broker.js';
import { tempDir } from './helpers/files.js';
import { until } from './helpers/until.js';

const TP = { topic: 'later', partition: 0 };

function message(id: string, deliverMs: number): RocketMessage {
  return { messageId: id, body: Buffer.from(id), tag: null, keys: [], messageGroup: null, deliveryTimestampMs: BigInt(deliverMs), bornTimestampMs: BigInt(Date.now()), bornHost: '', bodyEncoding: 'IDENTITY', traceContext: null, userProperties: new Map() };
}

const at = (id: string, deliverMs: number): Scheduled => ({ topic: TP.topic, partition: 0, message: message(id, deliverMs), deliverMs });

describe('timer store firing', () => {
  let broker: TestBroker | undefined;
  let store: TimerStore | undefined;
  const tmp = tempDir('mqlab-timer-');
  afterEach(async () => {
    await store?.close();
    store = undefined;
    await broker?.destroy();
    broker = undefined;
  });
  afterAll(() => tmp.cleanup());

  async function setup(settings: Partial<TimerSettings> = {}): Promise<{ open: () => TimerStore; appended: Map<string, number> }> {
    broker = await startTestBroker();
    broker.broker.createTopic(TP.topic, 1);
    // Each message's append time, taken as the timer's produce returns.
    const appended = new Map<string, number>();
    let next = 0n;
    const ignore = (): void => undefined;
    broker.broker.observe({
      fetched: ignore,
      failed: ignore,
      produced: () => {
        const now = Date.now();
        scanRecords(broker!.broker.engine, TP, next, (r) => {
          const id = r.record.value!.toString();
          appended.set(id, appended.has(id) ? -1 : now); // -1: appended twice
          next = r.offset + 1n;
        });
      },
    });
    const full: TimerSettings = { precisionMs: 2_000, maxDelayMs: 60_000, maxPending: 1_000, maxLogBytes: 1 << 30, fileBytes: 64 * 1024, ...settings };
    const dir = `${tmp.dir}/${Date.now()}-${Math.random()}`;
    const open = (): TimerStore => {
      store = new TimerStore(broker!.broker, dir, full, { kind: 'none' });
      store.open();
      return store;
    };
    return { open, appended };
  }

  it('appends each message at its own delivery time, not at the end of its 2 s slot', async () => {
    const { open, appended } = await setup();
    const s = open();
    // Early, middle and late in the slot after the current one: slot-end firing would make them 1.8, 1.3 and 0.3 s late.
    const slotStart = (Math.floor(Date.now() / 2_000) + 1) * 2_000;
    const due = new Map([['a', slotStart + 200], ['b', slotStart + 700], ['c', slotStart + 1_700]]);
    const handles = await s.scheduleAll([...due].map(([id, ms]) => at(id, ms)));
    expect(handles.every((h) => typeof h === 'string')).toBe(true);
    await until('all three appended', () => appended.size === 3, 10_000_000);
    for (const [id, ms] of due) {
      const lateness = appended.get(id)! - ms;
      expect(lateness, id).toBeGreaterThanOrEqual(0);
      expect(lateness, id).toBeLessThan(250);
    }
  });

  it('a message scheduled into the slot being fired comes on time; one recalled from it never comes', async () => {
    const { open, appended } = await setup();
    const s = open();
    // Into the current slot, which the store opened at start: leave room before it ends.
    await until('enough of the current slot left', () => 2_000 - (Date.now() % 2_000) > 600, 10_000_000);
    const now = Date.now();
    const [kept, recalled] = await s.scheduleAll([at('kept', now + 300), at('recalled', now + 250)]);
    await s.recall(TP.topic, recalled as string);
    await until('the kept one appended', () => appended.has('kept'), 10_000_000);
    expect(appended.get('kept')! - (now + 300)).toBeGreaterThanOrEqual(0);
    expect(appended.get('kept')! - (now + 300)).toBeLessThan(250);
    expect(typeof kept).toBe('string');
    // The recalled one was due first: it would be there by now.
    expect([...appended.keys()]).toEqual(['kept']);
    expect(s.stats()).toMatchObject({ pending: 0, fired: 1 });
  });

  it('stores a request of many messages together, across a timer-log file roll; a restart keeps them (and a recall), each comes once', async () => {
    const { open, appended } = await setup({ precisionMs: 100, fileBytes: 4_096 });
    let s = open();
    const base = Date.now() + 1_500;
    const items = Array.from({ length: 200 }, (_, i) => at(`m${i}`, base + ((i * 37) % 1_000)));
    items.push(at('too far', Date.now() + 120_000));
    const out = await s.scheduleAll(items);
    expect(out.slice(0, 200).every((h) => typeof h === 'string')).toBe(true);
    expect(out[200]).toBeInstanceOf(TimerError);
    expect((out[200] as TimerError).code).toBe('ILLEGAL_DELIVERY_TIME');
    expect(s.stats().logBytes).toBeGreaterThan(4_096); // more than one file
    await s.recall(TP.topic, out[7] as string);
    expect(s.stats().pending).toBe(199);
    await s.close();
    s = open(); // the wheel rebuilt from the log
    expect(s.stats().pending).toBe(199);
    await until('199 appended', () => appended.size === 199, 10_000_000);
    for (const { message: m, deliverMs } of items.slice(0, 200)) {
      if (m.messageId === 'm7') continue;
      expect(appended.get(m.messageId)! - deliverMs, m.messageId).toBeGreaterThanOrEqual(0);
    }
    expect(appended.has('m7')).toBe(false);
    expect(s.stats()).toMatchObject({ pending: 0, fired: 199 });
  });

  it('a restart in the middle of a slot does not append again what was appended before it', async () => {
    const { open, appended } = await setup();
    let s = open();
    await until('enough of the current slot left', () => 2_000 - (Date.now() % 2_000) > 1_000, 10_000_000);
    const now = Date.now();
    await s.scheduleAll([at('first', now + 100), at('second', now + 700)]);
    await until('the first appended', () => appended.has('first'), 10_000_000);
    await s.close();
    s = open();
    expect(s.stats().pending).toBe(1);
    await until('the second appended', () => appended.has('second'), 10_000_000);
    expect(broker!.broker.engine.highWatermark(TP)).toBe(2n);
    expect([appended.get('first'), appended.get('second')].every((t) => t! > 0)).toBe(true);
  });
});
