// Copying a delivered record into one of its consumer group's system topics
// (the DLQ, dead-letter.ts; the retry topic, retry-topic.ts): the topic is
// created on first use with one queue, whatever auto.create.topics.enable
// says, as RocketMQ creates its %DLQ% and %RETRY% topics; the record keeps
// its key, value, timestamp and headers, less the headers a copy of its kind
// adds (a record copied twice names its latest origin only), plus these
// again. A record without a message id (a Kafka producer's) gets the id it
// was delivered under, so the copy keeps its name.
import type { Broker } from '../broker.js';
import { BrokerError } from '../errors.js';
import { encodeBatch, type KafkaRecord, type RecordHeader } from '../../records/index.js';
import { derivedMessageId, H_KEY, H_MSG_ID } from './message-record.js';

export interface Copied {
  /** Where the message was first stored (a copy of a copy names the first). */
  topic: string;
  partition: number;
  offset: number;
  timestampMs: bigint;
  record: KafkaRecord;
}

/** `topic`, created with one queue if missing. */
function ensureTopic(broker: Broker, topic: string): void {
  if (broker.topics.get(topic)) return;
  try {
    broker.createTopic(topic, 1);
  } catch (err) {
    // Created meanwhile by another copy: fine. Anything else (a name too long) is the caller's error.
    if (!(err instanceof BrokerError && err.code === 'TOPIC_ALREADY_EXISTS') && !broker.topics.get(topic)) throw err;
  }
}

/** The copy's headers: the record's, less `replaced`, with its message id; returns them and the id. */
export function copiedHeaders(c: Copied, replaced: ReadonlySet<string>): { headers: RecordHeader[]; messageId: string } {
  const headers: RecordHeader[] = c.record.headers.filter((h) => !replaced.has(h.key));
  let messageId = headers.find((h) => h.key === H_MSG_ID)?.value?.toString();
  if (!messageId) {
    messageId = derivedMessageId(c.topic, c.partition, c.offset);
    headers.push({ key: H_MSG_ID, value: Buffer.from(messageId) });
    if (c.record.key !== null && !headers.some((h) => h.key === H_KEY)) headers.push({ key: H_KEY, value: c.record.key });
  }
  return { headers, messageId };
}

/** Appends the copy to `topic` (created if missing) durably (acks=-1); resolves with its offset once it is stored. */
export async function appendCopy(broker: Broker, topic: string, c: Copied, headers: RecordHeader[]): Promise<bigint> {
  ensureTopic(broker, topic);
  const batch = encodeBatch({ baseTimestamp: c.timestampMs, records: [{ key: c.record.key, value: c.record.value, headers, timestamp: c.timestampMs }] });
  const r = await broker.produce(topic, 0, batch, -1);
  if (r.error !== 'NONE') throw new Error(`appending to ${topic}: ${r.error}${r.message ? `: ${r.message}` : ''}`);
  return r.baseOffset;
}

export function header(key: string, value: string | number): RecordHeader {
  return { key, value: Buffer.from(String(value)) };
}
