// The lab report: one self-contained HTML file per run, a comparison page,
// and the files written to disk, checked for structure and safety.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { renderComparison } from '../src/lab/report/compare.js';
import type { ChartSpec } from '../src/lab/report/charts.js';
import { Colours, PALETTE } from '../src/lab/report/charts.js';
import { fmtNum, scriptJson } from '../src/lab/report/html.js';
import { renderReport } from '../src/lab/report/render.js';
import { badIntegrity, integrityBlock, unexpectedLoss } from '../src/lab/report/sections.js';
import { sampleRun } from '../src/lab/report/sample.js';
import { loadRun, runStamp, writeReport } from '../src/lab/report/write.js';
import type { LabRun } from '../src/lab/results.js';

const tmp = mkdtempSync(join(tmpdir(), 'mqlab-report-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** The embedded chart data, cut out the way the HTML parser would: up to the first `</script`. */
function embeddedCharts(html: string): ChartSpec[] {
  const open = '<script type="application/json" id="mqlab-charts">';
  const start = html.indexOf(open);
  expect(start).toBeGreaterThan(0);
  const end = html.toLowerCase().indexOf('</script', start + open.length);
  return JSON.parse(html.slice(start + open.length, end)) as ChartSpec[];
}

function scriptTags(html: string): string[] {
  return html.match(/<script\b[^>]*>/gi) ?? [];
}

/** Nothing that would fetch from anywhere: no <link>, no <script src>, no remote src/href/url(). */
function expectOffline(html: string): void {
  expect(html).not.toMatch(/<link\b/i);
  expect(html).not.toMatch(/<script\b[^>]*\bsrc\s*=/i);
  expect(html).not.toMatch(/\b(?:src|href)\s*=\s*["']?\s*(?:https?:)?\/\//i);
  expect(html).not.toMatch(/url\(\s*["']?\s*(?:https?:)?\/\//i);
  expect(html).not.toMatch(/@import/i);
  // Every href is an in-page anchor.
  for (const m of html.matchAll(/\bhref\s*=\s*"([^"]*)"/gi)) expect(m[1]).toMatch(/^#/);
}

describe('renderReport', () => {
  const run = sampleRun();
  const html = renderReport(run);

  it('is one HTML document titled with the suite and the run time', () => {
    expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
    expect(html).toContain('<title>mqlab lab report — quick suite, 2025-03-01 14:05:09 UTC</title>');
    expect(html).toMatch(/<h1>mqlab lab report — quick suite, 2025-03-01 14:05:09 UTC<\/h1>/);
    expect(html.trimEnd().endsWith('</html>')).toBe(true);
  });

  it('opens offline: uPlot inlined, nothing fetched', () => {
    expectOffline(html);
    expect(html).toContain('var uPlot=function()');
    expect(html).toMatch(/\.uplot\s*\{/);
    expect(html).toContain('uPlot 1.6');
  });

  it('puts the verdict table first, colour-coded for held, not held and inconclusive', () => {
    const verdicts = html.indexOf('<table class="verdicts">');
    const firstScenario = html.indexOf('<section class="scenario"');
    expect(verdicts).toBeGreaterThan(0);
    expect(verdicts).toBeLessThan(firstScenario);
    const table = html.slice(verdicts, html.indexOf('</table>', verdicts));
    expect(table).toContain('<tr class="row-held">');
    expect(table).toContain('<tr class="row-failed">');
    expect(table).toContain('<tr class="row-inconclusive">');
    expect(table).toContain('<span class="verdict held">✓ held</span>');
    expect(table).toContain('<span class="verdict failed">✗ not held</span>');
    expect(table).toContain('<span class="verdict inconclusive">? inconclusive</span>');
    expect(table).toContain('sendfile 0.61 CPU s/GB vs mmap 0.83 vs copy 1.12');
    for (const s of run.scenarios) expect(table).toContain(`href="#s-${s.name}"`);
    expect(html).toContain('3 scenarios: 1 claim held, 1 did not, 1 was inconclusive.');
  });

  it('gives each scenario its claim, verdict, settings, charts with captions, tables, integrity and notes', () => {
    const sections = html.split('<section class="scenario"').slice(1);
    expect(sections).toHaveLength(run.scenarios.length);
    expect(html).toContain('<section class="scenario environment" id="environment">');
    const zc = sections[0]!;
    const order = [
      'class="claim"',
      'class="verdict-box held"',
      '<h3>Settings</h3>',
      '<h3>Charts</h3>',
      '<h3>Tables</h3>',
      '<h3>Message integrity</h3>',
      '<h3>Notes</h3>',
    ].map((s) => zc.indexOf(s));
    expect(order.every((i) => i > 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    expect(zc).toContain('<tr><th>records</th><td class="num">1,000,000</td></tr>');
    expect(zc).toContain('<tr><th>strace</th><td>no</td></tr>');
    expect(zc).toContain('<td class="num">16,384</td>');
    expect(zc).toContain('strace -c agreed with the addon counters within 1%.');
    // Caption sentence right under its chart.
    expect(zc).toMatch(/<div class="chart" id="chart-1"[^>]*><\/div>\n<figcaption>Lower is better: sendfile spends/);
    // Markers spelled out as text too (print, screen readers).
    expect(zc).toContain('sendfile → mmap at time (s) = 20; mmap → copy at time (s) = 40.');
  });

  it('shows lost and duplicated messages in red with a sentence, zero as a green check', () => {
    const integ = html.slice(html.indexOf('id="s-integrity"'));
    expect(integ).toContain('<div class="integrity-bad"><p>✗ Run “restart 1” lost 12 of 200,000 messages (&lt;0.01%) and delivered 3 messages more than once.</p></div>');
    expect(integ).toContain('<td class="num bad">12</td><td class="num bad">3</td>');
    expect(integ).toContain('<td class="num ok">✓ 0</td>');
    expect(html).toContain('<p class="banner-bad">✗ Messages were lost or duplicated in: <a href="#s-integrity">Message loss and duplication</a>.</p>');
    const zc = html.slice(html.indexOf('id="s-zero-copy"'), html.indexOf('id="s-partitions"'));
    expect(zc).toContain('✓ Every message arrived exactly once: 2 runs, 2,000,000 messages checked, none lost, none duplicated.');
    expect(zc).not.toContain('integrity-bad');
    const parts = html.slice(html.indexOf('id="s-partitions"'), html.indexOf('id="s-integrity"'));
    expect(parts).toContain('No message checks in this scenario.');
  });

  it('shows loss or duplicates a claim expects (acks=0 at a kill, retries) as expected, not in red, and the CLI does not warn of it', () => {
    const expected = { run: 'broker killed, acks=0', sent: 1000, received: 900, lost: 100, duplicated: 0, expects: { loss: true, duplicates: true, why: 'acks=0 loses what was in flight at the kill' } };
    const block = integrityBlock([expected, { run: 'acks=1', sent: 1000, received: 1000, lost: 0, duplicated: 0 }]);
    expect(block).not.toContain('integrity-bad');
    expect(block).toContain('✓ Nothing was lost or duplicated beyond what the claim expects: 2 runs, 2,000 messages checked.');
    expect(block).toContain('<p>Run “broker killed, acks=0” lost 100 of 1,000 messages (10%), as the claim expects: acks=0 loses what was in flight at the kill.</p>');
    expect(unexpectedLoss([expected])).toBe(0);
    // Loss where the claim expects only duplicates is still a fault.
    const retried = { run: 'acks=1', sent: 1000, received: 999, lost: 1, duplicated: 5, expects: { duplicates: true, why: 'retries' } };
    expect(badIntegrity([retried])).toEqual([retried]);
    expect(unexpectedLoss([expected, retried])).toBe(1);
  });

  it('lists the environment and the exact command', () => {
    const env = html.slice(html.indexOf('id="environment"'));
    for (const text of [
      'AMD EPYC 7B13 (sample)',
      '<tr><th>Cores</th><td>2</td></tr>',
      '24.0 GiB',
      '6.1.0-sample',
      '<tr><th>Filesystem (data directory)</th><td>ext4</td></tr>',
      '/tmp/mqlab-data',
      'v20.19.0',
      '0123456789abcdef0123456789abcdef01234567-dirty',
      '<pre class="command">mqlab lab --suite quick --out reports &quot;--note=&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;&quot;</pre>',
    ]) {
      expect(env).toContain(text);
    }
  });

  it('embeds every chart as JSON that no string can break out of', () => {
    // Four script elements: error trap, chart data, uPlot, chart script; none injected by the data.
    expect(scriptTags(html)).toEqual(['<script>', '<script type="application/json" id="mqlab-charts">', '<script>', '<script>']);
    expect(html).not.toContain('</script><script>alert');
    expect(html).not.toContain('<b>not bold</b>');
    expect(html).not.toContain('<img src=x');
    expect(html).toContain('&lt;img src=x onerror=alert(3)&gt; &amp; &quot;quotes&quot;.');
    const specs = embeddedCharts(html);
    expect(specs.map((s) => s.chart)).toEqual(run.scenarios.flatMap((s) => s.charts));
    expect(specs.map((s) => s.target)).toEqual(['chart-1', 'chart-2', 'chart-3', 'chart-4']);
    expect(specs.map((s) => s.chart.kind)).toEqual(['bars', 'line', 'line', 'latency']);
    expect(specs[3]!.chart.caption).toContain('</script><script>alert(2)</script>');
    for (const s of specs) {
      expect(s.colors).toHaveLength(s.chart.series.length);
      expect(new Set(s.colors).size).toBe(s.colors.length);
      expect(html).toContain(`id="${s.target}"`);
    }
    expect(html).toContain('data-charts="4" data-charts-drawn="0" data-errors=""');
  });

  it('keeps a series label the same colour across charts', () => {
    const c = new Colours();
    const [s1, m1] = c.forLabels(['sendfile', 'mmap']);
    const [m2, s2, x] = c.forLabels(['mmap', 'sendfile', 'other']);
    expect([s1, m1]).toEqual([PALETTE[0], PALETTE[1]]);
    expect([s2, m2]).toEqual([s1, m1]);
    expect(x).toBe(PALETTE[2]);
    // A chart of new labels starts again at the first colour.
    expect(c.forLabels(['segmented'])).toEqual([PALETTE[0]]);
  });

  it('renders a run with no scenarios and empty charts', () => {
    const run2 = sampleRun({ scenarios: [] });
    const h = renderReport(run2);
    expect(h).toContain('0 scenarios: 0 claims held');
    expect(embeddedCharts(h)).toEqual([]);
    const empty = sampleRun();
    empty.scenarios = [
      {
        ...empty.scenarios[0]!,
        charts: [{ id: 'e', kind: 'line', title: 'empty', caption: 'nothing', xLabel: 'x', yLabel: 'y', x: [], series: [] }],
        tables: [{ title: 't', columns: ['a'], rows: [] }],
        settings: {},
        notes: [],
      },
    ];
    expect(renderReport(empty)).toContain('No settings recorded.');
  });
});

describe('scriptJson', () => {
  it('escapes what could end the script element, and still parses back', () => {
    const value = { s: '</script><!-- <script> & \u2028\u2029 </SCRIPT >' };
    const text = scriptJson(value);
    expect(text).not.toMatch(/[<>&\u2028\u2029]/);
    expect(JSON.parse(text)).toEqual(value);
  });

  it('formats numbers for tables', () => {
    expect(fmtNum(1234567)).toBe('1,234,567');
    expect(fmtNum(3.14159)).toBe('3.14');
    expect(fmtNum(0.012345)).toBe('0.0123');
    expect(fmtNum(1234.5)).toBe('1,235');
    expect(fmtNum(0)).toBe('0');
  });
});

function runB(): LabRun {
  const b = sampleRun({ startedAt: '2025-03-02T10:00:00Z', gitRevision: 'fedcba9' });
  b.environment.kernel = '6.12.0-other';
  b.scenarios[0]!.tables[0]!.rows[1]![1] = 3.5; // mmap GB/s 2.91 → 3.5
  b.scenarios[0]!.settings.reps = 5;
  const line = b.scenarios[0]!.charts[1]!;
  if (line.kind === 'line') line.series[0]!.values = line.series[0]!.values.map((v) => (v === null ? null : v * 0.8));
  const bars = b.scenarios[0]!.charts[0]!;
  if (bars.kind === 'bars') bars.categories = ['16 KiB', '1 MiB'];
  b.scenarios[1]!.verdict = { held: true, measured: 'segmented 1024 partitions at 0.61× of 1 partition', summary: 'On a disk this time.' };
  b.scenarios.pop(); // integrity not run in B
  return b;
}

describe('renderComparison', () => {
  const a = sampleRun();
  const b = runB();
  const html = renderComparison(a, b);

  it('opens offline and sets the verdicts side by side', () => {
    expectOffline(html);
    expect(html).toContain('<title>mqlab comparison — A: quick suite, 2025-03-01 14:05:09 UTC vs B: quick suite, 2025-03-02 10:00:00 UTC</title>');
    const table = html.slice(html.indexOf('<table class="verdicts">'), html.indexOf('</table>'));
    expect(table).toContain('<th>A</th><th>B</th>');
    expect(table).toContain('verdict changed');
    expect(table).toContain('<td class="muted">not run</td>');
    expect(html).toContain('ran only in A; see that run\'s own report.');
    expect(html).not.toContain('id="s-integrity"');
  });

  it('shows numeric cells as a / b with the ratio b/a', () => {
    expect(html).toContain('<td class="num">2.91 / 3.5<span class="ratio far">×1.2</span></td>');
    expect(html).toContain('<td class="num">0.61 / 0.61<span class="ratio">×1</span></td>');
    expect(html).toContain('<td class="num">0 / 0<span class="ratio">×1</span></td>');
    // Row keys once, not "sendfile / sendfile".
    expect(html).toContain('<tr><td>sendfile</td><td class="num">3.42 / 3.42');
    // Settings side by side, differences marked.
    expect(html).toContain('<tr><th>reps</th><td class="changed">3</td><td class="changed">5</td></tr>');
  });

  it('overlays line charts over the same x, and shows other charts one after the other', () => {
    const specs = embeddedCharts(html);
    const kinds = specs.map((s) => [s.chart.kind, s.chart.series.map((x) => x.label)]);
    expect(kinds).toEqual([
      ['bars', ['sendfile', 'mmap', 'copy']],
      ['bars', ['sendfile', 'mmap', 'copy']],
      ['line', ['A: consumed', 'B: consumed']],
      ['line', ['A: segmented', 'A: commitlog', 'B: segmented', 'B: commitlog']],
    ]);
    const overlay = specs[2]!;
    expect(overlay.dashed).toEqual([false, true]);
    expect(overlay.colors[0]).toBe(overlay.colors[1]);
    expect(specs[3]!.colors.slice(0, 2)).toEqual(specs[3]!.colors.slice(2));
    if (overlay.chart.kind !== 'line') throw new Error('not a line');
    expect(overlay.chart.markers?.map((m) => m.label)).toEqual(['A, B: sendfile → mmap', 'A, B: mmap → copy']);
    expect(html).toContain('<span class="run-tag">A</span> CPU seconds per GB moved');
    expect(html).toContain('<span class="run-tag">B</span> CPU seconds per GB moved');
    expect(html).toContain('Solid lines are run A, dashed lines run B.');
  });

  it('shows both environments, differences marked', () => {
    const env = html.slice(html.indexOf('id="environment"'));
    expect(env).toContain('<tr><th>Kernel</th><td class="changed">6.1.0-sample</td><td class="changed">6.12.0-other</td></tr>');
    expect(env).toContain('<tr><th>Cores</th><td>2</td><td>2</td></tr>');
  });
});

describe('writeReport and loadRun', () => {
  it('writes <timestamp>.json, <timestamp>.html and latest.html, and reads the JSON back', () => {
    const run = sampleRun();
    const dir = join(tmp, 'reports');
    const out = writeReport(run, dir);
    expect(runStamp(run)).toBe('2025-03-01T14-05-09Z');
    expect(out).toEqual({
      json: join(dir, '2025-03-01T14-05-09Z.json'),
      html: join(dir, '2025-03-01T14-05-09Z.html'),
      latest: join(dir, 'latest.html'),
    });
    const html = readFileSync(out.html, 'utf8');
    expect(html).toBe(renderReport(run));
    expect(readFileSync(out.latest, 'utf8')).toBe(html);
    expect(loadRun(out.json)).toEqual(run);
    // A later run replaces latest.html.
    const later = sampleRun({ startedAt: '2025-03-01T15:00:00Z' });
    const out2 = writeReport(later, dir);
    expect(readFileSync(out2.latest, 'utf8')).toBe(readFileSync(out2.html, 'utf8'));
    expect(readFileSync(out2.latest, 'utf8')).not.toBe(html);
  });

  it('refuses a file that is not an mqlab lab run, saying why', () => {
    const wrong = join(tmp, 'wrong.json');
    writeFileSync(wrong, JSON.stringify({ ...sampleRun(), schema: 'mqlab-bench/1' }));
    expect(() => loadRun(wrong)).toThrow(`${wrong}: not an mqlab lab run: schema is "mqlab-bench/1", expected "mqlab-lab/1"`);
    const none = join(tmp, 'none.json');
    writeFileSync(none, JSON.stringify({ hello: 1 }));
    expect(() => loadRun(none)).toThrow('schema is missing, expected "mqlab-lab/1"');
    const notJson = join(tmp, 'not.json');
    writeFileSync(notJson, '<html>');
    expect(() => loadRun(notJson)).toThrow(`${notJson}: not JSON`);
    const broken = sampleRun() as unknown as { scenarios: { charts: { kind: string }[] }[] };
    broken.scenarios[1]!.charts[0]!.kind = 'pie';
    const bad = join(tmp, 'bad.json');
    writeFileSync(bad, JSON.stringify(broken));
    expect(() => loadRun(bad)).toThrow(`${bad}: scenarios[1].charts[0].kind: unknown chart kind "pie"`);
  });
});
