// RocketMQ's TAG filter expressions: `*` (or empty) takes every message,
// `A || B || C` those whose tag is one of them; a message without a tag
// matches only `*`. Phase 1 compares the record's rmq.tag header; the
// consume queue's tag-hash slot (and a tag index for segments) is what lets
// a later phase skip non-matching records without reading them. A SQL92
// filter (sql-filter.ts) is evaluated over the record's properties; no
// record is passed over unread for it.
import type { KafkaRecord } from '../../records/index.js';
import { recordProperty, recordTag } from './message-record.js';
import type { SqlFilter } from './sql-filter.js';

export type TagFilter = { all: true } | { all: false; tags: ReadonlySet<string>; sql?: undefined } | { all: false; sql: SqlFilter; tags?: undefined };

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

/** Whether a stored record passes the filter: its tag, or for SQL92 its properties. */
export function recordMatches(filter: TagFilter, r: KafkaRecord): boolean {
  if (filter.all) return true;
  if (filter.sql) return filter.sql.matches((name) => recordProperty(r, name));
  const tag = recordTag(r);
  return tag !== null && filter.tags.has(tag);
}

/** recordMatches of a record read from the log, decoding it only if the filter looks inside (`*` takes it unread). */
export function storedMatches(filter: TagFilter, stored: { readonly record: KafkaRecord }): boolean {
  return filter.all || recordMatches(filter, stored.record);
}
