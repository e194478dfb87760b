// The engines' tag index: codes given with an append are read back per
// offset (across a clean restart); an append without codes reads as 0
// ("not known"); and a segment whose tail a crash cut loses those offsets'
// codes too, so a later record at the same offset never inherits a lost
// record's code.
import { readFileSync, rmSync, statSync, truncateSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { encodeBatch } from '../src/records/index.js';
import { FilePool } from '../src/storage/file-pool.js';
import { TagIndex } from '../src/storage/segmented/tag-index.js';
import { createEngine, type StorageEngine } from '../src/storage/index.js';
import { tempDir } from './helpers/files.js';

const tp = { topic: 't', partition: 0 };
const batch = (n: number): Buffer => encodeBatch({ baseTimestamp: 1000n, records: Array.from({ length: n }, (_, i) => ({ key: null, value: Buffer.from(`v${i}`) })) });

async function open(kind: string, dir: string): Promise<StorageEngine> {
  const e = createEngine(kind, { dir, flush: { kind: 'none' } });
  await e.open();
  e.createPartition(tp);
  return e;
}

describe.each(['segmented', 'commitlog'])('tag index (%s)', (kind) => {
  it('keeps codes per offset, across a clean restart; no codes read as 0', async () => {
    const tmp = tempDir();
    try {
      let e = await open(kind, tmp.dir);
      await e.append(tp, Buffer.concat([batch(2), batch(1)]), { tagCodes: BigInt64Array.from([5n, -7n, 2112n]) });
      await e.append(tp, batch(2)); // a plain append
      await e.append(tp, batch(1), { tagCodes: BigInt64Array.from([9n, 9n]) }); // codes that do not fit: not kept
      expect([...e.tagCodes!(tp, 0n, 10)]).toEqual([5n, -7n, 2112n, 0n, 0n, 0n]);
      expect([...e.tagCodes!(tp, 2n, 1)]).toEqual([2112n]);
      await e.close();
      e = await open(kind, tmp.dir);
      expect([...e.tagCodes!(tp, 0n, 10)]).toEqual([5n, -7n, 2112n, 0n, 0n, 0n]);
      await e.close();
    } finally {
      tmp.cleanup();
    }
  });
});

it('segmented: a tail cut by recovery takes its codes with it', async () => {
  const tmp = tempDir();
  try {
    let e = await open('segmented', tmp.dir);
    const last = batch(1);
    await e.append(tp, batch(2), { tagCodes: BigInt64Array.from([1n, 2n]) });
    await e.append(tp, last, { tagCodes: BigInt64Array.from([3n]) });
    await e.close();
    // As if the machine crashed before the last batch reached the disk (its .tags entry did).
    const log = join(tmp.dir, 't-0', '00000000000000000000.log');
    truncateSync(log, statSync(log).size - last.length);
    rmSync(join(tmp.dir, '.clean-shutdown'));
    e = await open('segmented', tmp.dir);
    expect(e.highWatermark(tp)).toBe(2n);
    await e.append(tp, batch(1)); // offset 2 again, without a code
    expect([...e.tagCodes!(tp, 0n, 10)]).toEqual([1n, 2n, 0n]);
    await e.close();
  } finally {
    tmp.cleanup();
  }
});

it('a .tags file holds each code as 8 big-endian bytes (negative, past 2^32, the extremes), from a view into a larger array too', () => {
  const tmp = tempDir();
  try {
    const codes = [0n, 1n, -1n, 2n ** 32n, 2n ** 32n + 7n, -(2n ** 40n) + 3n, 2n ** 63n - 1n, -(2n ** 63n), 0x0123456789abcdefn];
    const whole = BigInt64Array.from([42n, ...codes, 42n]);
    const index = new TagIndex(join(tmp.dir, 'x.tags'), new FilePool(16));
    index.write(3, whole.subarray(1, 1 + codes.length));
    index.persist(); // held until a page fills, a read, or the segment persists its indexes
    const bytes = readFileSync(join(tmp.dir, 'x.tags'));
    const expected = Buffer.alloc((3 + codes.length) * 8);
    codes.forEach((c, i) => expected.writeBigInt64BE(c, (3 + i) * 8));
    expect(bytes.toString('hex')).toBe(expected.toString('hex'));
    expect([...index.read(3, codes.length).codes]).toEqual(codes);
    index.close();
  } finally {
    tmp.cleanup();
  }
});

it('codes are held and written a page (512 codes) at a time, at a read, or at persist(); a gap writes what is held first', () => {
  const tmp = tempDir();
  try {
    const path = join(tmp.dir, 'x.tags');
    const index = new TagIndex(path, new FilePool(16));
    for (let i = 0; i < 700; i++) index.write(i, BigInt64Array.from([BigInt(i) - 350n]));
    // One page went out when it filled; the other 188 codes are held.
    expect(statSync(path).size).toBe(4096);
    index.write(1000, BigInt64Array.from([7n, 8n])); // not after the last: what is held goes first
    expect(statSync(path).size).toBe(700 * 8);
    const { codes } = index.read(0, 1002);
    expect(statSync(path).size).toBe(1002 * 8);
    expect([...codes.subarray(0, 700)]).toEqual(Array.from({ length: 700 }, (_, i) => BigInt(i) - 350n));
    expect([...codes.subarray(700, 1000)].every((c) => c === 0n)).toBe(true);
    expect([...codes.subarray(1000)]).toEqual([7n, 8n]);
    // More than a page at once is written at once.
    index.write(1002, new BigInt64Array(600).fill(3n));
    expect(statSync(path).size).toBe(1602 * 8);
    // Held codes are dropped by close() (a discarded segment's), kept by persist().
    index.write(1602, BigInt64Array.from([1n]));
    index.close();
    expect(statSync(path).size).toBe(1602 * 8);
    index.write(1602, BigInt64Array.from([1n]));
    index.persist();
    expect(statSync(path).size).toBe(1603 * 8);
    index.close();
  } finally {
    tmp.cleanup();
  }
});
