// The Kafka listener under mutated frames: valid requests of every API and
// every advertised version, mutated (lengths and counts that lie, varints
// that overflow, tagged garbage, record batches that lie, blind flips and
// cuts, framing garbage), sent over real connections to `mqlab serve` in a
// child process. It must close exactly the connections that sent something
// bad, answer everything else, keep serving another client, stay within
// 512 MiB, and leave the data written before the run as it was, also after
// a restart.
//
// MQLAB_FUZZ_SEED reproduces a run; MQLAB_FUZZ_FRAMES sets its size (the
// default, 100,000, is what `npm test` runs).
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Admin } from '../src/client/admin.js';
import { envCount, fuzzSeed, Prng } from './helpers/prng.js';
import { ServeProcess } from './helpers/serve-process.js';
import { tempDir } from './helpers/files.js';
import { runFuzz, type RunStats } from './fuzz/kafka-runner.js';
import { produceAndConsume } from './fuzz/normal-client.js';
import { Planner } from './fuzz/plans.js';
import { Probe } from './fuzz/probe.js';
import { buildPool } from './fuzz/seed-pool.js';
import { snapshot, writeWitness } from './fuzz/witness.js';

const SEED = fuzzSeed('MQLAB_FUZZ_SEED', 'Kafka listener fuzz');
const FRAMES = envCount('MQLAB_FUZZ_FRAMES', 100_000);
const RSS_LIMIT_BYTES = 512 * 1024 * 1024;
const MAX_FRAME_BYTES = 100 * 1024 * 1024;
const MiB = (n: number): string => `${(n / 1024 / 1024).toFixed(1)} MiB`;

// Short group timeouts, so that the rare fuzzed JoinGroup that lands in
// another frame's group waits seconds for its stale member, not minutes.
const BROKER_FLAGS = ['--set', 'group.initial.rebalance.delay.ms=0', '--set', 'group.min.session.timeout.ms=100', '--set', 'group.max.session.timeout.ms=10000'];
// A small fetch session cache, so that the fuzzed fetches that open sessions fill it: it must stay within its bounds.
const SESSION_SLOTS = 32;
const SESSION_PARTITIONS = 64;
const SESSION_FLAGS = ['--set', `max.incremental.fetch.session.cache.slots=${SESSION_SLOTS}`, '--set', `mqlab.fetch.session.max.partitions=${SESSION_PARTITIONS}`];

/** A sample's value from the broker's /metrics. */
async function metric(httpPort: number, name: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${httpPort}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  if (!line) throw new Error(`no ${name} in /metrics`);
  return Number(line.slice(name.length + 1));
}

function summary(s: RunStats, broker: ServeProcess, rssMax: number, probe: Probe, topics: number): string {
  const top = (m: Record<string, number> | Map<string, number>): string =>
    [...(m instanceof Map ? m : Object.entries(m))].sort((a, b) => b[1] - a[1]).map(([k, v]) => `    ${v.toString().padStart(7)}  ${k}`).join('\n');
  return [
    `seed ${SEED}: ${s.frames} frames on ${s.plans} connections in ${s.seconds.toFixed(1)} s (${Math.round(s.frames / s.seconds)} frames/s)`,
    `  answered ${s.answered}, acks=0 ${s.silent}, closing the connection ${s.fatal}, long polls left ${s.longPolls}, framing tails ${s.tails}`,
    `  topics on the broker afterwards: ${topics} (the fuzzed requests create them under mutated names)`,
    `  closed by the broker: ${s.closedByBroker} while the client still sent or waited; ${broker.closedConnections} logged with a reason (more: framing tails the client had half-closed after)`,
    `  CPU: broker ${broker.cpuSeconds().toFixed(1)} s, fuzzer ${(process.cpuUsage().user / 1e6 + process.cpuUsage().system / 1e6).toFixed(1)} s (whole test process)`,
    `  broker RSS: max sampled ${MiB(rssMax)}, high-water mark ${MiB(broker.peakRssBytes())}; probe ${probe.rounds} rounds, slowest ${probe.maxLatencyMs.toFixed(0)} ms`,
    `  mutations:\n${top(s.byMutation)}`,
    `  outcomes:\n${top(s.byOutcome)}`,
    `  the broker's reasons for closing:\n${top(broker.closeReasons)}`,
  ].join('\n');
}

describe('the Kafka listener under fuzzed frames', () => {
  const tmp = tempDir('mqlab-fuzz-kafka-');
  let broker: ServeProcess;

  beforeAll(async () => {
    broker = await ServeProcess.start(tmp.dir, [...BROKER_FLAGS, ...SESSION_FLAGS], true);
  });
  afterAll(async () => {
    await broker?.kill();
    tmp.cleanup();
  });

  it(`answers or closes cleanly for ${FRAMES} mutated frames, and loses nothing`, { timeout: 120_000 + FRAMES * 5 }, async () => {
    const rng = new Prng(SEED);
    const bootstrap = `127.0.0.1:${broker.port}`;
    await writeWitness(bootstrap, rng.fork());
    const before = await snapshot(bootstrap);

    const pool = buildPool(rng.fork(), 8);
    const planner = new Planner(rng.fork(), pool, { maxFrames: 32, validShare: 0.05, tailShare: 0.05, maxFrameBytes: MAX_FRAME_BYTES });
    const probe = await Probe.open('127.0.0.1', broker.port);
    let rssMax = broker.rssBytes();
    const stats = await runFuzz(planner, {
      host: '127.0.0.1',
      port: broker.port,
      frames: FRAMES,
      concurrency: 8,
      connectionDeadlineMs: 30_000,
      progressEvery: 200,
      onProgress: () => {
        if (!broker.exited) rssMax = Math.max(rssMax, broker.rssBytes());
        probe.poke();
      },
    });
    await probe.close();
    const admin = await Admin.connect(bootstrap);
    const topics = (await admin.listTopics()).length;
    admin.close();
    console.log(summary(stats, broker, rssMax, probe, topics));
    if (stats.findings.length > 0) {
      const file = join(tmpdir(), `mqlab-fuzz-kafka-${SEED}-findings.json`);
      writeFileSync(file, JSON.stringify(stats.findings, null, 1));
      console.log(`${stats.findings.length} findings, each with the bytes sent, in ${file}`);
    }

    expect(broker.exited, broker.tail).toBe(false);
    expect(stats.findings.map((f) => `plan ${f.plan}: ${f.problem}`)).toEqual([]);
    expect(stats.frames).toBe(FRAMES);
    expect(probe.failure).toBeNull();
    // Served throughout: the other client's round trips stayed prompt while the fuzzing went on.
    expect(probe.rounds).toBeGreaterThan(0);
    expect(probe.maxLatencyMs).toBeLessThan(5000);
    expect(broker.strayLines).toEqual([]);
    expect(broker.errorLines).toEqual([]);
    expect(broker.peakRssBytes()).toBeLessThan(RSS_LIMIT_BYTES);
    // Fetch sessions were opened, and the cache kept to its bounds.
    const sessions = await metric(broker.httpPort!, 'mqlab_fetch_sessions');
    console.log(`fetch sessions at the end: ${sessions} (at most ${SESSION_SLOTS}), holding ${await metric(broker.httpPort!, 'mqlab_fetch_session_partitions')} partitions`);
    expect(sessions).toBeGreaterThan(0);
    expect(sessions).toBeLessThanOrEqual(SESSION_SLOTS);
    expect(await metric(broker.httpPort!, 'mqlab_fetch_session_partitions')).toBeLessThanOrEqual(SESSION_SLOTS * SESSION_PARTITIONS);

    expect(await snapshot(bootstrap)).toEqual(before);
    expect(await produceAndConsume(bootstrap, 'after-fuzz')).toEqual(Array.from({ length: 20 }, (_, i) => `after-${i}`).sort());

    // What was written survives a clean restart too (recovery reads what the fuzzing left on disk).
    expect(await broker.stop()).toEqual({ code: 0, signal: null });
    broker = await ServeProcess.start(tmp.dir, BROKER_FLAGS);
    expect(await snapshot(`127.0.0.1:${broker.port}`)).toEqual(before);
  });
});
