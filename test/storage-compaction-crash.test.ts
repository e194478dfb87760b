// The cleaner killed with SIGKILL mid-clean, at seeded system calls: a
// child process cleans a compacted partition (fixtures/compaction-child.mjs)
// under strace, which kills it at the Nth rename, unlink, pwrite64, fsync or
// fdatasync (fault injection: real SIGKILLs, at points no hook in the engine
// chooses, inside the swap's synchronous step too). Then the engine opens
// the directory here (recovery) and we check: no .cleaned or .swap file
// left, every record there is one that was appended, at its own offset,
// every key's latest value is there, no deleted key's value came back,
// offsets rise, the high watermark is unchanged; and a cleaning from there
// ends with one record per key.
import { spawnSync } from 'node:child_process';
import { cpSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SegmentedEngine } from '../src/storage/segmented/engine.js';
import { allRecords, type SeenRecord } from './helpers/compaction.js';
import { tempDir } from './helpers/files.js';
import { straceAvailable } from './helpers/powerloss/record-child.js';
import { missing } from './helpers/requires.js';
import { testRandom } from './helpers/seed.js';

const CHILD = join(import.meta.dirname, 'fixtures', 'compaction-child.mjs');
const SYSCALLS = ['rename', 'unlink', 'pwrite64', 'fsync', 'fdatasync'] as const;
const TRIALS = 16;
const TP = { topic: 'compacted', partition: 0 };
const tmp = tempDir();
afterAll(() => tmp.cleanup());
const random = testRandom('storage-compaction-crash');

function runChild(dir: string, args: string[], strace: string[] = []): { stdout: string; status: number | null; signal: string | null } {
  const cmd = strace.length > 0 ? 'strace' : process.execPath;
  const argv = strace.length > 0 ? ['-f', '-qq', ...strace, process.execPath, CHILD, dir, ...args] : [CHILD, dir, ...args];
  const r = spawnSync(cmd, argv, { encoding: 'utf8', timeout: 60_000, killSignal: 'SIGKILL' });
  if (r.error) throw r.error;
  return { stdout: r.stdout, status: r.status, signal: r.signal };
}

async function openAndRead(dir: string): Promise<{ engine: SegmentedEngine; records: SeenRecord[] }> {
  const engine = new SegmentedEngine({ dir, flush: { kind: 'none' }, segmentBytes: 4096 });
  await engine.open();
  return { engine, records: allRecords(engine, TP) };
}

describe.skipIf(missing('strace', straceAvailable()))('log cleaner killed with SIGKILL', () => {
  it('leaves the old segments or the cleaned ones, never a mix, never a lost record', async () => {
    const template = join(tmp.dir, 'template');
    expect(runChild(template, ['fill', String(random.int(1, 2 ** 31))]).stdout).toContain('FILLED');
    const { engine: e0, records: original } = await openAndRead(template);
    const hw = e0.highWatermark(TP);
    await e0.close();
    const byOffset = new Map(original.map((r) => [r.offset, r]));
    const activeBase = Math.max(...readdirSync(join(template, 'compacted-0')).filter((f) => f.endsWith('.log')).map((f) => Number(f.slice(0, 20))));
    const latest = new Map<string, SeenRecord>();
    for (const r of original) if (r.offset < activeBase) latest.set(r.key!, r);

    // A run to the end, counting the calls a kill can land on.
    const dry = join(tmp.dir, 'dry');
    cpSync(template, dry, { recursive: true });
    const trace = join(tmp.dir, 'dry.trace');
    expect(runChild(dry, ['clean'], ['-o', trace, '-e', `trace=${SYSCALLS.join(',')}`]).stdout).toContain('DONE');
    const lines = (await import('node:fs')).readFileSync(trace, 'utf8').split('\n');
    const totals = Object.fromEntries(SYSCALLS.map((s) => [s, lines.filter((l) => new RegExp(`^\\d+\\s+${s}\\(`).test(l)).length]));
    console.log(`calls in a whole cleaning: ${JSON.stringify(totals)}`);

    let killed = 0;
    for (let t = 0; t < TRIALS; t++) {
      const candidates = SYSCALLS.filter((s) => totals[s]! > 0);
      const syscall = candidates[random.int(0, candidates.length - 1)]!;
      const when = random.int(1, totals[syscall]!);
      const dir = join(tmp.dir, `trial-${t}`);
      cpSync(template, dir, { recursive: true });
      const run = runChild(dir, ['clean'], ['-o', '/dev/null', '-e', `trace=${syscall}`, '-e', `inject=${syscall}:signal=KILL:when=${when}`]);
      const died = !run.stdout.includes('DONE');
      if (died) killed++;
      const where = `trial ${t}: SIGKILL at ${syscall} #${when}${died ? '' : ' (not reached: the cleaning finished)'}`;

      const { engine, records } = await openAndRead(dir);
      expect(readdirSync(join(dir, 'compacted-0')).filter((f) => /\.(cleaned|swap)$/.test(f)), where).toEqual([]);
      expect(engine.highWatermark(TP), where).toBe(hw);
      let previous = -1;
      for (const r of records) {
        expect(r.offset, where).toBeGreaterThan(previous);
        previous = r.offset;
        expect(byOffset.get(r.offset), `${where}: offset ${r.offset}`).toEqual({ ...r, batchBase: byOffset.get(r.offset)!.batchBase, batchLast: byOffset.get(r.offset)!.batchLast });
      }
      const present = new Set(records.map((r) => r.offset));
      for (const l of latest.values()) if (l.value !== null) expect(present.has(l.offset), `${where}: latest ${l.key}@${l.offset} lost`).toBe(true);
      expect(records.filter((r) => r.offset >= activeBase), where).toEqual(original.filter((r) => r.offset >= activeBase));
      // A deleted key never comes back: a value older than a tombstone is there only if the tombstone is too.
      for (const t of original.filter((r) => r.value === null && r.offset < activeBase)) {
        const older = records.find((r) => r.key === t.key && r.value !== null && r.offset < t.offset);
        if (older) expect(present.has(t.offset), `${where}: ${older.key}@${older.offset} is back without the tombstone at ${t.offset}`).toBe(true);
      }

      // Cleaning on from the recovered state ends where an uninterrupted one does.
      const cleaner = engine.startCleaner({ ioBytesPerSecond: -1, backoffMs: 3_600_000, dedupeBufferBytes: 1 << 20 }, () => ({ deleteRetentionMs: 0, minCleanableDirtyRatio: 0, minCompactionLagMs: 0, maxCompactionLagMs: -1 }));
      for (let pass = 0; pass < 5 && (await cleaner.runNow()).length > 0; pass++);
      const below = allRecords(engine, TP).filter((r) => r.offset < activeBase);
      expect(below.map((r) => r.offset), where).toEqual([...latest.values()].filter((l) => l.value !== null).map((l) => l.offset).sort((a, b) => a - b));
      await engine.close();
    }
    console.log(`${killed} of ${TRIALS} runs killed mid-clean`);
    expect(killed).toBeGreaterThanOrEqual(TRIALS / 2);
  });
});
