// A queue's checkpoints (pop-checkpoint.ts): receives' first deliveries, a
// checkpoint each (or several, past CHECKPOINT_SIZE), in offset order, so
// each one's offsets lie above every offset of the ones before: a lookup
// is a binary search, the lowest offset out is the first live checkpoint's,
// and each has one deadline entry. Those with nothing out stay until
// lowest() meets them at the front, or are dropped once they outnumber
// the rest. The queue state (queue-state.ts) keeps everything else out.
import { Checkpoint, CHECKPOINT_SIZE } from './pop-checkpoint.js';
import { LazyHeap, STALE_SLACK } from './lazy-heap.js';
import type { DeliveryOptions, Outstanding } from './queue-state.js';

export class Checkpoints {
  private list: Checkpoint[] = [];
  /** Checkpoints with an offset out. */
  live = 0;
  /** Their deadlines: an entry stands while its checkpoint has an offset out. */
  private readonly deadlines = new LazyHeap<Checkpoint>((_, cp) => cp.live > 0, () => []);
  /** The checkpoint of the last lookup (an ack's handles are mostly one receive's). */
  private found: Checkpoint | null = null;
  /** The index in it of the offset locate() found last. */
  foundAt = -1;

  /**
   * A first delivery of `offset` in the receive's checkpoint (the last one,
   * if it is this receive's and has room; else a new one): the state it
   * shares. Null where the offset does not lie above every checkpoint's
   * (after the log was cut back): the caller keeps it on its own.
   */
  deliver(offset: number, deadline: number, token: string, d: DeliveryOptions): Readonly<Outstanding> | null {
    const last = this.list.length > 0 ? this.list[this.list.length - 1]! : null;
    if (last !== null && offset <= last.last) return null;
    const s = last?.state;
    if (last !== null && last.live > 0 && last.count < CHECKPOINT_SIZE && s!.token === token && s!.deadline === deadline && s!.renewFor === d.renewFor && s!.renewMs === d.renewMs && s!.renewUntil === d.renewUntil) {
      last.add(offset);
      return s!;
    }
    const cp = new Checkpoint({ attempt: 1, deadline, token, toDeadLetter: false, messageGroup: null, renewFor: d.renewFor, renewMs: d.renewMs, renewUntil: d.renewUntil }, offset);
    this.live++;
    this.list.push(cp);
    this.deadlines.push(deadline, cp);
    this.compact();
    return cp.state;
  }

  /**
   * The checkpoint `offset` is out in, its index in foundAt; null if none.
   * The one found last is looked at first.
   */
  locate(offset: number): Checkpoint | null {
    if (this.live === 0) return null;
    let cp = this.found;
    if (cp === null || offset < cp.first || offset > cp.last) {
      const list = this.list;
      // The last whose first offset is at most `offset`.
      let lo = 0;
      let hi = list.length - 1;
      // A scan's next offset lies above them all.
      if (hi < 0 || offset < list[0]!.first || offset > list[hi]!.last) return null;
      while (lo < hi) {
        const mid = (lo + hi + 1) >> 1;
        if (list[mid]!.first <= offset) lo = mid;
        else hi = mid - 1;
      }
      cp = list[lo]!;
      this.found = cp;
    }
    const i = cp.indexOf(offset);
    if (i < 0) return null;
    this.foundAt = i;
    return cp;
  }

  /** Takes the i-th offset out of its checkpoint: acked, dropped, or split out on its own. */
  remove(cp: Checkpoint, i: number): void {
    cp.remove(i);
    if (cp.live === 0) this.live--;
  }

  /** The lowest offset out in a checkpoint, or null. */
  lowest(): number | null {
    if (this.live === 0) return null;
    let i = 0;
    while (this.list[i]!.live === 0) i++;
    if (i > 0) {
      this.list.splice(0, i);
      this.found = null;
    }
    const cp = this.list[0]!;
    return cp.offsetAt(cp.lowestIndex());
  }

  nextDeadline(): number | null {
    return this.live > 0 ? this.deadlines.peek() : null;
  }

  /** The next checkpoint whose time ran out by `now` (its deadline entry gone), or null. */
  takeDue(now: number): Checkpoint | null {
    const due = this.deadlines.peek();
    if (due === null || due > now) return null;
    const cp = this.deadlines.topValue();
    this.deadlines.pop();
    return cp;
  }

  /** Drops the offsets outside [logStart, end); `whole`: the log's end moved down too (else only its start moved up: the front is looked at). */
  clamp(logStart: number, end: number, whole: boolean): void {
    for (const cp of this.list) {
      if (!whole && cp.first >= logStart) break;
      for (let i = 0; i < cp.count; i++) {
        const offset = cp.offsetAt(i);
        if (!whole && offset >= logStart) break;
        if ((offset < logStart || offset >= end) && ((cp.gone >>> i) & 1) === 0) this.remove(cp, i);
      }
    }
  }

  /** Drops checkpoints with nothing out, and their deadline entries, once they outnumber the rest. */
  private compact(): void {
    const limit = 2 * this.live + STALE_SLACK;
    if (this.list.length > limit) {
      this.list = this.list.filter((cp) => cp.live > 0);
      this.found = null;
    }
    // Acked checkpoints' deadline entries go as they reach the top; behind one that stays out, here.
    if (this.deadlines.size > limit) {
      const live = this.list.filter((cp) => cp.live > 0);
      this.deadlines.rebuild(live.map((cp) => cp.state.deadline), live);
    }
  }
}
