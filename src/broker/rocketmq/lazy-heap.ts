// A binary min-heap whose entries are never updated or removed in place:
// a changed key pushes a new entry, and one no longer current (its message
// acked, its deadline changed, its FIFO group's head taken) is stale,
// skipped and dropped where it is met at the top (`current` tells). The
// queue state keeps the offsets of the messages out and their invisible
// deadlines in them, and FIFO holds their groups' heads, so a receive finds
// the lowest or soonest without looking at all of them. Parallel arrays: no
// object per entry. Keys are numbers (offsets below 2^53, Date.now()
// deadlines): compared inline, where BigInts go through the runtime.
import { doubles } from '../../storage/doubles.js';

/** Stale entries a heap's owner tolerates past twice the live ones before it rebuilds the heap. */
export const STALE_SLACK = 1024;

export class LazyHeap<V> {
  /** Offsets and Date.now() deadlines alike: an array of one elements kind for every heap (doubles.ts says why). */
  private keys: number[] = doubles();
  private values: V[];

  /**
   * `current(key, value)`: the entry still stands. `emptyValues` makes the
   * values' array: `doubles` for numbers, as for the keys (a queue's fresh
   * heaps were deoptimized at `values[i] = value` otherwise).
   */
  constructor(
    private readonly current: (key: number, value: V) => boolean,
    private readonly emptyValues: () => V[],
  ) {
    this.values = emptyValues();
  }

  /** Entries, stale ones included. */
  get size(): number {
    return this.keys.length;
  }

  push(key: number, value: V): void {
    let i = this.keys.length;
    this.keys.push(key);
    this.values.push(value);
    // Keys mostly come in order (deadlines of later deliveries, later offsets): the new entry usually stays where it is.
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (this.keys[parent]! <= key) break;
      this.keys[i] = this.keys[parent]!;
      this.values[i] = this.values[parent]!;
      i = parent;
    }
    this.keys[i] = key;
    this.values[i] = value;
  }

  /** The lowest current key (stale entries above it are dropped), or null with none. */
  peek(): number | null {
    while (this.keys.length > 0 && !this.current(this.keys[0]!, this.values[0]!)) this.pop();
    return this.keys.length > 0 ? this.keys[0]! : null;
  }

  /** The top entry's value (after peek() gave its key). */
  topValue(): V {
    return this.values[0]!;
  }

  /** Removes the top entry, current or not. */
  pop(): void {
    const last = this.keys.length - 1;
    const key = this.keys[last]!;
    const value = this.values[last]!;
    this.keys.pop();
    this.values.pop();
    if (last === 0) return;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= last) break;
      const right = left + 1;
      const child = right < last && this.keys[right]! < this.keys[left]! ? right : left;
      if (this.keys[child]! >= key) break;
      this.keys[i] = this.keys[child]!;
      this.values[i] = this.values[child]!;
      i = child;
    }
    this.keys[i] = key;
    this.values[i] = value;
  }

  /** Starts over from these entries (every stale one dropped). */
  rebuild(keys: readonly number[], values: readonly V[]): void {
    this.keys = doubles();
    this.values = this.emptyValues();
    for (let i = 0; i < keys.length; i++) this.push(keys[i]!, values[i]!);
  }
}
