// A binary min-heap whose entries are never updated or removed in place:
// a changed key pushes a new entry, and one no longer current (its message
// acked, its deadline changed, its FIFO group's head taken) is stale,
// skipped and dropped where it is met at the top (`current` tells). The
// queue state keeps the offsets of the messages out and their invisible
// deadlines in them, and FIFO holds their groups' heads, so a receive finds
// the lowest or soonest without looking at all of them. Parallel arrays: no
// object per entry. Keys are numbers (offsets below 2^53, Date.now()
// deadlines): compared inline, where BigInts go through the runtime.

export class LazyHeap<V> {
  /**
   * Keys in a Float64Array: offsets and deadlines alike are doubles there,
   * so every heap's keys look the same to V8. In plain arrays a heap of
   * small offsets and one of Date.now() deadlines had arrays of two
   * elements kinds, and each queue's fresh heaps started in a third: code
   * optimized on one queue's heaps was deoptimized when the next queue's
   * came (--trace-deopt: "wrong map", "not a Smi" in push and size).
   */
  private keys = new Float64Array(INITIAL);
  private n = 0;
  private values: V[] = [];

  /** `current(key, value)`: the entry still stands. */
  constructor(private readonly current: (key: number, value: V) => boolean) {}

  /** Entries, stale ones included. */
  get size(): number {
    return this.n;
  }

  push(key: number, value: V): void {
    if (this.n === this.keys.length) {
      const grown = new Float64Array(2 * this.keys.length);
      grown.set(this.keys);
      this.keys = grown;
    }
    const keys = this.keys;
    let i = this.n++;
    this.values.push(value);
    // Keys mostly come in order (deadlines of later deliveries, later offsets): the new entry usually stays where it is.
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (keys[parent]! <= key) break;
      keys[i] = keys[parent]!;
      this.values[i] = this.values[parent]!;
      i = parent;
    }
    keys[i] = key;
    this.values[i] = value;
  }

  /** The lowest current key (stale entries above it are dropped), or null with none. */
  peek(): number | null {
    while (this.n > 0 && !this.current(this.keys[0]!, this.values[0]!)) this.pop();
    return this.n > 0 ? this.keys[0]! : null;
  }

  /** The top entry's value (after peek() gave its key). */
  topValue(): V {
    return this.values[0]!;
  }

  /** Removes the top entry, current or not. */
  pop(): void {
    const keys = this.keys;
    const last = --this.n;
    const key = keys[last]!;
    const value = this.values.pop()!;
    if (last === 0) return;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= last) break;
      const right = left + 1;
      const child = right < last && keys[right]! < keys[left]! ? right : left;
      if (keys[child]! >= key) break;
      keys[i] = keys[child]!;
      this.values[i] = this.values[child]!;
      i = child;
    }
    keys[i] = key;
    this.values[i] = value;
  }

  /** Starts over from these entries (every stale one dropped). */
  rebuild(keys: readonly number[], values: readonly V[]): void {
    this.keys = new Float64Array(Math.max(INITIAL, keys.length));
    this.n = 0;
    this.values = [];
    for (let i = 0; i < keys.length; i++) this.push(keys[i]!, values[i]!);
  }
}

/** A new heap's room for keys (grown by doubling): small, as a queue state has four heaps. */
const INITIAL = 8;
