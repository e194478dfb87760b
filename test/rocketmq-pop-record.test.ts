// The pop journal's binary records read back as written (pop-record.ts).
import { describe, expect, it } from 'vitest';
import { decodeKey, decodeState, encodeKey, encodeState, JournalRecords, queuePrefix } from '../src/broker/rocketmq/pop-record.js';
import { encodeBatch } from '../src/records/index.js';
import type { Outstanding } from '../src/broker/rocketmq/queue-state.js';

describe('pop journal records', () => {
  it('keys carry group, topic, partition and offset, any UTF-8 and offsets up to int64', () => {
    for (const [group, topic, partition, offset] of [['g', 't', 0, 0n], ['g', 't', 1, 2n ** 32n - 1n], ['g', 't', 1, 2n ** 32n + 5n], ['g', 't', 1, 2n ** 53n - 1n], ['g', 't', 1, 2n ** 53n], ['组-émoji-😀', '%RETRY%x', 4_000_000_000, 2n ** 63n - 1n]] as const) {
      expect(decodeKey(encodeKey(queuePrefix(group, topic, partition), offset))).toEqual({ group, topic, partition, offset });
    }
  });

  it('states carry every field; no deadline (moving to the DLQ) reads back as due at once', () => {
    const full: Outstanding = { attempt: 7, deadline: 1_764_000_000_123, handle: 'h-1', messageGroup: 'order-42', renewFor: 'client@host', renewMs: 60_000, renewUntil: 1_764_000_100_000, toDeadLetter: false };
    expect(decodeState(encodeState(full))).toEqual(full);
    const bare: Outstanding = { attempt: 1, deadline: Infinity, handle: '', messageGroup: null, renewFor: null, renewMs: 0, renewUntil: 0, toDeadLetter: true };
    expect(decodeState(encodeState(bare))).toEqual({ ...bare, deadline: 0 });
  });

  it('refuses a record of another version with a clear error', () => {
    const key = encodeKey(queuePrefix('g', 't', 0), 1n);
    key[0] = 9;
    expect(() => decodeKey(key)).toThrow(/version 9/);
  });

  it('JournalRecords writes the batch encodeBatch writes for the keys and values encodeKey and encodeState make', () => {
    const states: (Outstanding | null)[] = [
      { attempt: 1, deadline: 1_764_000_000_123, handle: '1.0.5.abcdefabcdef.1', messageGroup: null, renewFor: null, renewMs: 30_000, renewUntil: 1_764_043_200_123, toDeadLetter: false },
      null,
      { attempt: 300, deadline: Infinity, handle: 'ü'.repeat(100), messageGroup: '组-😀', renewFor: 'c\ud800', renewMs: 0, renewUntil: 0, toDeadLetter: true },
    ];
    const journal = new JournalRecords();
    expect(journal.batch(1n)).toBeNull();
    for (const round of [1, 200]) {
      const records = [];
      for (let i = 0; i < round; i++) {
        const prefix = queuePrefix(i % 2 ? 'group' : 'g'.repeat(300), 'topic', i);
        const offset = BigInt(i) * 2n ** 40n;
        const state = states[i % states.length]!;
        journal.add(prefix, offset, state);
        records.push({ key: encodeKey(prefix, offset), value: state === null ? null : encodeState(state), headers: [] });
      }
      expect(journal.batch(1_764_000_000_000n)!.toString('hex')).toBe(encodeBatch({ baseTimestamp: 1_764_000_000_000n, records }).toString('hex'));
    }
  });
});
