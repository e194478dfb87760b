// RocketMQ's TAG filter expressions: `*` (or empty) takes every message,
// `A || B || C` those whose tag is one of them; a message without a tag
// matches only `*`. Phase 1 compares the record's rmq.tag header; the
// consume queue's tag-hash slot (and a tag index for segments) is what lets
// a later phase skip non-matching records without reading them.
export type TagFilter = { all: true } | { all: false; tags: ReadonlySet<string> };

export class FilterError extends Error {}

export function parseTagExpression(expression: string): TagFilter {
  const e = expression.trim();
  if (e === '' || e === '*') return { all: true };
  const tags = e.split('||').map((t) => t.trim());
  if (tags.some((t) => t === '' || t === '*' || /\s/.test(t) || t.includes('|'))) {
    throw new FilterError(`bad tag expression "${expression}": expected * or tags joined by ||, like "A || B"`);
  }
  return { all: false, tags: new Set(tags) };
}

export function tagMatches(filter: TagFilter, tag: string | null): boolean {
  return filter.all || (tag !== null && filter.tags.has(tag));
}
