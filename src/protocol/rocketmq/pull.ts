// RocketMQ 5's pull consumption over gRPC: PullMessage reads a queue from the
// offset the client gives and answers its messages, then the offset to pull
// next; UpdateOffset stores a group's offset of a queue and GetOffset reads
// it back. Apache RocketMQ's proxy has not merged these RPCs (it answers
// UNIMPLEMENTED); the answers follow its pull path as drafted
// (apache/rocketmq#6757, PullMessageActivity and its stream writer): the
// status first, then each message, then next_offset, on every answer that
// is not an error; ILLEGAL_OFFSET with the queue's bound to go on from for
// an offset outside the queue; MESSAGE_NOT_FOUND when nothing came within
// the long poll (or the filter passed over all it looked at); a GetOffset
// of a group with no offset for the queue OFFSET_NOT_FOUND. A group's
// offset is the one its pop consumption commits and Kafka consumers of the
// same group commit and fetch (the broker's offset store): the offset
// given is stored as it is, and by RocketMQ's and Kafka's convention it is
// the next offset to consume.
import type { ServerCall } from '../grpc/call.js';
import type { Broker } from '../../broker/broker.js';
import { fromRecord } from '../../broker/rocketmq/message-record.js';
import { pullRecords } from '../../broker/rocketmq/pull-read.js';
import { retryOrigin } from '../../broker/rocketmq/retry-topic.js';
import { KAFKA_RETRY_PREFIX } from '../../broker/rocketmq/system-topics.js';
import { requireAccess, principalOf } from './auth.js';
import { stored } from './convert.js';
import { deliveriesSent, encodePulled } from './encode-received.js';
import { takeLimits } from './polling.js';
import { BadRequest, consumedTopic, existingTopic, groupName, tagFilter } from './resources.js';
import { OK, status } from './status.js';
import type { ServiceContext } from './service.js';
import { badQueueId } from '../../broker/rocketmq/queue-id.js';

/* eslint-disable @typescript-eslint/no-explicit-any -- proto messages are loader objects */
type Pb = Record<string, any>;

const INT64_MAX = 2n ** 63n - 1n;

/** The group and stored topic a pull or offset request names (the group required). */
function namesOf(r: Pb): { group: string; topic: string } {
  const group = groupName(r.group);
  if (!group) throw new BadRequest('ILLEGAL_CONSUMER_GROUP', 'a consumer group is required');
  return { group, topic: consumedTopic(r.messageQueue?.topic) };
}

/** The queue a request names, once access is checked: the topic there, the queue one of its queues. */
function queueIn(broker: Broker, topic: string, r: Pb): number {
  existingTopic(broker, topic);
  const partition = Number(r.messageQueue?.id ?? 0);
  const bad = badQueueId(topic, broker.topics.get(topic)!.partitions, partition);
  if (bad !== null) throw new BadRequest('BAD_REQUEST', bad);
  return partition;
}

/** An int64 offset as the loader gives it (a decimal string), refused below 0. */
function offsetOf(value: unknown): bigint {
  let offset: bigint;
  try {
    offset = BigInt(String(value ?? '0'));
  } catch {
    throw new BadRequest('ILLEGAL_OFFSET', `offset ${String(value)} is not an integer`);
  }
  if (offset < 0n || offset > INT64_MAX) throw new BadRequest('ILLEGAL_OFFSET', `offset ${offset}: expected 0 or more`);
  return offset;
}

/** The queue and offset a PullMessage or UpdateOffset names, once its caller may READ the topic and the group. */
function readRequest(ctx: ServiceContext, call: ServerCall, r: Pb): { group: string; topic: string; partition: number; offset: bigint } {
  const { group, topic } = namesOf(r);
  requireAccess(ctx.broker, call, 'READ', 'TOPIC', topic);
  requireAccess(ctx.broker, call, 'READ', 'GROUP', group);
  return { group, topic, partition: queueIn(ctx.broker, topic, r), offset: offsetOf(r.offset) };
}

/** PullMessage: written to `call` and ended; a failure before the first answer is thrown (the caller answers its status). */
export async function pull(ctx: ServiceContext, call: ServerCall, storeHost: string): Promise<void> {
  principalOf(ctx.broker, call);
  const r = call.request as Pb;
  const { topic, partition, offset } = readRequest(ctx, call, r);
  const filter = tagFilter(r.filterExpression);
  const { batchSize, pollMs, connection } = takeLimits(r, call, ctx.unsent);
  // Bytes held for a client that does not read are bounded, as for receives: counted when the records are taken, until HTTP/2 has sent them or the call is gone.
  let held = 0;
  const release = (): void => {
    if (held > 0) ctx.unsent.release(connection, held);
    held = 0;
  };
  const budget = { room: () => ctx.unsent.room(connection), hold: (bytes: number) => {
    ctx.unsent.add(connection, bytes);
    held += bytes;
  } };
  ctx.receiving++;
  let got;
  try {
    got = await pullRecords(ctx.broker, { topic, partition, offset, batchSize, filter, pollMs, budget, cancelled: () => call.cancelled });
  } finally {
    ctx.receiving--;
  }
  if (got.kind === 'read') ctx.pulledBytesRead += got.bytesRead;
  if (call.cancelled) return release();
  // Others' answers on this connection took the room while this pull waited.
  if (got.kind === 'full') throw new BadRequest('TOO_MANY_REQUESTS', ctx.unsent.reason(connection));
  if (got.kind === 'illegal') {
    call.write({ status: status('ILLEGAL_OFFSET', got.reason) });
  } else if (got.records.length === 0) {
    call.write({ status: status('MESSAGE_NOT_FOUND', got.nextOffset > offset ? `no message from offset ${offset} to ${got.nextOffset} matches the filter` : 'no new message') });
  } else {
    call.once('close', release);
    call.once('cancelled', release);
    // A retry's copy says how often it was delivered before (RocketMQ: delivery_attempt is reconsume times + 1); other records are not decoded for it.
    const retries = topic.startsWith(KAFKA_RETRY_PREFIX);
    const attempts = got.records.map((s) => (retries ? (retryOrigin(s.record)?.attempts ?? 0) + 1 : 1));
    call.write({ status: OK });
    const encoded = encodePulled(got.records, attempts, r.messageQueue.topic, storeHost, partition);
    if (encoded !== null) {
      call.writeFramed(encoded);
      // The buffer goes back to the pool once sent (a call cut off before then leaves it to the collector).
      call.once('finish', () => {
        release();
        deliveriesSent([encoded]);
      });
    } else {
      call.once('finish', release);
      got.records.forEach((s, i) => call.write({ message: stored(fromRecord(s.record, s.timestampMs, { topic, partition, offset: s.offset }), r.messageQueue.topic, partition, s.offset, storeHost, attempts[i]) }));
    }
  }
  call.write({ nextOffset: String(got.nextOffset) });
  call.end();
}

/** UpdateOffset: the group's offset of the queue, stored as given. */
export async function updateOffset(ctx: ServiceContext, call: ServerCall): Promise<Pb> {
  const { group, topic, partition, offset } = readRequest(ctx, call, call.request as Pb);
  const error = await ctx.broker.coordinator.commit(group, '', -1, [{ topic, partition, offset, metadata: null }]);
  // A Kafka consumer group with members commits its own offsets: Kafka refuses a commit from outside the group, and so does this.
  if (error !== 'NONE') throw new BadRequest('BAD_REQUEST', `group ${group} did not take the offset (${error}): it is a Kafka consumer group with members, whose offsets are theirs to commit`);
  return { status: OK };
}

/** GetOffset: the group's offset of the queue; OFFSET_NOT_FOUND where it has none. */
export async function getOffset(ctx: ServiceContext, call: ServerCall): Promise<Pb> {
  const r = call.request as Pb;
  const { group, topic } = namesOf(r);
  requireAccess(ctx.broker, call, 'DESCRIBE', 'TOPIC', topic);
  requireAccess(ctx.broker, call, 'DESCRIBE', 'GROUP', group);
  const partition = queueIn(ctx.broker, topic, r);
  const { offset } = ctx.broker.coordinator.committed(group, topic, partition);
  if (offset < 0n) throw new BadRequest('OFFSET_NOT_FOUND', `group ${group} has no offset for ${topic}-${partition}: pull from QueryOffset's (BEGINNING, END or a time)`);
  return { status: OK, offset: String(offset) };
}
