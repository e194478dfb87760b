// `mqlab bench scale` end to end at tiny sizes: live brokers per engine, every
// section run, and a JSON result with sane numbers in each (no timing targets:
// this machine is shared, and these sizes measure nothing).
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from './helpers/files.js';

const CLI = join(import.meta.dirname, '..', 'dist', 'src', 'cli', 'main.js');

describe('bench scale', () => {
  it('runs the quick mode at tiny sizes and writes every section', () => {
    const tmp = tempDir('mqlab-scale-');
    const out = join(tmp.dir, 'scale.json');
    const r = spawnSync(process.execPath, [CLI, 'bench', 'scale', '--quick', '--connections', '20', '--seconds', '1', '--warmup-seconds', '1', '--consumers', '4', '--fanout-mib', '2', '--recovery-mib', '4', '--out', out], { encoding: 'utf8', timeout: 150_000 });
    expect(r.status, r.stderr + r.stdout).toBe(0);
    expect(r.stdout).toContain('Connections: 20 producer connections');
    expect(r.stdout).toContain('sendfile/copy broker CPU per GB');
    const run = JSON.parse(readFileSync(out, 'utf8'));
    expect(run.bench).toBe('scale');
    expect(run.quick).toBe(true);

    expect(run.connections.map((c: { engine: string }) => c.engine)).toEqual(['segmented', 'commitlog']);
    for (const c of run.connections) {
      expect(c.connections).toBe(20);
      expect(c.errors).toBe(0);
      expect(c.achievedRecordsPerSecond).toBeGreaterThan(0);
      expect(c.ackedRecords).toBe(c.sentRecords);
      expect(c.latencyMs.count).toBeGreaterThan(0);
      expect(c.latencyMs.p50).toBeGreaterThan(0);
      expect(c.latencyMs.p99).toBeGreaterThanOrEqual(c.latencyMs.p50);
      expect(c.latencyMs.p999).toBeGreaterThanOrEqual(c.latencyMs.p99);
      expect(c.brokerCpuSeconds).toBeGreaterThan(0);
      expect(c.generator.threads).toBeGreaterThanOrEqual(1);
      expect(c.generator.cpuSeconds).toBeGreaterThan(0);
      expect(c.generator.eventLoopBusy.every((b: number) => b > 0 && b <= 1)).toBe(true);
      expect(c.limits.maxConnections).toBeGreaterThanOrEqual(20);
      expect(c.perConnectionRecordsPerSecond.min).toBeLessThanOrEqual(c.perConnectionRecordsPerSecond.median);
      expect(c.cpu.machineBusyCores).toBeGreaterThan(0);
      expect(c.cpu.machineBusyCores).toBeLessThanOrEqual(c.cpu.cores + 0.01);
    }

    const rows = run.fanOut.rows as { engine: string; strategy: string; gbPerSecond: { median: number }; brokerCpuSecondsPerGB: { median: number }; syscallsPerGB: { median: number }; copiedPerByte: { median: number } }[];
    expect(rows.map((x) => `${x.engine} ${x.strategy}`).sort()).toEqual(['commitlog copy', 'commitlog mmap', 'commitlog sendfile', 'segmented copy', 'segmented mmap', 'segmented sendfile']);
    for (const x of rows) {
      expect(x.gbPerSecond.median).toBeGreaterThan(0);
      expect(x.brokerCpuSecondsPerGB.median).toBeGreaterThan(0);
      expect(x.syscallsPerGB.median).toBeGreaterThan(0);
      // The addon's own counts: what each strategy copies is not a timing.
      expect(x.copiedPerByte.median).toBeCloseTo({ sendfile: 0, mmap: 1, copy: 2 }[x.strategy]!, 5);
    }
    for (const f of run.fanOut.results) {
      for (const s of f.samples) expect(s.bytes).toBeGreaterThanOrEqual(4 * f.partitionBytes);
    }
    expect(run.fanOut.ratios.map((x: { engine: string }) => x.engine)).toEqual(['segmented', 'commitlog']);
    for (const x of run.fanOut.ratios) expect(x.sendfileOverCopyCpu.median).toBeGreaterThan(0);

    for (const rec of run.recovery.results) {
      expect(rec.logBytes).toBeGreaterThan(3 * 2 ** 20);
      expect(rec.logFiles).toBe(1);
      expect(rec.timings.map((t: { kind: string }) => t.kind)).toEqual(['empty', 'after SIGKILL', 'after clean stop', 'after SIGKILL past a snapshot']);
      for (const t of rec.timings) {
        expect(t.hwMatches).toBe(true);
        expect(t.listeningMs).toBeGreaterThan(0);
        if (t.kind !== 'empty') {
          expect(BigInt(t.highWatermark)).toBeGreaterThan(0n);
          expect(t.metadataMs).toBeGreaterThanOrEqual(t.listeningMs);
          expect(t.listOffsetsMs).toBeGreaterThanOrEqual(t.metadataMs);
        }
        if (t.kind === 'after clean stop' || t.kind === 'after SIGKILL past a snapshot') {
          // Every partition's producer state from the snapshot the stop or the start before wrote.
          const [, all, fromSnapshot] = /producer state of (\d+) partitions: (\d+) from the snapshot/.exec(t.recoveryLog.join('\n')) ?? [];
          expect([Number(fromSnapshot), Number(all) > 0]).toEqual([Number(all), true]);
        }
      }
    }
    expect(run.targets.length).toBe(2 + 6);
    tmp.cleanup();
  }, 180_000);
});
