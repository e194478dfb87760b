// A child process appends; we SIGKILL it after a seeded random number of
// acknowledgements (an event, not a time), recover the
// engine here, and check: every acknowledged record is present and intact,
// offsets run on without a gap, no partial batch is visible, and the engine
// takes appends again where it left off. Many times, for each engine.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeBatch } from '../src/records/index.js';
import type { StorageEngine } from '../src/storage/types.js';
import { batchOf } from './helpers/batches.js';
import { ENGINES } from './helpers/engines.js';
import { tempDir } from './helpers/files.js';
import { readAllBatches } from './helpers/regions.js';
import { testRandom } from './helpers/seed.js';

const CHILD = join(import.meta.dirname, 'fixtures', 'append-child.mjs');
const PARTITIONS = 3;
const KILLS = 8;
const tmp = tempDir();
afterAll(() => tmp.cleanup());
const random = testRandom('storage-crash');

interface Ack {
  partition: number;
  lastOffset: number;
}

/** Runs the child until it has acknowledged `killAfterAcks` appends, then SIGKILLs it (appends go on meanwhile). */
async function runAndKill(engine: string, dir: string, flush: string, killAfterAcks: number): Promise<Ack[]> {
  const child = spawn(process.execPath, [CHILD, engine, dir, flush, String(PARTITIONS)], { stdio: ['ignore', 'pipe', 'inherit'] });
  const acks: Ack[] = [];
  const lines = createInterface({ input: child.stdout! });
  const linesClosed = once(lines, 'close'); // may fire before we would wait
  let enough!: () => void;
  const enoughAcks = new Promise<void>((r) => (enough = r));
  lines.on('line', (l) => {
    const m = /^ACK (\d+) (\d+) (\d+)$/.exec(l);
    if (m) acks.push({ partition: Number(m[1]), lastOffset: Number(m[3]) });
    if (acks.length >= killAfterAcks) enough();
  });
  const exited = once(child, 'exit');
  await Promise.race([enoughAcks, exited]);
  child.kill('SIGKILL');
  const [code, signal] = (await exited) as [number | null, string | null];
  expect(signal, `child exited by itself (code ${code})`).toBe('SIGKILL');
  // Lines already written by the child may still be in the pipe.
  await linesClosed;
  return acks;
}

function checkPartition(engine: StorageEngine, p: number, acked: number): number {
  const tp = { topic: 'crash', partition: p };
  const hw = Number(engine.highWatermark(tp));
  expect(hw, `partition ${p}: acknowledged offset ${acked} lost`).toBeGreaterThan(acked);
  const batches = readAllBatches(engine, tp);
  let expected = 0;
  for (const b of batches) {
    expect(b.crcOk).toBe(true);
    expect(b.baseOffset).toBe(expected);
    for (const r of decodeBatch(b.bytes).records) {
      expect(r.value!.toString()).toBe(`${p}:${b.baseOffset + r.offsetDelta}`);
    }
    expected = b.lastOffset + 1;
  }
  expect(expected).toBe(hw);
  return hw;
}

describe.each(ENGINES)('$name engine killed with SIGKILL', (factory) => {
  it.each(['batch', 'none'])('keeps every acknowledged append (flush=%s)', async (flush) => {
    const dir = join(tmp.dir, `${factory.name}-${flush}`);
    let totalAcks = 0;
    const maxAcked = new Array<number>(PARTITIONS).fill(-1);
    for (let i = 0; i < KILLS; i++) {
      const acks = await runAndKill(factory.name, dir, flush, random.int(1, 400));
      totalAcks += acks.length;
      for (const a of acks) maxAcked[a.partition] = Math.max(maxAcked[a.partition]!, a.lastOffset);
      const engine = factory.make({ dir, flush: { kind: 'none' } });
      await engine.open();
      const hws = maxAcked.map((acked, p) => checkPartition(engine, p, acked));
      // And it carries on from there (in the child's value scheme).
      const r = await engine.append({ topic: 'crash', partition: 0 }, batchOf([{ value: `0:${hws[0]}` }]));
      expect(Number(r.baseOffset)).toBe(hws[0]);
      await engine.close();
    }
    expect(totalAcks).toBeGreaterThan(KILLS);
  }, 120_000);
});

