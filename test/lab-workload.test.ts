// Lab settings from flags and OpenMessaging-Benchmark-style YAML, and the
// main job's path end to end on one short scenario: a real broker process,
// the raw results and the HTML report written.
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkWorkload, durationSeconds, readWorkloadFile } from '../src/lab/workload.js';
import { tempDir } from './helpers/files.js';

const CLI = join(import.meta.dirname, '..', 'dist', 'src', 'cli', 'main.js');

describe('lab workloads', () => {
  it('reads an OpenMessaging Benchmark workload, ignoring the fields the lab has no use for', () => {
    const tmp = tempDir();
    const file = join(tmp.dir, 'w.yaml');
    writeFileSync(
      file,
      'name: 1 topic 1 KiB\ntopics: 1\npartitionsPerTopic: 4\nmessageSize: 1024\nsubscriptionsPerTopic: 2\nconsumerPerSubscription: 3\nproducersPerTopic: 2\nkeyDistributor: KEY_ROUND_ROBIN\nconsumerBacklogSizeGB: 0\nproducerRate: 50000\ntestDurationMinutes: 0.5\npayloadFile: payload/payload-1Kb.data\n',
    );
    expect(readWorkloadFile(file)).toEqual({
      name: '1 topic 1 KiB',
      topics: 1,
      partitionsPerTopic: 4,
      messageSize: 1024,
      subscriptionsPerTopic: 2,
      consumerPerSubscription: 3,
      producersPerTopic: 2,
      keyDistributor: 'KEY_ROUND_ROBIN',
      consumerBacklogSizeGB: 0,
      producerRate: 50000,
      testDurationMinutes: 0.5,
    });
    expect(durationSeconds(readWorkloadFile(file), 9)).toBe(30);
    expect(durationSeconds({}, 9)).toBe(9);
    tmp.cleanup();
  });

  it('refuses unknown fields and values out of range, naming them', () => {
    expect(() => checkWorkload({ messageSise: 10 }, 'w.yaml')).toThrow(/unknown workload field "messageSise"/);
    expect(() => checkWorkload({ messageSize: 2 }, 'flags')).toThrow(/messageSize must be a number in \[8/);
    expect(() => checkWorkload({ producerRate: 'fast' }, 'flags')).toThrow(/producerRate/);
    expect(() => checkWorkload({ keyDistributor: 'ZIPF' }, 'w.yaml')).toThrow(/keyDistributor must be one of NO_KEY/);
    expect(() => checkWorkload({ consumerPerSubscription: 0 }, 'w.yaml')).toThrow(/consumerPerSubscription must be a number in \[1, 64\]/);
    // 0 is OMB's "find the highest sustainable rate"
    expect(checkWorkload({ producerRate: 0 }, 'flags')).toEqual({ producerRate: 0 });
  });

  it('runs a scenario from the command line and writes the results and the report', () => {
    const tmp = tempDir('mqlab-lab-');
    const r = spawnSync(process.execPath, [CLI, 'bench', '--scenario', 'two-reads', '--producer-rate', '500', '--duration-seconds', '1', '--message-size', '256', '--data-dir', join(tmp.dir, 'data'), '--reports-dir', join(tmp.dir, 'reports')], { encoding: 'utf8', timeout: 60_000 });
    expect(r.status, r.stderr).toBe(0);
    const files = readdirSync(join(tmp.dir, 'reports')).sort();
    expect(files.filter((f) => f.endsWith('.json'))).toHaveLength(1);
    expect(files).toContain('latest.html');
    const run = JSON.parse(readFileSync(join(tmp.dir, 'reports', files.find((f) => f.endsWith('.json'))!), 'utf8'));
    expect(run.workload).toEqual({ producerRate: 500, testDurationSeconds: 1, messageSize: 256 });
    const s = run.scenarios[0];
    expect(s.settings).toMatchObject({ rate: 500, seconds: 1, valueBytes: 256 });
    expect(s.integrity.map((c: { lost: number; duplicated: number; sent: number }) => [c.sent, c.lost, c.duplicated])).toEqual([[500, 0, 0], [500, 0, 0]]);
    expect(readFileSync(join(tmp.dir, 'reports', 'latest.html'), 'utf8')).toContain('Two reads');
    tmp.cleanup();
  });
});
