// A queue's pop state finds the deliveries whose invisible time is over
// without looking at each one before the earliest deadline: every way a
// deadline changes (a delivery, a renewal or new invisible time, a move to
// the DLQ and its retry, a restart's restored state) must keep that bound
// true, or a message would stay invisible past its time.
import { describe, expect, it } from 'vitest';
import { QueueState, type DeliveryOptions } from '../src/broker/rocketmq/queue-state.js';

const plain: DeliveryOptions = { messageGroup: null, renewFor: null, renewMs: 0, renewUntil: 0 };

describe('QueueState.expired', () => {
  it('finds what is due, oldest offset first, whichever way its deadline was set', () => {
    const s = new QueueState(0n);
    s.deliver(5n, 1_000, 't1', plain);
    s.deliver(3n, 2_000, 't1', plain);
    s.deliver(9n, 3_000, 't1', plain);
    expect(s.expired(999)).toEqual([]);
    expect(s.expired(2_000)).toEqual([3n, 5n]);
    // Delivered again (later deadlines): nothing due until then.
    s.deliver(3n, 10_000, 't2', plain);
    s.deliver(5n, 10_000, 't2', plain);
    expect(s.expired(2_500)).toEqual([]);
    expect(s.expired(3_000)).toEqual([9n]);
    s.deliver(9n, 10_000, 't2', plain);
    expect(s.expired(9_999)).toEqual([]);
    // A new invisible time earlier than every other deadline is found at once.
    s.setDeadline(s.get(5n)!, 4_000);
    expect(s.expired(4_000)).toEqual([5n]);
    s.setDeadline(s.get(5n)!, Infinity); // bound for the DLQ: never due
    expect(s.expired(9_999)).toEqual([]);
    expect(s.expired(10_000)).toEqual([3n, 9n]);
    s.drop(3n);
    s.drop(9n);
    expect(s.expired(1e12)).toEqual([]);
  });

  it('finds what a restart restored as due', () => {
    const s = new QueueState(0n);
    s.deliver(1n, 50_000, 't', plain);
    expect(s.expired(10_000)).toEqual([]);
    s.restore({ outstanding: new Map([[7n, { attempt: 2, deadline: 5_000, token: 'old', toDeadLetter: false, ...plain }]]), done: new Set() });
    expect(s.expired(10_000)).toEqual([7n]);
  });
});
