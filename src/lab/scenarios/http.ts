// Scenario 8: the broker's HTTP API under autocannon: raw produce and raw
// fetch requests per second and latency, per transfer strategy (fetch
// bodies leave through the strategy in force, swapped through the API's
// own admin call).
import { encodeBatch } from '../../records/index.js';
import type { StrategyName } from '../../native/addon.js';
import type { BarChart, ResultTable } from '../results.js';
import { spread } from '../stats.js';
import { fmt, produce, type Scenario, type ScenarioOutcome } from './common.js';

const STRATEGIES: StrategyName[] = ['sendfile', 'mmap', 'copy'];

interface Cannon {
  rps: number;
  mbps: number;
  p50: number;
  p99: number;
  errors: number;
  non2xx: number;
}

async function cannon(o: { url: string; method: 'GET' | 'POST'; body?: Buffer; headers?: Record<string, string>; seconds: number }): Promise<Cannon> {
  // Loaded here, not at the top: every `mqlab` command, serve included, loads the scenario list.
  const { default: autocannon } = await import('autocannon');
  const r = await autocannon({ url: o.url, method: o.method, body: o.body, headers: o.headers, connections: 16, pipelining: 1, duration: o.seconds });
  return { rps: r.requests.average, mbps: r.throughput.average / 1e6, p50: r.latency.p50, p99: r.latency.p99, errors: r.errors + r.timeouts, non2xx: r.non2xx };
}

export const http: Scenario = {
  name: 'http',
  title: 'HTTP API: produce and fetch under autocannon, per transfer strategy',
  claim: 'The HTTP API serves raw produce and fetch under load with no error, its fetch bodies sent by the transfer strategy in force.',
  async run(ctx): Promise<ScenarioOutcome> {
    const seconds = ctx.seconds(3, 10, 1);
    const batch = encodeBatch({ baseTimestamp: BigInt(Date.now()), records: Array.from({ length: 16 }, (_, i) => ({ key: null, value: Buffer.alloc(1024, 97 + (i % 26)) })) });
    const b = await ctx.startBroker({ engine: 'segmented' });
    const runs = new Map<string, Cannon[]>();
    const add = (k: string, c: Cannon): void => void runs.set(k, [...(runs.get(k) ?? []), c]);
    try {
      await ctx.admin(b, (a) => a.createTopic('http', 1));
      // Data to fetch: 16 KiB batches from the start of the partition.
      await produce(b, { topic: 'http', partitions: [0], recordsPerBatch: 16, valueBytes: 1024, acks: 1, window: 64, targetRecordsPerSecond: 0, maxRecords: ctx.pick(16_000, 16_000, 1_600), maxMs: 60_000 });
      const base = `http://${b.host}:${b.httpPort}`;
      for (let rep = 0; rep < ctx.reps; rep++) {
      for (const strategy of STRATEGIES) {
        const swap = await fetch(`${base}/admin/transfer-strategy`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ strategy }) });
        if (!swap.ok) throw new Error(`swapping to ${strategy}: HTTP ${swap.status} ${await swap.text()}`);
        ctx.progress(`http: fetch with ${strategy} for ${seconds} s`);
        add(`fetch|${strategy}`, await cannon({ url: `${base}/topics/http/partitions/0/records?offset=0&maxBytes=16384`, method: 'GET', seconds }));
      }
      ctx.progress(`http: produce for ${seconds} s`);
      add('produce|-', await cannon({ url: `${base}/topics/http/partitions/0/records?acks=1`, method: 'POST', body: batch, headers: { 'content-type': 'application/vnd.kafka.batch' }, seconds }));
      }
    } finally {
      await ctx.stopBroker(b);
    }
    // Medians over the repetitions; errors summed.
    const results = new Map(
      [...runs].map(([k, cs]) => {
        const m = (f: (c: Cannon) => number): number => spread(cs.map(f)).median;
        return [k, { rps: m((c) => c.rps), mbps: m((c) => c.mbps), p50: m((c) => c.p50), p99: m((c) => c.p99), errors: cs.reduce((n, c) => n + c.errors, 0), non2xx: cs.reduce((n, c) => n + c.non2xx, 0) }];
      }),
    );
    const rows: ResultTable['rows'] = [...results].map(([k, r]) => {
      const [what, strategy] = k.split('|');
      return [what!, strategy!, fmt(r.rps), fmt(r.mbps, 1), String(r.p50), String(r.p99), r.errors, r.non2xx];
    });
    const fetches = STRATEGIES.map((s) => results.get(`fetch|${s}`)!);
    const bars: BarChart = {
      kind: 'bars',
      id: 'http-rps',
      title: 'HTTP requests per second (16 connections)',
      caption: 'Raw fetches of 16 KiB from the start of a partition per transfer strategy, and raw produce of 16 KiB batches (acks=1).',
      yLabel: 'requests/s',
      categories: [...STRATEGIES.map((s) => `fetch ${s}`), 'produce'],
      series: [{ label: 'requests/s', values: [...fetches.map((r) => r.rps), results.get('produce|-')!.rps] }],
    };
    const bad = [...results.values()].reduce((n, r) => n + r.errors + r.non2xx, 0);
    return {
      verdict: {
        held: bad === 0,
        measured: `fetch ${STRATEGIES.map((s, i) => `${s} ${fmt(fetches[i]!.rps)}`).join(', ')} req/s; produce ${fmt(results.get('produce|-')!.rps)} req/s; ${bad} errors or non-2xx`,
        summary: bad === 0 ? 'Every request was answered with success under load, whatever the strategy.' : 'Some requests failed: see the table.',
      },
      charts: [bars],
      tables: [{ title: 'HTTP under autocannon', caption: `${seconds} s per run, 16 connections, latency in ms; medians of ${ctx.reps} run(s)`, columns: ['what', 'strategy', 'req/s', 'MB/s', 'p50 ms', 'p99 ms', 'errors', 'non-2xx'], rows }],
      integrity: [],
      settings: { seconds, connections: 16, fetchBytes: 16384, produceBatchBytes: batch.length },
      notes: ['autocannon runs in the lab process, on the same 2 cores as the broker.'],
    };
  },
};
