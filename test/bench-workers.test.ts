// `mqlab bench workers` end to end at a tiny size: one node against two
// per engine, every partition produced to at its leader, and a JSON result
// whose two-worker runs really used both nodes (no timing targets: this
// machine is shared, and this size measures nothing).
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from './helpers/files.js';

const CLI = join(import.meta.dirname, '..', 'dist', 'src', 'cli', 'main.js');

describe('bench workers', () => {
  it('runs one and two workers per engine and writes every sample', () => {
    const tmp = tempDir('mqlab-workers-');
    try {
      const out = join(tmp.dir, 'workers.json');
      const r = spawnSync(process.execPath, [CLI, 'bench', 'workers', '--quick', '--mib', '8', '--out', out], { encoding: 'utf8', timeout: 120_000 });
      expect(r.status, r.stderr + r.stdout).toBe(0);
      expect(r.stdout).toContain('one connection per partition to its leader');
      const run = JSON.parse(readFileSync(out, 'utf8'));
      expect(run.bench).toBe('broker-workers');
      expect(run.partitions).toBe(2);
      const samples = run.samples as { engine: string; workers: number; leaderNodes: number; bytes: number; mbPerSecond: number; brokerCpuSecondsPerGB: number; loadCores: number; rawMbPerSecond: number }[];
      expect(samples.map((s) => `${s.engine} ${s.workers}`).sort()).toEqual(['commitlog 1', 'commitlog 2', 'segmented 1', 'segmented 2']);
      for (const s of samples) {
        expect(s.leaderNodes).toBe(s.workers);
        expect(s.bytes).toBeGreaterThanOrEqual(8 * 2 ** 20);
        expect(s.mbPerSecond).toBeGreaterThan(0);
        expect(s.brokerCpuSecondsPerGB).toBeGreaterThan(0);
        expect(s.loadCores).toBeGreaterThan(0);
        expect(s.rawMbPerSecond).toBeGreaterThan(0);
      }
    } finally {
      tmp.cleanup();
    }
  });
});
