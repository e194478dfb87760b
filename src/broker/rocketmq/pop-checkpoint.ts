// One receive's first deliveries from a queue, kept together as RocketMQ's
// broker keeps a pop's (PopCheckPoint: a start offset and a count, the
// offsets' distances where a filter skipped some, one invisible time, and a
// bitmap of those acked since): up to
// CHECKPOINT_SIZE ascending offsets sharing one delivery state (attempt 1,
// the receive's token, deadline and renewal, no message group), and a bit
// per offset set once it is no longer out here (acked, dropped, or split
// out into a delivery of its own when anything but an ack touches it). A
// receive then costs the queue state one object and one deadline, not an
// object, a map entry and two heap entries per message (queue-state.ts).
import { doubles } from '../../storage/doubles.js';
import type { Outstanding } from './queue-state.js';

/** Offsets one checkpoint holds at most: its `gone` bits fit in one 32-bit integer. */
export const CHECKPOINT_SIZE = 32;

export class Checkpoint {
  /** Offsets in it. */
  count = 1;
  /** Bit i set: the i-th offset is no longer out in this checkpoint. */
  gone = 0;
  /** Offsets still out in it. */
  live = 1;
  /**
   * Each offset's distance from `first`, once they are not consecutive (a
   * filter passed some over); null while they are, as RocketMQ's
   * checkpoint keeps a start and a count, and its queueOffsetDiff only for
   * a filtered pop.
   */
  private diffs: number[] | null = null;

  /**
   * `state`: every offset's, as the journal records it; never changed while
   * the checkpoint holds it (a change splits the offset out). `first`: its
   * first offset.
   */
  constructor(
    readonly state: Readonly<Outstanding>,
    readonly first: number,
  ) {}

  get last(): number {
    return this.diffs === null ? this.first + this.count - 1 : this.first + this.diffs[this.count - 1]!;
  }

  /** The i-th offset. */
  offsetAt(i: number): number {
    return this.diffs === null ? this.first + i : this.first + this.diffs[i]!;
  }

  /** Adds an offset past `last` (the caller checks; at most CHECKPOINT_SIZE in all). */
  add(offset: number): void {
    if (this.diffs === null && offset !== this.first + this.count) {
      const diffs = doubles();
      for (let i = 0; i < this.count; i++) diffs.push(i);
      this.diffs = diffs;
    }
    if (this.diffs !== null) this.diffs.push(offset - this.first);
    this.count++;
    this.live++;
  }

  /** The index of `offset` if it is still out here, else -1. */
  indexOf(offset: number): number {
    if (offset < this.first || offset > this.last) return -1;
    let i = offset - this.first;
    const diffs = this.diffs;
    if (diffs !== null) {
      let lo = 0;
      let hi = this.count - 1;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (diffs[mid]! < i) lo = mid + 1;
        else hi = mid;
      }
      if (diffs[lo] !== i) return -1;
      i = lo;
    }
    return (this.gone >>> i) & 1 ? -1 : i;
  }

  /** Takes the i-th offset out of the checkpoint (it was out here). */
  remove(i: number): void {
    this.gone |= 1 << i;
    this.live--;
  }

  /** The index of the lowest offset still out here (live > 0). */
  lowestIndex(): number {
    const out = ~this.gone;
    return 31 - Math.clz32(out & -out);
  }
}
