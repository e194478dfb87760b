// The pop journal's binary records (pop-record.ts) read back as written:
// version 3's runs and shared entries on seeded random sequences, and
// versions 1 and 2 as the builds before wrote them.
import { describe, expect, it } from 'vitest';
import { JournalRecords } from '../src/broker/rocketmq/journal-records.js';
import { decodeKey, MAX_RUN, queuePrefix, readEntries } from '../src/broker/rocketmq/pop-record.js';
import type { Outstanding } from '../src/broker/rocketmq/queue-state.js';
import { decodeBatch, encodeBatch, validateBatches } from '../src/records/index.js';
import { fuzzSeed, Prng } from './helpers/prng.js';

interface Entry {
  queue: [string, string, number];
  offset: number;
  state: Outstanding | null;
}

/** What a batch of journal records says, entry by entry, in order. */
/** The entries of the batches in `bytes` (one or more back to back), in order. */
function entriesOf(bytes: Buffer): Entry[] {
  const out: Entry[] = [];
  for (let at = 0; at < bytes.length; at += bytes.readInt32BE(at + 8) + 12) {
    for (const r of decodeBatch(bytes, at).records) {
      const k = decodeKey(r.key!);
      readEntries(k.offset, r.value, (offset, state) => out.push({ queue: [k.group, k.topic, k.partition], offset, state }));
    }
  }
  return out;
}

/** A state as the journal gives it back: no deadline (moving to the DLQ) reads as due at once. */
function asRead(o: Outstanding | null): Outstanding | null {
  return o === null ? null : { ...o, deadline: Number.isFinite(o.deadline) ? o.deadline : 0 };
}

/** A journal text as the records carry it: i32 length (-1: none), then UTF-8. */
function text(s: string | null): Buffer {
  if (s === null) return Buffer.from([0xff, 0xff, 0xff, 0xff]);
  const b = Buffer.from(s);
  const len = Buffer.alloc(4);
  len.writeInt32BE(b.length);
  return Buffer.concat([len, b]);
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

/** Version 2's record of a queue (one entry per message, no counts), as the builds of 2026-12-03 wrote it: every entry with its times and texts. */
function v2Record(group: string, topic: string, partition: number, entries: Array<{ offset: number; state: Outstanding | null }>): { key: Buffer; value: Buffer; headers: [] } {
  const key = queuePrefix(group, topic, partition);
  key[0] = 2;
  const parts: Buffer[] = [Buffer.from([2])];
  for (const { offset, state: o } of entries) {
    const head = Buffer.alloc(9);
    head.writeBigInt64BE(BigInt(offset), 1);
    if (o === null) {
      head[0] = 1;
      parts.push(head);
      continue;
    }
    const finite = Number.isFinite(o.deadline);
    head[0] = (o.toDeadLetter ? 2 : 0) | (finite ? 0 : 4);
    const fixed = Buffer.alloc(28);
    fixed.writeUInt32BE(o.attempt, 0);
    fixed.writeDoubleBE(finite ? o.deadline : 0, 4);
    fixed.writeDoubleBE(o.renewMs, 12);
    fixed.writeDoubleBE(o.renewUntil, 20);
    parts.push(head, fixed, text(o.token), text(o.messageGroup), text(o.renewFor));
  }
  return { key, value: Buffer.concat(parts), headers: [] };
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
    const prng = new Prng(fuzzSeed('MQLAB_POP_RECORD_SEED', 'pop-record sequences'));
    const rand = (n: number): number => prng.int(n);
    const queues: [string, string, number][] = [['g', 't', 0], ['g', 't', 1], ['组-😀', 'topic', 2]];
    const prefixes = queues.map(([g, t, p]) => queuePrefix(g, t, p));
    const texts = ['a1b2c3d4e5f6.1', 'a1b2c3d4e5f6.zz', '', 'ü'.repeat(50)];
    const journal = new JournalRecords();
    expect(journal.batch(1)).toBeNull();
    for (let round = 0; round < 40; round++) {
      const want: Entry[] = [];
      // Runs that share times and texts, as a receive's do, broken at random.
      let next = rand(100_000);
      let shared: Outstanding = { attempt: 1, deadline: 1_764_000_000_000, token: texts[0]!, messageGroup: null, renewFor: null, renewMs: 30_000, renewUntil: 1_764_043_200_000, toDeadLetter: false };
      for (let i = 0, n = 1 + rand(80); i < n; i++) {
        const q = rand(8) === 0 ? rand(queues.length) : round % queues.length;
        // Mostly the offset after the last (runs, as a receive's and an ack's are), now and then anywhere.
        const offset = rand(10) === 0 ? rand(1000) * 2 ** 40 + 2 ** 52 : rand(3) === 0 ? rand(100_000) : next;
        next = offset + 1;
        let state: Outstanding | null = null;
        if (rand(4) !== 0) {
          // Each field changed alone now and then: any one of them ends a run.
          const change = rand(24);
          if (change === 0) shared = { ...shared, deadline: rand(3) === 0 ? Infinity : 1_764_000_000_000 + rand(1e6) };
          if (change === 1) shared = { ...shared, renewMs: rand(60_000) };
          if (change === 2) shared = { ...shared, renewUntil: rand(2) * 1e12 };
          if (change === 3) shared = { ...shared, token: texts[rand(texts.length)]! };
          if (change === 4) shared = { ...shared, messageGroup: rand(2) ? null : `order-${rand(9)}` };
          if (change === 5) shared = { ...shared, renewFor: rand(2) ? null : 'client@host' };
          state = { ...shared, attempt: rand(4) === 0 ? 1 + rand(300) : 1, toDeadLetter: rand(20) === 0 };
        }
        journal.add(prefixes[q]!, offset, state);
        want.push({ queue: queues[q]!, offset, state: asRead(state) });
      }
      const batch = journal.batch(1_764_000_000_000)!;
      expect(entriesOf(batch)).toEqual(want);
      // Framed exactly as encodeBatch frames the same records.
      const records = decodeBatch(batch, 0).records.map((r) => ({ key: r.key, value: r.value, headers: [] }));
      expect(batch.toString('hex')).toBe(encodeBatch({ baseTimestamp: 1_764_000_000_000n, records }).toString('hex'));
    }
  });

  it('writes a flush past maxBatchBytes as several batches, none larger, each valid, the entries in order', () => {
    const prng = new Prng(fuzzSeed('MQLAB_POP_RECORD_SEED', 'pop-record batch limits'));
    const queues = [queuePrefix('g', 't', 0), queuePrefix('group-two', 'topic', 3)];
    for (const max of [300, 512, 2048]) {
      const journal = new JournalRecords(max);
      for (let round = 0; round < 10; round++) {
        const want: Entry[] = [];
        for (let i = 0, n = 1 + prng.int(400); i < n; i++) {
          const q = prng.int(5) === 0 ? 1 : 0;
          // Scattered offsets, so runs stay short and records grow.
          const offset = prng.int(1_000_000);
          const state: Outstanding | null = prng.int(3) === 0 ? null : { attempt: 1 + prng.int(3), deadline: 1_764_000_000_000 + prng.int(1e6), token: `a1b2c3d4e5f6.${prng.int(1000).toString(36)}`, messageGroup: null, renewFor: null, renewMs: 30_000, renewUntil: 1_764_043_200_000, toDeadLetter: false };
          journal.add(queues[q]!, offset, state);
          want.push({ queue: q === 0 ? ['g', 't', 0] : ['group-two', 'topic', 3], offset, state: asRead(state) });
        }
        const bytes = journal.batch(1_764_000_000_000)!;
        // Each batch as a producer's would be checked: whole, at most max, offset deltas 0..n-1.
        const batches = validateBatches(bytes, { maxBatchBytes: max, origin: 'client' });
        if (bytes.length > max) expect(batches.length).toBeGreaterThan(1);
        expect(entriesOf(bytes)).toEqual(want);
        expect(journal.isEmpty()).toBe(true);
      }
    }
  });

  it('a receive of 32 consecutive offsets is one entry; an ack of them another; a run breaks where the state or the offset does', () => {
    const prefix = queuePrefix('group', 'topic', 0);
    const journal = new JournalRecords();
    const o: Outstanding = { attempt: 1, deadline: 1_764_000_000_000, token: 'a1b2c3d4e5f6.k', messageGroup: null, renewFor: null, renewMs: 30_000, renewUntil: 1_764_043_200_000, toDeadLetter: false };
    for (let i = 0; i < 32; i++) journal.add(prefix, 1000 + i, { ...o });
    for (let i = 0; i < 32; i++) journal.add(prefix, 1000 + i, null);
    const batch = journal.batch(1)!;
    const [record] = decodeBatch(batch, 0).records;
    const delivery = 1 + 8 + 4 + 4 + 24 + 4 + o.token.length + 4 + 4;
    expect(record!.value!.length).toBe(1 + delivery + 13);
    expect(entriesOf(batch)).toEqual([...Array.from({ length: 32 }, (_, i) => ({ queue: ['group', 'topic', 0], offset: 1000 + i, state: o })), ...Array.from({ length: 32 }, (_, i) => ({ queue: ['group', 'topic', 0], offset: 1000 + i, state: null }))]);
    // A gap, another attempt, another token: three more entries; the state copied when added (changed after, it does not move the record).
    const later = { ...o };
    journal.add(prefix, 5, later);
    journal.add(prefix, 7, { ...o });
    journal.add(prefix, 8, { ...o, attempt: 2 });
    journal.add(prefix, 9, { ...o, attempt: 2, token: 'other.token' });
    later.attempt = 9;
    expect(entriesOf(journal.batch(1)!).map((e) => [e.offset, e.state?.attempt, e.state?.token])).toEqual([[5, 1, o.token], [7, 1, o.token], [8, 2, o.token], [9, 2, 'other.token']]);
  });

  it('writes a run longer than MAX_RUN as several entries, and refuses a count past it, of 0, or past 2^53 - 1 as corrupt', () => {
    const prefix = queuePrefix('g', 't', 0);
    const journal = new JournalRecords();
    for (let i = 0; i < MAX_RUN + 3; i++) journal.add(prefix, i, null);
    const batch = journal.batch(1)!;
    const [record] = decodeBatch(batch, 0).records;
    expect(record!.value!.length).toBe(1 + 2 * 13);
    const seen: number[] = [];
    readEntries(null, record!.value, (offset, state) => {
      expect(state).toBeNull();
      seen.push(offset);
    });
    expect(seen).toEqual(Array.from({ length: MAX_RUN + 3 }, (_, i) => i));
    const entry = (first: number, count: number): Buffer => {
      const v = Buffer.alloc(14);
      v[0] = 3;
      v[1] = 1;
      v.writeBigInt64BE(BigInt(first), 2);
      v.writeUInt32BE(count, 10);
      return v;
    };
    expect(() => readEntries(null, entry(0, MAX_RUN + 1), () => undefined)).toThrow(/about 65537 offsets/);
    expect(() => readEntries(null, entry(0, 0), () => undefined)).toThrow(/about 0 offsets/);
    expect(() => readEntries(null, entry(2 ** 53 - 2, 2), () => undefined)).not.toThrow();
    expect(() => readEntries(null, entry(2 ** 53 - 2, 3), () => undefined)).toThrow(/below 2\^53/);
  });

  it('reads version 2 records as the builds of 2026-12-03 wrote them: one offset an entry', () => {
    const o: Outstanding = { attempt: 3, deadline: 1_764_000_000_123, token: 'abcdefabcdef.1z', messageGroup: 'order-42', renewFor: 'client@host', renewMs: 60_000, renewUntil: 1_764_000_100_000, toDeadLetter: false };
    const dlq: Outstanding = { ...o, deadline: Infinity, toDeadLetter: true, messageGroup: null, renewFor: null };
    const records = [v2Record('g', 't', 3, [{ offset: 7, state: o }, { offset: 8, state: o }, { offset: 2 ** 52, state: dlq }, { offset: 7, state: null }])];
    expect(entriesOf(encodeBatch({ baseTimestamp: 1n, records }))).toEqual([
      { queue: ['g', 't', 3], offset: 7, state: o },
      { queue: ['g', 't', 3], offset: 8, state: o },
      { queue: ['g', 't', 3], offset: 2 ** 52, state: { ...dlq, deadline: 0 } },
      { queue: ['g', 't', 3], offset: 7, state: null },
    ]);
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
