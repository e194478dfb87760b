// bench/kafka-transactions: what exactly-once costs. One producer through a
// live `mqlab serve`, per engine, writes the same records idempotently and
// in transactions of 1, 10 and 100 produce requests (AddPartitionsToTxn
// before each transaction, EndTxn COMMIT after it: a commit marker appended
// and the coordinator's state written twice). Reported per mode: records
// per second, broker CPU per record, and log bytes per record, as ratios
// to idempotent from the same rep. Kafka's producer allows five requests in
// flight with idempotence; so does this one, and a transaction waits for
// its last answer before EndTxn, as the Java producer's commit does.
//
//   node dist/bench/kafka-transactions/run.js [--reps 3] [--records 200000]
//     [--record-bytes 1024] [--batch-records 16] [--sizes 1,10,100] [--engines …] [--out F]
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Admin } from '../../src/client/admin.js';
import { KafkaConnection } from '../../src/client/connection.js';
import { BrokerProcess, cpuSecondsBetween } from '../../src/lab/broker-process.js';
import { packageRoot } from '../../src/native/addon.js';
import { encodeBatch } from '../../src/records/index.js';
import { ENGINE_KINDS } from '../../src/storage/index.js';
import { environment } from '../lib/environment.js';
import { fmtSpread, spread, table } from '../lib/stats.js';

const { values: args } = parseArgs({
  options: {
    reps: { type: 'string', default: '3' },
    records: { type: 'string', default: '200000' },
    'record-bytes': { type: 'string', default: '1024' },
    'batch-records': { type: 'string', default: '16' },
    sizes: { type: 'string', default: '1,10,100' },
    engines: { type: 'string', default: ENGINE_KINDS.join(',') },
    out: { type: 'string' },
  },
});
const reps = Number(args.reps);
const records = Number(args.records);
const recordBytes = Number(args['record-bytes']);
const batchRecords = Number(args['batch-records']);
const sizes = args.sizes!.split(',').map(Number);
const engines = args.engines!.split(',');
const WINDOW = 5;
const TOPIC = 'txn-bench';

/** 0: idempotent; n: transactions of n produce requests. */
type Mode = number;
const label = (m: Mode): string => (m === 0 ? 'idempotent' : `txn of ${m}`);

interface Sample {
  engine: string;
  mode: Mode;
  recordsPerSecond: number;
  cpuMicrosPerRecord: number;
  logBytesPerRecord: number;
}

const check = (code: number, what: string): void => {
  if (code !== 0) throw new Error(`${what}: error code ${code}`);
};

/** The partition's bytes on disk (DescribeLogDirs). */
async function logBytes(conn: KafkaConnection): Promise<bigint> {
  const r = await conn.request(35, 4, { topics: [{ topic: TOPIC, partitions: [0] }] });
  return r.results[0]!.topics[0]!.partitions[0]!.partitionSize;
}

/** Produces `records` records as one producer; `mode` 0 idempotent, else in transactions of that many requests. */
async function run(conn: KafkaConnection, mode: Mode, transactionalId: string): Promise<number> {
  const init = await conn.request(22, 4, { transactionalId: mode === 0 ? null : transactionalId, transactionTimeoutMs: 60_000, producerId: -1n, producerEpoch: -1 });
  check(init.errorCode, 'InitProducerId');
  const { producerId, producerEpoch } = init;
  const value = Buffer.alloc(recordBytes, 0x61);
  const requests = Math.ceil(records / batchRecords);
  let sequence = 0;
  const produce = (): Promise<unknown> => {
    const batch = encodeBatch({ baseTimestamp: BigInt(Date.now()), producerId, producerEpoch, baseSequence: sequence, transactional: mode > 0, records: Array.from({ length: batchRecords }, () => ({ key: null, value })) });
    sequence += batchRecords;
    return conn.request(0, 9, { transactionalId: mode === 0 ? null : transactionalId, acks: -1, timeoutMs: 30_000, topicData: [{ name: TOPIC, partitionData: [{ index: 0, records: batch }] }] }).then((r) => check(r.responses[0]!.partitionResponses[0]!.errorCode, 'Produce'));
  };
  const started = performance.now();
  for (let sent = 0; sent < requests; ) {
    const inTxn = mode === 0 ? requests : Math.min(mode, requests - sent);
    if (mode > 0) {
      const add = await conn.request(24, 3, { v3AndBelowTransactionalId: transactionalId, v3AndBelowProducerId: producerId, v3AndBelowProducerEpoch: producerEpoch, v3AndBelowTopics: [{ name: TOPIC, partitions: [0] }] });
      check(add.resultsByTopicV3AndBelow[0]!.resultsByPartition[0]!.partitionErrorCode, 'AddPartitionsToTxn');
    }
    const inFlight = new Set<Promise<unknown>>();
    for (let i = 0; i < inTxn; i++) {
      const p = produce().finally(() => inFlight.delete(p));
      inFlight.add(p);
      if (inFlight.size >= WINDOW) await Promise.race(inFlight);
    }
    await Promise.all(inFlight);
    sent += inTxn;
    if (mode > 0) check((await conn.request(26, 3, { transactionalId, producerId, producerEpoch, committed: true })).errorCode, 'EndTxn');
  }
  return (performance.now() - started) / 1000;
}

async function main(): Promise<void> {
  const root = packageRoot();
  const base = join(root, 'data', 'bench', 'kafka-transactions');
  const modes: Mode[] = [0, ...sizes];
  const samples: Sample[] = [];
  for (let rep = 0; rep < reps; rep++) {
    for (const engine of engines) {
      // Each rep runs the modes in another order, so none always goes first.
      const order = modes.map((_, i) => modes[(i + rep) % modes.length]!);
      for (const mode of order) {
        const dir = join(base, engine);
        rmSync(dir, { recursive: true, force: true });
        mkdirSync(dir, { recursive: true });
        const broker = await BrokerProcess.start(['--data-dir', dir, '--engine', engine, '--flush', 'none']);
        const admin = await Admin.connect(broker.bootstrap);
        const conn = await KafkaConnection.open(broker.host, broker.port, 'mqlab-bench');
        try {
          process.stderr.write(`rep ${rep + 1}/${reps} ${engine} ${label(mode)}\n`);
          await admin.createTopic(TOPIC, 1);
          const s0 = await broker.stats();
          const seconds = await run(conn, mode, `bench-${mode}`);
          const s1 = await broker.stats();
          const end = (await admin.offsets(TOPIC, [0], -1n)).get(0)!;
          const sent = Math.ceil(records / batchRecords) * batchRecords;
          samples.push({ engine, mode, recordsPerSecond: sent / seconds, cpuMicrosPerRecord: (cpuSecondsBetween(s0, s1) * 1e6) / sent, logBytesPerRecord: Number(await logBytes(conn)) / sent });
          // One commit marker per transaction, each taking an offset.
          const markers = mode === 0 ? 0 : Math.ceil(sent / batchRecords / mode);
          if (end !== BigInt(sent + markers)) throw new Error(`${label(mode)}: the log ends at ${end}, expected ${sent + markers}`);
        } finally {
          conn.close();
          admin.close();
          await broker.stop();
        }
      }
    }
  }
  rmSync(base, { recursive: true, force: true });

  const of = (engine: string, mode: Mode): Sample[] => samples.filter((s) => s.engine === engine && s.mode === mode);
  console.log(`Kafka transactions against idempotence: ${recordBytes} B records, ${batchRecords} per request, ${WINDOW} requests in flight, acks=-1, flush=none; ${reps} reps, median (min–max)\n`);
  console.log(
    table(
      ['engine', 'mode', 'records/s', 'broker CPU µs/record', 'log bytes/record'],
      engines.flatMap((engine) =>
        modes.map((mode) => {
          const ss = of(engine, mode);
          return [engine, label(mode), fmtSpread(spread(ss.map((s) => s.recordsPerSecond)), 0), fmtSpread(spread(ss.map((s) => s.cpuMicrosPerRecord))), fmtSpread(spread(ss.map((s) => s.logBytesPerRecord)), 1)];
        }),
      ),
    ),
  );
  // Ratios rep by rep, against the same rep's idempotent run.
  const ratios = engines.flatMap((engine) =>
    sizes.map((mode) => {
      const idem = of(engine, 0);
      const txn = of(engine, mode);
      return {
        engine,
        mode: label(mode),
        throughput: spread(txn.map((s, i) => s.recordsPerSecond / idem[i]!.recordsPerSecond)),
        cpu: spread(txn.map((s, i) => s.cpuMicrosPerRecord / idem[i]!.cpuMicrosPerRecord)),
      };
    }),
  );
  console.log('\n' + table(['engine', 'mode', 'records/s ÷ idempotent', 'CPU/record ÷ idempotent'], ratios.map((r) => [r.engine, r.mode, fmtSpread(r.throughput), fmtSpread(r.cpu)])));
  const out = args.out ?? join(root, 'reports', `kafka-transactions-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  mkdirSync(join(out, '..'), { recursive: true });
  writeFileSync(out, JSON.stringify({ bench: 'kafka-transactions', command: process.argv.join(' '), environment: environment(), reps, records, recordBytes, batchRecords, window: WINDOW, sizes, samples, ratios }, null, 2));
  console.log(`\nwrote ${out}`);
}

await main();
