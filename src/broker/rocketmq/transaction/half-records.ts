// What RMQ_SYS_TRANS_HALF_TOPIC holds. RocketMQ keeps half messages in
// RMQ_SYS_TRANS_HALF_TOPIC and their ends ("op" markers) in
// RMQ_SYS_TRANS_OP_HALF_TOPIC; here both go to the one internal topic, in
// the order they happened, so recovery reads one log from the oldest open
// half message on and knows every half's state: an op always follows its half.
//   half  the message as it will be stored in its topic, plus headers
//         rmq.real.topic, rmq.real.queue, rmq.tx.client (the producer's
//         client id, asked first at check-back), rmq.tx.prepared (ms)
//   op    no key or value; headers rmq.tx.op (COMMIT, ROLLBACK, CHECK,
//         DISCARD) and rmq.tx.half (the half's offset); its timestamp is when
// A check-back is an op too (RocketMQ writes the half again with one more
// check count), so a check costs a small record, not a copy of the message.
import type { KafkaRecord, RecordHeader, RecordInput } from '../../../records/index.js';
import { encodeBatch } from '../../../records/index.js';
import { toRecord, type RocketMessage } from '../message-record.js';

export const HALF_TOPIC = 'RMQ_SYS_TRANS_HALF_TOPIC';
/** Where half messages go after transaction.check.max check-backs, as in RocketMQ. */
export const CHECK_MAX_TOPIC = 'TRANS_CHECK_MAX_TIME_TOPIC';

const H_REAL_TOPIC = 'rmq.real.topic';
const H_REAL_QUEUE = 'rmq.real.queue';
const H_CLIENT = 'rmq.tx.client';
const H_PREPARED = 'rmq.tx.prepared';
const H_OP = 'rmq.tx.op';
const H_HALF = 'rmq.tx.half';
const TX_HEADERS = new Set([H_REAL_TOPIC, H_REAL_QUEUE, H_CLIENT, H_PREPARED, H_OP, H_HALF]);

export type OpKind = 'COMMIT' | 'ROLLBACK' | 'CHECK' | 'DISCARD';

export interface Half {
  topic: string;
  partition: number;
  clientId: string;
  preparedMs: number;
}

export type HalfLogEntry = { kind: 'half'; half: Half } | { kind: 'op'; op: OpKind; halfOffset: bigint };

export function halfBatch(m: RocketMessage, h: Half): Buffer {
  const r = toRecord(m);
  const put = (key: string, value: string): void => {
    r.headers!.push({ key, value: Buffer.from(value) });
  };
  put(H_REAL_TOPIC, h.topic);
  put(H_REAL_QUEUE, String(h.partition));
  put(H_CLIENT, h.clientId);
  put(H_PREPARED, String(h.preparedMs));
  return encodeBatch({ baseTimestamp: r.timestamp!, records: [r] });
}

export function opBatch(op: OpKind, halfOffset: bigint, nowMs: number): Buffer {
  const headers: RecordHeader[] = [
    { key: H_OP, value: Buffer.from(op) },
    { key: H_HALF, value: Buffer.from(String(halfOffset)) },
  ];
  return encodeBatch({ baseTimestamp: BigInt(nowMs), records: [{ key: null, value: null, headers }] });
}

export function readEntry(r: KafkaRecord): HalfLogEntry | null {
  const get = (key: string): string | null => {
    const h = r.headers.find((x) => x.key === key);
    return h?.value ? h.value.toString() : null;
  };
  const op = get(H_OP);
  if (op !== null) {
    const half = get(H_HALF);
    if (!half || !/^\d+$/.test(half) || !['COMMIT', 'ROLLBACK', 'CHECK', 'DISCARD'].includes(op)) return null;
    return { kind: 'op', op: op as OpKind, halfOffset: BigInt(half) };
  }
  const topic = get(H_REAL_TOPIC);
  const queue = get(H_REAL_QUEUE);
  if (topic === null || queue === null) return null;
  return { kind: 'half', half: { topic, partition: Number(queue), clientId: get(H_CLIENT) ?? '', preparedMs: Number(get(H_PREPARED) ?? 0) } };
}

/** The half's message as it goes to its topic: the transaction headers dropped, `extra` added. */
export function realRecord(r: KafkaRecord, timestampMs: bigint, extra: Record<string, string> = {}): RecordInput {
  const headers = r.headers.filter((h) => !TX_HEADERS.has(h.key));
  for (const [key, value] of Object.entries(extra)) headers.push({ key, value: Buffer.from(value) });
  return { key: r.key, value: r.value, headers, timestamp: timestampMs };
}
