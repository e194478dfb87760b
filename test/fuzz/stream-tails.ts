// Garbage in the framing itself, sent after a connection's last frame: size
// prefixes that are negative, too small, over the limit, longer or shorter
// than what follows, or bytes that are no frame at all. A size the broker
// can refuse at once must close the connection at once; a size that merely
// promises more bytes leaves the broker waiting (as it must), until the
// client hangs up, which must close it too.
import type { Prng } from '../helpers/prng.js';
import type { PoolSeed } from './seed-pool.js';

export interface StreamTail {
  bytes: Buffer;
  name: string;
  /** Whether the broker can tell from these bytes alone that the stream is bad. */
  closesAtOnce: boolean;
}

function sized(size: number, rest: Buffer): Buffer {
  const b = Buffer.allocUnsafe(4 + rest.length);
  b.writeInt32BE(size, 0);
  rest.copy(b, 4);
  return b;
}

export function streamTail(rng: Prng, pool: readonly PoolSeed[], maxFrameBytes: number): StreamTail {
  const body = rng.pick(pool).body;
  switch (rng.int(6)) {
    case 0:
      return { name: 'negativeSize', closesAtOnce: true, bytes: sized(rng.pick([-1, -8, -0x8000_0000, -rng.range(1, 1 << 30)]), body) };
    case 1:
      return { name: 'sizeBelowHeader', closesAtOnce: true, bytes: sized(rng.range(0, 7), body) };
    case 2:
      return { name: 'sizeOverLimit', closesAtOnce: true, bytes: sized(rng.pick([maxFrameBytes + 1, 0x7fff_ffff, maxFrameBytes * 2]), body) };
    case 3:
      // Promises up to the limit and sends a little: the broker holds what came, never the promise.
      return { name: 'sizeLongerThanSent', closesAtOnce: false, bytes: sized(rng.pick([body.length + 1, 1 << 20, maxFrameBytes]), body) };
    case 4:
      return { name: 'sizeShorterThanBody', closesAtOnce: false, bytes: sized(Math.max(8, body.length - rng.range(1, 16)), body) };
    default:
      return { name: 'randomBytes', closesAtOnce: false, bytes: rng.bytes(rng.range(1, 64)) };
  }
}
