// A consumer group's retry topic, `%RETRY%<group>` (stored as RETRY.<group>,
// system-topics.ts), as RocketMQ's broker revives a popped message whose
// invisible time ran out unacked: a copy goes to the retry topic, and the
// original is done with in its queue (its offset commits past it). The copy
// carries where it came from and how often it was delivered, under
// RocketMQ's property names where it has them, so the next delivery counts
// on from there, across restarts, and a reader of the retry topic (a Kafka
// consumer of RETRY.<group>, or a RocketMQ consumer of another group) sees
// why each record is there. The group's own receives of a topic take the
// retries of that topic (pop-service.ts), under the topic's name.
import type { Broker } from '../broker.js';
import type { KafkaRecord } from '../../records/index.js';
import { appendCopies, copiedHeaders, type Copied, type OriginNames } from './system-copy.js';
import { retryTopic } from './system-topics.js';

/** RocketMQ's RETRY_TOPIC property: the topic the message was sent to. */
export const RETRY_TOPIC = 'rmq.retry.topic';
export const RETRY_QUEUE_ID = 'rmq.retry.queue.id';
export const RETRY_QUEUE_OFFSET = 'rmq.retry.queue.offset';
/** RocketMQ's ORIGIN_MESSAGE_ID. */
export const ORIGIN_MESSAGE_ID = 'rmq.origin.msg.id';
/** RocketMQ's RECONSUME_TIME: deliveries so far; the copy's first delivery is attempt RECONSUME_TIME + 1. */
export const RECONSUME_TIME = 'rmq.reconsume.time';
const NAMES: OriginNames = { topic: RETRY_TOPIC, queueId: RETRY_QUEUE_ID, queueOffset: RETRY_QUEUE_OFFSET, messageId: ORIGIN_MESSAGE_ID, attempts: RECONSUME_TIME };
const ADDED = new Set(Object.values(NAMES));

export interface Retry extends Copied {
  /** Deliveries so far. */
  attempts: number;
}

export interface RetryOrigin {
  topic: string;
  partition: number;
  offset: number;
  /** Deliveries before this copy. */
  attempts: number;
}

/** Appends a group's copies durably (acks=-1), in as few batches as can be; resolves once all are stored. */
export async function appendRetries(broker: Broker, group: string, retries: readonly Retry[]): Promise<void> {
  const copies = retries.map((r) => ({ c: r, headers: copiedHeaders(r, NAMES, r.attempts) }));
  await appendCopies(broker, retryTopic(group), copies);
}

const NUMBER = /^\d{1,15}$/;

/** Where a record of a retry topic came from; null for one without these headers whole (not a copy this broker made). */
export function retryOrigin(record: KafkaRecord): RetryOrigin | null {
  let topic: string | null = null;
  let partition = -1;
  let offset = -1;
  let attempts = -1;
  for (const h of record.headers) {
    if (h.value === null || !ADDED.has(h.key)) continue;
    const v = h.value.toString();
    if (h.key === RETRY_TOPIC) topic = v;
    else if (h.key === ORIGIN_MESSAGE_ID) continue;
    else if (!NUMBER.test(v)) return null;
    else if (h.key === RETRY_QUEUE_ID) partition = Number(v);
    else if (h.key === RETRY_QUEUE_OFFSET) offset = Number(v);
    else attempts = Number(v);
  }
  if (topic === null || partition < 0 || offset < 0 || attempts < 0) return null;
  return { topic, partition, offset, attempts };
}
