// A full disk (a real 512 KiB tmpfs): the append that does not fit fails
// with a clear error, the log stays consistent and readable, and what was
// acknowledged survives a restart. Needs root to mount; CI runs as root.
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TopicPartition } from '../src/storage/types.js';
import { batchOf } from './helpers/batches.js';
import { ENGINES } from './helpers/engines.js';
import { tempDir } from './helpers/files.js';
import { readAllBatches } from './helpers/regions.js';
import { missing } from './helpers/requires.js';

const tmp = tempDir();
const mountPoint = join(tmp.dir, 'small');
let mounted = false;

beforeAll(() => {
  mkdirSync(mountPoint);
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=512k', 'tmpfs', mountPoint], { stdio: 'pipe' });
    mounted = true;
  } catch (err) {
    console.warn(`cannot mount a tmpfs (${(err as Error).message.trim()}): skipping the full-disk tests`);
  }
});

afterAll(() => {
  // Lazy: a failed test may have left an engine's files open.
  if (mounted) execFileSync('umount', ['-l', mountPoint]);
  tmp.cleanup();
});

const tp: TopicPartition = { topic: 'full', partition: 0 };

describe.each(ENGINES)('$name engine on a full disk', (factory) => {
  it.skipIf(missing('root (to mount a small tmpfs)', process.getuid?.() === 0))('fails the append that does not fit and keeps the rest', async () => {
    expect(mounted).toBe(true);
    const dir = join(mountPoint, factory.name);
    const engine = factory.make({ dir, flush: { kind: 'none' }, segmentBytes: 128 * 1024 });
    await engine.open();
    engine.createPartition(tp);
    let acked = 0n;
    let failure: unknown;
    for (let i = 0; i < 400 && failure === undefined; i++) {
      try {
        const r = await engine.append(tp, batchOf([{ value: Buffer.alloc(3000, i % 256) }]));
        acked = r.lastOffset + 1n;
      } catch (err) {
        failure = err;
      }
    }
    expect(failure).toMatchObject({ code: 'KAFKA_STORAGE_ERROR', message: expect.stringMatching(/ENOSPC/) });
    expect(engine.highWatermark(tp)).toBe(acked);
    const seen = readAllBatches(engine, tp);
    expect(seen.length).toBe(Number(acked));
    expect(seen.every((b) => b.crcOk)).toBe(true);
    // Still failing cleanly on the next try, and still readable.
    await expect(engine.append(tp, batchOf([{ value: Buffer.alloc(3000) }]))).rejects.toMatchObject({ code: 'KAFKA_STORAGE_ERROR' });
    expect(engine.highWatermark(tp)).toBe(acked);
    await engine.close().catch(() => undefined);
    const again = factory.make({ dir, flush: { kind: 'none' } });
    await again.open();
    expect(again.highWatermark(tp)).toBe(acked);
    expect(readAllBatches(again, tp).every((b) => b.crcOk)).toBe(true);
    await again.close().catch(() => undefined);
  });
});
