// Transactional messages (RocketMQ 5's TRANSACTION type) through the gRPC
// API: what a half message and its commit cost against a plain send, and
// how soon a transaction left open is checked back with its producer, and
// its message visible once the producer answers.
import { loadavg } from 'node:os';
import type { BarChart, IntegrityCheck, LatencyChart, ResultTable } from '../results.js';
import { quantile } from '../stats.js';
import { fmt, latencySeries, type Scenario, type ScenarioOutcome } from './common.js';
import { p50p99max, summaryOfMs } from './ms-summary.js';
import { txRun, type TxRun, type TxSizes } from './transactions-run.js';

const MIN_RATIO = 0.5;
const CHECK_P99_MS = 500;
const VISIBLE_P99_MS = 100;

const rate = (t: { seconds: number; latency: number[] }): number => t.latency.length / t.seconds;
const ratio = (r: TxRun): number => rate(r.halfCommit) / rate(r.plain);

export const transactions: Scenario = {
  name: 'transactions',
  title: 'Transactional messages: half + commit against plain sends, and check-back of open transactions',
  claim: `A transactional message (SendMessage TRANSACTION, then EndTransaction COMMIT: two requests and three appends) is sent at ≥ ${MIN_RATIO}× the rate of plain messages with the same requests in flight; a transaction left open is checked back with its producer within ${CHECK_P99_MS} ms of transaction.timeout.ms (p99; RocketMQ checks every transactionCheckInterval), and its message is visible ≤ ${VISIBLE_P99_MS} ms (p99) after the producer answers COMMIT.`,
  async run(ctx): Promise<ScenarioOutcome> {
    const sizes: TxSizes = {
      messages: ctx.records(3_000, 20_000, 100),
      warmup: ctx.pick(300, 1_000, 20),
      window: 16,
      bodyBytes: ctx.valueBytes(256),
      open: ctx.pick(100, 400, 10),
      checkSpreadMs: ctx.pick(2_000, 4_000, 500),
      timeoutMs: 1_000,
      checkIntervalMs: 1_000,
    };
    const load = loadavg()[0]!;
    const runs: TxRun[] = [];
    for (const engine of ['segmented', 'commitlog'] as const) runs.push(await txRun(ctx, engine, sizes));
    return report(runs, sizes, load);
  },
};

function report(runs: TxRun[], sizes: TxSizes, load: number): ScenarioOutcome {
  const checkP99 = Math.max(...runs.map((r) => quantile(r.check.delay, 0.99)));
  const visibleP99 = Math.max(...runs.map((r) => quantile(r.check.visible, 0.99)));
  const worstRatio = Math.min(...runs.map(ratio));
  const missing = runs.reduce((n, r) => n + (r.committed.sent - r.committed.received) + (r.check.sent - r.check.delay.length) + (r.check.sent - r.check.visible.length), 0);
  const fast = worstRatio >= MIN_RATIO;
  const checked = checkP99 <= CHECK_P99_MS && visibleP99 <= VISIBLE_P99_MS;
  const held = fast && checked && missing === 0;
  const measured = [
    runs.map((r) => `${r.engine}: half + commit ${fmt(rate(r.halfCommit))} msg/s vs plain ${fmt(rate(r.plain))} (${ratio(r).toFixed(2)}×)`).join('; '),
    `check-back p99 ${fmt(checkP99)} ms after the timeout, visible p99 ${fmt(visibleP99)} ms after the answer`,
    ...(missing > 0 ? [`${fmt(missing)} messages or checks missing`] : []),
  ].join('; ');
  const why = [
    !fast ? `half + commit ran at ${worstRatio.toFixed(2)}× plain sends: besides its second request, a commit reads the half back and appends twice (the message, then its op record), where a plain send appends once` : '',
    checkP99 > CHECK_P99_MS ? `check-backs came up to ${fmt(checkP99)} ms (p99) after the timeout` : '',
    visibleP99 > VISIBLE_P99_MS ? `messages became visible up to ${fmt(visibleP99)} ms (p99) after the answer` : '',
    missing > 0 ? `${fmt(missing)} committed messages or check-backs never came` : '',
  ].filter(Boolean);
  const tick = Math.max(20, Math.min(1_000, sizes.timeoutMs / 4, sizes.checkIntervalMs / 4));
  return {
    verdict: {
      held,
      measured,
      summary: held
        ? `A transactional message costs its two round trips and three appends, not more; open transactions are found by a check every ${tick} ms (a quarter of the timeout here, at most 1 s), and a commit is appended and wakes waiting consumers at once.`
        : `The claim did not hold: ${why.join('; ')}.`,
    },
    charts: [rateChart(runs, sizes), sendLatencyChart(runs, sizes), checkChart(runs, sizes)],
    tables: [table(runs)],
    integrity: runs.flatMap(integrity),
    settings: {
      messagesPerRun: sizes.messages,
      warmupMessages: sizes.warmup,
      requestsInFlight: sizes.window,
      messagesPerRequest: 1,
      bodyBytes: sizes.bodyBytes,
      openTransactions: sizes.open,
      openSentOverMs: sizes.checkSpreadMs,
      'transaction.timeout.ms': sizes.timeoutMs,
      'transaction.check.interval.ms': sizes.checkIntervalMs,
      checkTickMs: tick,
    },
    notes: [
      'Throughput runs on a broker at the default settings (flush none), each message its own request: plain is one SendMessage; half + commit is SendMessage (TRANSACTION: the half message appended to RMQ_SYS_TRANS_HALF_TOPIC) then EndTransaction COMMIT (the message appended to its topic, then an op record). Warm-up messages come first, unmeasured; then six rounds, each of a sixth of the messages both ways, alternating which goes first, so both meet the same machine (other work on it comes and goes).',
      `Check-back runs on a broker started with --set transaction.timeout.ms=${sizes.timeoutMs} --set transaction.check.interval.ms=${sizes.checkIntervalMs}: the broker looks for timed-out halves every ${tick} ms. The producer is a raw gRPC client with a Telemetry stream naming the topic; it answers each RecoverOrphanedTransactionCommand with EndTransaction COMMIT (source SOURCE_SERVER_CHECK) as soon as it arrives.`,
      'Check delay counts from the timeout after the SendMessage went out (the broker starts the clock when it stores the half, a little later), so it may overstate by the send itself; visibility counts from the COMMIT going out to a long-polling consumer receiving the message.',
      "RocketMQ's broker checks open transactions every transactionCheckInterval (30 s by default in 5.x), taking those older than transactionTimeOut (6 s), so its first check-back comes 6 to 36 s after the send; mqlab checks every min(1 s, timeout/4, interval/4).",
      `Load average ${load.toFixed(1)} at the start on this machine: other work shares its cores.`,
    ],
  };
}

function rateChart(runs: TxRun[], s: TxSizes): BarChart {
  return {
    kind: 'bars',
    id: 'transactions-rate',
    title: 'Messages per second, plain against half + commit',
    caption: `${fmt(s.messages)} messages each, one a request, ${s.window} requests in flight; ${runs.map((r) => `${r.engine} ${ratio(r).toFixed(2)}×`).join(', ')}.`,
    yLabel: 'msg/s',
    categories: runs.map((r) => r.engine),
    series: [
      { label: 'plain SendMessage', values: runs.map((r) => rate(r.plain)) },
      { label: 'half + commit', values: runs.map((r) => rate(r.halfCommit)) },
    ],
  };
}

function sendLatencyChart(runs: TxRun[], s: TxSizes): LatencyChart {
  return {
    kind: 'latency',
    id: 'transactions-latency',
    title: 'Time to send one message, plain against half + commit',
    caption: `From SendMessage going out to the last answer (EndTransaction's for half + commit), ${s.window} requests in flight, queueing included.`,
    series: runs.flatMap((r) => [latencySeries(`${r.engine} plain`, summaryOfMs(r.plain.latency)), latencySeries(`${r.engine} half + commit`, summaryOfMs(r.halfCommit.latency))]),
  };
}

function checkChart(runs: TxRun[], s: TxSizes): LatencyChart {
  return {
    kind: 'latency',
    id: 'transactions-check-back',
    title: 'Check-back of open transactions',
    caption: `${s.open} transactions left open per engine: from the timeout (${s.timeoutMs} ms after the send) to the check arriving on the producer's Telemetry stream, and from the producer's COMMIT to the message reaching a consumer.`,
    series: runs.flatMap((r) => [latencySeries(`${r.engine} timeout → check`, summaryOfMs(r.check.delay)), latencySeries(`${r.engine} COMMIT → visible`, summaryOfMs(r.check.visible))]),
  };
}

function table(runs: TxRun[]): ResultTable {
  return {
    title: 'Transactions per engine',
    caption: 'ms: p50 / p99 / max of the exact values.',
    columns: ['engine', 'plain msg/s', 'half + commit msg/s', 'ratio', 'plain send ms', 'half + commit ms', 'committed read back', 'checked back', 'timeout → check ms', 'COMMIT answered ms', 'COMMIT → visible ms', 'repeated checks'],
    rows: runs.map((r) => [
      r.engine,
      fmt(rate(r.plain)),
      fmt(rate(r.halfCommit)),
      ratio(r).toFixed(2),
      p50p99max(r.plain.latency),
      p50p99max(r.halfCommit.latency),
      `${fmt(r.committed.received)} of ${fmt(r.committed.sent)}`,
      `${fmt(r.check.delay.length)} of ${fmt(r.check.sent)}`,
      p50p99max(r.check.delay),
      p50p99max(r.check.commit),
      p50p99max(r.check.visible),
      fmt(r.check.repeated),
    ]),
  };
}

function integrity(r: TxRun): IntegrityCheck[] {
  return [
    { run: `${r.engine}: committed messages`, sent: r.committed.sent, received: r.committed.received, lost: r.committed.sent - r.committed.received, duplicated: r.committed.duplicated },
    { run: `${r.engine}: committed after check-back`, sent: r.check.sent, received: r.check.visible.length, lost: r.check.sent - r.check.visible.length, duplicated: r.check.duplicated },
  ];
}
