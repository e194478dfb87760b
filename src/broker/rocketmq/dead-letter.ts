// Moving a message to its consumer group's dead-letter queue: the record
// goes to the DLQ topic (system-copy.ts) with where it came from and how
// often it was delivered, as headers named like RocketMQ's DLQ properties
// (so RocketMQ consumers of the DLQ see them as properties, and Kafka
// consumers as headers).
import type { Broker } from '../broker.js';
import { appendCopy, copiedHeaders, type Copied, type OriginNames } from './system-copy.js';
import { dlqTopic } from './system-topics.js';

export const DLQ_ORIGIN_TOPIC = 'DLQ_ORIGIN_TOPIC';
export const DLQ_ORIGIN_QUEUE_ID = 'DLQ_ORIGIN_QUEUE_ID';
export const DLQ_ORIGIN_QUEUE_OFFSET = 'DLQ_ORIGIN_QUEUE_OFFSET';
export const DLQ_ORIGIN_MESSAGE_ID = 'DLQ_ORIGIN_MESSAGE_ID';
export const DLQ_DELIVERY_ATTEMPTS = 'DLQ_DELIVERY_ATTEMPTS';
const NAMES: OriginNames = { topic: DLQ_ORIGIN_TOPIC, queueId: DLQ_ORIGIN_QUEUE_ID, queueOffset: DLQ_ORIGIN_QUEUE_OFFSET, messageId: DLQ_ORIGIN_MESSAGE_ID, attempts: DLQ_DELIVERY_ATTEMPTS };

export interface DeadLetter extends Copied {
  group: string;
  attempts: number;
}

/** Appends the dead letter durably (acks=-1); resolves once it is stored. */
export async function appendDeadLetter(broker: Broker, d: DeadLetter): Promise<{ topic: string; offset: bigint }> {
  const topic = dlqTopic(d.group);
  return { topic, offset: await appendCopy(broker, topic, d, copiedHeaders(d, NAMES, d.attempts)) };
}
