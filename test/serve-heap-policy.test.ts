// mqlab.heap.growing.percent: mqlab serve sets V8's heap growth policy for
// its process (as Kafka's start script sets the JVM's collector). A value
// out of range stops the start with a clear error; 0 leaves V8's own policy.
// The young generation's size is a node flag: the mqlab command starts node
// with it, and a broker started without it says so. What either does to the
// broker's CPU is measured in the lab (README, Garbage collection), not here.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { applyHeapPolicy, BROKER_NODE_FLAGS } from '../src/server/heap-policy.js';
import { BrokerProcess } from '../src/lab/broker-process.js';
import { produceLoad } from '../src/client/load/producer.js';
import { tempDir } from './helpers/files.js';
import { ServeProcess } from './helpers/serve-process.js';

describe('mqlab.heap.growing.percent', () => {
  const tmp = tempDir('mqlab-heap-policy-');
  let broker: ServeProcess | undefined;
  afterEach(async () => {
    await broker?.kill();
    broker = undefined;
  });
  afterAll(() => tmp.cleanup());

  it('refuses a value out of range before anything starts', async () => {
    await expect(ServeProcess.start(tmp.dir, ['--set', 'mqlab.heap.growing.percent=5000'])).rejects.toThrow(/exited with 2: .*mqlab\.heap\.growing\.percent.*\[0, 1000\]/s);
    await expect(ServeProcess.start(tmp.dir, ['--set', 'mqlab.heap.growing.percent=lots'])).rejects.toThrow(/mqlab\.heap\.growing\.percent/);
    expect(() => applyHeapPolicy(-1)).toThrow(/\[0, 1000\]/);
    expect(() => applyHeapPolicy(2.5)).toThrow(/\[0, 1000\]/);
  });

  it('serves with V8\'s own policy (0) and with the largest growth', async () => {
    for (const value of ['0', '1000']) {
      broker = await ServeProcess.start(tmp.dir, ['--set', `mqlab.heap.growing.percent=${value}`]);
      expect(broker.port).toBeGreaterThan(0);
      await broker.kill();
      broker = undefined;
    }
  });
});

describe('the young generation (BROKER_NODE_FLAGS)', () => {
  const root = join(import.meta.dirname, '..');
  const cli = join(root, 'dist', 'src', 'cli', 'main.js');
  const tmp = tempDir('mqlab-young-generation-');
  afterAll(() => tmp.cleanup());

  it('is what the mqlab command\'s first line starts node with', () => {
    for (const file of [join(root, 'src', 'cli', 'main.ts'), cli]) {
      expect(readFileSync(file, 'utf8').split('\n')[0], file).toBe(`#!/usr/bin/env -S node ${BROKER_NODE_FLAGS.join(' ')}`);
    }
  });

  /** Starts `mqlab serve` this way until it listens: the node process's arguments, and what it logged. */
  async function serve(command: string[]): Promise<{ argv: string[]; log: string }> {
    const child = spawn(command[0]!, [...command.slice(1), 'serve', '--port', '0', '--no-http', '--no-rocketmq', '--data-dir', tmp.dir], { stdio: ['ignore', 'pipe', 'pipe'] });
    let log = '';
    child.stderr.on('data', (d: Buffer) => (log += d.toString()));
    try {
      await new Promise<void>((resolve, reject) => {
        let out = '';
        child.stdout.on('data', (d: Buffer) => {
          out += d.toString();
          if (/listening on/.test(out)) resolve();
        });
        child.once('exit', (code) => reject(new Error(`mqlab serve exited with ${code}: ${log}`)));
      });
      return { argv: readFileSync(`/proc/${child.pid}/cmdline`, 'utf8').split('\0'), log };
    } finally {
      child.kill('SIGTERM');
      await new Promise((r) => (child.exitCode !== null || child.signalCode !== null ? r(null) : child.once('exit', r)));
    }
  }

  it('is set on a broker started as the mqlab command, and a broker started without it says so', async () => {
    const asCommand = await serve([cli]);
    expect(asCommand.argv).toEqual(expect.arrayContaining([...BROKER_NODE_FLAGS]));
    expect(asCommand.log).not.toMatch(/started without/);
    const plain = await serve([process.execPath, cli]);
    expect(plain.argv).not.toEqual(expect.arrayContaining([...BROKER_NODE_FLAGS]));
    expect(plain.log).toMatch(new RegExp(`node was started without ${BROKER_NODE_FLAGS.join(' ')}`));
  });

  it('is set on the lab\'s brokers too', async () => {
    const broker = await BrokerProcess.start(['--data-dir', tmp.dir]);
    try {
      expect(readFileSync(`/proc/${broker.pid}/cmdline`, 'utf8').split('\0')).toEqual(expect.arrayContaining([...BROKER_NODE_FLAGS]));
    } finally {
      await broker.stop();
    }
  });

  it('has its collections counted in the lab\'s stats, as they end', async () => {
    const broker = await BrokerProcess.start(['--data-dir', tmp.dir]);
    try {
      const before = (await broker.stats()).gc!;
      // 64 MiB through the broker: more than its 16 MiB young generation can take without a scavenge.
      const p = await produceLoad({ host: broker.host, port: broker.port, topic: 'gc-counted', partitions: [0], recordsPerBatch: 16, valueBytes: 1024, acks: 1, window: 8, targetRecordsPerSecond: 0, maxRecords: 64 * 1024, maxMs: 60_000 });
      expect(p.errors).toBe(0);
      const after = (await broker.stats()).gc!;
      expect(after.minor).toBeGreaterThan(before.minor);
      expect(after.major).toBeGreaterThanOrEqual(before.major);
      expect(after.ms).toBeGreaterThan(before.ms);
    } finally {
      await broker.stop();
    }
  });
});
