// bench/rocketmq: delayed delivery and transactions through a live
// `mqlab serve` (its own process) over RocketMQ's gRPC API.
//  - lateness of delayed messages (receive time - delivery time, at a
//    consumer long-polling the topic) while N other timers are pending
//    (N = 1,000 and 100,000 by default): the pending ones are due an hour
//    later, so they load the wheel and the timer log without being measured;
//    `probes` messages due 3 to 13 s after sending are.
//  - half + commit (SendMessage TRANSACTION, then EndTransaction COMMIT)
//    against plain sends, messages/s with `window` requests in flight.
//
//   node dist/bench/rocketmq/delay-tx.js [--engine segmented] [--pending 1000,100000]
//     [--probes 200] [--tx 3000] [--window 16] [--out F]
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { Admin } from '../../src/client/admin.js';
import { packageRoot } from '../../src/native/addon.js';
import { LOADER_OPTIONS, protoRoot } from '../../src/protocol/rocketmq/proto.js';
import { environment } from '../lib/environment.js';
import { table } from '../lib/stats.js';

const { values: args } = parseArgs({
  options: {
    engine: { type: 'string', default: 'segmented' },
    pending: { type: 'string', default: '1000,100000' },
    probes: { type: 'string', default: '200' },
    tx: { type: 'string', default: '3000' },
    window: { type: 'string', default: '16' },
    out: { type: 'string' },
  },
});

/* eslint-disable @typescript-eslint/no-explicit-any -- raw proto objects */
type Client = grpc.Client & Record<string, any>;

function client(endpoint: string): Client {
  const pkg = protoLoader.loadSync('apache/rocketmq/v2/service.proto', { ...LOADER_OPTIONS, includeDirs: [protoRoot()] });
  const def = grpc.loadPackageDefinition(pkg) as any;
  return new def.apache.rocketmq.v2.MessagingService(endpoint, grpc.credentials.createInsecure(), { 'grpc.max_receive_message_length': -1 }) as Client;
}

function unary(c: Client, method: string, request: Record<string, any>): Promise<any> {
  return new Promise((resolve, reject) => c[method](request, { deadline: Date.now() + 60_000 }, (err: Error | null, res: any) => (err ? reject(err) : resolve(res))));
}

function receive(c: Client, request: Record<string, any>): Promise<any[]> {
  return new Promise((resolve, reject) => {
    const out: any[] = [];
    const call = c.ReceiveMessage(request, { deadline: Date.now() + 30_000 });
    call.on('data', (d: any) => out.push(d));
    call.on('end', () => resolve(out));
    call.on('error', reject);
  });
}

let idSeq = 0;
const ts = (ms: number) => ({ seconds: String(Math.floor(ms / 1000)), nanos: (ms % 1000) * 1e6 });
function message(topic: string, type: string, deliverMs: number | null, body: Buffer): Record<string, any> {
  const sp: Record<string, any> = { messageId: `01BENCH${process.pid.toString(16)}${(++idSeq).toString(16).padStart(12, '0')}`, messageType: type, bornTimestamp: ts(Date.now()), queueId: 0 };
  if (deliverMs !== null) sp.deliveryTimestamp = ts(deliverMs);
  return { topic: { name: topic }, body, systemProperties: sp };
}

async function send(c: Client, messages: Record<string, any>[]): Promise<any> {
  const r = await unary(c, 'SendMessage', { messages });
  if (r.status.code !== 'OK') throw new Error(`SendMessage: ${r.status.code} ${r.status.message}`);
  return r;
}

async function serve(dir: string, engine: string): Promise<{ child: ChildProcess; bootstrap: string; endpoint: string }> {
  const cli = join(packageRoot(), 'dist', 'src', 'cli', 'main.js');
  const child = spawn(process.execPath, [cli, 'serve', '--port', '0', '--rocketmq-port', '0', '--no-http', '--quiet', '--data-dir', dir, '--engine', engine], { stdio: ['ignore', 'pipe', 'inherit'] });
  const [bootstrap, endpoint] = await new Promise<[string, string]>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const k = /listening on ([\d.]+:\d+)/.exec(out);
      const r = /RocketMQ gRPC endpoint on ([\d.]+:\d+)/.exec(out);
      if (k && r) resolve([k[1]!, r[1]!]);
    });
    child.once('exit', (code) => reject(new Error(`mqlab serve exited with ${code}`)));
  });
  return { child, bootstrap, endpoint };
}

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

/** Runs `n` jobs with `window` in flight; resolves to messages per second. */
async function rate(n: number, window: number, job: (i: number) => Promise<void>): Promise<number> {
  let next = 0;
  const started = performance.now();
  await Promise.all(Array.from({ length: window }, async () => {
    while (next < n) await job(next++);
  }));
  return n / ((performance.now() - started) / 1000);
}

async function main(): Promise<void> {
  const window = Number(args.window);
  const probes = Number(args.probes);
  const body = Buffer.alloc(256, 'x');
  const results: Record<string, unknown>[] = [];
  const rows: string[][] = [];
  for (const pending of args.pending!.split(',').map(Number)) {
    const dir = join(packageRoot(), 'data', 'bench', 'rocketmq', `delay-${pending}`);
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    const s = await serve(dir, args.engine!);
    const admin = await Admin.connect(s.bootstrap);
    await admin.createTopic('filler', 1, { 'message.type': 'DELAY' });
    await admin.createTopic('probe', 1, { 'message.type': 'DELAY' });
    const c = client(s.endpoint);
    // The pending load: due in an hour, 100 messages a request.
    const fillStart = performance.now();
    const requests = Math.ceil(pending / 100);
    const fillRate = (await rate(requests, 4, async (i) => {
      const n = Math.min(100, pending - i * 100);
      await send(c, Array.from({ length: n }, (_, k) => message('filler', 'DELAY', Date.now() + 3_600_000 + ((i * 100 + k) % 60_000), body)));
    })) * 100;
    const fillSeconds = (performance.now() - fillStart) / 1000;
    const t0 = Date.now();
    // Spread over 10 s, and over the positions inside a wheel slot (a
    // message early in its slot waits longer for the slot to end).
    for (let i = 0; i < probes; i++) await send(c, [message('probe', 'DELAY', t0 + 3_000 + Math.floor((i * 10_000) / probes) + ((i * 37) % 1000), body)]);
    const lateness: number[] = [];
    while (lateness.length < probes) {
      const replies = await receive(c, { group: { name: 'bench' }, messageQueue: { topic: { name: 'probe' }, id: 0 }, filterExpression: { type: 'TAG', expression: '*' }, batchSize: 32, invisibleDuration: { seconds: '300' }, longPollingTimeout: { seconds: '5' } });
      const at = Date.now();
      for (const r of replies) {
        if (!r.message) continue;
        const d = r.message.systemProperties.deliveryTimestamp;
        lateness.push(at - (Number(d.seconds) * 1000 + Math.floor(d.nanos / 1e6)));
      }
    }
    lateness.sort((a, b) => a - b);
    const p50 = quantile(lateness, 0.5);
    const p99 = quantile(lateness, 0.99);
    const max = lateness[lateness.length - 1]!;
    const min = lateness[0]!;
    results.push({ kind: 'delay-lateness', engine: args.engine, pending, probes, p50, p99, max, min, fillMessagesPerSecond: fillRate, fillSeconds });
    rows.push([`delay lateness, ${pending.toLocaleString('en')} pending`, `${p50} / ${p99} / ${max} ms (min ${min})`, `${Math.round(fillRate).toLocaleString('en')} delayed msgs/s sent (100 per request)`]);
    c.close();
    await admin.close();
    s.child.kill('SIGTERM');
    await new Promise((r) => s.child.once('exit', r));
    rmSync(dir, { recursive: true, force: true });
  }

  const dir = join(packageRoot(), 'data', 'bench', 'rocketmq', 'tx');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const s = await serve(dir, args.engine!);
  const admin = await Admin.connect(s.bootstrap);
  await admin.createTopic('plain', 1);
  await admin.createTopic('tx', 1, { 'message.type': 'TRANSACTION' });
  const c = client(s.endpoint);
  const n = Number(args.tx);
  const plain = await rate(n, window, async () => {
    await send(c, [message('plain', 'NORMAL', null, body)]);
  });
  const tx = await rate(n, window, async () => {
    const m = message('tx', 'TRANSACTION', null, body);
    const r = await send(c, [m]);
    const e = await unary(c, 'EndTransaction', { topic: { name: 'tx' }, messageId: m.systemProperties.messageId, transactionId: r.entries[0].transactionId, resolution: 'COMMIT', source: 'SOURCE_CLIENT' });
    if (e.status.code !== 'OK') throw new Error(`EndTransaction: ${e.status.code} ${e.status.message}`);
  });
  results.push({ kind: 'transactions', engine: args.engine, messages: n, window, plainPerSecond: plain, halfCommitPerSecond: tx, ratio: tx / plain });
  rows.push([`plain sends (${window} in flight)`, `${Math.round(plain).toLocaleString('en')} msgs/s`, '1 message a request']);
  rows.push([`half + commit (${window} in flight)`, `${Math.round(tx).toLocaleString('en')} msgs/s`, `${(tx / plain).toFixed(2)}x plain`]);
  c.close();
  await admin.close();
  s.child.kill('SIGTERM');
  await new Promise((r) => s.child.once('exit', r));
  rmSync(dir, { recursive: true, force: true });

  console.log(`engine ${args.engine}, 256-byte bodies`);
  console.log(table(['measure', 'p50 / p99 / max, or rate', 'note'], rows));
  const out = args.out ?? join(packageRoot(), 'reports', `bench-rocketmq-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(out, JSON.stringify({ environment: environment(), args, results }, null, 2));
  console.log(`wrote ${out}`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
