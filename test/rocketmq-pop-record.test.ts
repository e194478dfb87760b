// The pop journal's binary records (pop-record.ts) read back as written:
// version 2's shared entries on seeded random sequences, and version 1's
// records as the builds before it wrote them.
import { describe, expect, it } from 'vitest';
import { decodeKey, JournalRecords, queuePrefix, readEntries } from '../src/broker/rocketmq/pop-record.js';
import type { Outstanding } from '../src/broker/rocketmq/queue-state.js';
import { decodeBatch, encodeBatch } from '../src/records/index.js';

interface Entry {
  queue: [string, string, number];
  offset: number;
  state: Outstanding | null;
}

/** What a batch of journal records says, entry by entry, in order. */
function entriesOf(batch: Buffer): Entry[] {
  const out: Entry[] = [];
  for (const r of decodeBatch(batch, 0).records) {
    const k = decodeKey(r.key!);
    readEntries(k.offset, r.value, (offset, state) => out.push({ queue: [k.group, k.topic, k.partition], offset, state }));
  }
  return out;
}

/** A state as the journal gives it back: no deadline (moving to the DLQ) reads as due at once. */
function asRead(o: Outstanding | null): Outstanding | null {
  return o === null ? null : { ...o, deadline: Number.isFinite(o.deadline) ? o.deadline : 0 };
}

/** Version 1's record of one message, as the builds before version 2 wrote it. */
function v1Record(group: string, topic: string, partition: number, offset: bigint, o: (Omit<Outstanding, 'token'> & { handle: string }) | null): { key: Buffer; value: Buffer | null; headers: [] } {
  const g = Buffer.from(group);
  const t = Buffer.from(topic);
  const key = Buffer.alloc(1 + 2 + g.length + 2 + t.length + 4 + 8);
  let at = key.writeUInt8(1, 0);
  at = key.writeUInt16BE(g.length, at);
  at += g.copy(key, at);
  at = key.writeUInt16BE(t.length, at);
  at += t.copy(key, at);
  at = key.writeUInt32BE(partition, at);
  key.writeBigInt64BE(offset, at);
  if (o === null) return { key, value: null, headers: [] };
  const text = (s: string | null): Buffer => {
    if (s === null) return Buffer.from([0xff, 0xff, 0xff, 0xff]);
    const b = Buffer.from(s);
    const len = Buffer.alloc(4);
    len.writeInt32BE(b.length);
    return Buffer.concat([len, b]);
  };
  const head = Buffer.alloc(30);
  const finite = Number.isFinite(o.deadline);
  head[0] = 1;
  head[1] = (o.toDeadLetter ? 1 : 0) | (finite ? 0 : 2);
  head.writeUInt32BE(o.attempt, 2);
  head.writeDoubleBE(finite ? o.deadline : 0, 6);
  head.writeDoubleBE(o.renewMs, 14);
  head.writeDoubleBE(o.renewUntil, 22);
  return { key, value: Buffer.concat([head, text(o.handle), text(o.messageGroup), text(o.renewFor)]), headers: [] };
}

describe('pop journal records', () => {
  it('keys carry group, topic and partition, any UTF-8', () => {
    for (const [group, topic, partition] of [['g', 't', 0], ['组-émoji-😀', '%RETRY%x', 4_000_000_000], ['g'.repeat(300), 't', 1]] as const) {
      expect(decodeKey(queuePrefix(group, topic, partition))).toEqual({ group, topic, partition, offset: null });
    }
  });

  it('refuses a record of another version with a clear error', () => {
    const key = queuePrefix('g', 't', 0);
    key[0] = 9;
    expect(() => decodeKey(key)).toThrow(/version 9/);
    expect(() => readEntries(null, Buffer.from([7, 1]), () => undefined)).toThrow(/version 7/);
  });

  it('reads back seeded random sequences of deliveries and acks over several queues, entry for entry', () => {
    const seed = 20261203;
    console.log(`pop-record sequences: seed ${seed}`);
    let x = seed;
    const rand = (n: number): number => {
      x = (x * 1103515245 + 12345) % 2 ** 31;
      return x % n;
    };
    const queues: [string, string, number][] = [['g', 't', 0], ['g', 't', 1], ['组-😀', 'topic', 2]];
    const prefixes = queues.map(([g, t, p]) => queuePrefix(g, t, p));
    const texts = ['a1b2c3d4e5f6.1', 'a1b2c3d4e5f6.zz', '', 'ü'.repeat(50)];
    const journal = new JournalRecords();
    expect(journal.batch(1n)).toBeNull();
    for (let round = 0; round < 40; round++) {
      const want: Entry[] = [];
      // Runs that share times and texts, as a receive's do, broken at random.
      let shared: Outstanding = { attempt: 1, deadline: 1_764_000_000_000, token: texts[0]!, messageGroup: null, renewFor: null, renewMs: 30_000, renewUntil: 1_764_043_200_000, toDeadLetter: false };
      for (let i = 0, n = 1 + rand(80); i < n; i++) {
        const q = rand(8) === 0 ? rand(queues.length) : round % queues.length;
        const offset = rand(10) === 0 ? rand(1000) * 2 ** 40 + 2 ** 52 : rand(100_000);
        let state: Outstanding | null = null;
        if (rand(4) !== 0) {
          if (rand(5) === 0) shared = { ...shared, deadline: rand(3) === 0 ? Infinity : 1_764_000_000_000 + rand(1e6), renewMs: rand(60_000), renewUntil: rand(2) * 1e12 };
          if (rand(5) === 0) shared = { ...shared, token: texts[rand(texts.length)]!, messageGroup: rand(2) ? null : `order-${rand(9)}`, renewFor: rand(2) ? null : 'client@host' };
          state = { ...shared, attempt: 1 + rand(300), toDeadLetter: rand(10) === 0 };
        }
        journal.add(prefixes[q]!, offset, state);
        want.push({ queue: queues[q]!, offset, state: asRead(state) });
      }
      const batch = journal.batch(1_764_000_000_000n)!;
      expect(entriesOf(batch)).toEqual(want);
      // Framed exactly as encodeBatch frames the same records.
      const records = decodeBatch(batch, 0).records.map((r) => ({ key: r.key, value: r.value, headers: [] }));
      expect(batch.toString('hex')).toBe(encodeBatch({ baseTimestamp: 1_764_000_000_000n, records }).toString('hex'));
    }
  });

  it('a receive of 32 is one record, its deliveries after the first 13 bytes each; an ack of 32, 9 bytes each', () => {
    const prefix = queuePrefix('group', 'topic', 0);
    const journal = new JournalRecords();
    const o: Outstanding = { attempt: 1, deadline: 1_764_000_000_000, token: 'a1b2c3d4e5f6.k', messageGroup: null, renewFor: null, renewMs: 30_000, renewUntil: 1_764_043_200_000, toDeadLetter: false };
    for (let i = 0; i < 32; i++) journal.add(prefix, 1000 + i, o);
    let [record] = decodeBatch(journal.batch(1n)!, 0).records;
    const first = 1 + 8 + 4 + 24 + 4 + o.token.length + 4 + 4;
    expect(record!.value!.length).toBe(1 + first + 31 * 13);
    for (let i = 0; i < 32; i++) journal.add(prefix, 1000 + i, null);
    [record] = decodeBatch(journal.batch(1n)!, 0).records;
    expect(record!.value!.length).toBe(1 + 32 * 9);
  });

  it('reads version 1 records as the builds before wrote them: the handle gives its token', () => {
    const records = [
      v1Record('g', 't', 3, 7n, { attempt: 2, deadline: 1_764_000_000_123, handle: '1.3.7.abcdefabcdef.1z', messageGroup: 'order-42', renewFor: 'client@host', renewMs: 60_000, renewUntil: 1_764_000_100_000, toDeadLetter: false }),
      v1Record('组', '%RETRY%x', 0, 2n ** 52n, { attempt: 16, deadline: Infinity, handle: '', messageGroup: null, renewFor: null, renewMs: 0, renewUntil: 0, toDeadLetter: true }),
      v1Record('g', 't', 3, 7n, null),
    ];
    expect(entriesOf(encodeBatch({ baseTimestamp: 1n, records }))).toEqual([
      { queue: ['g', 't', 3], offset: 7, state: { attempt: 2, deadline: 1_764_000_000_123, token: 'abcdefabcdef.1z', messageGroup: 'order-42', renewFor: 'client@host', renewMs: 60_000, renewUntil: 1_764_000_100_000, toDeadLetter: false } },
      { queue: ['组', '%RETRY%x', 0], offset: 2 ** 52, state: { attempt: 16, deadline: 0, token: '', messageGroup: null, renewFor: null, renewMs: 0, renewUntil: 0, toDeadLetter: true } },
      { queue: ['g', 't', 3], offset: 7, state: null },
    ]);
  });

  it('refuses an entry whose offset the pop state cannot hold (past 2^53 - 1), by name', () => {
    const key = queuePrefix('g', 't', 0);
    const value = Buffer.alloc(10);
    value[0] = 2;
    value[1] = 1; // done with
    value.writeBigInt64BE(2n ** 53n, 2);
    expect(() => entriesOf(encodeBatch({ baseTimestamp: 1n, records: [{ key, value, headers: [] }] }))).toThrow(/offset 9007199254740992 is outside 0 to 2\^53 - 1/);
    const v1 = v1Record('g', 't', 0, 2n ** 62n, null);
    expect(() => entriesOf(encodeBatch({ baseTimestamp: 1n, records: [v1] }))).toThrow(/outside 0 to 2\^53 - 1/);
  });
});
