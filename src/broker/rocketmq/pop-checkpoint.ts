// One receive's first deliveries from a queue, kept together as RocketMQ's
// broker keeps a pop's (PopCheckPoint: a start offset, the offsets taken,
// one invisible time, and a bitmap of those acked since): up to
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
  /** Ascending. */
  readonly offsets: number[] = doubles();
  /** Bit i set: offsets[i] is no longer out in this checkpoint. */
  gone = 0;
  /** Offsets still out in it. */
  live = 0;

  /** `state`: every offset's, as the journal records it; never changed while the checkpoint holds it (a change splits the offset out). */
  constructor(readonly state: Readonly<Outstanding>) {}

  get first(): number {
    return this.offsets[0]!;
  }

  get last(): number {
    return this.offsets[this.offsets.length - 1]!;
  }

  add(offset: number): void {
    this.offsets.push(offset);
    this.live++;
  }

  /** The index of `offset` if it is still out here, else -1. */
  indexOf(offset: number): number {
    const offsets = this.offsets;
    const n = offsets.length;
    const first = offsets[0]!;
    if (offset < first || offset > offsets[n - 1]!) return -1;
    let i: number;
    // A receive without a filter takes consecutive offsets: the index is the distance.
    if (offsets[n - 1]! - first === n - 1) i = offset - first;
    else {
      let lo = 0;
      let hi = n - 1;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (offsets[mid]! < offset) lo = mid + 1;
        else hi = mid;
      }
      if (offsets[lo] !== offset) return -1;
      i = lo;
    }
    return (this.gone >>> i) & 1 ? -1 : i;
  }

  /** Takes offsets[i] out of the checkpoint (it was out here). */
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
