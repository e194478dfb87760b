// The "consumer" group protocol's payloads, which the broker passes through
// without reading: a member's subscription (JoinGroup metadata) and the
// assignment the leader gives each member (SyncGroup). Version 0 layouts:
//   Subscription: version int16, topics [string], user_data bytes
//   Assignment:   version int16, [topic string, partitions [int32]], user_data bytes
// Later versions only append fields, so a v0 reader reads any of them.
import { Reader, Writer, bytesOf } from '../protocol/kafka/index.js';

export function encodeSubscription(topics: readonly string[]): Buffer {
  const w = new Writer();
  w.int16(0).int32(topics.length);
  for (const t of topics) w.string(t);
  w.nullableBytes(null);
  return bytesOf(w.finish());
}

export function decodeSubscription(buf: Buffer): string[] {
  const r = new Reader(buf);
  r.int16();
  const n = r.int32();
  return Array.from({ length: Math.max(n, 0) }, () => r.string());
}

export function encodeAssignment(assignment: ReadonlyMap<string, readonly number[]>): Buffer {
  const w = new Writer();
  w.int16(0).int32(assignment.size);
  for (const [topic, partitions] of assignment) {
    w.string(topic).int32(partitions.length);
    for (const p of partitions) w.int32(p);
  }
  w.nullableBytes(null);
  return bytesOf(w.finish());
}

export function decodeAssignment(buf: Buffer): Map<string, number[]> {
  const out = new Map<string, number[]>();
  if (buf.length === 0) return out;
  const r = new Reader(buf);
  r.int16();
  const n = r.int32();
  for (let i = 0; i < n; i++) {
    const topic = r.string();
    const count = r.int32();
    out.set(topic, Array.from({ length: Math.max(count, 0) }, () => r.int32()));
  }
  return out;
}

/**
 * Kafka's range assignor: per topic, partitions split into contiguous
 * ranges over the members subscribed to it, sorted by member id; the first
 * (partitions % members) members get one extra.
 */
export function rangeAssign(members: readonly { memberId: string; topics: readonly string[] }[], partitionsOf: (topic: string) => number): Map<string, Map<string, number[]>> {
  const out = new Map(members.map((m) => [m.memberId, new Map<string, number[]>()]));
  const topics = [...new Set(members.flatMap((m) => m.topics))].sort();
  for (const topic of topics) {
    const subscribed = members.filter((m) => m.topics.includes(topic)).map((m) => m.memberId).sort();
    const n = partitionsOf(topic);
    const per = Math.floor(n / subscribed.length);
    const extra = n % subscribed.length;
    let next = 0;
    subscribed.forEach((id, i) => {
      const count = per + (i < extra ? 1 : 0);
      if (count > 0) out.get(id)!.set(topic, Array.from({ length: count }, (_, j) => next + j));
      next += count;
    });
  }
  return out;
}
