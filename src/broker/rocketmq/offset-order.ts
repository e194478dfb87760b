// A queue's outstanding offsets in ascending order, so the lowest (what the
// group's committed offset waits on) and those below a new log start are
// found without looking at every message out. Deliveries mostly come in
// offset order and are acked mostly in order: an array appended at its end
// and read from a moving head. An offset no longer outstanding stays in it,
// stale, until the head passes it or the array is compacted (`live` tells).

/** Stale entries tolerated past twice the live ones, before a compaction. */
const SLACK = 1024;

export class OffsetOrder {
  private list: bigint[] = [];
  private head = 0;

  /** `live(offset)`: still outstanding. */
  constructor(private readonly live: (offset: bigint) => boolean) {}

  /** An offset now outstanding (again); `liveCount`: how many are. */
  add(offset: bigint, liveCount: number): void {
    const list = this.list;
    if (this.head === list.length) {
      this.list = [offset];
      this.head = 0;
      return;
    }
    if (offset > list[list.length - 1]!) list.push(offset);
    else {
      // Out of order (a FIFO hold let go, a restart's state): its place, unless it is there already (stale, now live again).
      let lo = this.head;
      let hi = list.length;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (list[mid]! < offset) lo = mid + 1;
        else hi = mid;
      }
      if (list[lo] !== offset) list.splice(lo, 0, offset);
    }
    if (list.length - this.head > 2 * liveCount + SLACK) {
      this.list = list.slice(this.head).filter(this.live);
      this.head = 0;
    }
  }

  /** The lowest live offset, or null with none. */
  lowest(): bigint | null {
    const list = this.list;
    while (this.head < list.length && !this.live(list[this.head]!)) this.head++;
    if (this.head > SLACK && 2 * this.head > list.length) {
      this.list = list.slice(this.head);
      this.head = 0;
    }
    return this.head < this.list.length ? this.list[this.head]! : null;
  }
}
