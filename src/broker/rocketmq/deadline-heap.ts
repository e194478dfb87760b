// The invisible deadlines of a queue's outstanding messages, soonest first,
// so a receive finds what is due, and a long poll when to wake, without
// looking at every message out (a consumer may hold tens of thousands).
// A binary min-heap in parallel arrays (no object per entry). Entries are
// never updated in place: a new deadline pushes a new entry, and one whose
// message was acked or given another deadline since is stale, skipped and
// dropped where it is met (`current` tells).

export interface HasDeadline {
  deadline: number;
}

export class DeadlineHeap<T extends HasDeadline> {
  private deadlines: number[] = [];
  private offsets: bigint[] = [];
  private refs: T[] = [];

  /** `current(offset, ref)`: ref is still offset's state (not acked, dropped or replaced). */
  constructor(private readonly current: (offset: bigint, ref: T) => boolean) {}

  /** Entries, stale ones included. */
  get size(): number {
    return this.deadlines.length;
  }

  push(deadline: number, offset: bigint, ref: T): void {
    let i = this.deadlines.length;
    this.deadlines.push(deadline);
    this.offsets.push(offset);
    this.refs.push(ref);
    // Deliveries mostly come in deadline order: the new entry usually stays where it is.
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (this.deadlines[parent]! <= deadline) break;
      this.move(parent, i);
      i = parent;
    }
    this.put(i, deadline, offset, ref);
  }

  /** The soonest deadline of a current entry (stale ones before it are dropped), or null with none. */
  soonest(): number | null {
    while (this.deadlines.length > 0 && !this.valid(0)) this.popTop();
    return this.deadlines.length > 0 ? this.deadlines[0]! : null;
  }

  /** Removes every entry due by `now` (deadline ≤ now); the current ones' offsets go to `into`, in no order, possibly twice. */
  takeDue(now: number, into: bigint[]): void {
    while (this.deadlines.length > 0 && this.deadlines[0]! <= now) {
      if (this.valid(0)) into.push(this.offsets[0]!);
      this.popTop();
    }
  }

  /** Starts over from the current states (drops every stale entry). */
  rebuild(states: Iterable<[bigint, T]>): void {
    this.deadlines = [];
    this.offsets = [];
    this.refs = [];
    for (const [offset, ref] of states) this.push(ref.deadline, offset, ref);
  }

  private valid(i: number): boolean {
    const ref = this.refs[i]!;
    return ref.deadline === this.deadlines[i] && this.current(this.offsets[i]!, ref);
  }

  private popTop(): void {
    const last = this.deadlines.length - 1;
    const deadline = this.deadlines[last]!;
    const offset = this.offsets[last]!;
    const ref = this.refs[last]!;
    this.deadlines.pop();
    this.offsets.pop();
    this.refs.pop();
    if (last === 0) return;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= last) break;
      const right = left + 1;
      const child = right < last && this.deadlines[right]! < this.deadlines[left]! ? right : left;
      if (this.deadlines[child]! >= deadline) break;
      this.move(child, i);
      i = child;
    }
    this.put(i, deadline, offset, ref);
  }

  private move(from: number, to: number): void {
    this.deadlines[to] = this.deadlines[from]!;
    this.offsets[to] = this.offsets[from]!;
    this.refs[to] = this.refs[from]!;
  }

  private put(i: number, deadline: number, offset: bigint, ref: T): void {
    this.deadlines[i] = deadline;
    this.offsets[i] = offset;
    this.refs[i] = ref;
  }
}
