// bench/rocketmq/tag-filter: what a consumer filtering by tag reads, with
// and without the tag index, at 1%, 10% and 100% selectivity, per engine.
// A topic of one-record batches (what RocketMQ producers send: one message
// per request) with 1 KiB bodies, tagged "hit" for the selected share and
// "miss" otherwise, seeded; a consumer group with filter "hit" pops it to
// the end. "Without" is the same topic without a message.type (no index:
// every batch is read and its tag compared); "with" declares NORMAL.
//
//   node dist/bench/rocketmq/tag-filter.js [--records 20000] [--seed N]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Broker } from '../../src/broker/broker.js';
import { PopService } from '../../src/broker/rocketmq/pop-service.js';
import { encodeBatch } from '../../src/records/index.js';
import { table } from '../lib/stats.js';
import { seededRandom } from '../../src/lab/random.js';

const { values: args } = parseArgs({ options: { records: { type: 'string', default: '20000' }, seed: { type: 'string' } } });
const RECORDS = Number(args.records);
const SEED = Number(args.seed ?? Date.now() % 100_000);
console.log(`seed ${SEED} (--seed ${SEED} repeats it), ${RECORDS} records of 1 KiB`);


interface Row {
  engine: string;
  selectivity: number;
  index: boolean;
  delivered: number;
  logMiB: number;
  indexKiB: number;
  ms: number;
}

async function run(engine: string, selectivity: number, index: boolean): Promise<Row> {
  const dir = mkdtempSync(join(tmpdir(), 'mqlab-tagbench-'));
  const broker = new Broker({ dataDir: dir, engine, flush: { kind: 'none' }, transfer: 'copy', autoCreateTopics: false, numPartitions: 1 });
  try {
    await broker.open();
    broker.createTopic('t', 1, index ? { 'message.type': 'NORMAL' } : {});
    const next = seededRandom(SEED, 'tag-filter').next;
    const body = Buffer.alloc(1024, 'x');
    for (let i = 0; i < RECORDS; i++) {
      const tag = next() < selectivity ? 'hit' : 'miss';
      const batch = encodeBatch({ baseTimestamp: BigInt(Date.now()), records: [{ key: null, value: body, headers: [{ key: 'rmq.tag', value: Buffer.from(tag) }] }] });
      const r = await broker.produce('t', 0, batch, 1);
      if (r.error !== 'NONE') throw new Error(r.error);
    }
    const pop = new PopService(broker);
    const indexBefore = broker.engine.stats().tagIndexBytes ?? 0;
    const started = performance.now();
    let delivered = 0;
    for (;;) {
      const got = await pop.pop({ group: 'g', topic: 't', partition: 0, filter: { all: false, tags: new Set(['hit']) }, batchSize: 32, invisibleMs: 3_600_000, pollMs: 0, cancelled: () => false, renewFor: null });
      if (got.length === 0) break;
      delivered += got.length;
    }
    const ms = performance.now() - started;
    return { engine, selectivity, index, delivered, logMiB: pop.logBytesRead / 2 ** 20, indexKiB: ((broker.engine.stats().tagIndexBytes ?? 0) - indexBefore) / 1024, ms };
  } finally {
    await broker.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const rows: Row[] = [];
for (const engine of ['segmented', 'commitlog']) {
  for (const selectivity of [0.01, 0.1, 1]) {
    for (const index of [false, true]) rows.push(await run(engine, selectivity, index));
  }
}
console.log(
  table(
    ['engine', 'selectivity', 'tag index', 'delivered', 'log MiB read', 'index KiB read', 'pop ms'],
    rows.map((r) => [r.engine, `${r.selectivity * 100}%`, r.index ? 'with' : 'without', String(r.delivered), r.logMiB.toFixed(2), r.indexKiB.toFixed(0), r.ms.toFixed(0)]),
  ),
);
