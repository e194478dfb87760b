// Runs of any driver side by side, from OpenMessaging Benchmark result
// files: the peers comparison's own (reports/<stamp>-omb/*.json, or the
// `omb` entries of a lab run) and OMB's published ones alike, since both
// carry OMB's TestResult fields. Rates are averaged over the series; the
// latencies are OMB's aggregated ones.
import type { BarChart, LatencyChart } from '../results.js';
import { Colours, figure, seriesLabels, type ChartSpec } from './charts.js';
import { esc, fmtNum, page } from './html.js';

export type OmbResult = Record<string, unknown>;

/** True when a JSON value looks like an OMB TestResult. */
export function isOmbResult(v: unknown): v is OmbResult {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && typeof (v as OmbResult).driver === 'string' && Array.isArray((v as OmbResult).publishRate);
}

const mean = (v: unknown): number => {
  const xs = Array.isArray(v) ? v.filter((x): x is number => typeof x === 'number' && Number.isFinite(x)) : [];
  return xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN;
};
const num = (v: unknown): number => (typeof v === 'number' ? v : NaN);
const show = (v: number, digits = 0): string => (Number.isFinite(v) ? fmtNum(Number(v.toFixed(digits))) : '—');

function label(r: OmbResult): string {
  const mode = r.mqlabPersistence ? `, persistence ${String(r.mqlabPersistence)}` : '';
  return `${String(r.driver)}${mode}`;
}

export function renderOmbComparison(results: { source: string; result: OmbResult }[]): string {
  if (results.length === 0) throw new Error('no OpenMessaging Benchmark results to compare');
  const rows = results.map(({ source, result: r }) => {
    const cells = [
      label(r),
      String(r.workload ?? ''),
      show(num(r.messageSize)),
      show(mean(r.publishRate)),
      show(mean(r.consumeRate)),
      show(num(r.aggregatedPublishLatency50pct), 2),
      show(num(r.aggregatedPublishLatency99pct), 2),
      show(num(r.aggregatedEndToEndLatency50pct), 2),
      show(num(r.aggregatedEndToEndLatency99pct), 2),
      show(num(r.aggregatedEndToEndLatency999pct), 2),
      show(num(r.aggregatedEndToEndLatencyMax), 2),
      r.mqlabFlatOutPublishRate === undefined ? '—' : show(num(r.mqlabFlatOutPublishRate)),
      r.mqlabBrokerCpuMicrosPerMessage === undefined || r.mqlabBrokerCpuMicrosPerMessage === null ? '—' : show(num(r.mqlabBrokerCpuMicrosPerMessage), 1),
    ];
    return `<tr>${cells.map((c, i) => `<td${i > 1 ? ' class="num"' : ''}>${esc(c)}</td>`).join('')}<td class="muted mono">${esc(source)}</td></tr>`;
  });
  const names = results.map(({ result }) => label(result));
  const bars: BarChart = {
    kind: 'bars',
    id: 'omb-rates',
    title: 'Publish and consume rate, msg/s (mean of the series)',
    caption: 'At each run\'s producerRate: a run that keeps up publishes and consumes at the same rate.',
    yLabel: 'msg/s',
    categories: names,
    series: [
      { label: 'publish', values: results.map(({ result }) => mean(result.publishRate) || 0) },
      { label: 'consume', values: results.map(({ result }) => mean(result.consumeRate) || 0) },
    ],
  };
  const latency: LatencyChart = {
    kind: 'latency',
    id: 'omb-e2e',
    title: 'End-to-end latency, aggregated',
    caption: 'OMB\'s aggregatedEndToEndLatency percentiles, ms.',
    series: results.map(({ result: r }) => ({
      label: label(r),
      percentiles: [
        [50, r.aggregatedEndToEndLatency50pct],
        [75, r.aggregatedEndToEndLatency75pct],
        [95, r.aggregatedEndToEndLatency95pct],
        [99, r.aggregatedEndToEndLatency99pct],
        [99.9, r.aggregatedEndToEndLatency999pct],
        [99.99, r.aggregatedEndToEndLatency9999pct],
      ]
        .filter(([, v]) => typeof v === 'number')
        .map(([p, v]) => ({ percentile: p as number, ms: Math.max(v as number, 0.001) })),
    })),
  };
  const colours = new Colours();
  const specs: ChartSpec[] = [bars, latency].map((chart, i) => ({ target: `chart-${i + 1}`, chart, colors: colours.forLabels(seriesLabels(chart)) }));
  const body = `<header>
<h1>mqlab: OpenMessaging Benchmark results side by side</h1>
<p class="subtitle">${results.length} ${results.length === 1 ? 'run' : 'runs'}, read from ${esc([...new Set(results.map((r) => r.source))].join(', '))}</p>
</header>
<section class="scenario">
<table class="results">
<thead><tr><th>driver</th><th>workload</th><th>message B</th><th>publish msg/s</th><th>consume msg/s</th><th>publish p50 ms</th><th>publish p99</th><th>e2e p50 ms</th><th>e2e p99</th><th>e2e p99.9</th><th>e2e max</th><th>flat out msg/s (mqlab)</th><th>broker CPU µs/msg (mqlab)</th><th>file</th></tr></thead>
<tbody>
${rows.join('\n')}
</tbody></table>
${specs.map((s) => figure(s)).join('\n')}
</section>`;
  return page({ title: 'mqlab: OpenMessaging Benchmark results', body, charts: specs, kind: 'comparison' });
}
