// RocketMQ data written before an abuse run through the gRPC endpoint and
// read back afterwards two ways: the logs byte for byte and the consumer
// group's committed offsets over Kafka (witness.ts snapshot), and every
// message as a RocketMQ consumer of a fresh group receives it. No fuzzed
// request names these topics or groups.
import type * as grpc from '@grpc/grpc-js';
import { Admin } from '../../src/client/admin.js';
import type { Prng } from '../helpers/prng.js';
import { receive, unary } from './grpc-calls.js';
import { snapshot, type Snapshot } from './witness.js';

export const RMQ_WITNESS_TOPICS: Readonly<Record<string, { queues: number; type: string }>> = {
  'witness-rmq': { queues: 3, type: 'NORMAL' },
  'witness-rmq-fifo': { queues: 2, type: 'FIFO' },
};
export const RMQ_WITNESS_GROUP = 'witness-rmq-group';

/* eslint-disable @typescript-eslint/no-explicit-any -- decoded proto objects */
type Pb = Record<string, any>;

/** Writes the witness messages; returns how many. */
export async function writeRmqWitness(bootstrap: string, client: grpc.Client, rng: Prng): Promise<number> {
  const admin = await Admin.connect(bootstrap);
  try {
    for (const [topic, t] of Object.entries(RMQ_WITNESS_TOPICS)) await admin.createTopic(topic, t.queues, { 'message.type': t.type });
  } finally {
    admin.close();
  }
  let n = 0;
  for (const [topic, t] of Object.entries(RMQ_WITNESS_TOPICS)) {
    for (let i = 0; i < 10; i++) {
      const messages = Array.from({ length: rng.range(1, 4) }, () => {
        const sp: Pb = { messageId: `WITNESS${(n++).toString().padStart(6, '0')}`, messageType: t.type, bornTimestamp: { seconds: String(1_700_000_000 + n) }, bornHost: 'witness', queueId: rng.int(t.queues), tag: rng.pick(['A', 'B']), keys: [`k${n}`] };
        if (t.type === 'FIFO') sp.messageGroup = `g${rng.int(3)}`;
        return { topic: { name: topic }, userProperties: { n: String(n) }, systemProperties: sp, body: rng.bytes(rng.range(0, 2000)) };
      });
      const r = await unary(client, 'SendMessage', { messages });
      if (r.status.code !== 'OK') throw new Error(`witness send to ${topic}: ${r.status.code} ${r.status.message}`);
    }
  }
  // Some of it consumed and acked by a group: its committed offsets are witnesses too.
  const acked = new Map<number, bigint>();
  for (let q = 0; q < 3; q++) {
    const got = await receiveAll(client, 'witness-rmq', q, RMQ_WITNESS_GROUP, 2);
    if (got.length > 0) acked.set(q, BigInt(got.length));
  }
  await committed(bootstrap, 'witness-rmq', acked);
  return n;
}

/**
 * Waits (asking OffsetFetch, for at most 10 s) until the group's committed
 * offsets are `expected`: the broker stores them within
 * rocketmq.offset.commit.interval.ms of the acks.
 */
async function committed(bootstrap: string, topic: string, expected: ReadonlyMap<number, bigint>): Promise<void> {
  const admin = await Admin.connect(bootstrap);
  try {
    const until = Date.now() + 10_000;
    for (;;) {
      const now = (await admin.groupOffsets(RMQ_WITNESS_GROUP)).get(topic) ?? new Map<number, bigint>();
      if (now.size === expected.size && [...expected].every(([q, o]) => now.get(q) === o)) return;
      if (Date.now() > until) throw new Error(`witness group's offsets of ${topic}: ${JSON.stringify([...now].map(String))}, expected ${JSON.stringify([...expected].map(String))}`);
    }
  } finally {
    admin.close();
  }
}

/** Receives from one queue, acking as it goes (FIFO topics hold a message group's next until then), until it answers no more (or `max` messages). */
async function receiveAll(client: grpc.Client, topic: string, queue: number, group: string, max = Infinity): Promise<Pb[]> {
  const out: Pb[] = [];
  while (out.length < max) {
    const answers = await receive(client, {
      group: { name: group },
      messageQueue: { topic: { name: topic }, id: queue },
      filterExpression: { type: 'TAG', expression: '*' },
      batchSize: Math.min(32, max - out.length),
      invisibleDuration: { seconds: '3600' },
      longPollingTimeout: { seconds: '0' },
    });
    const status = answers[0]?.status?.code;
    if (status === 'MESSAGE_NOT_FOUND') break;
    if (status !== 'OK') throw new Error(`witness receive from ${topic}/${queue}: ${status} ${answers[0]?.status?.message}`);
    const got = answers.slice(1).map((a) => a.message);
    out.push(...got);
    const r = await unary(client, 'AckMessage', { group: { name: group }, topic: { name: topic }, entries: got.map((m) => ({ messageId: m.systemProperties.messageId, receiptHandle: m.systemProperties.receiptHandle })) });
    if (r.status.code !== 'OK') throw new Error(`witness ack: ${r.status.code} ${r.status.message}`);
  }
  return out;
}

/** Every witness message as a fresh group of `reader` receives it, one line each, sorted. */
export async function readRmqWitness(client: grpc.Client, reader: string): Promise<string[]> {
  const lines: string[] = [];
  for (const [topic, t] of Object.entries(RMQ_WITNESS_TOPICS)) {
    for (let q = 0; q < t.queues; q++) {
      for (const m of await receiveAll(client, topic, q, reader)) {
        const sp = m.systemProperties;
        lines.push(JSON.stringify([topic, q, sp.queueOffset, sp.messageId, sp.tag, sp.keys, sp.messageGroup ?? null, sp.bornTimestamp, m.userProperties, m.body.toString('hex')]));
      }
    }
  }
  return lines.sort();
}

/** The witness logs (Kafka fetch) and the group's committed offsets. */
export function rmqSnapshot(bootstrap: string): Promise<Snapshot> {
  return snapshot(bootstrap, Object.fromEntries(Object.entries(RMQ_WITNESS_TOPICS).map(([k, v]) => [k, v.queues])), [RMQ_WITNESS_GROUP]);
}
