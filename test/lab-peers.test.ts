// The peers comparison end to end at smoke sizes: Redis Streams started by
// the lab in its three persistence modes, and a second mqlab standing in
// for an external Kafka cluster (--target), through both Kafka clients.
// Every message is received exactly once; the OMB results are written and
// compared by `mqlab report`; the report's peers section draws in Chromium.
// Then the workload's OMB extras on their own: producerRate 0 (a search for
// the highest sustainable rate) and a backlog built and drained.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Admin } from '../src/client/admin.js';
import { BrokerProcess } from '../src/lab/broker-process.js';
import { targetContenders } from '../src/lab/peers/catalogue.js';
import { redisDriver } from '../src/lab/peers/drivers/redis.js';
import { runWorkload, type PeerWorkload, type WorkloadOutcome } from '../src/lab/peers/run-workload.js';
import { redisServer } from '../src/lab/peers/servers/redis.js';
import { parseTargets } from '../src/lab/peers/targets.js';
import { renderReport } from '../src/lab/report/render.js';
import { validateRun, writeReport } from '../src/lab/report/write.js';
import type { LabRun } from '../src/lab/results.js';
import { runLab } from '../src/lab/run-lab.js';
import type { PeerRun } from '../src/lab/peers/run-system.js';
import { measuredTable, peersVerdict } from '../src/lab/scenarios/peers-report.js';
import { CHROMIUM, dumpDom, expectAllDrawn, parse } from './helpers/chromium.js';
import { tempDir } from './helpers/files.js';
import { missing } from './helpers/requires.js';
import { testRandom } from './helpers/seed.js';

const CLI = join(import.meta.dirname, '..', 'dist', 'src', 'cli', 'main.js');
const random = testRandom('lab-peers');

describe.skipIf(missing('redis-server', redisServer.installed()))('the peers comparison', () => {
  const tmp = tempDir('mqlab-lab-peers-');
  let target: BrokerProcess;
  let run: LabRun;
  beforeAll(async () => {
    target = await BrokerProcess.start(['--data-dir', join(tmp.dir, 'external'), '--engine', 'segmented']);
    const admin = await Admin.connect(target.bootstrap);
    await admin.createTopic('theirs', 1);
    admin.close();
    const targets = parseTargets([`kafka=${target.bootstrap}`]).flatMap(targetContenders);
    // A relative data directory, as the default ./data is: the peers' servers run from other working directories.
    run = await runLab({ suite: 'scenario', scenarios: ['peers'], dataDir: relative(process.cwd(), join(tmp.dir, 'data')), progress: null, log: () => undefined, smoke: true, seed: random.int(1, 2 ** 30), workload: { messageSize: 256 }, peers: { systems: ['redis'], targets } });
  }, 120_000);
  afterAll(async () => {
    await target?.stop();
    tmp.cleanup();
  });

  it('runs every mode of every system to the end, each message received once', () => {
    const s = run.scenarios[0]!;
    expect(s.name).toBe('peers');
    const measured = s.tables.find((t) => t.title.startsWith('Every system'))!;
    expect(measured.rows.map((r) => `${r[0]} ${r[1]} ${r[2]}`)).toEqual([
      'Redis Streams ioredis 6.0.0 on',
      'Redis Streams ioredis 6.0.0 everysec',
      'Redis Streams ioredis 6.0.0 off',
      `external Kafka at ${target.bootstrap} mqlab client as-configured`,
      `external Kafka at ${target.bootstrap} kafkajs 2.2.4 as-configured`,
    ]);
    for (const r of measured.rows) expect(Number(String(r[3]).replace(/,/g, '')), String(r[0])).toBeGreaterThan(0);
    expect(s.integrity).toHaveLength(5);
    for (const c of s.integrity) expect([c.run, c.lost, c.duplicated, c.received]).toEqual([c.run, 0, 0, c.sent]);
    // Only the Kafka row of the notes' table ran: too few to test the order.
    expect(s.verdict.held).toBeNull();
    expect(s.verdict.measured).toBe("1 of the notes' four systems measured");
    expect(s.notes.join('\n')).toMatch(/Redis Streams: client ioredis 6\.0\.0; modes on = AOF with appendfsync always/);
    expect(s.notes.join('\n')).toMatch(/Persistence on against off, produce msg\/s: Redis Streams \d/);
  });

  it('deletes on the external target only the topics it created', async () => {
    const admin = await Admin.connect(target.bootstrap);
    const topics = (await admin.listTopics()).map((t) => t.name).filter((t) => !t.startsWith('__'));
    admin.close();
    expect(topics).toEqual(['theirs']);
  });

  it('writes the runs in OpenMessaging Benchmark\'s format, and mqlab report compares them', () => {
    const out = join(tmp.dir, 'reports');
    const paths = writeReport(validateRun(JSON.parse(JSON.stringify(run))), out);
    const dir = paths.json.replace(/\.json$/, '-omb');
    const files = readdirSync(dir).sort();
    expect(files).toEqual(['redis-everysec.json', 'redis-off.json', 'redis-on.json', 'target-kafka-as-configured.json', 'target-kafkajs-as-configured.json']);
    const omb = JSON.parse(readFileSync(join(dir, 'redis-on.json'), 'utf8'));
    expect(omb).toMatchObject({ driver: 'redis-ioredis 6.0.0', messageSize: 256, topics: 1, partitions: 4, producersPerTopic: 1, consumersPerTopic: 1, mqlabLost: 0, mqlabDuplicated: 0 });
    for (const k of ['publishRate', 'consumeRate', 'backlog', 'publishLatency99pct', 'endToEndLatency999pct', 'publishDelayLatencyMax']) expect(Array.isArray(omb[k]), k).toBe(true);
    for (const k of ['aggregatedPublishLatency50pct', 'aggregatedEndToEndLatency99pct', 'aggregatedEndToEndLatencyMax']) expect(omb[k], k).toBeGreaterThan(0);
    const html = join(tmp.dir, 'omb.html');
    const r = spawnSync(process.execPath, [CLI, 'report', '--out', html, ...files.map((f) => join(dir, f))], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const page = readFileSync(html, 'utf8');
    for (const d of ['redis-ioredis 6.0.0, persistence everysec', 'target-kafkajs-kafkajs 2.2.4, persistence as-configured']) expect(page).toContain(d);
    // A lab run with a peers comparison counts as its OMB results.
    const again = spawnSync(process.execPath, [CLI, 'report', '--out', join(tmp.dir, 'again.html'), paths.json], { encoding: 'utf8' });
    expect(again.status, again.stderr).toBe(0);
  });

  it.skipIf(missing(CHROMIUM, existsSync(CHROMIUM)))('draws the peers section in Chromium', { timeout: 60_000 }, async () => {
    const file = join(tmp.dir, 'peers.html');
    writeFileSync(file, renderReport(validateRun(JSON.parse(JSON.stringify(run)))));
    mkdirSync(join(tmp.dir, 'chromium'), { recursive: true });
    const d = parse(await dumpDom(file, 'peers', join(tmp.dir, 'chromium')));
    expect(d.dom).toContain('The notes\' table beside the measured one');
    expectAllDrawn(d, 2);
  });
});

describe('the peers report', () => {
  it('names a system that is not installed with the line that installs it', () => {
    const t = measuredTable([], [{ label: 'ActiveMQ', apt: 'apt-get install -y activemq' }]);
    expect(t.rows).toEqual([['ActiveMQ', '', 'not installed', 'install: apt-get install -y activemq', '', '', '', '', '', '', '', '', '', '']]);
  });

  it('refuses --target without the peers scenario, and a bad target', () => {
    const a = spawnSync(process.execPath, [CLI, 'bench', '--scenario', 'two-reads', '--target', 'kafka=127.0.0.1:9092'], { encoding: 'utf8' });
    expect([a.status, a.stderr.trim()]).toEqual([2, 'mqlab bench: --peers and --target belong to the peers scenario: add --scenario peers (or --full)']);
    const b = spawnSync(process.execPath, [CLI, 'bench', '--scenario', 'peers', '--target', 'pulsar=127.0.0.1:6650'], { encoding: 'utf8' });
    expect(b.status).toBe(2);
    expect(b.stderr).toMatch(/pulsar/);
  });
});

describe.skipIf(missing('redis-server', redisServer.installed()))('a peer workload\'s OMB extras', () => {
  it('searches for the highest sustainable rate, then builds a backlog and drains it', { timeout: 90_000 }, async () => {
    const tmp = tempDir('mqlab-peer-search-');
    const server = await redisServer.start(tmp.dir, 'off');
    try {
      const driver = await redisDriver({ endpoint: server.endpoint, mode: 'off', messageSize: 128 });
      const w: PeerWorkload = { name: 'search', topics: 1, partitionsPerTopic: 1, messageSize: 128, keys: 0, producersPerTopic: 2, subscriptionsPerTopic: 2, consumerPerSubscription: 1, producerRate: 0, warmupSeconds: 0, flatOutSeconds: 1, pacedSeconds: 1, consumerBacklogSizeGB: 0.0001, window: 100, drainIdleSeconds: 5 };
      const o = await runWorkload(driver, w, { brokerCpu: () => server.cpuSeconds(), random, prefix: 'search', progress: () => undefined });
      await driver.deleteTopics();
      await driver.close();
      expect(o.search.length).toBeGreaterThan(0);
      expect(o.search.at(-1)!.sustained).toBe(true);
      expect(o.rate).toBe(o.search.at(-1)!.rate);
      // The first step starts under what flat out reached; every step after is lower.
      expect(o.search[0]!.rate).toBeLessThan(o.flatOut.published / o.flatOut.seconds);
      for (let i = 1; i < o.search.length; i++) expect(o.search[i]!.rate).toBeLessThan(o.search[i - 1]!.rate);
      expect(o.backlog).toMatchObject({ messages: Math.ceil(1e5 / 128), drained: true });
      expect(o.flatOut.cpu.broker).toBeGreaterThan(0);
      for (const i of o.integrity) expect([i.lost, i.duplicated, i.received]).toEqual([0, 0, i.sent]);
    } finally {
      await server.stop();
      tmp.cleanup();
    }
  });
});

describe('the peers verdict', () => {
  const run = (label: string, row: 'ActiveMQ' | 'RabbitMQ' | 'RocketMQ' | 'Kafka', mode: string, rate: number): PeerRun => ({
    system: label.toLowerCase(),
    label,
    client: 'c',
    notesRow: row,
    mode,
    modeLabel: mode,
    external: false,
    server: null,
    driverNotes: [],
    error: null,
    outcome: { flatOut: { published: rate, seconds: 1 } } as unknown as WorkloadOutcome,
  });
  const notes = (a: [number, number], r: [number, number], rocket: number, kafka: number): PeerRun[] => [
    run('ActiveMQ', 'ActiveMQ', 'on', a[0]),
    run('ActiveMQ', 'ActiveMQ', 'off', a[1]),
    run('RabbitMQ', 'RabbitMQ', 'on', r[0]),
    run('RabbitMQ', 'RabbitMQ', 'off', r[1]),
    run('RocketMQ', 'RocketMQ', 'on', rocket),
    run('Kafka', 'Kafka', 'on', kafka),
  ];

  it('holds when the order and both halves of the persistence claim hold', () => {
    const v = peersVerdict(notes([1000, 4000], [2000, 5000], 20_000, 100_000));
    expect(v.held).toBe(true);
    expect(v.measured).toBe('ActiveMQ 1,000 < RabbitMQ 2,000 < RocketMQ 20,000 < Kafka 100,000 msg/s; ActiveMQ on/off 0.25×, RabbitMQ on/off 0.40×');
  });

  it('does not hold when the order breaks, or a log-based system is slower than a classic one without persistence', () => {
    expect(peersVerdict(notes([1000, 4000], [2000, 5000], 1500, 100_000)).summary).toMatch(/^The order does not hold here/);
    const slow = peersVerdict(notes([1000, 4000], [2000, 50_000], 20_000, 100_000));
    expect(slow.held).toBe(false);
    expect(slow.summary).toContain('RocketMQ (20,000 msg/s, persistent) did not outrun RabbitMQ with its persistence off (50,000 msg/s).');
    const cheap = peersVerdict(notes([1000, 1100], [2000, 2100], 20_000, 100_000));
    expect(cheap.held).toBe(false);
    expect(cheap.summary).toContain('less than a fifth');
  });
});
