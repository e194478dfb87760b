// FrameReader: the client's preface, then whole frames however the reads cut
// them (every cut of a stream of frames, and seeded random cuts), a frame
// past 16 KiB refused (or past the size the reader was given), a split frame
// joined once in a buffer it was lent, a bad preface told apart.
import { describe, expect, it } from 'vitest';
import { FrameReader, type FrameReaderOptions } from '../src/protocol/http2/frame-reader.js';
import { ConnectionError, PREFACE } from '../src/protocol/http2/frames.js';
import { frame } from './fuzz/h2-frames.js';
import { fuzzSeed, Prng } from './helpers/prng.js';

type Got = [number, number, number, string];

function frames(): { bytes: Buffer; want: Got[] } {
  const list: Array<[number, number, number, Buffer]> = [
    [4, 0, 0, Buffer.alloc(0)],
    [1, 4, 1, Buffer.from('header block')],
    [0, 1, 1, Buffer.alloc(16_384, 7)],
    [6, 0, 0, Buffer.from('12345678')],
    [0, 0, 3, Buffer.from('x')],
    [8, 0, 0, Buffer.from([0, 0, 1, 0])],
  ];
  return { bytes: Buffer.concat([PREFACE, ...list.map(([t, f, id, p]) => frame(t, f, id, p))]), want: list.map(([t, f, id, p]) => [t, f, id, p.toString('hex')]) };
}

function read(chunks: Buffer[], options: FrameReaderOptions = {}): Got[] {
  const got: Got[] = [];
  const r = new FrameReader((type, flags, streamId, payload) => got.push([type, flags, streamId, Buffer.from(payload).toString('hex')]), () => false, options);
  for (const c of chunks) expect(r.push(c)).toBe(true);
  return got;
}

describe('FrameReader', () => {
  const { bytes, want } = frames();

  it('gives the same frames whatever one cut splits the bytes', () => {
    for (let cut = 0; cut <= bytes.length; cut += cut < 200 ? 1 : 97) expect(read([bytes.subarray(0, cut), bytes.subarray(cut)])).toEqual(want);
  });

  it('gives the same frames for seeded random reads, down to one byte at a time', () => {
    const rng = new Prng(fuzzSeed('MQLAB_FRAME_READER_SEED', 'frame reader cuts'));
    for (let round = 0; round < 200; round++) {
      const chunks: Buffer[] = [];
      for (let at = 0; at < bytes.length; ) {
        const n = 1 + rng.int(round % 2 === 0 ? 40 : 20_000);
        chunks.push(bytes.subarray(at, at + n));
        at += n;
      }
      expect(read(chunks)).toEqual(want);
    }
  });

  it('takes frames up to the size it was given, a split one joined in one buffer of its size that it was lent', () => {
    const big = Buffer.alloc(40_000, 9);
    const bytes = Buffer.concat([PREFACE, frame(0, 0, 1, Buffer.from('ab')), frame(0, 1, 1, big), frame(8, 0, 0, Buffer.from([0, 0, 1, 0]))]);
    const want: Got[] = [[0, 0, 1, '6162'], [0, 1, 1, big.toString('hex')], [8, 0, 0, '00000100']];
    for (const cut of [30, 40, 45, 1_000, 40_040, 40_049, 40_050]) {
      const lent: number[] = [];
      expect(read([bytes.subarray(0, cut), bytes.subarray(cut)], { maxFrame: 65_536, lend: (n) => (lent.push(n), Buffer.alloc(n)) }), `cut at ${cut}`).toEqual(want);
      // Only the frame the cut fell in was joined, in a buffer of exactly its size.
      const inBig = cut > PREFACE.length + 11 && cut < PREFACE.length + 11 + 9 + big.length;
      expect(lent, `cut at ${cut}`).toEqual(inBig ? [9 + big.length] : cut > PREFACE.length + 11 + 9 + big.length && cut < bytes.length ? [13] : cut > PREFACE.length && cut < PREFACE.length + 11 ? [11] : []);
    }
    const r = new FrameReader(() => undefined, () => false, { maxFrame: 65_536 });
    expect(() => r.push(Buffer.concat([PREFACE, frame(0, 0, 1, Buffer.alloc(65_537))]))).toThrow(ConnectionError);
  });

  it('refuses a frame past 16 KiB, even split, and tells a bad preface apart', () => {
    const big = frame(0, 0, 1, Buffer.alloc(16_385));
    const r = new FrameReader(() => undefined, () => false);
    expect(r.push(PREFACE)).toBe(true);
    expect(r.push(big.subarray(0, 2))).toBe(true);
    expect(() => r.push(big.subarray(2, 20))).toThrow(ConnectionError);
    expect(new FrameReader(() => undefined, () => false).push(Buffer.from('GET / HTTP/1.1\r\n'))).toBe(false);
    const slow = new FrameReader(() => undefined, () => false);
    expect(slow.push(PREFACE.subarray(0, 5))).toBe(true);
    expect(slow.push(Buffer.from('XX'))).toBe(false);
  });
});
