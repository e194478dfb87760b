// Load over RocketMQ's gRPC API, lean enough that the broker sets the pace:
// SendMessage with a window of requests in flight, each request encoded once
// as a template and stamped in place (every body carries the producer id and
// its sequence in its first 16 bytes, as the Kafka load tools' keys do, and
// every message its own id); and receive loops, each ReceiveMessage (a batch)
// then one AckMessage for the whole batch, several loops at once.
import type { RecordableHistogram } from 'node:perf_hooks';
import { messagingService } from '../../protocol/rocketmq/proto.js';
import { GrpcSession, statusCode } from './grpc-wire.js';
import { CancelledCall } from './h2-client.js';
import { AckBuilder, ackRequestHead, readAnswerInto, readReceived } from './received.js';
import { newLatencyHistogram, recordMicros } from './histogram.js';
import { IntegrityTracker } from './integrity.js';
import { nowMicros } from './stamped-batch.js';

/** apache.rocketmq.v2.Code */
export const CODE_OK = 20000;
export const CODE_MESSAGE_NOT_FOUND = 40401;
/** Body bytes the stamp takes: producer id, then sequence (both 64-bit big-endian). */
export const BODY_STAMP_BYTES = 16;

export interface RocketSendOptions {
  endpoint: string;
  topic: string;
  messagesPerRequest: number;
  valueBytes: number;
  window: number;
  maxMessages: number;
  maxMs: number;
  producerId: bigint;
}

export interface RocketSendResult {
  requests: number;
  ackedMessages: number;
  errors: number;
  firstError: string | null;
  seconds: number;
  /** Request to answer, µs. */
  latency: RecordableHistogram;
}

/* eslint-disable @typescript-eslint/no-explicit-any -- proto-loader's plain objects */
/** A request of `method`, encoded by proto-loader (once per template, not per call). */
export const encode = (method: string, request: Record<string, any>): Buffer => messagingService()[method]!.requestSerialize(request);

/** The stamp (producer id, sequence) of the body in buf[at, end) to the tracker; a body too short for one is passed over. */
export function trackStamp(tracker: IntegrityTracker, buf: Buffer, at: number, end: number): void {
  if (end - at >= BODY_STAMP_BYTES) tracker.add(buf.readBigInt64BE(at), Number(buf.readBigInt64BE(at + 8)));
}

const slotMarker = (i: number): string => `@@mqlab${String(i).padStart(9, '0')}`;

/** A SendMessageRequest of k messages, and where each message's id digits and body stamp sit in it. */
function sendTemplate(o: RocketSendOptions): { bytes: Buffer; idAt: number[]; bodyAt: number[] } {
  if (o.valueBytes < BODY_STAMP_BYTES) throw new RangeError(`messages need at least ${BODY_STAMP_BYTES} body bytes for the stamp`);
  const born = Date.now();
  const messages = Array.from({ length: o.messagesPerRequest }, (_, i) => {
    const body = Buffer.alloc(o.valueBytes, 0x2e);
    body.write(slotMarker(i), 'latin1');
    return {
      topic: { name: o.topic },
      // 34 hex digits like the clients' ids: version 01, the producer, then the sequence (written per send).
      systemProperties: { messageId: `01${o.producerId.toString(16).padStart(16, '0').slice(-16)}${slotMarker(i)}`, messageType: 'NORMAL', bodyEncoding: 'IDENTITY', bornTimestamp: { seconds: String(Math.floor(born / 1000)), nanos: (born % 1000) * 1e6 }, bornHost: '127.0.0.1', queueId: 0 },
      body,
    };
  });
  const bytes = encode('SendMessage', { messages });
  const idAt: number[] = [];
  const bodyAt: number[] = [];
  for (let i = 0; i < o.messagesPerRequest; i++) {
    const marker = Buffer.from(slotMarker(i), 'latin1');
    idAt.push(bytes.indexOf(marker));
    bodyAt.push(bytes.indexOf(marker, idAt[i]! + marker.length));
    if (idAt[i]! < 0 || bodyAt[i]! < 0) throw new Error('cannot find the stamp places in the encoded SendMessageRequest');
  }
  return { bytes, idAt, bodyAt };
}

export async function rocketSendLoad(o: RocketSendOptions): Promise<RocketSendResult> {
  const session = await GrpcSession.connect(o.endpoint);
  const t = sendTemplate(o);
  const r: RocketSendResult = { requests: 0, ackedMessages: 0, errors: 0, firstError: null, seconds: 0, latency: newLatencyHistogram() };
  const start = nowMicros();
  let next = 0;
  const sendOne = async (): Promise<void> => {
    for (let j = 0; j < o.messagesPerRequest; j++) {
      const seq = next++;
      t.bytes.write(seq.toString(16).padStart(16, '0'), t.idAt[j]!, 'latin1');
      t.bytes.writeBigInt64BE(o.producerId, t.bodyAt[j]!);
      t.bytes.writeBigInt64BE(BigInt(seq), t.bodyAt[j]! + 8);
    }
    const sent = nowMicros();
    r.requests++;
    // call() copies the template before it returns, so the next stamp cannot change this request.
    const [answer] = await session.call('SendMessage', t.bytes, 30_000);
    recordMicros(r.latency, nowMicros() - sent);
    const code = answer ? statusCode(answer) : -1;
    if (code === CODE_OK) r.ackedMessages += o.messagesPerRequest;
    else {
      r.errors++;
      r.firstError ??= `SendMessage answered status ${code}`;
    }
  };
  const loop = async (): Promise<void> => {
    while (next + o.messagesPerRequest <= o.maxMessages && nowMicros() - start < o.maxMs * 1000) {
      try {
        await sendOne();
      } catch (err) {
        r.errors++;
        r.firstError ??= (err as Error).message;
        return;
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: o.window }, loop));
  } finally {
    session.close();
  }
  r.seconds = (nowMicros() - start) / 1e6;
  return r;
}

/** `calls` of one fixed request (e.g. Heartbeat: what a call costs with no work in it), `window` in flight. */
export async function rocketCallLoad(endpoint: string, method: string, request: Record<string, any>, calls: number, window: number, maxMs: number): Promise<{ calls: number; errors: number; firstError: string | null; seconds: number }> {
  const session = await GrpcSession.connect(endpoint);
  const bytes = encode(method, request);
  const r = { calls: 0, errors: 0, firstError: null as string | null, seconds: 0 };
  const start = nowMicros();
  let next = 0;
  const loop = async (): Promise<void> => {
    while (next < calls && nowMicros() - start < maxMs * 1000) {
      next++;
      try {
        const [answer] = await session.call(method, bytes, 30_000);
        const code = answer ? statusCode(answer) : -1;
        if (code !== CODE_OK) throw new Error(`${method} answered status ${code}`);
        r.calls++;
      } catch (err) {
        r.errors++;
        r.firstError ??= (err as Error).message;
        return;
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: window }, loop));
  } finally {
    session.close();
  }
  r.seconds = (nowMicros() - start) / 1e6;
  return r;
}

export interface RocketReceiveOptions {
  endpoint: string;
  topic: string;
  group: string;
  /** maxMessageNum of each ReceiveMessage (the broker caps it at 32). */
  batch: number;
  /** Receive-and-ack loops at once. */
  loops: number;
  expectMessages: number;
  maxMs: number;
  integrity?: IntegrityTracker;
  /**
   * Send each ack alongside the next receive instead of before it, as
   * RocketMQ's PushConsumer does (its ProcessQueue receives again as soon
   * as a receive returns, and acks as the listener finishes): a loop has
   * at most one ack in flight, waited for before it sends the next.
   */
  overlapAcks?: boolean;
  /** Called before each ReceiveMessage (a client's own work between receives, in benchmarks of its pace). */
  beforeReceive?: () => void | Promise<void>;
}

export interface RocketReceiveResult {
  received: number;
  receives: number;
  acks: number;
  errors: number;
  firstError: string | null;
  /** Until the expected messages had all come (or the time was up). */
  seconds: number;
  integrity: IntegrityTracker;
}

export async function rocketReceiveLoad(o: RocketReceiveOptions): Promise<RocketReceiveResult> {
  const session = await GrpcSession.connect(o.endpoint);
  const pollMs = 500;
  const receive = receiveRequest(o.group, o.topic, o.batch, 60, pollMs);
  const ackHead = ackRequestHead(o.group, o.topic);
  /** What the receives in flight are cancelled by, once every message expected is in (acks are not cancelled). */
  const receives = {};
  const r: RocketReceiveResult = { received: 0, receives: 0, acks: 0, errors: 0, firstError: null, seconds: 0, integrity: o.integrity ?? new IntegrityTracker() };
  const start = nowMicros();
  let end = 0;
  const fail = (message: string): void => {
    r.errors++;
    r.firstError ??= message;
  };
  /** Each body's stamp to the tracker. */
  const stamped = (body: Buffer | null): void => {
    if (body) trackStamp(r.integrity, body, 0, body.length);
  };
  /** An ack's failure, or null. */
  const ack = async (request: Buffer): Promise<string | null> => {
    const [answer] = await session.call('AckMessage', request, 30_000);
    const code = answer ? statusCode(answer) : -1;
    return code === CODE_OK ? null : `AckMessage answered status ${code}`;
  };
  const loop = async (): Promise<void> => {
    let acking: Promise<string | null> | null = null;
    // The receive's ids and handles go straight into its ack as its messages are read.
    const acks = new AckBuilder(ackHead);
    /** Waits for the loop's ack in flight; false if it failed (counted). */
    const settle = async (): Promise<boolean> => {
      const pending = acking;
      acking = null;
      const failed = pending === null ? null : await pending;
      if (failed !== null) fail(failed);
      return failed === null;
    };
    try {
      while (r.received < o.expectMessages && nowMicros() - start < o.maxMs * 1000) {
        if (o.beforeReceive) await o.beforeReceive();
        r.receives++;
        let code = -1;
        try {
          await session.callEach(
            'ReceiveMessage',
            receive,
            pollMs + 5_000,
            (answer) => {
              const c = readAnswerInto(answer, stamped, acks);
              if (c !== -1) code = c;
            },
            '',
            receives,
          );
        } catch (err) {
          // The run is over: the receives still waiting for messages were cancelled.
          if (err instanceof CancelledCall) break;
          throw err;
        }
        if (code !== CODE_OK && code !== CODE_MESSAGE_NOT_FOUND) return fail(`ReceiveMessage answered status ${code}`);
        if (acks.count === 0) continue;
        r.received += acks.count;
        if (r.received >= o.expectMessages) {
          end = nowMicros();
          // The other loops' receives would wait out their long poll for messages that are not coming: a run ends
          // when its messages are in, as a Kafka consumer's does, and the broker's idle work meanwhile is no receive's.
          session.cancel(receives);
        }
        if (!(await settle())) return;
        r.acks++;
        acking = ack(acks.request());
        if (!o.overlapAcks && !(await settle())) return;
      }
    } finally {
      await settle();
    }
  };
  try {
    await Promise.all(
      Array.from({ length: o.loops }, () =>
        loop().catch((err: Error) => {
          fail(err.message);
        }),
      ),
    );
  } finally {
    session.close();
  }
  r.seconds = ((end || nowMicros()) - start) / 1e6;
  return r;
}

/**
 * A consumer that takes `count` messages of the group and never acks them
 * (a slow consumer's backlog, or one that dies): each invisible for
 * `invisibleSeconds`. Asks for no more than it still needs, so exactly
 * `count` are out when it returns (unless they come due again meanwhile).
 */
export async function rocketTakeWithoutAck(endpoint: string, group: string, topic: string, count: number, invisibleSeconds: number): Promise<void> {
  const session = await GrpcSession.connect(endpoint);
  try {
    for (let taken = 0; taken < count; ) {
      const request = receiveRequest(group, topic, Math.min(32, count - taken), invisibleSeconds, 0);
      const { deliveries } = readReceived(await session.call('ReceiveMessage', request, 10_000), () => undefined);
      if (deliveries.length === 0) throw new Error(`took ${taken} of ${count} messages of ${topic}: the queue ran dry`);
      taken += deliveries.length;
    }
  } finally {
    session.close();
  }
}

/** A ReceiveMessageRequest for queue 0 of `topic`, every tag. */
function receiveRequest(group: string, topic: string, batchSize: number, invisibleSeconds: number, pollMs: number): Buffer {
  return encode('ReceiveMessage', {
    group: { name: group },
    messageQueue: { topic: { name: topic }, id: 0, permission: 'READ_WRITE' },
    filterExpression: { type: 'TAG', expression: '*' },
    batchSize,
    invisibleDuration: { seconds: String(invisibleSeconds), nanos: 0 },
    autoRenew: false,
    longPollingTimeout: { seconds: '0', nanos: pollMs * 1e6 },
  });
}
