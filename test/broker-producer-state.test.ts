import { describe, expect, it } from 'vitest';
import { DEDUPE_BATCHES, ProducerStateTable } from '../src/broker/producer-state.js';

describe('idempotent producer sequence checks', () => {
  const p = 'orders-0';

  function appended(t: ProducerStateTable, pid: bigint, epoch: number, seq: number, count: number, base: bigint): void {
    expect(t.check(p, pid, epoch, seq, count)).toEqual({ kind: 'append' });
    t.record(p, pid, epoch, seq, count, base, base + BigInt(count - 1));
  }

  it('accepts sequences that follow on, and a new producer at any sequence', () => {
    const t = new ProducerStateTable();
    appended(t, 7n, 0, 0, 3, 0n);
    appended(t, 7n, 0, 3, 2, 3n);
    appended(t, 8n, 0, 40, 1, 5n);
  });

  it('answers a retried batch with its first offsets instead of appending it again', () => {
    const t = new ProducerStateTable();
    appended(t, 7n, 0, 0, 3, 10n);
    appended(t, 7n, 0, 3, 3, 13n);
    expect(t.check(p, 7n, 0, 0, 3)).toEqual({ kind: 'duplicate', baseOffset: 10n, lastOffset: 12n });
    expect(t.check(p, 7n, 0, 3, 3)).toEqual({ kind: 'duplicate', baseOffset: 13n, lastOffset: 15n });
  });

  it('remembers only the last five batches for duplicates', () => {
    const t = new ProducerStateTable();
    for (let i = 0; i <= DEDUPE_BATCHES; i++) appended(t, 1n, 0, i, 1, BigInt(i));
    expect(t.check(p, 1n, 0, 0, 1).kind).toBe('error');
    expect(t.check(p, 1n, 0, 1, 1).kind).toBe('duplicate');
  });

  it('rejects gaps and reordering', () => {
    const t = new ProducerStateTable();
    appended(t, 7n, 0, 0, 2, 0n);
    expect(t.check(p, 7n, 0, 5, 1)).toMatchObject({ kind: 'error', code: 'OUT_OF_ORDER_SEQUENCE_NUMBER' });
    expect(t.check(p, 7n, 0, 1, 2)).toMatchObject({ kind: 'error', code: 'OUT_OF_ORDER_SEQUENCE_NUMBER' });
  });

  it('fences an older epoch and requires sequence 0 for a newer one', () => {
    const t = new ProducerStateTable();
    appended(t, 7n, 2, 0, 1, 0n);
    expect(t.check(p, 7n, 1, 1, 1)).toMatchObject({ kind: 'error', code: 'INVALID_PRODUCER_EPOCH' });
    expect(t.check(p, 7n, 3, 4, 1)).toMatchObject({ kind: 'error', code: 'OUT_OF_ORDER_SEQUENCE_NUMBER' });
    appended(t, 7n, 3, 0, 1, 1n);
    expect(t.check(p, 7n, 2, 1, 1)).toMatchObject({ kind: 'error', code: 'INVALID_PRODUCER_EPOCH' });
  });

  it('wraps sequences at 2^31 - 1', () => {
    const t = new ProducerStateTable();
    appended(t, 9n, 0, 2 ** 31 - 2, 2, 0n); // sequences 2^31-2, 2^31-1
    appended(t, 9n, 0, 0, 1, 2n);
  });

  it('keeps partitions apart', () => {
    const t = new ProducerStateTable();
    appended(t, 7n, 0, 0, 1, 0n);
    expect(t.check('other-0', 7n, 0, 0, 1)).toEqual({ kind: 'append' });
  });
});
