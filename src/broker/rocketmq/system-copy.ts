// Copying a delivered record into one of its consumer group's system topics
// (the DLQ, dead-letter.ts; the retry topic, retry-topic.ts): the topic is
// created on first use with one queue, whatever auto.create.topics.enable
// says, as RocketMQ creates its %DLQ% and %RETRY% topics; the record keeps
// its key, value, timestamp and headers, less the headers a copy of its kind
// adds (a record copied twice names its latest origin only), plus these
// again. A record without a message id (a Kafka producer's) gets the id it
// was delivered under, so the copy keeps its name.
import { BROKER_BUILT, type Broker } from '../broker.js';
import { BrokerError } from '../errors.js';
import { encodeBatch, type KafkaRecord, type RecordHeader } from '../../records/index.js';
import { DEFAULT_LIMITS } from '../../storage/types.js';
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

/** The header names a kind of copy records its origin and delivery attempts under. */
export interface OriginNames {
  topic: string;
  queueId: string;
  queueOffset: string;
  messageId: string;
  attempts: string;
}

/**
 * The copy's headers: the record's, less those named in `names` (a copy of
 * a copy of this kind names its latest origin only), with its message id,
 * then where it came from and its delivery attempts under `names`.
 */
export function copiedHeaders(c: Copied, names: OriginNames, attempts: number): RecordHeader[] {
  const replaced = Object.values(names);
  const headers: RecordHeader[] = c.record.headers.filter((h) => !replaced.includes(h.key));
  let messageId = headers.find((h) => h.key === H_MSG_ID)?.value?.toString();
  if (!messageId) {
    messageId = derivedMessageId(c.topic, c.partition, c.offset);
    headers.push({ key: H_MSG_ID, value: Buffer.from(messageId) });
    if (c.record.key !== null && !headers.some((h) => h.key === H_KEY)) headers.push({ key: H_KEY, value: c.record.key });
  }
  headers.push(header(names.topic, c.topic), header(names.queueId, c.partition), header(names.queueOffset, c.offset), header(names.messageId, messageId), header(names.attempts, attempts));
  return headers;
}

/** Appends the copy to `topic` (created if missing) durably (acks=-1); resolves with its offset once it is stored. */
export async function appendCopy(broker: Broker, topic: string, c: Copied, headers: RecordHeader[]): Promise<bigint> {
  return (await appendCopies(broker, topic, [{ c, headers }]))[0]!;
}

/** A copy's bytes in a batch, about: what decides where a run of copies is cut. */
function copyBytes(c: Copied, headers: readonly RecordHeader[]): number {
  let n = 32 + (c.record.key?.length ?? 0) + (c.record.value?.length ?? 0);
  for (const h of headers) n += 8 + Buffer.byteLength(h.key) + (h.value?.length ?? 0);
  return n;
}

/**
 * Appends copies to `topic` (created if missing) durably (acks=-1), as few
 * batches as the broker's message.max.bytes allows (half of it each, for
 * the estimate's sake; a copy larger goes alone); resolves with their
 * offsets once all are stored.
 */
export async function appendCopies(broker: Broker, topic: string, copies: ReadonlyArray<{ c: Copied; headers: RecordHeader[] }>): Promise<bigint[]> {
  ensureTopic(broker, topic);
  const limit = (broker.config.maxBatchBytes ?? DEFAULT_LIMITS.maxBatchBytes) / 2;
  const sizes = copies.map(({ c, headers }) => copyBytes(c, headers));
  const offsets: bigint[] = [];
  for (let from = 0; from < copies.length; ) {
    let to = from + 1;
    let bytes = sizes[from]!;
    while (to < copies.length && bytes + sizes[to]! <= limit) bytes += sizes[to++]!;
    const run = copies.slice(from, to);
    let base = run[0]!.c.timestampMs;
    for (const { c } of run) if (c.timestampMs < base) base = c.timestampMs;
    const batch = encodeBatch({ baseTimestamp: base, records: run.map(({ c, headers }) => ({ key: c.record.key, value: c.record.value, headers, timestamp: c.timestampMs })) });
    const r = await broker.produce(topic, 0, batch, -1, null, BROKER_BUILT);
    if (r.error !== 'NONE') throw new Error(`appending to ${topic}: ${r.error}${r.message ? `: ${r.message}` : ''}`);
    for (let i = 0; i < run.length; i++) offsets.push(r.baseOffset + BigInt(i));
    from = to;
  }
  return offsets;
}

function header(key: string, value: string | number): RecordHeader {
  return { key, value: Buffer.from(String(value)) };
}
