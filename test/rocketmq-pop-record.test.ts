// The pop journal's binary records read back as written (pop-record.ts).
import { describe, expect, it } from 'vitest';
import { decodeKey, decodeState, encodeKey, encodeState, queuePrefix } from '../src/broker/rocketmq/pop-record.js';
import type { Outstanding } from '../src/broker/rocketmq/queue-state.js';

describe('pop journal records', () => {
  it('keys carry group, topic, partition and offset, any UTF-8 and offsets up to int64', () => {
    for (const [group, topic, partition, offset] of [['g', 't', 0, 0n], ['组-émoji-😀', '%RETRY%x', 4_000_000_000, 2n ** 63n - 1n]] as const) {
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
});
