// `mqlab serve` with its RocketMQ endpoint, as a user runs it: the address
// printed with the others, a topic typed with `mqlab topics --create
// --config message.type=...`, a RocketMQ group's lag in `mqlab groups
// --describe`, its configs with `mqlab config --group`; SIGTERM stops it
// cleanly with clients connected.
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Producer, SimpleConsumer } from 'rocketmq-client-nodejs';
import { tempDir } from './helpers/files.js';
import { rawClient, rawUnary, receiveUntil, startProducer, startSimpleConsumer } from './helpers/rocketmq.js';

const CLI = join(import.meta.dirname, '..', 'dist', 'src', 'cli', 'main.js');

function mqlab(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('mqlab serve with the RocketMQ endpoint', () => {
  const tmp = tempDir('mqlab-rmq-cli-');
  let server: ChildProcess;
  let bootstrap = '';
  let endpoint = '';
  const clients: (Producer | SimpleConsumer)[] = [];

  beforeAll(async () => {
    server = spawn(process.execPath, [CLI, 'serve', '--port', '0', '--rocketmq-port', '0', '--no-http', '--data-dir', tmp.dir, '--quiet'], { stdio: ['ignore', 'pipe', 'pipe'] });
    [bootstrap, endpoint] = await new Promise<[string, string]>((resolve, reject) => {
      let out = '';
      server.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        const k = /listening on ([\d.]+:\d+)/.exec(out);
        const r = /RocketMQ gRPC endpoint on ([\d.]+:\d+)/.exec(out);
        if (k && r) resolve([k[1]!, r[1]!]);
      });
      server.once('exit', (code) => reject(new Error(`serve exited with ${code}`)));
    });
  });
  afterAll(async () => {
    for (const c of clients.splice(0)) await c.shutdown().catch(() => undefined);
    if (server.exitCode === null) server.kill('SIGKILL');
    tmp.cleanup();
  });

  it('types topics from the CLI, shows a RocketMQ group\'s lag, and stops cleanly on SIGTERM', async () => {
    expect(endpoint).toMatch(/^127\.0\.0\.1:\d+$/);
    expect((await mqlab(['topics', '--bootstrap-server', bootstrap, '--create', '--topic', 'typed', '--config', 'message.type=TRANSACTION'])).code).toBe(0);
    expect((await mqlab(['topics', '--bootstrap-server', bootstrap, '--create', '--topic', 'plain'])).code).toBe(0);
    const raw = rawClient(endpoint);
    const route = await rawUnary(raw, 'QueryRoute', { topic: { name: 'typed' } });
    raw.close();
    expect(route.messageQueues[0].acceptMessageTypes).toEqual(['TRANSACTION']);

    const producer = await startProducer(endpoint, ['plain']);
    clients.push(producer);
    for (let i = 0; i < 5; i++) await producer.send({ topic: 'plain', body: Buffer.from(`m${i}`) });
    const consumer = await startSimpleConsumer(endpoint, 'rmq-group', { plain: '*' });
    clients.push(consumer);
    const got = await receiveUntil(consumer, (all) => all.length >= 5);
    for (const m of got.slice(0, 3)) await consumer.ack(m);
    // committed 3, end 5, lag 2: the commit reaches the offset store within
    // rocketmq.offset.commit.interval.ms of the acks, so asked again until then.
    let row: string[] = [];
    for (let tries = 0; !['3', '5', '2'].every((x) => row.includes(x)); tries++) {
      if (tries === 20) throw new Error(`mqlab groups --describe never showed committed 3, lag 2: ${row.join(' ')}`);
      const g = await mqlab(['groups', '--bootstrap-server', bootstrap, '--describe', '--group', 'rmq-group']);
      expect(g.code).toBe(0);
      row = g.stdout.split('\n').find((l) => /\bplain\b/.test(l))?.trim().split(/\s+/) ?? [];
    }
    expect(row).toEqual(expect.arrayContaining(['plain', '0', '3', '5', '2']));

    // Group configs from the CLI (Kafka's resource type GROUP).
    const set = await mqlab(['config', '--bootstrap-server', bootstrap, '--group', 'rmq-group', '--set', 'max.delivery.attempts=3', 'retry.backoff.ladder=1s,5s']);
    expect(set.code, set.stderr).toBe(0);
    expect(set.stdout).toContain('Updated group rmq-group: max.delivery.attempts=3, retry.backoff.ladder=1s,5s');
    const shown = await mqlab(['config', '--bootstrap-server', bootstrap, '--group', 'rmq-group']);
    expect(shown.stdout.split('\n').find((l) => l.startsWith('max.delivery.attempts'))!.split(/\s+/)).toEqual(['max.delivery.attempts', '3', 'group', 'dynamic']);
    expect(shown.stdout.split('\n').find((l) => l.startsWith('fifo'))!.split(/\s+/)).toEqual(['fifo', 'true', 'default', 'dynamic']);
    const bad = await mqlab(['config', '--bootstrap-server', bootstrap, '--group', 'rmq-group', '--set', 'max.delivery.attempts=lots']);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/max\.delivery\.attempts=lots/);

    const exited = new Promise<number | null>((r) => server.once('exit', (code) => r(code)));
    server.kill('SIGTERM');
    expect(await exited).toBe(0);
  });
});
