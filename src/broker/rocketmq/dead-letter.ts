// Moving a message to its consumer group's dead-letter queue: the record
// goes to the DLQ topic (one queue, created on first use whatever
// auto.create.topics.enable says, as RocketMQ creates %DLQ% topics) with
// its key, value, timestamp and headers as they were, plus where it came
// from and how often it was delivered, as headers named like RocketMQ's DLQ
// properties (so RocketMQ consumers of the DLQ see them as properties, and
// Kafka consumers as headers). A record without a message id (a Kafka
// producer's) gets the id it was delivered under, so it keeps its name.
import type { Broker } from '../broker.js';
import { BrokerError } from '../errors.js';
import { encodeBatch, type KafkaRecord, type RecordHeader } from '../../records/index.js';
import { derivedMessageId, H_KEY, H_MSG_ID } from './message-record.js';
import { dlqTopic } from './system-topics.js';

export const DLQ_ORIGIN_TOPIC = 'DLQ_ORIGIN_TOPIC';
export const DLQ_ORIGIN_QUEUE_ID = 'DLQ_ORIGIN_QUEUE_ID';
export const DLQ_ORIGIN_QUEUE_OFFSET = 'DLQ_ORIGIN_QUEUE_OFFSET';
export const DLQ_ORIGIN_MESSAGE_ID = 'DLQ_ORIGIN_MESSAGE_ID';
export const DLQ_DELIVERY_ATTEMPTS = 'DLQ_DELIVERY_ATTEMPTS';
const ADDED = new Set([DLQ_ORIGIN_TOPIC, DLQ_ORIGIN_QUEUE_ID, DLQ_ORIGIN_QUEUE_OFFSET, DLQ_ORIGIN_MESSAGE_ID, DLQ_DELIVERY_ATTEMPTS]);

export interface DeadLetter {
  group: string;
  topic: string;
  partition: number;
  offset: number;
  timestampMs: bigint;
  record: KafkaRecord;
  attempts: number;
}

/** The DLQ topic of `group`, created if missing. */
function ensureDlq(broker: Broker, group: string): string {
  const name = dlqTopic(group);
  if (broker.topics.get(name)) return name;
  try {
    broker.createTopic(name, 1);
  } catch (err) {
    // Created meanwhile by another move: fine. Anything else (a group id too long for a topic name) is the caller's error.
    if (!(err instanceof BrokerError && err.code === 'TOPIC_ALREADY_EXISTS') && !broker.topics.get(name)) throw err;
  }
  return name;
}

/** Appends the dead letter durably (acks=-1); resolves once it is stored. */
export async function appendDeadLetter(broker: Broker, d: DeadLetter): Promise<{ topic: string; offset: bigint }> {
  const topic = ensureDlq(broker, d.group);
  // A message dead-lettered twice (read from one DLQ by another group) names its latest origin only.
  const headers: RecordHeader[] = d.record.headers.filter((h) => !ADDED.has(h.key));
  let messageId = headers.find((h) => h.key === H_MSG_ID)?.value?.toString();
  if (!messageId) {
    messageId = derivedMessageId(d.topic, d.partition, d.offset);
    headers.push({ key: H_MSG_ID, value: Buffer.from(messageId) });
    if (d.record.key !== null && !headers.some((h) => h.key === H_KEY)) headers.push({ key: H_KEY, value: d.record.key });
  }
  const put = (key: string, value: string): void => {
    headers.push({ key, value: Buffer.from(value) });
  };
  put(DLQ_ORIGIN_TOPIC, d.topic);
  put(DLQ_ORIGIN_QUEUE_ID, String(d.partition));
  put(DLQ_ORIGIN_QUEUE_OFFSET, String(d.offset));
  put(DLQ_ORIGIN_MESSAGE_ID, messageId);
  put(DLQ_DELIVERY_ATTEMPTS, String(d.attempts));
  const batch = encodeBatch({ baseTimestamp: d.timestampMs, records: [{ key: d.record.key, value: d.record.value, headers, timestamp: d.timestampMs }] });
  const r = await broker.produce(topic, 0, batch, -1);
  if (r.error !== 'NONE') throw new Error(`appending to ${topic}: ${r.error}${r.message ? `: ${r.message}` : ''}`);
  return { topic, offset: r.baseOffset };
}
