// bench/kafka-versions/fetch-sessions: what fetch sessions (KIP-227) save a
// consumer of many partitions. One topic of --partitions partitions with a
// few records each, read to its end by a consumer fetching with maxWaitMs 0;
// then --fetches more fetches, each after --active partitions got one new
// record (0: an idle consumer, every fetch finds nothing). The same consumer
// sends full requests (every partition, sessionless: SessionEpoch -1) or,
// with a session, incremental ones (only the partitions whose offset moved).
// Measured per fetch: request and response bytes on the wire, and the
// CPU of the `mqlab serve` child (BrokerProcess.stats(), read before and
// after each fetch, less what reading it costs). The two modes
// alternate within each rep, so neither always goes first.
//
//   node dist/bench/kafka-versions/fetch-sessions.js [--partitions 1000] [--records 3]
//     [--fetches 2000] [--active 0,10] [--version 12] [--reps 3] [--engine segmented] [--out F]
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Admin } from '../../src/client/admin.js';
import { KafkaConnection } from '../../src/client/connection.js';
import { BrokerProcess, cpuSecondsBetween } from '../../src/lab/broker-process.js';
import { packageRoot } from '../../src/native/addon.js';
import { bytesOf, decodeResponse, encodeRequest, type RequestInput } from '../../src/protocol/kafka/index.js';
import { encodeBatch } from '../../src/records/index.js';
import { environment } from '../lib/environment.js';
import { fmtSpread, spread, table } from '../lib/stats.js';

const { values: args } = parseArgs({
  options: {
    partitions: { type: 'string', default: '1000' },
    records: { type: 'string', default: '3' },
    fetches: { type: 'string', default: '2000' },
    active: { type: 'string', default: '0,10' },
    version: { type: 'string', default: '12' },
    reps: { type: 'string', default: '3' },
    engine: { type: 'string', default: 'segmented' },
    out: { type: 'string' },
  },
});
const PARTITIONS = Number(args.partitions);
const RECORDS = Number(args.records);
const FETCHES = Number(args.fetches);
const ACTIVE = args.active!.split(',').map(Number);
const VERSION = Number(args.version);
const REPS = Number(args.reps);
const TOPIC = 'many';
const MODES = ['full', 'incremental'] as const;
type Mode = (typeof MODES)[number];

interface Sample {
  mode: Mode;
  active: number;
  requestBytes: number;
  responseBytes: number;
  cpuMicrosPerFetch: number;
  fetchesPerSecond: number;
  /** Records the measured fetches brought back (the same in both modes: a check). */
  records: number;
}

const batch = (n: number): Buffer =>
  encodeBatch({ baseTimestamp: BigInt(Date.now()), records: Array.from({ length: n }, (_, i) => ({ key: null, value: Buffer.from(`value-${i}`), headers: [], timestamp: BigInt(Date.now()) })) });

/** One Produce request writing `n` records to each of these partitions. */
async function produce(conn: KafkaConnection, partitions: readonly number[], n: number): Promise<void> {
  const records = batch(n);
  const r = await conn.request(0, 9, { transactionalId: null, acks: 1, timeoutMs: 30_000, topicData: [{ name: TOPIC, partitionData: partitions.map((index) => ({ index, records })) }] });
  for (const t of r.responses) for (const p of t.partitionResponses) if (p.errorCode !== 0) throw new Error(`produce to ${TOPIC}-${p.index}: error ${p.errorCode}`);
}

/** The offset after the last whole batch in a partition's records, or null if none. */
function nextOffset(records: Buffer | null): bigint | null {
  let at = 0;
  let next: bigint | null = null;
  while (records && at + 61 <= records.length) {
    const length = records.readInt32BE(at + 8);
    if (at + 12 + length > records.length) break;
    next = records.readBigInt64BE(at) + BigInt(records.readInt32BE(at + 23)) + 1n;
    at += 12 + length;
  }
  return next;
}

/** A consumer of every partition of the topic, in full requests or in a session (a small FetchSessionHandler). */
class Consumer {
  readonly offsets: bigint[] = Array.from({ length: PARTITIONS }, () => 0n);
  /** What the session holds of each partition's offset (incremental mode). */
  private readonly known: (bigint | null)[] = Array.from({ length: PARTITIONS }, () => null);
  private sessionId = 0;
  private epoch = 0;
  requestBytes = 0;
  responseBytes = 0;
  records = 0;

  constructor(
    private readonly conn: KafkaConnection,
    private readonly mode: Mode,
    private readonly topicId: string,
  ) {}

  async fetch(): Promise<void> {
    const incremental = this.mode === 'incremental' && this.sessionId !== 0;
    const named = incremental ? this.offsets.flatMap((o, p) => (this.known[p] === o ? [] : [p])) : this.offsets.map((_, p) => p);
    const body = {
      replicaId: -1,
      maxWaitMs: 0,
      minBytes: 0,
      maxBytes: 50 * 1024 * 1024,
      isolationLevel: 0,
      sessionId: this.mode === 'incremental' ? this.sessionId : 0,
      sessionEpoch: this.mode === 'incremental' ? this.epoch : -1,
      topics: named.length === 0 ? [] : [{ ...(VERSION >= 13 ? { topicId: this.topicId } : { topic: TOPIC }), partitions: named.map((p) => ({ partition: p, fetchOffset: this.offsets[p]!, partitionMaxBytes: 1024 * 1024 })) }],
      forgottenTopicsData: [],
      rackId: '',
    } as RequestInput<1>;
    const correlationId = this.conn.takeCorrelationId();
    const frame = bytesOf(encodeRequest(1, VERSION, correlationId, this.conn.clientId, body));
    const sized = Buffer.allocUnsafe(4 + frame.length);
    sized.writeInt32BE(frame.length, 0);
    frame.copy(sized, 4);
    this.requestBytes += sized.length;
    const answer = await this.conn.sendRaw(sized, correlationId, 1, VERSION);
    this.responseBytes += 4 + answer.length;
    const r = decodeResponse(1, VERSION, answer).body;
    if (r.errorCode !== 0) throw new Error(`fetch: error ${r.errorCode}`);
    if (this.mode === 'incremental') {
      if (this.sessionId === 0 && r.sessionId === 0) throw new Error('the broker opened no session');
      this.sessionId = r.sessionId;
      this.epoch = this.epoch === 0x7fffffff ? 1 : this.epoch + 1;
      for (const p of named) this.known[p] = this.offsets[p]!;
    }
    for (const t of r.responses) {
      for (const p of t.partitions) {
        if (p.errorCode !== 0) throw new Error(`fetch ${TOPIC}-${p.partitionIndex}: error ${p.errorCode}`);
        const next = nextOffset(p.records as Buffer | null);
        if (next !== null) {
          this.records += Number(next - this.offsets[p.partitionIndex]!);
          this.offsets[p.partitionIndex] = next;
        }
      }
    }
  }

  /** Closes the session (epoch -1, naming nothing). */
  async close(): Promise<void> {
    if (this.sessionId === 0) return;
    await this.conn.request(1, VERSION, { replicaId: -1, maxWaitMs: 0, minBytes: 0, maxBytes: 1, isolationLevel: 0, sessionId: this.sessionId, sessionEpoch: -1, topics: [], forgottenTopicsData: [], rackId: '' } as RequestInput<1>);
  }
}

async function run(broker: BrokerProcess, topicId: string, mode: Mode, active: number, producer: KafkaConnection): Promise<Sample> {
  const conn = await KafkaConnection.open(broker.host, broker.port, `fetch-sessions-${mode}`);
  try {
    const c = new Consumer(conn, mode, topicId);
    // Catch up: every partition read to its end (a full fetch, or the one that opens the session, first).
    while (c.offsets.some((o, p) => o < ends[p]!)) await c.fetch();
    await c.fetch(); // the client now knows it is at the end: the session (if any) holds the end offsets
    c.requestBytes = c.responseBytes = c.records = 0;
    let next = 0;
    let cpu = 0;
    let fetchMs = 0;
    for (let i = 0; i < FETCHES; i++) {
      if (active > 0) {
        // The same partitions in both modes, in turn; the produce is outside the measured CPU.
        const ps = Array.from({ length: active }, (_, k) => (next + k) % PARTITIONS);
        next = (next + active) % PARTITIONS;
        await produce(producer, ps, 1);
        for (const p of ps) ends[p] = ends[p]! + 1n;
      }
      const s0 = await broker.stats();
      const t0 = performance.now();
      await c.fetch();
      fetchMs += performance.now() - t0;
      const s1 = await broker.stats();
      cpu += cpuSecondsBetween(s0, s1);
    }
    await c.close();
    const perFetch = (cpu * 1e6) / FETCHES - (await statsOverheadMicros(broker));
    return { mode, active, requestBytes: c.requestBytes / FETCHES, responseBytes: c.responseBytes / FETCHES, cpuMicrosPerFetch: perFetch, fetchesPerSecond: FETCHES / (fetchMs / 1000), records: c.records };
  } finally {
    conn.close();
  }
}

/**
 * The broker CPU of reading its stats twice with nothing between (the IPC
 * round trips), µs: taken off each fetch's, which is measured between two
 * reads so that the produce before it is not counted.
 */
async function statsOverheadMicros(broker: BrokerProcess): Promise<number> {
  let cpu = 0;
  for (let i = 0; i < FETCHES; i++) {
    const s0 = await broker.stats();
    const s1 = await broker.stats();
    cpu += cpuSecondsBetween(s0, s1);
  }
  return (cpu * 1e6) / FETCHES;
}

/** The end offset of each partition, as produced. */
let ends: bigint[] = [];

async function main(): Promise<void> {
  const root = packageRoot();
  const dir = join(root, 'data', 'bench', 'fetch-sessions');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const broker = await BrokerProcess.start(['--data-dir', dir, '--engine', args.engine!, '--flush', 'none']);
  const samples: Sample[] = [];
  try {
    const admin = await Admin.connect(broker.bootstrap);
    await admin.createTopic(TOPIC, PARTITIONS);
    admin.close();
    const producer = await KafkaConnection.open(broker.host, broker.port, 'fetch-sessions-producer');
    const all = Array.from({ length: PARTITIONS }, (_, p) => p);
    await produce(producer, all, RECORDS);
    ends = all.map(() => BigInt(RECORDS));
    const meta = await producer.request(3, 12, { topics: [{ name: TOPIC }], allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false });
    const topicId = meta.topics[0]!.topicId;
    for (let rep = 0; rep < REPS; rep++) {
      for (const active of ACTIVE) {
        for (const mode of rep % 2 === 0 ? MODES : [...MODES].reverse()) {
          if (process.stderr.isTTY) process.stderr.write(`\rrep ${rep + 1}/${REPS} active ${active} ${mode}`.padEnd(60));
          samples.push(await run(broker, topicId, mode, active, producer));
        }
      }
    }
    producer.close();
  } finally {
    await broker.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  if (process.stderr.isTTY) process.stderr.write('\r'.padEnd(60) + '\r');

  const of = (mode: Mode, active: number): Sample[] => samples.filter((s) => s.mode === mode && s.active === active);
  console.log(`Fetch sessions: ${PARTITIONS} partitions of one topic (${RECORDS} records each to start), Fetch v${VERSION}, maxWaitMs 0, ${FETCHES} fetches per run after catching up, each after "active" partitions got one record; ${REPS} reps, median (min–max)\n`);
  const rows = ACTIVE.flatMap((active) =>
    MODES.map((mode) => {
      const ss = of(mode, active);
      return [String(active), mode, fmtSpread(spread(ss.map((s) => s.requestBytes)), 0), fmtSpread(spread(ss.map((s) => s.responseBytes)), 0), fmtSpread(spread(ss.map((s) => s.cpuMicrosPerFetch)), 0), fmtSpread(spread(ss.map((s) => s.fetchesPerSecond)), 0)];
    }),
  );
  console.log(table(['active', 'requests', 'request B/fetch', 'response B/fetch', 'broker CPU µs/fetch', 'fetches/s'], rows));
  // Ratios rep by rep, full over incremental.
  const ratios = ACTIVE.map((active) => {
    const f = of('full', active);
    const n = of('incremental', active);
    const ratio = (k: keyof Sample) => fmtSpread(spread(f.map((s, i) => (s[k] as number) / (n[i]![k] as number))), 1);
    return [String(active), ratio('requestBytes'), ratio('responseBytes'), ratio('cpuMicrosPerFetch'), fmtSpread(spread(n.map((s, i) => s.fetchesPerSecond / f[i]!.fetchesPerSecond)), 1)];
  });
  console.log('\nfull ÷ incremental (fetches/s: incremental ÷ full)\n' + table(['active', 'request bytes', 'response bytes', 'broker CPU', 'fetches/s'], ratios));
  for (const active of ACTIVE) {
    const counts = new Set(samples.filter((s) => s.active === active).map((s) => s.records));
    if (counts.size !== 1) throw new Error(`the modes brought back different record counts (active ${active}): ${[...counts].join(', ')}`);
  }
  const out = args.out ?? join(root, 'reports', `fetch-sessions-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  mkdirSync(join(out, '..'), { recursive: true });
  writeFileSync(out, JSON.stringify({ bench: 'fetch-sessions', command: process.argv.join(' '), environment: environment(), partitions: PARTITIONS, records: RECORDS, fetches: FETCHES, version: VERSION, samples }, null, 2));
  console.log(`\nwrote ${out}`);
}

await main();
