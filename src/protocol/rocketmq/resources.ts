// A request's resources and filter, read and checked: names bounded (answers
// echo them), topics that exist, tag expressions. What is wrong is refused
// with a BadRequest, which the handlers answer with its status.
import type { Broker } from '../../broker/broker.js';
import { KAFKA_RETRY_PREFIX, rocketTopic, storedTopic } from '../../broker/rocketmq/system-topics.js';
import { FilterError, parseTagExpression, type TagFilter } from '../../broker/rocketmq/tag-filter.js';
import { parseSqlFilter } from '../../broker/rocketmq/sql-filter.js';

/* eslint-disable @typescript-eslint/no-explicit-any -- proto messages are loader objects */
type Pb = Record<string, any>;

export class BadRequest extends Error {
  constructor(readonly code: string, message: string) {
    super(message);
  }
}

/**
 * The longest names a resource may have: topics are Kafka topics (249
 * characters), groups and namespaces as RocketMQ's 255. Answers echo a
 * request's resources (per queue, per message), so they are bounded here.
 */
export const MAX_TOPIC_CHARS = 249;
export const MAX_RESOURCE_CHARS = 255;

/** A resource's name, unchecked (for names only compared, never echoed). */
export function nameOf(r: Pb | null | undefined): string {
  return typeof r?.name === 'string' ? r.name : '';
}

/** A topic resource's name, refused with ILLEGAL_TOPIC if it or its namespace is too long. */
export function topicName(r: Pb | null | undefined): string {
  checkResource(r, MAX_TOPIC_CHARS, 'ILLEGAL_TOPIC', 'topic');
  return nameOf(r);
}

/** A group resource's name, refused with ILLEGAL_CONSUMER_GROUP if it or its namespace is too long. */
export function groupName(r: Pb | null | undefined): string {
  checkResource(r, MAX_RESOURCE_CHARS, 'ILLEGAL_CONSUMER_GROUP', 'consumer group');
  return nameOf(r);
}

function checkResource(r: Pb | null | undefined, max: number, code: string, what: string): void {
  const name = nameOf(r);
  if (name.length > max) throw new BadRequest(code, `a ${what} name has at most ${max} characters, not ${name.length}`);
  const ns = typeof r?.resourceNamespace === 'string' ? r.resourceNamespace : '';
  if (ns.length > MAX_RESOURCE_CHARS) throw new BadRequest(code, `a namespace has at most ${MAX_RESOURCE_CHARS} characters, not ${ns.length}`);
}

/** The stored topic a consumer's topic resource names (`%DLQ%g` is DLQ.g: system-topics.ts). */
export function consumedTopic(r: Pb | null | undefined): string {
  return storedTopic(topicName(r));
}

export function existingTopic(broker: Broker, name: string): void {
  if (!name) throw new BadRequest('ILLEGAL_TOPIC', 'a topic is required');
  const t = broker.topics.get(name);
  if (!t || t.internal) throw new BadRequest('TOPIC_NOT_FOUND', noTopic(name));
}

/** Why a topic is not found, in the client's name for it (a group's `%RETRY%`/`%DLQ%` topic is stored under another, made with its first message). */
function noTopic(stored: string): string {
  const asked = rocketTopic(stored);
  if (asked === stored) return `no topic "${stored}"`;
  return `no topic "${asked}" (stored as "${stored}"): a group's ${stored.startsWith(KAFKA_RETRY_PREFIX) ? 'retry topic is made with its first retry' : 'dead-letter queue is made with its first dead letter'}`;
}

export function tagFilter(expr: Pb | null | undefined): TagFilter {
  if (!expr) return { all: true };
  if (expr.type !== 'SQL' && expr.type !== 'TAG' && expr.type !== 'FILTER_TYPE_UNSPECIFIED') throw new BadRequest('ILLEGAL_FILTER_EXPRESSION', `filter type ${expr.type}: expected TAG or SQL`);
  const text = String(expr.expression ?? '');
  try {
    return expr.type === 'SQL' ? { all: false, sql: parseSqlFilter(text) } : parseTagExpression(text);
  } catch (err) {
    if (!(err instanceof FilterError)) throw err;
    throw new BadRequest('ILLEGAL_FILTER_EXPRESSION', expr.type === 'SQL' ? `SQL92 filter "${text.length > 200 ? `${text.slice(0, 200)}…` : text}": ${err.message}` : err.message);
  }
}
