// mqlab.workers: `mqlab serve --workers 2` is two Kafka nodes in one
// process, node 1 on a worker thread with its own port and partitions.
// Real clients find the leaders in Metadata and follow them: kafkajs
// produces, consumes in a group and runs transactions across both nodes,
// librdkafka (kcat) produces and consumes; a request for a partition at the
// node that does not lead it is refused, and the group, transaction and
// admin requests a client sends node 1 are answered by node 0. After a
// SIGKILL each node has every acknowledged record, and a data directory is
// refused to another worker count. What the mode does not take (the RocketMQ
// endpoint, ACLs, transaction.version 2, several listeners) is refused at
// start, saying why.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { basename, join } from 'node:path';
import { Kafka, logLevel, type Consumer } from 'kafkajs';
import { afterEach, describe, expect, it } from 'vitest';
import { Admin } from '../src/client/admin.js';
import { KafkaConnection } from '../src/client/connection.js';
import { consoleConsume, consoleProduce } from '../src/client/console.js';
import { PartitionLeaders } from '../src/client/leaders.js';
import { Readable } from 'node:stream';
import { produceLoad } from '../src/client/load/producer.js';
import { BrokerProcess } from '../src/lab/broker-process.js';
import { errorCode } from '../src/protocol/kafka/index.js';
import { startBroker } from '../src/server/start.js';
import { applyProperties, DEFAULT_SERVE_SETTINGS } from '../src/server/settings.js';
import { replayTopic } from '../src/broker/replay-topic.js';
import { TXN_TOPIC } from '../src/broker/txn/txn-log.js';
import { encodeBatch } from '../src/records/index.js';
import { createEngine } from '../src/storage/index.js';
import { numberedBatch } from './helpers/batches.js';
import { tempDir } from './helpers/files.js';
import { missing } from './helpers/requires.js';
import { runTool, runToolOk } from './helpers/run-tool.js';
import { hasPythonModule, PYTHON, pythonFixture } from './helpers/python.js';

const hasKcat = spawnSync('kcat', ['-V']).status === 0;

/** Runs the consumer until it has read `n` records; their partitions and values. */
function readRecords(consumer: Consumer, n: number): Promise<{ partition: number; value: string }[]> {
  const got: { partition: number; value: string }[] = [];
  return new Promise((resolve) => {
    void consumer.run({
      eachMessage: async ({ message, partition }) => {
        got.push({ partition, value: String(message.value) });
        if (got.length === n) resolve(got);
      },
    });
  });
}

/** Connects a kafkajs producer, consumer or admin, to be disconnected when the test is done. */
type Connected = <C extends { connect(): Promise<void>; disconnect(): Promise<void> }>(c: C) => Promise<C>;

describe.each(['segmented', 'commitlog'])('mqlab.workers=2 (%s)', (engine) => {
  let broker: BrokerProcess | null = null;
  let tmp: ReturnType<typeof tempDir> | null = null;
  afterEach(async () => {
    await broker?.stop();
    broker = null;
    tmp?.cleanup();
    tmp = null;
  });
  const start = async (extra: string[] = []): Promise<BrokerProcess> => {
    tmp = tempDir();
    broker = await BrokerProcess.start(['--data-dir', tmp.dir, '--engine', engine, '--workers', '2', ...extra]);
    return broker;
  };

  it('kafkajs: partitions led by both nodes, produce, a consumer group, transactions, topic deletion', async () => {
    const b = await start();
    expect(b.nodes.map((n) => n.nodeId)).toEqual([0, 1]);
    const kafka = new Kafka({ brokers: [b.bootstrap], clientId: 'workers-test', logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    try {
      await admin.createTopics({ topics: [{ topic: 'w', numPartitions: 4 }] });
      const cluster = await admin.describeCluster();
      expect(cluster.brokers.map((x) => [x.nodeId, x.port]).sort()).toEqual(b.nodes.map((n) => [n.nodeId, n.port]));
      const md = await admin.fetchTopicMetadata({ topics: ['w'] });
      const leaders = md.topics[0]!.partitions.sort((x, y) => x.partitionId - y.partitionId).map((p) => p.leader);
      // Round the nodes from a start the topic's id picks.
      expect(new Set(leaders)).toEqual(new Set([0, 1]));
      expect(leaders[0]).not.toBe(leaders[1]);

      const producer = kafka.producer();
      await producer.connect();
      for (let p = 0; p < 4; p++) await producer.send({ topic: 'w', messages: Array.from({ length: 10 }, (_, j) => ({ partition: p, value: `m${p}-${j}` })) });
      await producer.disconnect();
      const offsets = await admin.fetchTopicOffsets('w');
      expect(offsets.map((o) => o.high)).toEqual(['10', '10', '10', '10']);

      const consumer = kafka.consumer({ groupId: 'g1' });
      await consumer.connect();
      await consumer.subscribe({ topic: 'w', fromBeginning: true });
      const got = (await readRecords(consumer, 40)).map((r) => r.value);
      await consumer.disconnect();
      expect(got.sort()).toEqual(Array.from({ length: 40 }, (_, i) => `m${Math.floor(i / 10)}-${i % 10}`).sort());
      // kafkajs asks every broker and adds the lists up: each group once.
      expect((await admin.listGroups()).groups.map((g) => g.groupId)).toEqual(['g1']);
      const committed = await admin.fetchOffsets({ groupId: 'g1', topics: ['w'] });
      expect(committed[0]!.partitions.map((p) => p.offset)).toEqual(['10', '10', '10', '10']);

      // Markers for the partitions node 1 leads are written there by node 0's coordinator.
      const tp = kafka.producer({ transactionalId: 'tx1', idempotent: true, maxInFlightRequests: 1 });
      await tp.connect();
      const commit = await tp.transaction();
      for (let p = 0; p < 4; p++) await commit.send({ topic: 'w', messages: [{ partition: p, value: 'committed' }] });
      await commit.commit();
      const abort = await tp.transaction();
      for (let p = 0; p < 4; p++) await abort.send({ topic: 'w', messages: [{ partition: p, value: 'aborted' }] });
      await abort.abort();
      await tp.disconnect();
      const reader = kafka.consumer({ groupId: 'g2', readUncommitted: false });
      await reader.connect();
      await reader.subscribe({ topic: 'w', fromBeginning: true });
      // Each partition's last stable offset is past both transactions: every record read committed has come once 44 have.
      const seen = (await readRecords(reader, 44)).map((r) => r.value);
      await reader.disconnect();
      expect(seen.filter((v) => v === 'committed')).toHaveLength(4);
      expect(seen).not.toContain('aborted');
      // 10 records, 1 committed + its marker, 1 aborted + its marker.
      expect((await admin.fetchTopicOffsets('w')).map((o) => o.high)).toEqual(['14', '14', '14', '14']);

      await admin.deleteTopics({ topics: ['w'] });
      expect(await admin.listTopics()).not.toContain('w');
      // Gone at node 1 too, before the deletion was answered.
      const conn = await KafkaConnection.open(b.nodes[1]!.host, b.nodes[1]!.port, 'workers-test');
      try {
        expect((await conn.request(3, 4, { topics: null, allowAutoTopicCreation: false })).topics.map((t) => t.name)).not.toContain('w');
      } finally {
        conn.close();
      }
    } finally {
      await admin.disconnect();
    }
  });

  it('a partition at the node that does not lead it is refused; group and admin requests at node 1 are answered by node 0', async () => {
    const b = await start();
    const node1 = b.nodes[1]!;
    const conn = await KafkaConnection.open(node1.host, node1.port, 'workers-test');
    const admin = await Admin.connect(b.bootstrap);
    try {
      // CreateTopics sent to node 1: node 0 creates it, and node 1 knows it before the answer comes.
      const created = await conn.request(19, 3, { topics: [{ name: 'fw', numPartitions: 2, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 30_000, validateOnly: false });
      expect(created.topics[0]!.errorCode).toBe(0);
      // A manual assignment would not be where the partitions lead.
      const assigned = await conn.request(19, 3, { topics: [{ name: 'placed', numPartitions: -1, replicationFactor: -1, assignments: [{ partitionIndex: 0, brokerIds: [1] }], configs: [] }], timeoutMs: 30_000, validateOnly: false });
      expect(assigned.topics[0]!.errorCode).toBe(errorCode('INVALID_REPLICA_ASSIGNMENT'));
      expect(assigned.topics[0]!.errorMessage).toMatch(/give a partition count, not an assignment/);
      const leaders = await admin.leaders('fw');
      const onZero = [...leaders].find(([, n]) => n.nodeId === 0)![0];
      const onOne = [...leaders].find(([, n]) => n.nodeId === 1)![0];
      // Each node keeps storage for the partitions it leads only.
      // A partition's directory: <topic>-<p> (segmented) or <topic>/<p> under the consume queues (commit log).
      const holds = (dir: string, p: number): boolean => readdirSync(dir, { recursive: true }).map(String).some((e) => basename(e) === `fw-${p}` || e.endsWith(join('fw', String(p))));
      expect([holds(join(tmp!.dir, 'node-1', 'log'), onOne), holds(join(tmp!.dir, 'node-1', 'log'), onZero)]).toEqual([true, false]);
      expect([holds(join(tmp!.dir, 'log'), onZero), holds(join(tmp!.dir, 'log'), onOne)]).toEqual([true, false]);
      const produce = (partition: number) => conn.request(0, 7, { transactionalId: null, acks: 1, timeoutMs: 5_000, topicData: [{ name: 'fw', partitionData: [{ index: partition, records: numberedBatch('w', 3) }] }] });
      expect((await produce(onZero)).responses[0]!.partitionResponses[0]!.errorCode).toBe(errorCode('NOT_LEADER_OR_FOLLOWER'));
      expect((await produce(onOne)).responses[0]!.partitionResponses[0]!.errorCode).toBe(0);
      // A topic config set at node 0 is node 1's before the answer comes: in its own topics file.
      await admin.alterConfigs({ 'message.type': 'FIFO' }, { topic: 'fw' });
      const mirrored = JSON.parse(readFileSync(join(tmp!.dir, 'node-1', 'topics.json'), 'utf8')) as { name: string; configs: Record<string, string> }[];
      expect(mirrored.find((t) => t.name === 'fw')?.configs['message.type']).toBe('FIFO');
      // Each node's log directory holds the partitions it leads.
      const dirs = await conn.request(35, 4, { topics: [{ topic: 'fw', partitions: [0, 1] }] });
      expect(dirs.results[0]!.topics[0]!.partitions.map((p) => p.partitionIndex)).toEqual([onOne]);
      // Node 1 coordinates no transaction (admin clients ask every broker and add the lists up).
      expect((await conn.request(66, 0, { stateFilters: [], producerIdFilters: [] })).transactionStates).toEqual([]);
      const fetched = await conn.request(1, 11, { replicaId: -1, maxWaitMs: 0, minBytes: 0, maxBytes: 1 << 20, isolationLevel: 0, sessionId: 0, sessionEpoch: -1, topics: [{ topic: 'fw', partitions: [{ partition: onZero, currentLeaderEpoch: -1, fetchOffset: 0n, logStartOffset: -1n, partitionMaxBytes: 1 << 20 }] }], forgottenTopicsData: [], rackId: '' });
      expect(fetched.responses[0]!.partitions[0]!.errorCode).toBe(errorCode('NOT_LEADER_OR_FOLLOWER'));
      const listed = await conn.request(2, 5, { replicaId: -1, isolationLevel: 0, topics: [{ name: 'fw', partitions: [{ partitionIndex: onZero, currentLeaderEpoch: -1, timestamp: -1n }] }] });
      expect(listed.topics[0]!.partitions[0]!.errorCode).toBe(errorCode('NOT_LEADER_OR_FOLLOWER'));
      // The coordinator is node 0, whichever node is asked.
      const found = await conn.request(10, 3, { key: 'g', keyType: 0 });
      expect([found.errorCode, found.nodeId, found.port]).toEqual([0, 0, b.port]);
      // A dynamic config set at node 1 is node 0's, and mirrored back to node 1.
      await conn.request(44, 0, { resources: [{ resourceType: 4, resourceName: '', configs: [{ name: 'num.partitions', configOperation: 0, value: '3' }] }], validateOnly: false });
      const described = await conn.request(32, 1, { resources: [{ resourceType: 4, resourceName: '1', configurationKeys: ['num.partitions'] }], includeSynoyms: false });
      expect(described.results[0]!.configs.find((c) => c.name === 'num.partitions')?.value).toBe('3');
      expect(JSON.parse(readFileSync(join(tmp!.dir, 'node-1', 'configs.json'), 'utf8'))).toEqual({ 'num.partitions': '3' });
      // Auto-created at node 1's Metadata: by node 0, with the new num.partitions.
      const md = await conn.request(3, 4, { topics: [{ name: 'auto' }], allowAutoTopicCreation: true });
      expect(md.topics[0]!.errorCode).toBe(0);
      expect(md.topics[0]!.partitions).toHaveLength(3);
      expect(await admin.partitions('auto')).toBe(3);
    } finally {
      conn.close();
      admin.close();
    }
  });

  it('mqlab produce and consume send each partition to its leader', async () => {
    const b = await start();
    const admin = await Admin.connect(b.bootstrap);
    try {
      await admin.createTopic('console', 4);
      const lines = Array.from({ length: 200 }, (_, i) => `k${i % 13}:v${i}`);
      const sent = await consoleProduce(Readable.from(lines.map((l) => `${l}\n`)), { bootstrap: b.bootstrap, topic: 'console', keySeparator: ':', acks: -1, batchSize: 10 });
      expect(sent).toBe(200);
      const at = await PartitionLeaders.open(admin, 'console');
      const ends = await at.offsets('console', [0, 1, 2, 3], -1n).finally(() => at.close());
      expect([...ends.values()].reduce((n, e) => n + e, 0n)).toBe(200n);
      // Node 0 answers for its own partitions only.
      const led = await admin.leaders('console');
      const elsewhere = [...led].find(([, n]) => n.nodeId === 1)![0];
      await expect(admin.offsets('console', [elsewhere], -1n)).rejects.toThrow(/NOT_LEADER_OR_FOLLOWER/);
      const got: string[] = [];
      const read = await consoleConsume({ bootstrap: b.bootstrap, topic: 'console', group: 'cg', fromBeginning: true, maxMessages: 200, timeoutMs: 20_000, printKey: true, keySeparator: ':', print: (l) => got.push(l) });
      expect(read).toBe(200);
      expect(got.sort()).toEqual([...lines].sort());
    } finally {
      admin.close();
    }
  });

  it.skipIf(missing('kcat', hasKcat))('kcat (librdkafka) produces to and consumes from both nodes', async () => {
    const b = await start(['--set', 'num.partitions=4']);
    const lines = Array.from({ length: 400 }, (_, i) => `k${i % 17}\tv${i}\n`).join('');
    const p = await runTool('kcat', ['-P', '-b', b.bootstrap, '-t', 'kc', '-K', '\t'], lines, 60_000);
    expect(p.code, p.stderr).toBe(0);
    const c = await runTool('kcat', ['-C', '-b', b.bootstrap, '-t', 'kc', '-o', 'beginning', '-e', '-q', '-f', '%p %s\n'], '', 60_000);
    expect(c.code, c.stderr).toBe(0);
    const got = c.stdout.split('\n').filter(Boolean);
    expect(got).toHaveLength(400);
    const leaders = await Admin.connect(b.bootstrap).then(async (a) => {
      try {
        return await a.leaders('kc');
      } finally {
        a.close();
      }
    });
    const used = new Set(got.map((l) => leaders.get(Number(l.split(' ')[0]))!.nodeId));
    expect(used).toEqual(new Set([0, 1]));
  });

  /** kafkajs against the broker: `body` gets the client and `connected`, which connects a producer or consumer and disconnects it at the end (last first). */
  const withKafka = async (b: BrokerProcess, body: (kafka: Kafka, connected: Connected) => Promise<void>): Promise<void> => {
    const kafka = new Kafka({ brokers: [b.bootstrap], clientId: 'workers-test', logLevel: logLevel.NOTHING, retry: { retries: 10, initialRetryTime: 100 } });
    const clients: { disconnect(): Promise<void> }[] = [];
    try {
      await body(kafka, async (c) => {
        clients.push(c);
        await c.connect();
        return c;
      });
    } finally {
      for (const c of clients.reverse()) await c.disconnect().catch(() => undefined);
    }
  };
  const transaction = async (kafka: Kafka, connected: Connected, transactionalId: string) =>
    (await connected(kafka.producer({ transactionalId, maxInFlightRequests: 1, idempotent: true }))).transaction();
  /** Reads `n` records of `topic` from its start, read_committed, as a new group. */
  const committedRecords = async (kafka: Kafka, connected: Connected, topic: string, groupId: string, n: number): Promise<string[]> => {
    const reader = await connected(kafka.consumer({ groupId, readUncommitted: false }));
    await reader.subscribe({ topic, fromBeginning: true });
    return (await readRecords(reader, n)).map((r) => `${r.partition}:${r.value}`).sort();
  };

  it('a transaction open on both nodes at a SIGKILL commits after the restart; another one is aborted by a new instance', async () => {
    const b = await start();
    await withKafka(b, async (kafka, connected) => {
      const admin = await connected(kafka.admin());
      await admin.createTopics({ topics: [{ topic: 'survives', numPartitions: 2 }] });
      const md = await admin.fetchTopicMetadata({ topics: ['survives'] });
      expect(new Set(md.topics[0]!.partitions.map((p) => p.leader))).toEqual(new Set([0, 1]));
      const open = await transaction(kafka, connected, 'across');
      await open.send({ topic: 'survives', messages: [{ value: 'k0', partition: 0 }, { value: 'k1', partition: 1 }] });
      const lost = await transaction(kafka, connected, 'doomed');
      await lost.send({ topic: 'survives', messages: [{ value: 'doomed', partition: 0 }, { value: 'doomed', partition: 1 }] });

      await b.kill();
      broker = await b.restart();

      await open.commit(); // node 0's coordinator ends it, with a marker on each node
      const next = await transaction(kafka, connected, 'doomed'); // the one the kill left open is aborted, on both nodes
      await next.send({ topic: 'survives', messages: [{ value: 'after', partition: 0 }, { value: 'after', partition: 1 }] });
      await next.commit();
      // 'after' lies behind 'doomed' in both partitions: read only once that transaction is aborted on each node.
      expect(await committedRecords(kafka, connected, 'survives', 'after-kill', 4)).toEqual(['0:after', '0:k0', '1:after', '1:k1']);
    });
  });

  it('a commit a SIGKILL cut between PrepareCommit and its markers is finished at the restart, on both nodes', async () => {
    const b = await start();
    await withKafka(b, async (kafka, connected) => {
      const admin = await connected(kafka.admin());
      await admin.createTopics({ topics: [{ topic: 'prepared', numPartitions: 2 }] });
      const open = await transaction(kafka, connected, 'cut');
      await open.send({ topic: 'prepared', messages: [{ value: 'p0', partition: 0 }, { value: 'p1', partition: 1 }] });
      await b.kill();
      // What node 0's coordinator (its log at the directory's root) writes
      // first when EndTxn commits, and nothing after it: the state a SIGKILL
      // right after that write leaves.
      const log = createEngine(engine, { dir: join(tmp!.dir, 'log'), flush: { kind: 'none' } });
      await log.open();
      const tp = { topic: TXN_TOPIC, partition: 0 };
      log.createPartition(tp); // opens the one on disk (the topic registry opens each at startup)
      let last: Record<string, unknown> | null = null;
      replayTopic(log, tp, (key, value) => {
        if (key.toString() === 'cut') last = value === null ? null : (JSON.parse(value.toString()) as Record<string, unknown>);
      });
      expect(last).toMatchObject({ state: 'Ongoing', partitions: expect.arrayContaining(['prepared\u00000', 'prepared\u00001']) });
      const prepared = { ...last!, state: 'PrepareCommit', updateMs: Date.now() };
      await log.append(tp, encodeBatch({ baseTimestamp: BigInt(Date.now()), records: [{ key: Buffer.from('cut'), value: Buffer.from(JSON.stringify(prepared)), headers: [] }] }));
      await log.close();
      broker = await b.restart();
      // No client ends it: the restarted coordinator writes the commit markers, node 1's partition included.
      expect(await committedRecords(kafka, connected, 'prepared', 'after-prepare', 2)).toEqual(['0:p0', '1:p1']);
    });
  });

  it.skipIf(missing('the Python clients (apt install python3-kafka python3-confluent-kafka)', hasPythonModule('kafka') && hasPythonModule('confluent_kafka')))(
    'the Python clients: kafka-python and confluent-kafka produce, consume in a committing group and resume; confluent-kafka runs transactions',
    async () => {
      const b = await start();
      for (const [script, topic] of [['kafka_python_e2e.py', 'kp'], ['confluent_kafka_e2e.py', 'ck']] as const) {
        const { stdout } = await runToolOk(PYTHON, [pythonFixture(script), b.bootstrap, topic, '300'], '', 90_000);
        const o = JSON.parse(stdout.trim().split('\n').pop()!) as { acked: number; first: [number, number, string][]; second: [number, number, string][] };
        expect(o.acked, script).toBe(300);
        expect(new Set(o.first.map((m) => m[2])).size, script).toBe(300);
        expect(o.second.map((m) => m[2]).sort(), script).toEqual(Array.from({ length: 10 }, (_, i) => `v${300 + i}`).sort());
      }
      const { stdout } = await runToolOk(PYTHON, [pythonFixture('confluent_kafka_txn.py'), b.bootstrap, 'txn-in', 'txn-out', '4'], '', 90_000);
      const t = JSON.parse(stdout.trim().split('\n').pop()!) as { committedRounds: number[]; committed: string[]; groupOffset: number };
      expect(t.committedRounds).toEqual([0, 2]);
      expect(t.committed).toEqual(['r0:in0', 'r0:in1', 'r0:in2', 'r2:in3', 'r2:in4', 'r2:in5']);
      expect(t.groupOffset).toBe(6);
    },
    180_000,
  );

  it('after SIGKILL each node has every acknowledged record; another worker count is refused', async () => {
    const b = await start();
    const admin = await Admin.connect(b.bootstrap);
    let leaders: Map<number, { nodeId: number; host: string; port: number }>;
    try {
      await admin.createTopic('crash', 2);
      leaders = await admin.leaders('crash');
    } finally {
      admin.close();
    }
    const acked = await Promise.all(
      [...leaders].map(([partition, at]) =>
        produceLoad({ host: at.host, port: at.port, topic: 'crash', partitions: [partition], recordsPerBatch: 10, valueBytes: 100, acks: 1, window: 8, targetRecordsPerSecond: 0, maxRecords: 5_000, maxMs: 60_000 }),
      ),
    );
    expect(acked.map((a) => a.ackedRecords)).toEqual([5_000, 5_000]);
    await b.kill();
    broker = await b.restart();
    const again = await Admin.connect(broker.bootstrap);
    try {
      const after = await again.leaders('crash');
      expect([...after].map(([p, n]) => [p, n.nodeId])).toEqual([...leaders].map(([p, n]) => [p, n.nodeId]));
      for (const [p, n] of after) {
        const conn = await KafkaConnection.open(n.host, n.port, 'workers-test');
        try {
          const r = await conn.request(2, 5, { replicaId: -1, isolationLevel: 0, topics: [{ name: 'crash', partitions: [{ partitionIndex: p, currentLeaderEpoch: -1, timestamp: -1n }] }] });
          expect(r.topics[0]!.partitions[0]!.offset).toBe(5_000n);
        } finally {
          conn.close();
        }
      }
    } finally {
      again.close();
    }
    await broker.stop();
    broker = null;
    await expect(BrokerProcess.start(['--data-dir', tmp!.dir, '--engine', engine, '--workers', '1'])).rejects.toThrow(/written with mqlab.workers=2/);
  });
});

describe('mqlab.workers refusals at start', () => {
  const settings = (props: Record<string, string>) => applyProperties(DEFAULT_SERVE_SETTINGS, { port: '0', 'mqlab.workers': '2', ...props });
  it.each([
    ['the RocketMQ endpoint', {}, { rocketmqPort: 0 }, /Kafka clients only: start without the RocketMQ endpoint/],
    ['an authorizer', { 'authorizer.class.name': 'org.apache.kafka.metadata.authorizer.StandardAuthorizer' }, {}, /does not take an authorizer/],
    ['transaction.version 2', { 'transaction.version': '2' }, {}, /takes transaction.version 0 or 1/],
    ['two listeners', { listeners: 'PLAINTEXT://127.0.0.1:0,OTHER://127.0.0.1:0', 'listener.security.protocol.map': 'PLAINTEXT:PLAINTEXT,OTHER:PLAINTEXT' }, {}, /serves one listener/],
    ['a port list of another length', { 'mqlab.workers.ports': '0,0' }, {}, /mqlab.workers.ports names 2 ports: mqlab.workers=2 needs 1/],
  ])('refuses %s', async (_what, props, options, why) => {
    const tmp = tempDir();
    try {
      await expect(startBroker({ ...settings(props), dataDir: tmp.dir }, () => undefined, options)).rejects.toThrow(why);
    } finally {
      tmp.cleanup();
    }
  });

  it('a node that cannot start stops the start, saying which, and ties the directory to no count', async () => {
    const tmp = tempDir();
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    try {
      const port = (taken.address() as AddressInfo).port;
      await expect(BrokerProcess.start(['--data-dir', tmp.dir, '--workers', '2', '--set', `mqlab.workers.ports=${port}`])).rejects.toThrow(new RegExp(`node 1 failed: listen EADDRINUSE.*${port}`));
      expect(existsSync(join(tmp.dir, 'cluster.json'))).toBe(false);
    } finally {
      taken.close();
      tmp.cleanup();
    }
  });

  it('refuses a port list that is not ports', () => {
    expect(() => settings({ 'mqlab.workers.ports': '9093,x' })).toThrow(/must be ports \(0-65535\) separated by commas/);
    expect(() => settings({ 'mqlab.workers.ports': '70000' })).toThrow(/must be ports/);
  });

  it('refuses a data directory one node wrote', async () => {
    const tmp = tempDir();
    try {
      const one = await startBroker({ ...applyProperties(DEFAULT_SERVE_SETTINGS, { port: '0' }), dataDir: tmp.dir });
      await one.close();
      await expect(startBroker({ ...settings({}), dataDir: tmp.dir })).rejects.toThrow(/written with mqlab.workers=1/);
    } finally {
      tmp.cleanup();
    }
  });
});
