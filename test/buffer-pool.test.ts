// BufferPool: lends powers of two, takes back only what it lent (or a view
// of it), each once, and keeps no more than its bound.
import { describe, expect, it } from 'vitest';
import { BufferPool } from '../src/protocol/buffer-pool.js';

describe('BufferPool', () => {
  it('lends a power of two of at least the ask and the minimum, and lends it again once given back', () => {
    const pool = new BufferPool(1024, 65_536, 1 << 20);
    const a = pool.lend(100);
    const b = pool.lend(17_700);
    expect([a.length, b.length]).toEqual([1024, 32_768]);
    pool.giveBack(b.subarray(0, 17_700));
    expect(pool.heldBytes).toBe(32_768);
    expect(pool.lend(20_000).buffer).toBe(b.buffer);
    expect(pool.heldBytes).toBe(0);
    // Another size class does not take it.
    pool.giveBack(a);
    expect(pool.lend(2000).buffer).not.toBe(a.buffer);
  });

  it('takes back each lent buffer once, and nothing it did not lend', () => {
    const pool = new BufferPool(1024, 65_536, 1 << 20);
    const a = pool.lend(4096);
    pool.giveBack(a);
    pool.giveBack(a);
    pool.giveBack(Buffer.allocUnsafeSlow(4096));
    // Nor another pool's.
    const other = new BufferPool(1024, 65_536, 1 << 20);
    const b = other.lend(4096);
    pool.giveBack(b);
    expect(pool.heldBytes).toBe(4096);
    other.giveBack(b.subarray(100, 200));
    expect(other.heldBytes).toBe(4096);
    // Lent once more, it is one buffer, not two handed to two asks.
    expect(pool.lend(4096).buffer).toBe(a.buffer);
    expect(pool.lend(4096).buffer).not.toBe(a.buffer);
  });

  it('keeps at most its bound, and no buffer larger than its largest', () => {
    const pool = new BufferPool(1024, 65_536, 3 * 16_384);
    const lent = Array.from({ length: 5 }, () => pool.lend(16_384));
    for (const b of lent) pool.giveBack(b);
    expect(pool.heldBytes).toBe(3 * 16_384);
    const big = pool.lend(100_000);
    expect(big.length).toBe(100_000);
    pool.giveBack(big);
    expect(pool.heldBytes).toBe(3 * 16_384);
    expect(() => new BufferPool(3000, 65_536, 1 << 20)).toThrow(/power of two/);
  });
});
