// Between the protos' plain objects (see proto.ts) and the broker's
// RocketMessage: times, durations, and the two directions of a Message.
import { bodyDigestText, type RocketMessage } from '../../broker/rocketmq/message-record.js';
import type { OutgoingMessage } from '../../broker/rocketmq/publish.js';
import type { Popped } from '../../broker/rocketmq/delivery.js';
import { handleOf } from '../../broker/rocketmq/receipt-handle.js';

export interface PbDuration { seconds?: string | number; nanos?: number }
export interface PbTimestamp { seconds?: string | number; nanos?: number }
export interface PbResource { resourceNamespace?: string; name?: string }

export function durationMs(d: PbDuration | null | undefined): number | null {
  if (!d) return null;
  return Number(d.seconds ?? 0) * 1000 + Math.floor((d.nanos ?? 0) / 1e6);
}

export function toDuration(ms: number): PbDuration {
  return { seconds: String(Math.floor(ms / 1000)), nanos: (ms % 1000) * 1e6 };
}

/** Seconds up to 12 digits are exact in a double, times 1,000, plus the millis. */
const SHORT_SECONDS = /^-?\d{1,12}$/;

export function timestampMs(t: PbTimestamp | null | undefined): bigint | null {
  if (!t) return null;
  const seconds = t.seconds ?? 0;
  const nanos = t.nanos ?? 0;
  // The usual case without three BigInts: the same value, one BigInt made.
  if (typeof seconds === 'string' && SHORT_SECONDS.test(seconds) && Number.isInteger(nanos) && Math.abs(nanos) < 2 ** 31) return BigInt(Number(seconds) * 1000 + Math.floor(nanos / 1e6));
  return BigInt(seconds) * 1000n + BigInt(Math.floor(nanos / 1e6));
}

export function toTimestamp(ms: bigint): PbTimestamp {
  const s = ms >= 0n ? ms / 1000n : (ms - 999n) / 1000n;
  return { seconds: String(s), nanos: Number(ms - s * 1000n) * 1e6 };
}

/* eslint-disable @typescript-eslint/no-explicit-any -- proto messages are loader objects */
type Pb = Record<string, any>;

/** A SendMessageRequest message as the broker takes it (decode-send.ts makes the same of the usual bytes); `nowMs`: the born time of a message without one. */
export function incoming(m: Pb, nowMs = Date.now()): { topic: string; queueId: number; message: OutgoingMessage } {
  const sp: Pb = m.systemProperties ?? {};
  const present = (v: unknown): v is string => typeof v === 'string';
  const props = new Map<string, string>();
  for (const [k, v] of Object.entries((m.userProperties ?? {}) as Record<string, string>)) props.set(k, v);
  return {
    topic: String(m.topic?.name ?? ''),
    queueId: Number(sp.queueId ?? 0),
    message: {
      messageId: String(sp.messageId ?? ''),
      body: Buffer.isBuffer(m.body) ? m.body : Buffer.alloc(0),
      tag: present(sp.tag) ? sp.tag : null,
      keys: Array.isArray(sp.keys) && sp.keys.length > 0 ? sp.keys.map(String).filter((k: string) => k !== '') : [],
      messageGroup: present(sp.messageGroup) ? sp.messageGroup : null,
      deliveryTimestampMs: timestampMs(sp.deliveryTimestamp),
      bornTimestampMs: timestampMs(sp.bornTimestamp) ?? BigInt(nowMs),
      bornHost: String(sp.bornHost ?? ''),
      bodyEncoding: sp.bodyEncoding === 'GZIP' ? 'GZIP' : 'IDENTITY',
      traceContext: present(sp.traceContext) ? sp.traceContext : null,
      userProperties: props,
      declaredType: String(sp.messageType ?? 'MESSAGE_TYPE_UNSPECIFIED'),
    },
  };
}

/** The body's CRC-32 (IEEE) as an unsigned decimal string, what the clients compute and compare: as stored with the message, else computed. */
export function bodyDigest(m: RocketMessage): { type: string; checksum: string } {
  return { type: 'CRC32', checksum: bodyDigestText(m) };
}

function typeOf(m: RocketMessage): string {
  if (m.messageGroup !== null) return 'FIFO';
  if (m.deliveryTimestampMs !== null) return 'DELAY';
  return 'NORMAL';
}

/** A delivered message, with its receipt handle and attempt, as a proto object: the reference encode-received.ts is tested against. */
export function outgoing(p: Popped, topic: PbResource, storeHost: string): Pb {
  const message = stored(p.message, topic, p.partition, p.offset, storeHost, p.attempt);
  message.systemProperties.receiptHandle = handleOf(p.partition, p.offset, p.token, p.retry);
  message.systemProperties.invisibleDuration = toDuration(p.invisibleMs);
  return message;
}

/**
 * A stored message as a proto object, at its queue and offset: what a
 * PullMessage answers (no receipt handle, no invisible time: a pull takes
 * nothing), and a delivery's message before those.
 */
export function stored(m: RocketMessage, topic: PbResource, partition: number, offset: number, storeHost: string, attempt = 1): Pb {
  const sp: Pb = {
    keys: m.keys,
    messageId: m.messageId,
    bodyDigest: bodyDigest(m),
    bodyEncoding: m.bodyEncoding,
    messageType: typeOf(m),
    bornTimestamp: toTimestamp(m.bornTimestampMs),
    bornHost: m.bornHost,
    storeHost,
    queueId: partition,
    queueOffset: String(offset),
    deliveryAttempt: attempt,
  };
  if (m.tag !== null) sp.tag = m.tag;
  if (m.messageGroup !== null) sp.messageGroup = m.messageGroup;
  if (m.deliveryTimestampMs !== null) sp.deliveryTimestamp = toTimestamp(m.deliveryTimestampMs);
  if (m.traceContext !== null) sp.traceContext = m.traceContext;
  return { topic, userProperties: Object.fromEntries(m.userProperties), systemProperties: sp, body: m.body };
}
