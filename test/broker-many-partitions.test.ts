// Many partitions through `mqlab serve` (a child process, as a user runs
// it), with the storage kept to a tenth as many open files: CreateTopics
// makes them, a Produce puts a batch in each, Fetch serves each back, and
// again after a clean restart, the broker's fds (counted in /proc/<pid>/fd)
// never past its budget. Before the budget, with 10,000 partitions, the
// segmented engine's CreateTopics failed at partition 6,657 (EMFILE, three
// files each) and left the broker holding 19,999 of its 20,000 fds; the
// commit log's engine refused at 10,000 whatever mqlab.max.partitions said.
// 10,000 pass here too, in 10-40 s on this shared 2-core machine: 2,000 keep
// the suite quick; `mqlab bench storage --many-partitions 10000` (the engines)
// and `mqlab bench --scenario partitions --partitions 10000` (mqlab serve)
// run 10,000.
import { readdirSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { KafkaConnection } from '../src/client/connection.js';
import { ApiKeys } from '../src/protocol/kafka/index.js';
import { decodeBatch } from '../src/records/index.js';
import { numberedBatch } from './helpers/batches.js';
import { tempDir } from './helpers/files.js';
import { ServeProcess } from './helpers/serve-process.js';

const PARTITIONS = 2_000;
const MAX_OPEN_FILES = 200;
/** Partitions per Produce and Fetch request. */
const CHUNK = 500;
/** The broker's fds besides its storage budget: stdio, listeners, the epoll and timers of Node, a client's socket or two. */
const OWN_FDS = 64;

const fdsOf = (pid: number): number => readdirSync(`/proc/${pid}/fd`).length;

describe.each(['segmented', 'commitlog'])('mqlab serve, %s engine, 2,000 partitions in 200 open files', (engine) => {
  const tmp = tempDir('mqlab-partitions-');
  let broker: ServeProcess | null = null;
  afterEach(async () => {
    await broker?.kill();
    tmp.cleanup();
  });

  const start = (): Promise<ServeProcess> =>
    ServeProcess.start(tmp.dir, ['--engine', engine, '--set', `mqlab.max.partitions=${PARTITIONS + 100}`, '--set', `mqlab.storage.max.open.files=${MAX_OPEN_FILES}`]);

  /** Fetches every partition from offset 0 and checks it holds its own batch; returns the most fds the broker had meanwhile. */
  const fetchAll = async (conn: KafkaConnection, b: ServeProcess): Promise<number> => {
    let most = 0;
    for (let from = 0; from < PARTITIONS; from += CHUNK) {
      const partitions = Array.from({ length: CHUNK }, (_, i) => ({ partition: from + i, currentLeaderEpoch: -1, fetchOffset: 0n, lastFetchedEpoch: -1, logStartOffset: -1n, partitionMaxBytes: 1 << 20 }));
      const r = await conn.request(ApiKeys.Fetch, 11, { replicaId: -1, maxWaitMs: 0, minBytes: 0, maxBytes: 64 << 20, isolationLevel: 0, sessionId: 0, sessionEpoch: -1, topics: [{ topic: 'many', partitions }], forgottenTopicsData: [], rackId: '' });
      for (const p of r.responses[0]!.partitions) {
        expect(p.errorCode, `partition ${p.partitionIndex}`).toBe(0);
        const values = decodeBatch(p.records as Buffer).records.map((rec) => rec.value!.toString());
        expect(values).toEqual([`p${p.partitionIndex}-0`, `p${p.partitionIndex}-1`]);
      }
      most = Math.max(most, fdsOf(b.pid));
    }
    return most;
  };

  it('creates them, takes a batch in each, serves each back, and again after a restart, never past its budget', async () => {
    broker = await start();
    const conn = await KafkaConnection.open('127.0.0.1', broker.port, 'many');
    const created = await conn.request(ApiKeys.CreateTopics, 3, { topics: [{ name: 'many', numPartitions: PARTITIONS, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 60_000, validateOnly: false });
    expect([created.topics[0]!.errorCode, created.topics[0]!.errorMessage]).toEqual([0, null]);
    expect(fdsOf(broker.pid)).toBeLessThanOrEqual(MAX_OPEN_FILES + OWN_FDS);

    for (let from = 0; from < PARTITIONS; from += CHUNK) {
      const partitionData = Array.from({ length: CHUNK }, (_, i) => ({ index: from + i, records: numberedBatch(`p${from + i}`, 2) }));
      const r = await conn.request(ApiKeys.Produce, 7, { transactionalId: null, acks: -1, timeoutMs: 30_000, topicData: [{ name: 'many', partitionData }] });
      for (const p of r.responses[0]!.partitionResponses) expect([p.index, p.errorCode, p.baseOffset]).toEqual([p.index, 0, 0n]);
    }
    expect(fdsOf(broker.pid)).toBeLessThanOrEqual(MAX_OPEN_FILES + OWN_FDS);
    expect(await fetchAll(conn, broker)).toBeLessThanOrEqual(MAX_OPEN_FILES + OWN_FDS);
    conn.close();

    expect((await broker.stop()).code).toBe(0);
    broker = await start();
    const again = await KafkaConnection.open('127.0.0.1', broker.port, 'many');
    expect(fdsOf(broker.pid)).toBeLessThanOrEqual(MAX_OPEN_FILES + OWN_FDS);
    expect(await fetchAll(again, broker)).toBeLessThanOrEqual(MAX_OPEN_FILES + OWN_FDS);
    again.close();
    expect([broker.errorLines, broker.strayLines]).toEqual([[], []]);
  });
});
