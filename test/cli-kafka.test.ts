// The command line as a user runs it: `mqlab serve` in a child process, the
// Kafka-style tools against it, and a clean stop on SIGTERM.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KafkaConnection } from '../src/client/connection.js';
import { ApiKeys } from '../src/protocol/kafka/index.js';
import { compressionOf, encodeBatch } from '../src/records/index.js';
import { tempDir } from './helpers/files.js';

const CLI = join(import.meta.dirname, '..', 'dist', 'src', 'cli', 'main.js');

function mqlab(args: string[], stdin = '', timeoutMs = 30_000): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`mqlab ${args.join(' ')} timed out: ${stderr}`));
    }, timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.end(stdin);
  });
}

describe('mqlab serve and the Kafka-style tools', () => {
  const tmp = tempDir('mqlab-cli-');
  let server: ChildProcess;
  let bootstrap = '';
  const exited = (): Promise<number | null> => new Promise((r) => (server.exitCode !== null ? r(server.exitCode) : server.once('exit', (code) => r(code))));

  beforeAll(async () => {
    server = spawn(process.execPath, [CLI, 'serve', '--port', '0', '--http-port', '0', '--data-dir', tmp.dir, '--engine', 'commitlog', '--set', 'group.initial.rebalance.delay.ms=0', '--quiet', '--no-rocketmq'], { stdio: ['ignore', 'pipe', 'pipe'] });
    bootstrap = await new Promise<string>((resolve, reject) => {
      let out = '';
      server.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /listening on ([\d.]+:\d+)/.exec(out);
        if (m) resolve(m[1]!);
      });
      server.once('exit', (code) => reject(new Error(`serve exited with ${code}`)));
    });
  });
  afterAll(async () => {
    if (server.exitCode === null) server.kill('SIGKILL');
    tmp.cleanup();
  });

  it('creates, lists and describes topics', async () => {
    const create = await mqlab(['topics', '--bootstrap-server', bootstrap, '--create', '--topic', 'cli', '--partitions', '3']);
    expect(create.stdout).toContain('Created topic cli.');
    const again = await mqlab(['topics', '--bootstrap-server', bootstrap, '--create', '--topic', 'cli', '--partitions', '3']);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/TOPIC_ALREADY_EXISTS/);
    expect((await mqlab(['topics', '--bootstrap-server', bootstrap, '--list'])).stdout.split('\n')).toContain('cli');
    const d = await mqlab(['topics', '--bootstrap-server', bootstrap, '--describe', '--topic', 'cli']);
    expect(d.stdout).toMatch(/PartitionCount: 3\tReplicationFactor: 1\tConfigs: \n/);
    // As kafka-topics.sh, the configs set on the topic.
    await mqlab(['topics', '--bootstrap-server', bootstrap, '--create', '--topic', 'cli-fifo', '--config', 'message.type=FIFO']);
    const fifo = await mqlab(['topics', '--bootstrap-server', bootstrap, '--describe', '--topic', 'cli-fifo']);
    expect(fifo.stdout).toMatch(/Topic: cli-fifo\tPartitionCount: 1\tReplicationFactor: 1\tConfigs: message.type=FIFO\n/);
  });

  it('produces lines and consumes them back, alone and in a group whose lag it shows', async () => {
    const lines = Array.from({ length: 100 }, (_, i) => `key${i % 5}:value-${i}`);
    const p = await mqlab(['produce', '--bootstrap-server', bootstrap, '--topic', 'cli', '--key-separator', ':'], lines.join('\n') + '\n');
    expect(p.code, p.stderr).toBe(0);
    expect(p.stderr).toContain('Produced 100 records');
    const all = await mqlab(['consume', '--bootstrap-server', bootstrap, '--topic', 'cli', '--from-beginning', '--max-messages', '100', '--print-key', '--key-separator', ':']);
    expect(all.stdout.trim().split('\n').sort()).toEqual([...lines].sort());
    const some = await mqlab(['consume', '--bootstrap-server', bootstrap, '--topic', 'cli', '--group', 'cli-g', '--from-beginning', '--max-messages', '60']);
    expect(some.code, some.stderr).toBe(0);
    expect(some.stdout.trim().split('\n')).toHaveLength(60);
    const g = await mqlab(['groups', '--bootstrap-server', bootstrap, '--describe', '--group', 'cli-g']);
    expect(g.code, g.stderr).toBe(0);
    const lag = g.stdout
      .split('\n')
      .filter((l) => l.startsWith('cli-g '))
      .reduce((n, l) => n + Number(l.trim().split(/\s+/)[5]), 0);
    expect(lag).toBe(40);
    // The group resumes where it committed: the other 40.
    const rest = await mqlab(['consume', '--bootstrap-server', bootstrap, '--topic', 'cli', '--group', 'cli-g', '--timeout-ms', '1500']);
    expect(rest.stdout.trim().split('\n')).toHaveLength(40);
    expect(new Set([...some.stdout.trim().split('\n'), ...rest.stdout.trim().split('\n')]).size).toBe(100);
  });

  it('describes a KIP-848 consumer group: its state, members and their partitions, with the lag', async () => {
    const [host, port] = bootstrap.split(':');
    const conn = await KafkaConnection.open(host!, Number(port), 'cli-kip848');
    try {
      const joined = await conn.request(ApiKeys.ConsumerGroupHeartbeat, 0, { groupId: 'cli-cg', memberId: '', memberEpoch: 0, rebalanceTimeoutMs: 10_000, subscribedTopicNames: ['cli'], topicPartitions: [] });
      expect(joined.errorCode).toBe(0);
      const g = await mqlab(['groups', '--bootstrap-server', bootstrap, '--describe', '--group', 'cli-cg']);
      expect(g.code, g.stderr).toBe(0);
      expect(g.stdout).toContain('Group cli-cg is Stable with 1 member.');
      const rows = g.stdout.split('\n').filter((l) => l.startsWith('cli-cg '));
      // The member owns all three partitions of cli; nothing committed yet.
      expect(rows).toHaveLength(3);
      for (const row of rows) expect(row.trim().split(/\s+/).slice(3, 7)).toEqual(['-', expect.any(String), '-', joined.memberId]);
    } finally {
      conn.close();
    }
  });

  it('produces compressed batches with --compression and consumes them back; refuses an unknown codec', async () => {
    const lines = Array.from({ length: 50 }, (_, i) => `k${i}:compressed-${i}-${'y'.repeat(i)}`);
    for (const codec of ['gzip', 'snappy', 'lz4']) {
      const topic = `cli-${codec}`;
      const p = await mqlab(['produce', '--bootstrap-server', bootstrap, '--topic', topic, '--key-separator', ':', '--compression', codec], lines.join('\n') + '\n');
      expect(p.code, p.stderr).toBe(0);
      const c = await mqlab(['consume', '--bootstrap-server', bootstrap, '--topic', topic, '--from-beginning', '--max-messages', '50', '--print-key', '--key-separator', ':']);
      expect(c.stdout.trim().split('\n').sort()).toEqual([...lines].sort());
      // The batches stayed compressed in the log: fetched raw, their attributes name the codec.
      const [host, port] = bootstrap.split(':');
      const conn = await KafkaConnection.open(host!, Number(port), 'cli-test');
      try {
        const r = await conn.request(ApiKeys.Fetch, 11, { replicaId: -1, maxWaitMs: 100, minBytes: 1, maxBytes: 1 << 20, isolationLevel: 0, topics: [{ topic, partitions: [{ partition: 0, fetchOffset: 0n, partitionMaxBytes: 1 << 20 }] }] });
        const records = r.responses[0]!.partitions[0]!.records!;
        expect(compressionOf(records.readInt16BE(21))).toBe(codec);
      } finally {
        conn.close();
      }
    }
    const bad = await mqlab(['produce', '--bootstrap-server', bootstrap, '--topic', 'cli-gzip', '--compression', 'brotli'], 'x\n');
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('--compression brotli: expected one of none, gzip, snappy, lz4, zstd');
  });

  it('consumes from a time: the first record stamped at or after it, or the end when none is', async () => {
    const [host, port] = bootstrap.split(':');
    const conn = await KafkaConnection.open(host!, Number(port), 'cli-test');
    try {
      await conn.request(ApiKeys.CreateTopics, 3, { topics: [{ name: 'cli-time', numPartitions: 1, replicationFactor: 1 }], timeoutMs: 5000, validateOnly: false });
      // Two batches, each of records stamped 1 ms apart: 1,000,000 to 1,000,004, then 2,000,000 to 2,000,004.
      for (const base of [1_000_000n, 2_000_000n]) {
        const records = encodeBatch({ baseTimestamp: base, records: Array.from({ length: 5 }, (_, i) => ({ key: null, value: Buffer.from(`t${base + BigInt(i)}`), headers: [], timestamp: base + BigInt(i) })) });
        const r = await conn.request(ApiKeys.Produce, 7, { transactionalId: null, acks: -1, timeoutMs: 5000, topicData: [{ name: 'cli-time', partitionData: [{ index: 0, records }] }] });
        expect(r.responses[0]!.partitionResponses[0]!.errorCode).toBe(0);
      }
    } finally {
      conn.close();
    }
    const from = (time: string, ...more: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> =>
      mqlab(['consume', '--bootstrap-server', bootstrap, '--topic', 'cli-time', '--from-time', time, '--timeout-ms', '1000', ...more]);
    // Inside a batch: not the batch's first record.
    expect((await from('1000003')).stdout.trim().split('\n')).toEqual(['t1000003', 't1000004', 't2000000', 't2000001', 't2000002', 't2000003', 't2000004']);
    expect((await from(new Date(1_500_000).toISOString())).stdout.trim().split('\n')).toEqual(['t2000000', 't2000001', 't2000002', 't2000003', 't2000004']);
    const late = await from('3000000');
    expect([late.code, late.stdout]).toEqual([0, '']);
    const bad = await from('yesterday');
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/--from-time yesterday: expected ms since the epoch or an ISO 8601 date/);
    const both = await from('1000000', '--from-beginning');
    expect(both.code).toBe(1);
    expect(both.stderr).toMatch(/--from-time and --from-beginning/);
  });

  it('reads and swaps transfer.strategy on the live broker, and refuses read-only configs', async () => {
    const set = await mqlab(['config', '--bootstrap-server', bootstrap, '--set', 'transfer.strategy=mmap']);
    expect(set.code, set.stderr).toBe(0);
    const get = await mqlab(['config', '--bootstrap-server', bootstrap, '--get', 'transfer.strategy']);
    expect(get.stdout).toMatch(/transfer\.strategy\s+mmap\s+dynamic/);
    const bad = await mqlab(['config', '--bootstrap-server', bootstrap, '--set', 'log.segment.bytes=1024']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/INVALID_CONFIG.*read-only/);
  });

  it('stops cleanly on SIGTERM, marking a clean shutdown', async () => {
    server.kill('SIGTERM');
    expect(await exited()).toBe(0);
    expect(existsSync(join(tmp.dir, 'log', '.clean-shutdown'))).toBe(true);
  });
});
