// One configuration (engine × flush policy) of the crash soak: a broker on
// one data directory, killed with SIGKILL again and again under produce
// load and restarted on the same, growing log. After each restart the
// records of that round are read back; at the end, the whole log once more,
// so what survived one recovery is checked again after all the later ones.
import { consumeLoad, type ConsumerLoadResult } from '../../client/load/consumer.js';
import { IntegrityTracker } from '../../client/load/integrity.js';
import type { ProducerLoadResult } from '../../client/load/producer.js';
import type { BrokerProcess } from '../broker-process.js';
import type { LabContext } from '../context.js';
import type { Random } from '../random.js';
import { produce } from './common.js';

export interface SoakConfig {
  engine: 'segmented' | 'commitlog';
  flush: string;
}

export interface SoakSizes {
  kills: number;
  /** A bound on the whole configuration: it stops early (and says so) past it. */
  maxSeconds: number;
  /** The kill comes once this many records, drawn uniformly per round, have been acknowledged across the producers (counted from when all three are under way). */
  minAcked: number;
  maxAcked: number;
  valueBytes: number;
  recordsPerBatch: number;
  segmentBytes: number;
}

/** The three producers of every round, each retrying across the kill (it reconnects and sends again what was not answered). */
export const PRODUCERS = [
  { name: 'acks=1', acks: 1, idempotent: false, window: 8 },
  { name: 'acks=-1', acks: -1, idempotent: false, window: 8 },
  { name: 'acks=-1 idempotent', acks: -1, idempotent: true, window: 5 },
] as const;

export const TOPIC = 'soak';
const PARTITIONS = [0, 1];

export interface ProducerTotals {
  /** Records acknowledged, and of those, acknowledged before the SIGKILL was sent. */
  acked: number;
  ackedBeforeKill: number;
  /** Read back after the restart. */
  received: number;
  lost: number;
  duplicated: number;
  /** Requests sent again after each reconnect: those unanswered at the kill. */
  resent: number;
  errors: number;
  firstError: string | null;
}

export interface SoakResult {
  config: SoakConfig;
  kills: number;
  seconds: number;
  producers: ProducerTotals[];
  /** Per kill: spawn to listening of the restarted broker, ms. */
  startupMs: number[];
  /** Per kill: bytes the restarted broker's recovery reported truncating. */
  truncatedBytes: number[];
  /** Batches read back whose CRC did not match what the producer computed. */
  badBatches: number;
  /** The whole log, read once more after the last restart. */
  final: { records: number; lost: number; duplicated: number };
  /** Why the soak stopped before its count, or failed; null if it ran them all. */
  stoppedEarly: string | null;
  failed: string | null;
  /** The failure was the broker not coming back after a kill. */
  failedRestart: boolean;
}

/** Acknowledged sequence numbers of one producer, as ranges (acks come in order, so they mostly merge). */
class AckedSet {
  private readonly ranges: [number, number][] = [];
  count = 0;

  add(first: number, n: number): void {
    const last = this.ranges.at(-1);
    if (last && last[0] + last[1] === first) last[1] += n;
    else this.ranges.push([first, n]);
    this.count += n;
  }

  missingFrom(seen: IntegrityTracker, producerId: bigint): number {
    let missing = 0;
    for (const [first, n] of this.ranges) for (let s = first; s < first + n; s++) if (!seen.has(producerId, s)) missing++;
    return missing;
  }
}

interface Produced {
  producerId: bigint;
  acked: AckedSet;
}

export async function soak(ctx: LabContext, config: SoakConfig, sizes: SoakSizes, random: Random): Promise<SoakResult> {
  const started = performance.now();
  const r: SoakResult = {
    config,
    kills: 0,
    seconds: 0,
    producers: PRODUCERS.map(() => ({ acked: 0, ackedBeforeKill: 0, received: 0, lost: 0, duplicated: 0, resent: 0, errors: 0, firstError: null })),
    startupMs: [],
    truncatedBytes: [],
    badBatches: 0,
    final: { records: 0, lost: 0, duplicated: 0 },
    stoppedEarly: null,
    failed: null,
    failedRestart: false,
  };
  const everything: Produced[] = [];
  // The broker started after each kill; its recovery lines are complete once it is gone.
  const restarts: BrokerProcess[] = [];
  let live: BrokerProcess | null = await ctx.startBroker({ engine: config.engine, flush: config.flush, logRecovery: true, extra: ['--set', `log.segment.bytes=${sizes.segmentBytes}`] });
  try {
    await ctx.admin(live, (a) => a.createTopic(TOPIC, PARTITIONS.length));
    let start = new Map(PARTITIONS.map((p) => [p, 0n]));
    while (r.kills < sizes.kills) {
      if (performance.now() - started > sizes.maxSeconds * 1000) {
        r.stoppedEarly = `stopped after ${r.kills} of ${sizes.kills} kills: the configuration's ${sizes.maxSeconds} s were up`;
        break;
      }
      ctx.progress(`crash: ${config.engine} flush=${config.flush}: kill ${r.kills + 1} of ${sizes.kills}`);
      const round = await killRound(ctx, live, start, random.int(sizes.minAcked, sizes.maxAcked), sizes, (b) => {
        live = b;
        if (b) restarts.push(b);
      });
      r.kills++;
      r.badBatches += round.read.badBatches;
      for (const [i, p] of round.produced.entries()) {
        const t = r.producers[i]!;
        const sent = round.results[i]!;
        t.acked += p.acked.count;
        t.ackedBeforeKill += round.ackedBeforeKill[i]!;
        t.received += round.read.integrity.distinct(p.producerId, sent.sentRecords) + round.read.integrity.duplicatesOf(p.producerId);
        t.lost += p.acked.missingFrom(round.read.integrity, p.producerId);
        t.duplicated += round.read.integrity.duplicatesOf(p.producerId);
        t.resent += sent.resent;
        t.errors += sent.errors;
        t.firstError ??= sent.firstError;
        everything.push(p);
      }
      start = round.end;
    }
    r.final = await rereadAll(live!, start, everything);
  } catch (err) {
    r.failed = (err as Error).message;
    r.failedRestart = err instanceof RestartFailed;
  } finally {
    if (live) await ctx.stopBroker(live);
    r.startupMs = restarts.map((b) => b.startupMs);
    r.truncatedBytes = restarts.map((b) => truncatedIn(b.recoveryLog));
    r.seconds = (performance.now() - started) / 1000;
  }
  return r;
}

class RestartFailed extends Error {}

interface Round {
  produced: Produced[];
  results: ProducerLoadResult[];
  ackedBeforeKill: number[];
  end: Map<number, bigint>;
  read: ConsumerLoadResult;
}

/**
 * Starts the three producers, kills the broker once `killAt` records have
 * been acknowledged, restarts it, lets the producers send again what was in
 * flight, and reads back everything written since `start`. The broker in
 * service is handed to `live` as it changes (null between the kill and the
 * restart), so whatever fails, the caller stops the right one.
 */
async function killRound(ctx: LabContext, b: BrokerProcess, start: Map<number, bigint>, killAt: number, sizes: SoakSizes, live: (b: BrokerProcess | null) => void): Promise<Round> {
  const stop = new AbortController();
  const acked = PRODUCERS.map(() => new AckedSet());
  let total = 0;
  // Counted from when every producer has had an answer: one still connecting
  // when the broker dies would fail rather than retry.
  let underWayAt: number | null = null;
  let reached: () => void = () => undefined;
  const killPoint = new Promise<void>((resolve) => (reached = resolve));
  const runs = PRODUCERS.map((p, i) =>
    produce(b, {
      topic: TOPIC,
      partitions: PARTITIONS,
      recordsPerBatch: sizes.recordsPerBatch,
      valueBytes: sizes.valueBytes,
      acks: p.acks,
      idempotent: p.idempotent,
      window: p.window,
      targetRecordsPerSecond: 0,
      // Bounds, not a pace: the kill and the stop signal end a round long before,
      // even when one producer got under way late.
      maxRecords: 4 * sizes.maxAcked,
      maxMs: 20_000,
      reconnect: true,
      stop: stop.signal,
      onAck: (first, n, ok) => {
        if (!ok) return;
        acked[i]!.add(first, n);
        total += n;
        if (underWayAt === null && acked.every((x) => x.count > 0)) underWayAt = total;
        if (underWayAt !== null && total - underWayAt >= killAt) reached();
      },
    }),
  );
  const settled = Promise.allSettled(runs);
  try {
    await Promise.race([killPoint, settled]);
    const ackedBeforeKill = acked.map((a) => a.count);
    live(null);
    const again = await ctx.crashAndRestart(b).catch((err: Error) => {
      throw new RestartFailed(`the broker did not come back after the kill: ${err.message}`);
    });
    live(again);
    stop.abort();
    const results = await Promise.all(runs);
    const end = await ctx.admin(again, (a) => a.offsets(TOPIC, PARTITIONS, -1n));
    const read = await readRange(again, start, end);
    return { produced: results.map((p, i) => ({ producerId: p.producerId, acked: acked[i]! })), results, ackedBeforeKill, end, read };
  } finally {
    // Whatever failed, no producer outlives its round.
    stop.abort();
    await settled;
  }
}

function readRange(b: BrokerProcess, from: Map<number, bigint>, until: Map<number, bigint>, integrity?: IntegrityTracker): Promise<ConsumerLoadResult> {
  return consumeLoad({ host: b.host, port: b.port, topic: TOPIC, from, until, expectRecords: Number.MAX_SAFE_INTEGER, maxMs: 120_000, maxBytes: 8 << 20, partitionMaxBytes: 4 << 20, maxWaitMs: 10, checkCrc: true, integrity });
}

async function rereadAll(b: BrokerProcess, end: Map<number, bigint>, everything: Produced[]): Promise<SoakResult['final']> {
  const read = await readRange(b, new Map(PARTITIONS.map((p) => [p, 0n])), end);
  let lost = 0;
  let duplicated = 0;
  for (const p of everything) {
    lost += p.acked.missingFrom(read.integrity, p.producerId);
    duplicated += read.integrity.duplicatesOf(p.producerId);
  }
  return { records: read.received, lost, duplicated };
}

/** Bytes cut from the log's tail, as the broker's recovery lines report them. */
export function truncatedIn(lines: readonly string[]): number {
  let n = 0;
  for (const line of lines) for (const m of line.matchAll(/truncated (\d+) bytes/g)) n += Number(m[1]);
  return n;
}
