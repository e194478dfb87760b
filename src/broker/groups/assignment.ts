// Partitions as KIP-848's consumer groups hand them out: by topic id, not
// name, so that a topic deleted and created again under its name is a
// different topic to members that still hold the old one.

/** Topic id -> partition indexes. */
export type Assignment = Map<string, Set<number>>;

/** The wire form: a list of topic ids with their partitions. */
export interface TopicPartitionsList {
  topicId: string;
  partitions: number[];
}

export function emptyAssignment(): Assignment {
  return new Map();
}

export function fromList(list: readonly TopicPartitionsList[]): Assignment {
  const a: Assignment = new Map();
  for (const t of list) {
    if (t.partitions.length === 0) continue;
    const set = a.get(t.topicId) ?? new Set<number>();
    for (const p of t.partitions) set.add(p);
    a.set(t.topicId, set);
  }
  return a;
}

/** Sorted (topics by id, partitions by index): answers do not depend on insertion order. */
export function toList(a: Assignment): TopicPartitionsList[] {
  return [...a]
    .filter(([, ps]) => ps.size > 0)
    .sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0))
    .map(([topicId, ps]) => ({ topicId, partitions: [...ps].sort((x, y) => x - y) }));
}

export function sameAssignment(a: Assignment, b: Assignment): boolean {
  const size = (x: Assignment) => [...x.values()].reduce((n, s) => n + s.size, 0);
  if (size(a) !== size(b)) return false;
  for (const [t, ps] of a) {
    const other = b.get(t);
    for (const p of ps) if (!other?.has(p)) return false;
  }
  return true;
}

export function countPartitions(a: Assignment): number {
  let n = 0;
  for (const ps of a.values()) n += ps.size;
  return n;
}

export function addPartition(a: Assignment, topicId: string, partition: number): void {
  const set = a.get(topicId);
  if (set) set.add(partition);
  else a.set(topicId, new Set([partition]));
}

export function copyAssignment(a: Assignment): Assignment {
  return new Map([...a].map(([t, ps]) => [t, new Set(ps)]));
}
