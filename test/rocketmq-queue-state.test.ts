// A queue's pop state answers what a receive and a commit ask (what is due,
// the lowest offset out, the next deadline, what the log's bounds drop)
// from an ordered index and a deadline heap, not by looking at every message
// out. Every way a deadline changes (a delivery, a renewal or new invisible
// time, a move to the DLQ and its retry, a restart's restored state) must
// reach the heap, or a message would stay invisible past its time; the
// model test holds the state to a plain scan of every message out.
import { describe, expect, it } from 'vitest';
import { QueueState, type DeliveryOptions, type Outstanding } from '../src/broker/rocketmq/queue-state.js';
import { fuzzSeed, Prng } from './helpers/prng.js';

const plain: DeliveryOptions = { messageGroup: null, priorAttempts: 0, renewFor: null, renewMs: 0, renewUntil: 0 };

describe('QueueState.expired', () => {
  it('finds what is due, oldest offset first, whichever way its deadline was set', () => {
    const s = new QueueState(0);
    s.deliver(5, 1_000, 't1', plain);
    s.deliver(3, 2_000, 't1', plain);
    s.deliver(9, 3_000, 't1', plain);
    expect(s.expired(999)).toEqual([]);
    expect(s.expired(2_000)).toEqual([3, 5]);
    // Delivered again (later deadlines): nothing due until then.
    s.deliver(3, 10_000, 't2', plain);
    s.deliver(5, 10_000, 't2', plain);
    expect(s.expired(2_500)).toEqual([]);
    expect(s.expired(3_000)).toEqual([9]);
    s.deliver(9, 10_000, 't2', plain);
    expect(s.expired(9_999)).toEqual([]);
    // A new invisible time earlier than every other deadline is found at once.
    s.setDeadline(5, s.get(5)!, 4_000);
    expect(s.expired(4_000)).toEqual([5]);
    s.setDeadline(5, s.get(5)!, Infinity); // bound for the DLQ: never due
    expect(s.expired(9_999)).toEqual([]);
    expect(s.expired(10_000)).toEqual([3, 9]);
    s.drop(3);
    s.drop(9);
    expect(s.expired(1e12)).toEqual([]);
  });

  it('finds what a restart restored as due', () => {
    const s = new QueueState(0);
    s.deliver(1, 50_000, 't', plain);
    expect(s.expired(10_000)).toEqual([]);
    s.restore({ outstanding: new Map([[7, { attempt: 2, deadline: 5_000, token: 'old', toDeadLetter: false, ...plain }]]), done: new Set() });
    expect(s.expired(10_000)).toEqual([7]);
  });
});

describe('QueueState checkpoints', () => {
  it('keeps a receive\'s first deliveries as one, acks them one by one, and splits one out when its state changes', () => {
    const s = new QueueState(0);
    for (let offset = 0; offset < 4; offset++) {
      s.nextScan = offset + 1;
      expect(s.deliver(offset, 5_000, 'r1', plain).attempt).toBe(1);
    }
    expect([s.lowWatermark(), s.nextDeadline()]).toEqual([0, 5_000]);
    expect(s.ack(1, 'r1')).toBe('acked');
    expect(s.ack(1, 'r1')).toBe('already-done');
    expect(s.ack(2, 'other')).toBe('stale-handle');
    // A new invisible time: offset 2 leaves the checkpoint with its state, the others keep theirs.
    s.setDeadline(2, s.get(2)!, 9_000);
    expect(s.expired(6_000)).toEqual([0, 3]);
    expect(s.ack(0, 'r1')).toBe('acked');
    expect(s.ack(3, 'r1')).toBe('acked');
    expect([s.lowWatermark(), s.nextDeadline()]).toEqual([2, 9_000]);
    expect(s.ack(2, 'r1')).toBe('acked');
    expect(s.idle()).toBe(true);
  });

  it('finds a checkpoint made after the log was cut back below one acked since', () => {
    const s = new QueueState(0);
    s.clamp(0, 20);
    for (let offset = 0; offset < 20; offset++) {
      s.nextScan = offset + 1;
      s.deliver(offset, 5_000, 'r1', plain);
    }
    // The log cut back to 10: offsets 10 on are gone, 0 to 9 still out.
    s.clamp(0, 10);
    for (let offset = 0; offset < 10; offset++) expect(s.ack(offset, 'r1')).toBe('acked');
    expect(s.lowWatermark()).toBe(10);
    s.clamp(0, 20);
    for (let offset = 10; offset < 20; offset++) {
      s.nextScan = offset + 1;
      s.deliver(offset, 5_000, 'r2', plain);
    }
    expect(s.lowWatermark()).toBe(10);
    for (let offset = 10; offset < 20; offset++) expect(s.ack(offset, 'r2')).toBe('acked');
    expect(s.lowWatermark()).toBe(20);
  });
});

/** What the state must answer, by looking at every message out each time. */
class PlainState {
  readonly out = new Map<number, { deadline: number; token: string }>();
  /** A retry topic's topics' own scans. */
  readonly topicScans = new Map<string, number>();
  /** Offsets revived lately: their handles are stale. */
  readonly revived: number[] = [];
  nextScan = 0;

  expired(now: number): number[] {
    return [...this.out].filter(([, o]) => o.deadline <= now).map(([k]) => k).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  }

  low(): number {
    let low = this.nextScan;
    for (const k of this.out.keys()) if (k < low) low = k;
    for (const k of this.topicScans.values()) if (k < low) low = k;
    return low;
  }

  nextDeadline(): number | null {
    let min: number | null = null;
    for (const o of this.out.values()) if (min === null || o.deadline < min) min = o.deadline;
    return min;
  }
}

describe('QueueState retries', () => {
  it('counts a retry copy\'s first delivery on from its prior attempts; a revived offset\'s handle is stale, an acked one\'s acks again', () => {
    const s = new QueueState(0);
    expect(s.deliver(0, 1_000, 't1', { ...plain, priorAttempts: 4 }).attempt).toBe(5);
    expect(s.deliver(0, 2_000, 't2', plain).attempt).toBe(6);
    s.deliver(1, 1_000, 't1', plain);
    s.nextScan = 2;
    s.revive(0);
    expect(s.ack(0, 't2')).toBe('stale-handle');
    expect(s.ack(1, 't1')).toBe('acked');
    expect(s.ack(1, 't1')).toBe('already-done');
    expect(s.ack(2, 't1')).toBe('never-delivered');
    expect(s.lowWatermark()).toBe(2);
  });

  it('keeps the committed offset below each topic\'s scan of a retry topic, and what was done before a restart until every scan has passed it', () => {
    const s = new QueueState(0);
    s.restore({ outstanding: new Map(), done: new Set([4, 6]) });
    s.nextScan = 9;
    s.topicScans.set('mail', 3);
    s.topicScans.set('jobs', 5);
    expect(s.lowWatermark()).toBe(3);
    s.clamp(0, 9);
    // mail's scan has yet to pass 4 and 6, done before the restart: it still passes over them.
    expect([s.passOver(4), s.passOver(6)]).toEqual([true, true]);
    s.topicScans.set('mail', 9);
    expect(s.lowWatermark()).toBe(5);
    s.topicScans.delete('jobs');
    expect(s.lowWatermark()).toBe(9);
    s.clamp(0, 7); // the log cut back: no scan past its end
    expect([s.nextScan, s.topicScans.get('mail')]).toEqual([7, 7]);
  });
});

describe('QueueState against a plain scan of every message out', () => {
  it('gives the same answers over random deliveries, acks, renewals, revivals, topic scans, restores and log bounds', () => {
    const seed = fuzzSeed('QUEUE_STATE_SEED', 'queue state model');
    const r = new Prng(seed);
    for (let run = 0; run < 16; run++) {
      const s = new QueueState(0);
      const m = new PlainState();
      let now = 1_000;
      let logStart = 0;
      let end = 0;
      let tokens = 0;
      // Some runs keep one message out throughout, with deadlines far off: stale
      // entries pile up behind it in the index and the heap, until they are compacted.
      const far = r.chance(0.5);
      let pinned: number | null = null;
      const pin = r.chance(0.5);
      // Consumers that keep up (few out) or fall behind (many).
      const ackWeight = r.pick([12, 20, 45]);
      const live = (): number[] => [...m.out.keys()].filter((k) => k !== pinned);
      const deadline = (): number => r.chance(0.05) ? Infinity : now + r.range(0, far ? 10_000_000 : 5_000);
      // Runs differ in scale: a few messages out, or thousands (past the index's compaction slack).
      const steps = r.pick([200, 2_000, 4_000]);
      for (let step = 0; step < steps; step++) {
        const op = r.weighted<string>([[30, 'scan'], [ackWeight, 'ack'], [8, 'redeliver'], [6, 'deadline'], [5, 'drop'], [4, 'revive'], [3, 'topic-scan'], [15, 'time'], [4, 'append'], [2, 'start'], [1, 'truncate'], [1, 'restore'], [8, 'ask']]);
        if (op === 'append') end += r.range(1, 300);
        else if (op === 'scan' && s.nextScan < end) {
          s.clamp(logStart, end);
          m.nextScan = s.nextScan;
          for (const [t, k] of m.topicScans) m.topicScans.set(t, Math.min(Math.max(k, logStart), m.nextScan));
          const n = r.range(1, 40);
          // Mostly as a receive takes them: one token and deadline for all (its checkpoint, or two past 32).
          const receive = r.chance(0.7);
          const receiveToken = `t${tokens++}`;
          const receiveDeadline = deadline();
          for (let i = 0; i < n && s.nextScan < end; i++) {
            const offset = s.nextScan;
            s.nextScan = offset + 1;
            m.nextScan = s.nextScan;
            if (s.passOver(offset) || r.chance(0.1)) continue; // filtered out
            const token = receive ? receiveToken : `t${tokens++}`;
            const d = receive ? receiveDeadline : deadline();
            s.deliver(offset, d, token, plain);
            m.out.set(offset, { deadline: d, token });
            if (pin && pinned === null) pinned = offset;
          }
        } else if (op === 'ack' && live().length > 0) {
          // Mostly in order, sometimes any of them, sometimes with an old handle.
          const keys = live().sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
          for (let n = r.range(1, 40); n > 0 && keys.length > 0; n--) {
            const offset = keys.splice(r.chance(0.7) ? 0 : r.int(keys.length), 1)[0]!;
            const o = m.out.get(offset)!;
            const stale = r.chance(0.1);
            const outcome = s.ack(offset, stale ? 'old' : o.token);
            expect(outcome).toBe(stale ? 'stale-handle' : 'acked');
            if (!stale) m.out.delete(offset);
          }
        } else if (op === 'redeliver' && live().length > 0) {
          const offset = r.pick(live());
          const token = `t${tokens++}`;
          const d = deadline();
          s.deliver(offset, d, token, plain);
          m.out.set(offset, { deadline: d, token });
        } else if (op === 'deadline' && live().length > 0) {
          const offset = r.pick(live());
          const d = deadline();
          s.setDeadline(offset, s.get(offset)!, d);
          m.out.get(offset)!.deadline = d;
        } else if (op === 'drop' && live().length > 0) {
          const offset = r.pick(live());
          s.drop(offset);
          m.out.delete(offset);
        } else if (op === 'revive' && live().length > 0) {
          // Copied to the retry topic: gone from the queue, and a handle of it (any) is stale, not acked twice.
          const offset = r.pick(live());
          s.revive(offset);
          m.out.delete(offset);
          m.revived.push(offset);
          const ask = r.pick(m.revived.slice(-1024));
          if (!m.out.has(ask) && ask < s.nextScan) expect(s.ack(ask, r.chance(0.5) ? 'old' : `t${tokens}`)).toBe('stale-handle');
        } else if (op === 'topic-scan' && s.nextScan > logStart) {
          // One of a retry topic's topics scanned on its own, somewhere below how far the topics are known.
          const topic = r.pick(['jobs', 'mail', 'audit']);
          if (r.chance(0.2)) {
            s.topicScans.delete(topic);
            m.topicScans.delete(topic);
          } else {
            const at = r.range(logStart, s.nextScan + 1);
            s.topicScans.set(topic, at);
            m.topicScans.set(topic, at);
          }
        } else if (op === 'time') now += r.range(0, 2_000);
        else if (op === 'start' && logStart < end) {
          logStart += r.range(0, end - logStart);
          if (pinned !== null && logStart > pinned) logStart = pinned; // retention has not reached it
          s.clamp(logStart, end);
          for (const k of m.out.keys()) if (k < logStart) m.out.delete(k);
          m.nextScan = s.nextScan;
          for (const [t, k] of m.topicScans) m.topicScans.set(t, Math.min(Math.max(k, logStart), m.nextScan));
        } else if (op === 'truncate' && end > logStart) {
          end -= r.range(0, Math.min(50, end - logStart));
          if (pinned !== null && end <= pinned) end = pinned + 1;
          s.clamp(logStart, end);
          for (const k of m.out.keys()) if (k >= end) m.out.delete(k);
          m.nextScan = s.nextScan;
          for (const [t, k] of m.topicScans) m.topicScans.set(t, Math.min(Math.max(k, logStart), m.nextScan));
        } else if (op === 'restore') {
          // A restart's state arrives for offsets not yet out (as the journal's replay gives them).
          const restored = new Map<number, Outstanding>();
          for (let i = 0; i < r.range(1, 5); i++) {
            const offset = r.range(logStart, end + 10);
            if (m.out.has(offset) || offset >= end) continue;
            const d = deadline();
            restored.set(offset, { attempt: 2, deadline: d, token: 'r', toDeadLetter: false, ...plain });
            m.out.set(offset, { deadline: d, token: 'r' });
          }
          s.restore({ outstanding: restored, done: new Set() });
        } else if (op === 'ask' && r.chance(0.3)) {
          // A receive looks at k of them: those whose time ran out first, in offset order; the rest stay due.
          const k = r.range(1, 40);
          const all = m.expired(now);
          const some = s.expired(now, k);
          expect(some.length).toBe(Math.min(k, all.length));
          expect([...some].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))).toEqual(some);
          const latestTaken = Math.max(-Infinity, ...some.map((o) => m.out.get(o)!.deadline));
          for (const o of all) if (!some.includes(o)) expect(m.out.get(o)!.deadline).toBeGreaterThanOrEqual(latestTaken);
          expect(s.expired(now)).toEqual(all);
        } else if (op === 'ask') {
          const due = s.expired(now);
          expect(due).toEqual(m.expired(now));
          // The caller left some due: they are found again.
          if (due.length > 0 && r.chance(0.5)) expect(s.expired(now)).toEqual(due);
        }
        expect(s.lowWatermark()).toBe(m.low());
        expect(s.nextDeadline()).toBe(m.nextDeadline());
        // Any offset looked at, out or not (one a filter passed over among a receive's included).
        const probe = logStart + r.int(Math.max(1, s.nextScan - logStart + 1));
        expect(s.has(probe)).toBe(m.out.has(probe));
      }
      expect(s.expired(Number.MAX_SAFE_INTEGER)).toEqual(m.expired(Number.MAX_SAFE_INTEGER));
    }
  });
});
