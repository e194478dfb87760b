// ByteQueue: pieces come back byte for byte however the input was cut; a
// piece one chunk holds is a view of it (no copy), one that spans chunks is
// a copy of its own bytes only; own() leaves no chunk holding a larger read.
import { describe, expect, it } from 'vitest';
import { ByteQueue } from '../src/protocol/byte-queue.js';
import { seededRandom } from '../src/lab/random.js';

describe('ByteQueue', () => {
  it('takes and peeks pieces byte for byte across seeded random chunk cuts', () => {
    const seed = 20261203;
    console.log(`seed ${seed}`);
    const random = seededRandom(seed, 'byte-queue');
    const data = Buffer.from(Array.from({ length: 200_000 }, (_, i) => (i * 31) & 255));
    const q = new ByteQueue();
    let pushed = 0;
    let taken = 0;
    while (taken < data.length) {
      const want = Math.min(data.length - taken, random.int(1, 5000));
      while (q.bytes < want) {
        const n = Math.min(data.length - pushed, random.int(0, 3000));
        // A chunk that is a view into a larger read, as a socket's are.
        const read = Buffer.alloc(n + 10);
        data.copy(read, 5, pushed, pushed + n);
        q.push(read.subarray(5, 5 + n));
        pushed += n;
      }
      if (random.next() < 0.2) q.own();
      expect(q.peek(want).subarray(0, want).equals(data.subarray(taken, taken + want)), `seed ${seed} at ${taken}`).toBe(true);
      // Taken as a piece, or copied into a larger buffer of the caller's (as a gRPC message is assembled).
      let piece: Buffer;
      if (random.next() < 0.3) {
        piece = Buffer.alloc(want + 7, 0xee);
        q.takeInto(want, piece);
        expect(piece.subarray(want).every((b) => b === 0xee)).toBe(true);
      } else {
        piece = q.take(want);
        expect(piece.length).toBe(want);
      }
      expect(piece.subarray(0, want).equals(data.subarray(taken, taken + want)), `seed ${seed} at ${taken}`).toBe(true);
      taken += want;
      expect(q.bytes).toBe(pushed - taken);
    }
  });

  it('hands out a view when one chunk holds the piece, a copy of just the piece when it spans chunks', () => {
    const q = new ByteQueue();
    const a = Buffer.from('abcdef');
    const b = Buffer.alloc(65_536, 'x');
    q.push(a);
    q.push(b);
    const view = q.take(4);
    expect(view.buffer).toBe(a.buffer);
    const spanning = q.take(10);
    expect(spanning.toString()).toBe('efxxxxxxxx');
    expect(spanning.buffer).not.toBe(b.buffer);
    expect(spanning.buffer.byteLength).toBeLessThan(65_536);
    // What is left of b is a view of its 64 KiB; owned, it holds only itself.
    expect(q.bytes).toBe(65_528);
    q.own();
    const rest = q.take(q.bytes);
    expect([rest.buffer === b.buffer, rest.buffer.byteLength]).toEqual([false, 65_528]);
  });
});
