// FIFO delivery per message group, for one consumer group on one queue: at
// most one message of a message group is out at a time; messages of a busy
// group met by the scan are held back, in order, and the head of a group's
// holds goes out once its predecessor is acked or dead-lettered. Other
// message groups flow past a busy one: only the held offsets are kept (in
// memory), never the records. A FIFO topic may have thousands of groups
// (one per order, per account): the heads are kept in heaps (lazy-heap.ts),
// so a receive finds the next ready head, and a commit the lowest held
// offset, without looking at every group that waits.
import { LazyHeap } from './lazy-heap.js';

/** A group's held offsets, oldest first, read from `head`. */
interface Waiting {
  offsets: number[];
  head: number;
}

/** Stale heap entries tolerated past twice the waiting groups. */
const SLACK = 1024;

export class FifoHolds {
  private readonly out = new Set<string>();
  private readonly waiting = new Map<string, Waiting>();
  /** Every waiting group's head offset (an entry stands while it is its group's head). */
  private readonly heads = new LazyHeap<string>((offset, group) => this.headOf(group) === offset, () => []);
  /** The heads of waiting groups with nothing out (an entry stands while it is its group's head and the group has nothing out). */
  private readonly ready = new LazyHeap<string>((offset, group) => !this.out.has(group) && this.headOf(group) === offset, () => []);
  /** Offsets held back across all message groups. */
  held = 0;

  /** A message of `group` is out, or waits behind one: the next of the group must queue. */
  busy(group: string): boolean {
    return this.out.has(group) || this.waiting.has(group);
  }

  hold(group: string, offset: number): void {
    const w = this.waiting.get(group);
    this.held++;
    if (w) {
      w.offsets.push(offset);
      return;
    }
    this.waiting.set(group, { offsets: [offset], head: 0 });
    this.headChanged(group, offset);
  }

  /** `group`'s message went out (again). */
  taken(group: string): void {
    this.out.add(group);
  }

  /** `group`'s message out was acked, dead-lettered or dropped: its next may go. */
  release(group: string): void {
    if (!this.out.delete(group)) return;
    const head = this.headOf(group);
    if (head === undefined) return;
    this.ready.push(head, group);
    this.compactIfStale();
  }

  /** The held head, lowest offset first, of a group with nothing out; null with none. */
  nextReady(): { group: string; offset: number } | null {
    const offset = this.ready.peek();
    return offset === null ? null : { group: this.ready.topValue(), offset };
  }

  /** Removes `group`'s head (which `nextReady` named). */
  shift(group: string): void {
    const w = this.waiting.get(group);
    if (!w) return;
    w.head++;
    this.held--;
    if (w.head === w.offsets.length) {
      this.waiting.delete(group);
      return;
    }
    // A long queue of one group: drop what was taken, now and then.
    if (w.head > SLACK && 2 * w.head > w.offsets.length) {
      w.offsets = w.offsets.slice(w.head);
      w.head = 0;
    }
    this.headChanged(group, w.offsets[w.head]!);
  }

  lowest(): number | null {
    return this.heads.peek();
  }

  /** Forgets held offsets outside [logStart, end): retention removed them, or the topic started over. */
  clamp(logStart: number, end: number): void {
    for (const [group, w] of [...this.waiting]) {
      const kept = w.offsets.slice(w.head).filter((o) => o >= logStart && o < end);
      this.held -= w.offsets.length - w.head - kept.length;
      if (kept.length === 0) this.waiting.delete(group);
      else this.waiting.set(group, { offsets: kept, head: 0 });
    }
    this.compact();
  }

  private headOf(group: string): number | undefined {
    const w = this.waiting.get(group);
    return w === undefined ? undefined : w.offsets[w.head];
  }

  private headChanged(group: string, offset: number): void {
    this.heads.push(offset, group);
    if (!this.out.has(group)) this.ready.push(offset, group);
    this.compactIfStale();
  }

  private compactIfStale(): void {
    const limit = 2 * this.waiting.size + SLACK;
    if (this.heads.size > limit || this.ready.size > limit) this.compact();
  }

  /** Drops the heaps' stale entries. */
  private compact(): void {
    const offsets: number[] = [];
    const groups: string[] = [];
    const readyOffsets: number[] = [];
    const readyGroups: string[] = [];
    for (const [group, w] of this.waiting) {
      offsets.push(w.offsets[w.head]!);
      groups.push(group);
      if (!this.out.has(group)) {
        readyOffsets.push(w.offsets[w.head]!);
        readyGroups.push(group);
      }
    }
    this.heads.rebuild(offsets, groups);
    this.ready.rebuild(readyOffsets, readyGroups);
  }
}
