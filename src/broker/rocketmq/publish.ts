// Publishing RocketMQ messages: checks a topic's message type and the
// message's properties, then appends the messages of one queue as one
// Kafka record batch through Broker.produce (so idempotence, limits,
// metrics and waiting consumers all work as for a Kafka produce).
import { BROKER_BUILT, type Broker } from '../broker.js';
import { encodeMessageBatch, propertyBytes } from './message-batch.js';
import { RESERVED_PREFIX, type RocketMessage } from './message-record.js';
import { rememberTagCodes } from './tag-code.js';
import { STORED_MESSAGE_TYPES, topicMessageType, type MessageType } from './message-type.js';
import { badQueueId } from './queue-id.js';

export type PublishErrorCode =
  | 'TOPIC_NOT_FOUND'
  | 'ILLEGAL_TOPIC'
  | 'BAD_REQUEST'
  | 'MESSAGE_BODY_TOO_LARGE'
  | 'MESSAGE_PROPERTIES_TOO_LARGE'
  | 'ILLEGAL_MESSAGE_TAG'
  | 'ILLEGAL_MESSAGE_PROPERTY_KEY'
  | 'ILLEGAL_DELIVERY_TIME'
  | 'MESSAGE_PROPERTY_CONFLICT_WITH_TYPE'
  | 'UNSUPPORTED'
  | 'INTERNAL_ERROR';

export class PublishError extends Error {
  constructor(readonly code: PublishErrorCode, message: string) {
    super(message);
  }
}

/** Room left in a batch of message.max.bytes for record framing and properties. */
export const PROPERTY_ROOM_BYTES = 64 * 1024;

/**
 * What a message's properties (user properties, keys, tag, group, ids:
 * every header of its record, and its key) may take, bytes: the room less
 * 1 KiB for what the half-message and timer stores add. So one message of
 * the largest body always fits a batch of message.max.bytes, whichever
 * store it goes to.
 */
export const MAX_PROPERTY_BYTES = PROPERTY_ROOM_BYTES - 1024;

/** The largest body accepted (and told to producers in their settings). */
export function maxBodyBytes(broker: Broker): number {
  return Math.max(1, Number(broker.configs.get('message.max.bytes')) - PROPERTY_ROOM_BYTES);
}

export interface OutgoingMessage extends RocketMessage {
  /** What the producer says the message is; checked against the topic and the properties. */
  declaredType: MessageType | 'UNSPECIFIED' | string;
}

/** The type the properties make a message: RocketMQ's rule (group: FIFO, delivery time: DELAY). */
function impliedType(m: OutgoingMessage): MessageType {
  if (m.messageGroup !== null) return 'FIFO';
  if (m.deliveryTimestampMs !== null) return 'DELAY';
  return 'NORMAL';
}

/** The last millisecond a google.protobuf.Timestamp holds (9999-12-31T23:59:59.999Z). */
export const MAX_TIMESTAMP_MS = 253_402_300_799_999n;

/** Throws PublishError for the first thing wrong with any of a request's messages, in their order. */
export function checkMessages(broker: Broker, messages: readonly { topic: string; message: OutgoingMessage }[]): void {
  // The setting read once a request, not once a message.
  const max = maxBodyBytes(broker);
  for (const p of messages) checkMessage(broker, p.topic, p.message, max);
}

/** Throws PublishError for the first thing wrong with a message to `topic`; `max`: maxBodyBytes(broker). */
export function checkMessage(broker: Broker, topic: string, m: OutgoingMessage, max = maxBodyBytes(broker)): void {
  const t = broker.topics.get(topic);
  if (!topic) throw new PublishError('ILLEGAL_TOPIC', 'a topic is required');
  if (!t) throw new PublishError('TOPIC_NOT_FOUND', `no topic "${topic}" (RocketMQ producers do not create topics: create it first, e.g. mqlab topics --create)`);
  if (t.internal) throw new PublishError('ILLEGAL_TOPIC', `${topic} is internal`);
  const declared = checkMessageAlone(m, max);
  const topicType = topicMessageType(t);
  if (declared !== topicType) throw new PublishError('MESSAGE_PROPERTY_CONFLICT_WITH_TYPE', `topic "${topic}" takes ${topicType} messages (its message.type), not ${declared}`);
  if (!(STORED_MESSAGE_TYPES as readonly string[]).includes(declared)) throw new PublishError('UNSUPPORTED', `${declared} messages are not implemented yet (so far: ${STORED_MESSAGE_TYPES.join(', ')})`);
}

/** checkMessage's checks of the message itself, whatever its topic (bodies of up to `max` bytes); returns the type it declares, or implies. */
export function checkMessageAlone(m: OutgoingMessage, max: number): string {
  if (m.body.length > max) throw new PublishError('MESSAGE_BODY_TOO_LARGE', `the body has ${m.body.length} bytes; at most ${max} are accepted`);
  // A record's timestamp is an int64 of ms, and a time index's entry too: times a Timestamp cannot hold, or before 1970, are refused.
  if (m.bornTimestampMs < 0n || m.bornTimestampMs > MAX_TIMESTAMP_MS) throw new PublishError('BAD_REQUEST', `born timestamp ${m.bornTimestampMs} ms: expected a time from 1970 to 9999`);
  if (m.deliveryTimestampMs !== null && (m.deliveryTimestampMs < 0n || m.deliveryTimestampMs > MAX_TIMESTAMP_MS)) throw new PublishError('ILLEGAL_DELIVERY_TIME', `delivery timestamp ${m.deliveryTimestampMs} ms: expected a time from 1970 to 9999`);
  if (m.tag !== null && (m.tag.trim() === '' || m.tag.includes('|'))) throw new PublishError('ILLEGAL_MESSAGE_TAG', `tag "${m.tag}": a tag is not blank and has no "|"`);
  // Its record's key, and each header: its key, its value and up to 10 bytes of varint lengths.
  const bytes = propertyBytes(m);
  if (bytes > MAX_PROPERTY_BYTES) throw new PublishError('MESSAGE_PROPERTIES_TOO_LARGE', `the properties take ${bytes} bytes; at most ${MAX_PROPERTY_BYTES} are accepted`);
  // No Map iterator for a message without user properties (most).
  if (m.userProperties.size > 0) for (const k of m.userProperties.keys()) {
    if (k.startsWith(RESERVED_PREFIX)) throw new PublishError('ILLEGAL_MESSAGE_PROPERTY_KEY', `property "${k}": the prefix "${RESERVED_PREFIX}" is reserved for system properties`);
    if (k === '') throw new PublishError('ILLEGAL_MESSAGE_PROPERTY_KEY', 'a property key is not empty');
  }
  const implied = impliedType(m);
  const declared = m.declaredType === 'MESSAGE_TYPE_UNSPECIFIED' || m.declaredType === 'UNSPECIFIED' ? implied : m.declaredType;
  const consistent = declared === 'TRANSACTION' ? implied === 'NORMAL' : declared === implied;
  if (!consistent) throw new PublishError('MESSAGE_PROPERTY_CONFLICT_WITH_TYPE', `a ${declared} message ${implied === 'FIFO' ? 'with a message group' : implied === 'DELAY' ? 'with a delivery time' : 'without a message group or delivery time'} is contradictory`);
  return declared;
}

/**
 * Whether checkMessage passes every message of a request the addon read
 * (native/rmq_send.cc checks what needs no broker): their topic, their
 * type, their largest body; and whether their queue is one of the topic's.
 */
export function takesBatch(broker: Broker, topic: string, partition: number, type: MessageType, maxBody: number): boolean {
  const t = broker.topics.get(topic);
  return t !== undefined && !t.internal && partition < t.partitions && maxBody <= maxBodyBytes(broker) && topicMessageType(t) === type && (STORED_MESSAGE_TYPES as readonly string[]).includes(type);
}

/** Appends checked messages to one queue as one batch; resolves to the offset of the first. */
export async function publish(broker: Broker, topic: string, partition: number, messages: readonly RocketMessage[]): Promise<bigint> {
  const t = broker.topics.get(topic);
  if (!t) throw new PublishError('TOPIC_NOT_FOUND', `no topic "${topic}"`);
  const bad = badQueueId(topic, t.partitions, partition);
  if (bad !== null) throw new PublishError('BAD_REQUEST', bad);
  // The batch toRecord() and encodeBatch would make, written directly; its tag codes go to the index as they are.
  const { batch, tagCodes } = encodeMessageBatch(messages);
  return appendMessageBatch(broker, topic, partition, batch, tagCodes);
}

/** Appends one batch of checked messages (encodeMessageBatch's, or the addon's) with their tag codes; resolves to the offset of the first. */
export async function appendMessageBatch(broker: Broker, topic: string, partition: number, batch: Buffer, tagCodes: BigInt64Array): Promise<bigint> {
  rememberTagCodes(batch, tagCodes);
  const r = await broker.produce(topic, partition, batch, -1, null, BROKER_BUILT);
  if (r.error === 'NONE') return r.baseOffset;
  if (r.error === 'MESSAGE_TOO_LARGE' || r.error === 'RECORD_LIST_TOO_LARGE') throw new PublishError('MESSAGE_PROPERTIES_TOO_LARGE', `the messages and their properties make a batch of ${batch.length} bytes, over message.max.bytes`);
  if (r.error === 'UNKNOWN_TOPIC_OR_PARTITION') throw new PublishError('TOPIC_NOT_FOUND', `no topic "${topic}"`);
  throw new PublishError('INTERNAL_ERROR', `the broker refused the append: ${r.error}${r.message ? `: ${r.message}` : ''}`);
}
