// FIFO holds answer "which held head goes next" and "what is the lowest
// held offset" from heaps of the groups' heads, not by looking at every
// waiting group: the model test holds them to a plain scan of every group,
// over random holds, deliveries, acks, takes and log bounds, with few
// groups and with thousands.
import { describe, expect, it } from 'vitest';
import { FifoHolds } from '../src/broker/rocketmq/fifo-holds.js';
import { fuzzSeed, Prng } from './helpers/prng.js';

/** What the holds must answer, by looking at every group each time. */
class PlainHolds {
  readonly out = new Set<string>();
  readonly waiting = new Map<string, number[]>();

  ready(): { group: string; offset: number } | null {
    let best: { group: string; offset: number } | null = null;
    for (const [group, list] of this.waiting) if (!this.out.has(group) && (best === null || list[0]! < best.offset)) best = { group, offset: list[0]! };
    return best;
  }

  lowest(): number | null {
    let min: number | null = null;
    for (const list of this.waiting.values()) if (min === null || list[0]! < min) min = list[0]!;
    return min;
  }

  held(): number {
    let n = 0;
    for (const list of this.waiting.values()) n += list.length;
    return n;
  }
}

describe('FifoHolds against a plain scan of every waiting group', () => {
  it('names the same next head and lowest offset over random holds, takes, acks and log bounds', () => {
    const seed = fuzzSeed('FIFO_HOLDS_SEED', 'fifo holds model');
    const r = new Prng(seed);
    for (let run = 0; run < 16; run++) {
      const f = new FifoHolds();
      const m = new PlainHolds();
      // One group (its queue grows past the compaction of what was taken), a few, or thousands.
      const groups = Array.from({ length: r.pick([1, 3, 50, 3_000]) }, (_, i) => `g${i}`);
      let next = 0;
      let logStart = 0;
      const one = groups.length === 1;
      const steps = one ? 20_000 : r.pick([300, 3_000]);
      for (let step = 0; step < steps; step++) {
        const op = r.weighted<string>([[one ? 35 : 40, 'scan'], [one ? 30 : 20, 'take'], [one ? 35 : 20, 'ack'], [one ? 0 : 2, 'start'], [one ? 0 : 1, 'truncate']]);
        if (op === 'scan') {
          // The scan meets a message of some group: held if the group is busy, else it goes out.
          const group = r.pick(groups);
          const offset = next++;
          expect(f.busy(group)).toBe(m.out.has(group) || m.waiting.has(group));
          if (f.busy(group)) {
            f.hold(group, offset);
            const list = m.waiting.get(group);
            if (list) list.push(offset);
            else m.waiting.set(group, [offset]);
          } else {
            f.taken(group);
            m.out.add(group);
          }
        } else if (op === 'take') {
          // A receive takes ready heads in order, as pop-service's collect does.
          for (let n = r.range(1, 32); n > 0; n--) {
            const head = f.nextReady();
            expect(head).toEqual(m.ready());
            if (head === null) break;
            f.shift(head.group);
            const list = m.waiting.get(head.group)!;
            list.shift();
            if (list.length === 0) m.waiting.delete(head.group);
            // Sometimes the record is gone (retention) and nothing goes out.
            if (r.chance(0.9)) {
              f.taken(head.group);
              m.out.add(head.group);
            }
          }
        } else if (op === 'ack' && m.out.size > 0) {
          const group = r.pick([...m.out]);
          f.release(group);
          m.out.delete(group);
        } else if (op === 'start' || op === 'truncate') {
          const end = op === 'truncate' ? next - r.range(0, 30) : next;
          if (op === 'start') logStart += r.range(0, next - logStart);
          f.clamp(logStart, end);
          for (const [group, list] of [...m.waiting]) {
            const kept = list.filter((o) => o >= logStart && o < end);
            if (kept.length === 0) m.waiting.delete(group);
            else m.waiting.set(group, kept);
          }
        }
        expect(f.lowest()).toBe(m.lowest());
        expect(f.held).toBe(m.held());
      }
      expect(f.nextReady()).toEqual(m.ready());
    }
  });
});
