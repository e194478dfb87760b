// The crash soak: on each engine and flush policy, a broker killed with
// SIGKILL over and over under produce load (acks=1, acks=-1, and an
// idempotent acks=-1 producer, all retrying), restarted on the same growing
// log each time, and every acknowledged record looked for afterwards. A
// benchmark, not a test: hundreds of kills in the full suite, a handful in
// the quick one. Killing a process leaves its writes in the page cache, so
// no policy should lose anything here; a power cut is a different test.
import type { IntegrityCheck, LineChart, ResultTable } from '../results.js';
import { quantile } from '../stats.js';
import { fmt, type Scenario, type ScenarioOutcome } from './common.js';
import { PRODUCERS, soak, type SoakConfig, type SoakResult, type SoakSizes } from './crash-soak.js';

const CONFIGS: SoakConfig[] = (['segmented', 'commitlog'] as const).flatMap((engine) => ['none', 'batch', '100'].map((flush) => ({ engine, flush })));

const flushLabel = (f: string): string => (/^\d+$/.test(f) ? `every ${f} ms` : f);
const configLabel = (c: SoakConfig): string => `${c.engine}, flush ${flushLabel(c.flush)}`;

export const crash: Scenario = {
  name: 'crash',
  title: 'Crash soak: SIGKILL after SIGKILL under load, every acknowledged record kept',
  claim:
    'Killing the broker with SIGKILL under produce load, hundreds of times per engine and flush policy and always on the same growing log, loses no record that was acknowledged (acks=1 or acks=-1), even under flush=none: a killed process leaves its writes in the page cache (a power cut is another test). Retrying producers may write a record twice; the idempotent one does not.',
  async run(ctx): Promise<ScenarioOutcome> {
    const sizes: SoakSizes = {
      kills: ctx.pick(3, 200, 2),
      // Keeps the full soak near 20 minutes on a slow day; past it a configuration stops early and says so.
      maxSeconds: ctx.pick(45, 210, 45),
      minAcked: 0,
      maxAcked: ctx.pick(3000, 3000, 600),
      valueBytes: ctx.valueBytes(100),
      recordsPerBatch: 10,
      // Small segments, so the log rolls many times and kills land around rolls too.
      segmentBytes: 1 << 20,
    };
    const results: SoakResult[] = [];
    for (const config of CONFIGS) results.push(await soak(ctx, config, sizes, ctx.random(`crash/${config.engine}/${config.flush}`)));
    return report(results, sizes, ctx.seed);
  },
};

function report(results: SoakResult[], sizes: SoakSizes, seed: number): ScenarioOutcome {
  const kills = sum(results.map((r) => r.kills));
  const acked = sum(results.flatMap((r) => r.producers.map((p) => p.acked)));
  const lost = sum(results.flatMap((r) => r.producers.map((p) => p.lost)));
  const finalLost = sum(results.map((r) => r.final.lost));
  const bad = sum(results.map((r) => r.badBatches));
  const dup = PRODUCERS.map((_, i) => sum(results.map((r) => r.producers[i]!.duplicated)));
  const startups = results.flatMap((r) => r.startupMs);
  const failed = results.filter((r) => r.failed !== null);
  const damaged = lost > 0 || finalLost > 0 || bad > 0;
  const held = damaged || failed.some((r) => r.failedRestart) ? false : failed.length > 0 ? null : true;
  const dupText = PRODUCERS.map((p, i) => `${p.name} ${fmt(dup[i]!)}`).join(', ');
  return {
    verdict: {
      held,
      measured: `${fmt(kills)} SIGKILLs over ${results.length} engine × flush configurations: ${fmt(acked)} records acknowledged, ${fmt(lost + finalLost)} lost${bad > 0 ? `, ${fmt(bad)} batches corrupt` : ''}; duplicated: ${dupText}; restart p50 ${fmtMs(quantile(startups, 0.5))}, p99 ${fmtMs(quantile(startups, 0.99))}`,
      summary: summary(held, failed, dup, lost, finalLost, bad),
    },
    charts: [recoveryChart(results)],
    tables: [recordsTable(results), recoveryTable(results)],
    integrity: results.flatMap((r) => integrityOf(r)),
    settings: {
      seed: String(seed), // a string: a number cell would group its digits
      killsPerConfiguration: sizes.kills,
      configurations: CONFIGS.map(configLabel).join('; '),
      producers: PRODUCERS.map((p) => `${p.name} (window ${p.window})`).join('; '),
      killAfterAckedRecords: `${sizes.minAcked}–${sizes.maxAcked} (uniform, seeded)`,
      partitions: 2,
      recordsPerBatch: sizes.recordsPerBatch,
      valueBytes: sizes.valueBytes,
      segmentBytes: sizes.segmentBytes,
      maxSecondsPerConfiguration: sizes.maxSeconds,
    },
    notes: [
      'Each round starts the three producers (each on both partitions), sends SIGKILL once a seeded random number of records has been acknowledged across them, restarts `mqlab serve` on the same data directory and port, lets the producers reconnect and send again what was not answered, then reads back everything written since the round began. A record counts as kept when it is found with its batch CRC-32C intact (the producer computed it over the batch as sent).',
      'After the last round the whole log is read once more: records kept by one recovery must survive all the later ones.',
      'Recovery time is from spawn to the broker printing its address: Node starting, the engine opening (and recovering) the log, the broker rebuilding idempotent producers\' state from the log, the port bound.',
      'Kills land while records are being produced, never during a recovery; the machine keeps its page cache throughout. Fsync ordering against a power cut is not what this measures.',
      ...results.filter((r) => r.stoppedEarly).map((r) => `${configLabel(r.config)}: ${r.stoppedEarly}.`),
      ...results.filter((r) => r.failed).map((r) => `${configLabel(r.config)} failed after ${r.kills} kills: ${r.failed}`),
      ...results.flatMap((r) => r.producers.flatMap((p, i) => (p.errors > 0 ? [`${configLabel(r.config)}, ${PRODUCERS[i]!.name}: ${fmt(p.errors)} requests refused, first: ${p.firstError}`] : []))),
    ],
  };
}

function summary(held: boolean | null, failed: SoakResult[], dup: number[], lost: number, finalLost: number, bad: number): string {
  const idem = dup[PRODUCERS.findIndex((p) => p.idempotent)]!;
  const dupSentence = idem === 0 ? 'Duplicates came only from the retrying non-idempotent producers (a request written before the kill but not answered, sent again); the idempotent producer wrote nothing twice.' : `The idempotent producer wrote ${fmt(idem)} records twice: its retries after a restart were not recognised.`;
  if (held === true) return `Every acknowledged record was found after every restart, byte for byte, and again in the whole log after the last. ${dupSentence}`;
  if (held === null) return `No acknowledged record was found missing, but ${failed.length} configuration(s) did not finish (see the notes), so the soak is incomplete.`;
  const what = [lost > 0 ? `${fmt(lost)} acknowledged records were missing after a restart` : '', finalLost > 0 ? `${fmt(finalLost)} were gone from the whole log at the end` : '', bad > 0 ? `${fmt(bad)} batches came back corrupt` : '', failed.some((r) => r.failedRestart) ? 'a broker did not come back after a kill' : ''].filter(Boolean);
  return `The claim did not hold: ${what.join('; ')}. ${dupSentence}`;
}

function recordsTable(results: SoakResult[]): ResultTable {
  return {
    title: 'Acknowledged records through the kills, per producer',
    caption: '"acknowledged" includes what was answered after the restart; "lost" is acknowledged but not found after the restart. "Sent again" counts the unanswered requests a producer sent after each reconnect (one that reached the dying broker counts twice). A retrying producer that is not idempotent duplicates what was written but not answered before the kill.',
    columns: ['engine', 'flush', 'producer', 'kills', 'acknowledged before the kills', 'acknowledged', 'requests sent again', 'read back', 'lost', 'duplicated', 'refused'],
    rows: results.flatMap((r) =>
      r.producers.map((p, i) => [r.config.engine, flushLabel(r.config.flush), PRODUCERS[i]!.name, r.kills, fmt(p.ackedBeforeKill), fmt(p.acked), fmt(p.resent), fmt(p.received), fmt(p.lost), fmt(p.duplicated), fmt(p.errors)]),
    ),
  };
}

function recoveryTable(results: SoakResult[]): ResultTable {
  return {
    title: 'Restarts after SIGKILL, and the log at the end',
    caption: 'Restart: spawn to listening. Truncated: bytes the broker\'s recovery reported cutting from a torn tail. The last columns read the whole log again after the last restart.',
    columns: ['engine', 'flush', 'kills', 'restart p50 ms', 'p99 ms', 'max ms', 'restarts that truncated', 'bytes truncated', 'records in the log', 'lost on the re-read', 'corrupt batches', 'seconds'],
    rows: results.map((r) => [
      r.config.engine,
      flushLabel(r.config.flush),
      r.kills,
      msCell(quantile(r.startupMs, 0.5)),
      msCell(quantile(r.startupMs, 0.99)),
      msCell(quantile(r.startupMs, 1)),
      r.truncatedBytes.filter((n) => n > 0).length,
      fmt(sum(r.truncatedBytes)),
      fmt(r.final.records),
      fmt(r.final.lost),
      fmt(r.badBatches),
      r.seconds.toFixed(0),
    ]),
  };
}

function recoveryChart(results: SoakResult[]): LineChart {
  const n = Math.max(0, ...results.map((r) => r.startupMs.length));
  const first = (r: SoakResult): number => quantile(r.startupMs.slice(0, Math.max(1, Math.ceil(r.startupMs.length / 10))), 0.5);
  const last = (r: SoakResult): number => quantile(r.startupMs.slice(-Math.max(1, Math.ceil(r.startupMs.length / 10))), 0.5);
  const trend = results.filter((r) => r.startupMs.length >= 10).map((r) => `${configLabel(r.config)} ${fmtMs(first(r))} → ${fmtMs(last(r))}`);
  return {
    kind: 'line',
    id: 'crash-restart',
    title: 'Restart time after each kill (spawn to listening)',
    caption: `Each point is one restart after a SIGKILL, on a log that grows by a round's records each time; most of a restart is Node starting on this machine.${trend.length > 0 ? ` Median of the first tenth of the kills against the last tenth: ${trend.join('; ')}.` : ''}`,
    xLabel: 'kill',
    yLabel: 'ms',
    x: Array.from({ length: n }, (_, i) => i + 1),
    series: results.map((r) => ({ label: configLabel(r.config), values: Array.from({ length: n }, (_, i) => r.startupMs[i] ?? null) })),
  };
}

function integrityOf(r: SoakResult): IntegrityCheck[] {
  const checks: IntegrityCheck[] = r.producers.map((p, i) => ({
    run: `${configLabel(r.config)}, ${PRODUCERS[i]!.name}, ${r.kills} kills`,
    sent: p.acked,
    received: p.received,
    lost: p.lost,
    duplicated: p.duplicated,
    ...(PRODUCERS[i]!.idempotent ? {} : { expects: { duplicates: true, why: 'a retrying producer that is not idempotent resends what was written but not answered' } }),
  }));
  const acked = sum(r.producers.map((p) => p.acked));
  // Its duplicates are the retrying producers' (each producer's own check says whose); loss is never expected.
  const whole: IntegrityCheck = { run: `${configLabel(r.config)}: the whole log re-read after the last restart`, sent: acked, received: r.final.records, lost: r.final.lost, duplicated: r.final.duplicated, expects: { duplicates: true, why: 'the retrying producers that are not idempotent resend what was written but not answered before a kill' } };
  return [...checks, whole];
}

const sum = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0);
const msCell = (ms: number): string => (Number.isFinite(ms) ? fmt(ms) : '—');
const fmtMs = (ms: number): string => (Number.isFinite(ms) ? `${fmt(ms)} ms` : '—');
