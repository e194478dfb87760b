// The console producer and consumer behind `mqlab produce` and
// `mqlab consume`: lines in, records out, and back. Each partition's
// requests go to its leader (leaders.ts).
import { createInterface } from 'node:readline';
import { CommittedFilter, decodeBatch, encodeBatch, LOG_OVERHEAD_BYTES, readBatchHeader, type CompressionCodec } from '../records/index.js';
import { errorName } from '../protocol/kafka/index.js';
import { Admin, check } from './admin.js';
import { GroupMember } from './group-member.js';
import type { ClientSecurity } from './security.js';
import { partitionForKey } from './partitioner.js';
import { PartitionLeaders } from './leaders.js';

export interface ProduceOptions {
  bootstrap: string;
  /** TLS and SASL for the listener (--command-config). */
  security?: ClientSecurity;
  topic: string;
  /** Split each line at this separator into key and value. */
  keySeparator?: string;
  acks: number;
  /** Records per batch (a batch also closes at the end of input). */
  batchSize: number;
  /** Each batch's records compressed with this codec (default none). */
  compression?: CompressionCodec;
}

/** Produces each line of `input`; returns the count. */
export async function consoleProduce(input: NodeJS.ReadableStream, o: ProduceOptions): Promise<number> {
  const admin = await Admin.connect(o.bootstrap, o.security);
  let leaders: PartitionLeaders | null = null;
  try {
    const partitions = await admin.partitions(o.topic, true);
    const at = (leaders = await PartitionLeaders.open(admin, o.topic, o.security));
    const pending = new Map<number, { key: Buffer | null; value: Buffer }[]>();
    const inFlight: Promise<void>[] = [];
    let count = 0;
    let roundRobin = 0;
    const flush = (p: number): void => {
      const records = pending.get(p);
      if (!records?.length) return;
      pending.delete(p);
      const batch = encodeBatch({ baseTimestamp: BigInt(Date.now()), records: records.map((r) => ({ key: r.key, value: r.value })), compression: o.compression });
      const body = { transactionalId: null, acks: o.acks, timeoutMs: 30_000, topicData: [{ name: o.topic, partitionData: [{ index: p, records: batch }] }] };
      const conn = at.of(p).conn;
      if (o.acks === 0) {
        void conn.send(0, 7, body, false);
        return;
      }
      const acked = conn.request(0, 7, body).then((r) => {
        const part = r.responses[0]!.partitionResponses[0]!;
        check(part.errorCode, `producing to ${o.topic}-${p}`, part.errorMessage);
      });
      acked.catch(() => undefined); // awaited below, with the rest
      inFlight.push(acked);
    };
    for await (const line of createInterface({ input, crlfDelay: Infinity })) {
      let key: Buffer | null = null;
      let value = line;
      if (o.keySeparator !== undefined) {
        const at = line.indexOf(o.keySeparator);
        if (at >= 0) {
          key = Buffer.from(line.slice(0, at));
          value = line.slice(at + o.keySeparator.length);
        }
      }
      const p = key ? partitionForKey(key, partitions) : roundRobin++ % partitions;
      const list = pending.get(p) ?? [];
      list.push({ key, value: Buffer.from(value) });
      pending.set(p, list);
      count++;
      if (list.length >= o.batchSize) flush(p);
    }
    for (const p of [...pending.keys()]) flush(p);
    await Promise.all(inFlight);
    // A round trip on each connection: every acks=0 request on it was read before.
    if (o.acks === 0) await Promise.all(at.connections().map((a) => a.partitions(o.topic)));
    return count;
  } finally {
    leaders?.close();
    admin.close();
  }
}

export interface ConsumeOptions {
  bootstrap: string;
  /** TLS and SASL for the listener (--command-config). */
  security?: ClientSecurity;
  topic: string;
  group?: string;
  fromBeginning: boolean;
  /** Start where nothing is committed at the first record stamped at or after this time (ms); past the last record, at the end. */
  fromTimeMs?: bigint;
  maxMessages?: number;
  /** Stop after this long with nothing new (default: run until interrupted). */
  timeoutMs?: number;
  printKey: boolean;
  keySeparator: string;
  print: (line: string) => void;
  /** Set to stop the loop (SIGINT). */
  signal?: AbortSignal;
}

/** Consumes and prints records; returns the count. Commits positions in a group. */
export async function consoleConsume(o: ConsumeOptions): Promise<number> {
  const admin = await Admin.connect(o.bootstrap, o.security);
  let member: GroupMember | null = null;
  let leaders: PartitionLeaders | null = null;
  let count = 0;
  try {
    const partitionsOf = (t: string): Promise<number> => admin.partitions(t, true);
    const total = await partitionsOf(o.topic);
    let assigned: number[] = Array.from({ length: total }, (_, i) => i);
    const positions = new Map<number, bigint>();
    /** The leaders again: at the start, after a rebalance (the topic may have grown) and when a node says it no longer leads. */
    const locate = async (): Promise<PartitionLeaders> => {
      leaders?.close();
      leaders = null;
      return (leaders = await PartitionLeaders.open(admin, o.topic, o.security));
    };
    let at = await locate();
    const reset = async (ps: number[]): Promise<void> => {
      const start = await at.offsets(o.topic, ps, o.fromTimeMs ?? (o.fromBeginning ? -2n : -1n));
      // By time, -1 means no record is that late: start at the end, as Kafka's auto.offset.reset=latest would.
      const none = [...start].filter(([, off]) => off < 0n).map(([p]) => p);
      if (none.length > 0) for (const [p, off] of await at.offsets(o.topic, none, -1n)) start.set(p, off);
      for (const [p, off] of start) positions.set(p, off);
    };
    const assign = async (): Promise<void> => {
      positions.clear();
      if (!member) return reset(assigned);
      const a = await member.join();
      at = await locate();
      assigned = a.get(o.topic) ?? [];
      const committed = await member.committed(new Map([[o.topic, assigned]]));
      const fresh: number[] = [];
      for (const p of assigned) {
        const c = committed.get(`${o.topic}:${p}`) ?? -1n;
        if (c >= 0n) positions.set(p, c);
        else fresh.push(p);
      }
      if (fresh.length) await reset(fresh);
    };
    const commit = async (): Promise<void> => {
      if (member && positions.size) await member.commit(new Map([[o.topic, positions]]));
    };
    if (o.group) member = await GroupMember.open(admin.host, admin.port, o.group, [o.topic], partitionsOf, {}, o.security);
    await assign();
    let idleSince = Date.now();
    let lastCommit = Date.now();
    while (!o.signal?.aborted) {
      if (member?.rejoinNeeded) {
        await commit().catch(() => undefined);
        await assign();
      }
      if (o.maxMessages !== undefined && count >= o.maxMessages) break;
      if (o.timeoutMs !== undefined && Date.now() - idleSince > o.timeoutMs) break;
      // One fetch per leader, at once: each waits up to 500 ms for its own partitions.
      const answers = await Promise.all(
        at.grouped(assigned).map(([a, ps]) =>
          a.conn.request(1, 11, {
            replicaId: -1,
            maxWaitMs: 500,
            minBytes: 1,
            maxBytes: 8 * 1024 * 1024,
            // read_committed, as librdkafka and kafkajs consumers default to: no aborted record, nothing past the last stable offset.
            isolationLevel: 1,
            topics: [{ topic: o.topic, partitions: ps.map((partition) => ({ partition, fetchOffset: positions.get(partition) ?? 0n, partitionMaxBytes: 1024 * 1024 })) }],
          }),
        ),
      );
      let moved = false;
      for (const t of answers.flatMap((r) => r.responses)) {
        for (const p of t.partitions) {
          const e = errorName(p.errorCode);
          if (e === 'OFFSET_OUT_OF_RANGE') {
            await reset([p.partitionIndex]);
            continue;
          }
          if (e === 'NOT_LEADER_OR_FOLLOWER') {
            moved = true;
            continue;
          }
          check(p.errorCode, `fetching ${o.topic}-${p.partitionIndex}`);
          const records = p.records;
          if (!records || records.length === 0) continue;
          const from = positions.get(p.partitionIndex) ?? 0n;
          const committed = new CommittedFilter(p.abortedTransactions);
          for (let at = 0; at + 61 <= records.length; ) {
            const h = readBatchHeader(records, at);
            const size = h.batchLength + LOG_OVERHEAD_BYTES;
            if (at + size > records.length) break; // a partial batch at the end, as Kafka may send
            if (!committed.keep(h, records, at)) {
              // Past a marker or an aborted batch: the position moves on, nothing is printed.
              const next = h.baseOffset + BigInt(h.lastOffsetDelta) + 1n;
              if (next > (positions.get(p.partitionIndex) ?? 0n)) positions.set(p.partitionIndex, next);
              at += size;
              continue;
            }
            const batch = decodeBatch(records, at);
            for (const rec of batch.records) {
              const offset = h.baseOffset + BigInt(rec.offsetDelta);
              if (offset < from) continue; // earlier records of the first batch
              if (o.maxMessages !== undefined && count >= o.maxMessages) break;
              const value = rec.value?.toString() ?? '';
              o.print(o.printKey ? `${rec.key?.toString() ?? ''}${o.keySeparator}${value}` : value);
              count++;
              positions.set(p.partitionIndex, offset + 1n);
              idleSince = Date.now();
            }
            at += size;
          }
        }
      }
      if (moved) at = await locate();
      if (Date.now() - lastCommit > 1000) {
        await commit();
        lastCommit = Date.now();
      }
    }
    await commit();
    return count;
  } finally {
    await member?.leave();
    (leaders as PartitionLeaders | null)?.close();
    admin.close();
  }
}
