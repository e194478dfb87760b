// SendMessage after its checks: each message goes where its type says.
// NORMAL (and FIFO) messages of one queue are appended as one batch; a
// DELAY message due later goes to the timer store (answered with a recall
// handle; its offset is -1 until it is due, then it is appended like any);
// a TRANSACTION message becomes a half message (answered with its
// transaction id). One entry per message, in request order. A request's
// delayed messages go to the timer store together: one timer-log write and
// one sync for all of them.
import { appendMessageBatch, publish, PublishError, takesBatch } from '../../broker/rocketmq/publish.js';
import type { RocketMessage } from '../../broker/rocketmq/message-record.js';
import type { Scheduled } from '../../broker/rocketmq/timer/timer-store.js';
import type { OutgoingMessage } from '../../broker/rocketmq/publish.js';
import type { ServiceContext } from './service.js';
import type { NativeSend } from './native-send.js';
import { SendAnswer } from './send-answer.js';
import { statusOf } from './status.js';
import { badQueueId } from '../../broker/rocketmq/queue-id.js';

/** Offsets up to here, plus a request's messages, stay exact as numbers. */
const MAX_SAFE_OFFSET = BigInt(Number.MAX_SAFE_INTEGER - 1_000_000);

export interface ParsedSend {
  topic: string;
  queueId: number;
  message: OutgoingMessage;
}

function failed(ctx: ServiceContext, answer: SendAnswer, i: number, err: unknown): void {
  const s = statusOf(err);
  if (s.code === 'INTERNAL_ERROR') ctx.log('error', `rocketmq SendMessage: ${(err as Error).stack ?? String(err)}`);
  answer.failed(i, s);
}

/** Offsets as numbers while exact: no BigInt per message. */
function stored(answer: SendAnswer, indexes: readonly number[] | null, base: bigint): void {
  const small = base <= MAX_SAFE_OFFSET;
  const b = Number(base);
  const n = indexes === null ? answer.length : indexes.length;
  for (let k = 0; k < n; k++) answer.stored(indexes === null ? k : indexes[k]!, small ? b + k : base + BigInt(k));
}

/**
 * A request the addon read into one batch (native-send.ts), appended as it
 * is; null if the broker's checks do not pass it (decode-send.ts's path
 * then gives the error).
 */
export async function sendBatch(ctx: ServiceContext, req: NativeSend): Promise<SendAnswer | null> {
  if (!takesBatch(ctx.broker, req.topic, req.queueId, req.messageType, req.maxBody)) {
    req.done();
    return null;
  }
  const answer = new SendAnswer(req.messageIds);
  try {
    stored(answer, null, await appendMessageBatch(ctx.broker, req.topic, req.queueId, req.batch, req.tagCodes));
  } catch (err) {
    for (let i = 0; i < answer.length; i++) failed(ctx, answer, i, err);
  } finally {
    req.done();
  }
  return answer;
}

export async function sendEntries(ctx: ServiceContext, parsed: readonly ParsedSend[], clientId: string): Promise<SendAnswer> {
  const answer = new SendAnswer(parsed.map((p) => p.message.messageId));
  const byQueue = new Map<string, number[]>();
  let last: number[] | null = null;
  let lastTopic = '';
  let lastQueueId = 0;
  const delayed: { i: number; s: Scheduled }[] = [];
  const now = Date.now();
  for (let i = 0; i < parsed.length; i++) {
    const p = parsed[i]!;
    const m = p.message;
    try {
      if (m.declaredType === 'TRANSACTION') {
        const t = await ctx.transactions.prepare(p.topic, p.queueId, m, clientId);
        answer.transaction(i, t.transactionId, t.halfOffset);
        continue;
      }
      if (m.deliveryTimestampMs !== null && Number(m.deliveryTimestampMs) > now) {
        checkQueue(ctx, p.topic, p.queueId);
        delayed.push({ i, s: { topic: p.topic, partition: p.queueId, message: m, deliverMs: Number(m.deliveryTimestampMs) } });
        continue;
      }
    } catch (err) {
      failed(ctx, answer, i, err);
      continue;
    }
    // A request's messages mostly go to one queue: the last one's list is taken without a key string and a look-up.
    if (last !== null && p.topic === lastTopic && p.queueId === lastQueueId) {
      last.push(i);
      continue;
    }
    const key = `${p.topic}\0${p.queueId}`;
    last = byQueue.get(key) ?? null;
    if (last) last.push(i);
    else byQueue.set(key, (last = [i]));
    lastTopic = p.topic;
    lastQueueId = p.queueId;
  }
  if (delayed.length > 0) {
    try {
      const handles = await ctx.timer.scheduleAll(delayed.map((d) => d.s));
      handles.forEach((h, n) => (typeof h === 'string' ? answer.delayed(delayed[n]!.i, h) : failed(ctx, answer, delayed[n]!.i, h)));
    } catch (err) {
      for (const d of delayed) failed(ctx, answer, d.i, err);
    }
  }
  for (const indexes of byQueue.values()) {
    const first = parsed[indexes[0]!]!;
    const msgs: RocketMessage[] = indexes.map((i) => parsed[i]!.message);
    try {
      stored(answer, indexes, await publish(ctx.broker, first.topic, first.queueId, msgs));
    } catch (err) {
      for (const i of indexes) failed(ctx, answer, i, err);
    }
  }
  return answer;
}

function checkQueue(ctx: ServiceContext, topic: string, queueId: number): void {
  const t = ctx.broker.topics.get(topic)!;
  const bad = badQueueId(topic, t.partitions, queueId);
  if (bad !== null) throw new PublishError('BAD_REQUEST', bad);
}
