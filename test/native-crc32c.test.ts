import { crc32c as nodeRsCrc32c } from '@node-rs/crc32';
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { native } from '../src/native/addon.js';
import { crc32c } from '../src/native/crc32c.js';

describe('crc32c', () => {
  it('gives the check value e3069283 for "123456789"', () => {
    expect(crc32c(Buffer.from('123456789')).toString(16)).toBe('e3069283');
    expect(native.crc32cSoftware(Buffer.from('123456789')).toString(16)).toBe('e3069283');
  });

  it('is 0 for no bytes, and chains across calls', () => {
    expect(crc32c(Buffer.alloc(0))).toBe(0);
    const b = randomBytes(100_000);
    expect(crc32c(b.subarray(40_000), crc32c(b.subarray(0, 40_000)))).toBe(crc32c(b));
  });

  it('agrees with the table version and @node-rs/crc32 at every length and alignment', () => {
    const b = randomBytes(200_000);
    // Around the three-stream block sizes (3 x 256, 3 x 8192) and odd offsets.
    const lengths = [1, 7, 8, 9, 255, 767, 768, 769, 1000, 24_575, 24_576, 24_577, 50_000, 199_990];
    for (const start of [0, 1, 3, 7]) {
      for (const length of lengths) {
        const view = b.subarray(start, start + length);
        const want = native.crc32cSoftware(view);
        expect(crc32c(view)).toBe(want);
        expect(nodeRsCrc32c(view) >>> 0).toBe(want);
      }
    }
  });

  it('detects a single flipped bit', () => {
    const b = randomBytes(30_000);
    const before = crc32c(b);
    b[12_345]! ^= 0x10;
    expect(crc32c(b)).not.toBe(before);
  });

  it('reads only the view it is given, not the whole backing buffer', () => {
    const b = Buffer.from('xx123456789yy');
    expect(crc32c(new Uint8Array(b.buffer, b.byteOffset + 2, 9)).toString(16)).toBe('e3069283');
  });
});
