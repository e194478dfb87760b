/**
 * An empty array whose elements V8 keeps as doubles, whatever numbers it is
 * given later. Arrays of small integers and of doubles (offsets, Date.now()
 * timestamps) have different elements kinds, and an empty `[]` a third:
 * code optimized on one kind is deoptimized when another comes ("wrong
 * map"), as it did at every new segment index and every new queue's heaps.
 * Arrays made here all have one map, at no cost in memory.
 */
export function doubles(): number[] {
  const a = [0.5];
  a.length = 0;
  return a;
}
