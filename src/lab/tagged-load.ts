// Loading a topic with RocketMQ messages fast, through the Kafka listener.
// A RocketMQ message is stored as one Kafka record whose headers carry its
// properties (src/broker/rocketmq/message-record.ts), and a topic with a
// message.type indexes the rmq.tag header on append whichever protocol
// wrote it, so records produced here are what RocketMQ producers' sends
// leave in the log: one message per batch (a producer's send is one
// request), a client-style message id, a tag. Hundreds of such batches go
// in one produce request, which a gRPC SendMessage per message cannot match.
import { encodeBatch } from '../records/index.js';
import { H_MSG_ID, H_TAG } from '../broker/rocketmq/message-record.js';
import { KafkaConnection } from '../client/connection.js';
import type { BrokerProcess } from './broker-process.js';
import type { Random } from './random.js';

export interface TaggedLoadOptions {
  records: number;
  valueBytes: number;
  /** The tag of record i (a seeded draw, so a run can be repeated). */
  tagOf: (i: number) => string;
  /** Batches per produce request (default: 256, fewer for large messages). */
  perRequest?: number;
  /** Produce requests in flight. */
  window?: number;
}

export interface TaggedLoad {
  records: number;
  /** Log bytes written: record batches as stored. */
  bytes: number;
  /** Records per tag. */
  perTag: Map<string, number>;
  seconds: number;
}

/** A one-record batch as a RocketMQ producer's send leaves it: the body, a message id, a tag. */
export function taggedBatch(i: number, tag: string, body: Buffer): Buffer {
  // The clients' ids: 34 hex digits, version 01; fixed length, so batches with tags of one length are one size.
  const id = '01' + i.toString(16).toUpperCase().padStart(32, '0');
  return encodeBatch({ baseTimestamp: BigInt(Date.now()), records: [{ key: null, value: body, headers: [{ key: H_MSG_ID, value: Buffer.from(id) }, { key: H_TAG, value: Buffer.from(tag) }] }] });
}

/** Tags drawn so that about `shares[k]` of the records carry `tags[k]`; the rest the last tag. */
export function tagDraw(random: Random, tags: readonly string[], shares: readonly number[]): () => string {
  return () => {
    let u = random.next();
    for (let k = 0; k < shares.length; k++) {
      if (u < shares[k]!) return tags[k]!;
      u -= shares[k]!;
    }
    return tags[tags.length - 1]!;
  };
}

/** Produces `records` tagged one-record batches to partition 0 of `topic`, acks=1. */
export async function produceTagged(b: BrokerProcess, topic: string, o: TaggedLoadOptions): Promise<TaggedLoad> {
  // About 1 MiB per request whatever the message size, well inside the broker's request limit.
  const perRequest = o.perRequest ?? Math.max(1, Math.min(256, Math.floor((1024 * 1024) / (o.valueBytes + 128))));
  const window = o.window ?? 8;
  const body = Buffer.alloc(o.valueBytes, 0x2e);
  const conn = await KafkaConnection.open(b.host, b.port, 'mqlab-tagged-load');
  const perTag = new Map<string, number>();
  const inFlight = new Set<Promise<void>>();
  let bytes = 0;
  const t0 = performance.now();
  try {
    for (let i = 0; i < o.records; ) {
      const batches: Buffer[] = [];
      for (const end = Math.min(o.records, i + perRequest); i < end; i++) {
        const tag = o.tagOf(i);
        perTag.set(tag, (perTag.get(tag) ?? 0) + 1);
        batches.push(taggedBatch(i, tag, body));
      }
      const records = Buffer.concat(batches);
      bytes += records.length;
      const p = conn.request(0, 7, { transactionalId: null, acks: 1, timeoutMs: 30_000, topicData: [{ name: topic, partitionData: [{ index: 0, records }] }] }).then((r) => {
        const e = r.responses[0]!.partitionResponses[0]!;
        if (e.errorCode !== 0) throw new Error(`produce to ${topic}: error ${e.errorCode} ${e.errorMessage ?? ''}`);
      });
      inFlight.add(p);
      void p.finally(() => inFlight.delete(p)).catch(() => undefined);
      if (inFlight.size >= window) await Promise.race(inFlight);
    }
    await Promise.all(inFlight);
  } finally {
    conn.close();
  }
  return { records: o.records, bytes, perTag, seconds: (performance.now() - t0) / 1000 };
}
