// The frame decoder against streams cut at random places: every frame comes
// out whole and in order whatever the chunking (size prefixes split too), a
// frame that spans chunks is copied alone (the bytes after it stay in their
// chunk), and bad sizes fail with the frames before them.
import { describe, expect, it } from 'vitest';
import { FrameDecoder, FrameError } from '../src/protocol/kafka/frame-decoder.js';
import { testRandom } from './helpers/seed.js';

const random = testRandom('protocol-frame-decoder');

function framed(body: Buffer): Buffer {
  const f = Buffer.alloc(4 + body.length);
  f.writeInt32BE(body.length, 0);
  body.copy(f, 4);
  return f;
}

function bodyOf(i: number, size: number): Buffer {
  const b = Buffer.alloc(size);
  for (let k = 0; k < size; k++) b[k] = (i * 31 + k) & 0xff;
  return b;
}

describe('FrameDecoder', () => {
  it('gives back every frame whole and in order, however the stream is cut', () => {
    for (let round = 0; round < 50; round++) {
      const bodies = Array.from({ length: random.int(1, 40) }, (_, i) => bodyOf(i + round, random.int(8, 20_000)));
      const stream = Buffer.concat(bodies.map(framed));
      const d = new FrameDecoder(1 << 20);
      const out: Buffer[] = [];
      for (let at = 0; at < stream.length; ) {
        // Chunks from 1 byte (size prefixes split) to 64 KiB (several frames at once).
        const n = Math.min(stream.length - at, random.next() < 0.2 ? random.int(1, 5) : random.int(1, 65_536));
        out.push(...d.push(stream.subarray(at, at + n)));
        at += n;
      }
      expect(out.length).toBe(bodies.length);
      out.forEach((f, i) => expect(f.equals(bodies[i]!)).toBe(true));
      expect(d.bufferedBytes).toBe(0);
    }
  });

  it('copies only the frame that spans two chunks, not the rest of the second', () => {
    const a = bodyOf(1, 10_000);
    const b = bodyOf(2, 100);
    const stream = Buffer.concat([framed(a), framed(b)]);
    const d = new FrameDecoder(1 << 20);
    const first = stream.subarray(0, 6_000);
    const second = stream.subarray(6_000);
    expect(d.push(first)).toEqual([]);
    const frames = d.push(second);
    expect(frames.map((f) => f.length)).toEqual([a.length, b.length]);
    expect(frames[0]!.equals(a)).toBe(true);
    // The frame after the spanning one is a view of the chunk it came in, not of a joined copy.
    expect(frames[1]!.buffer).toBe(second.buffer);
    expect(frames[1]!.byteOffset).toBe(second.byteOffset + second.length - b.length);
  });

  it('fails on a bad size with the complete frames before it, and on an oversized frame', () => {
    const good = framed(bodyOf(3, 50));
    const bad = Buffer.alloc(4);
    bad.writeInt32BE(3, 0);
    const d = new FrameDecoder(1 << 20);
    let err: unknown;
    try {
      d.push(Buffer.concat([good, bad]));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(FrameError);
    expect((err as FrameError).frames.map((f) => f.length)).toEqual([50]);
    const big = Buffer.alloc(4);
    big.writeInt32BE(2_000, 0);
    expect(() => new FrameDecoder(1_000).push(big)).toThrow(/exceeds the limit of 1000/);
  });
});
