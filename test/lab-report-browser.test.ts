// The report in a real browser: Debian's headless Chromium loads the file
// offline, and the page's own script records what it drew. With ?selftest
// each chart also counts the canvas pixels in each series' colour.
// .ci/run installs chromium (apt-get install -y chromium); skipped without it.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { renderComparison } from '../src/lab/report/compare.js';
import { renderReport } from '../src/lab/report/render.js';
import { sampleRun } from '../src/lab/report/sample.js';
import { missing } from './helpers/requires.js';

const CHROMIUM = '/usr/bin/chromium';
const tmp = mkdtempSync(join(tmpdir(), 'mqlab-report-browser-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** Loads the page headless (no network: file URL, quic and background traffic off) and returns the DOM after its scripts ran. */
function dumpDom(file: string, name: string): Promise<string> {
  const profile = mkdtempSync(join(tmp, `profile-${name}-`));
  const args = [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--disable-extensions',
    `--user-data-dir=${profile}`,
    '--window-size=1200,900',
    '--virtual-time-budget=5000',
    '--dump-dom',
    `${pathToFileURL(file).href}?selftest`,
  ];
  return new Promise((resolve, reject) => {
    execFile(CHROMIUM, args, { timeout: 30_000, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`chromium failed: ${err.message}\n${stderr.slice(-2000)}`));
      else resolve(stdout);
    });
  });
}

function attrs(tag: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of tag.matchAll(/([\w-]+)="([^"]*)"/g)) out[m[1]!] = m[2]!;
  return out;
}

interface Drawn {
  dom: string;
  body: Record<string, string>;
  charts: Record<string, string>[];
}

function parse(dom: string): Drawn {
  const body = dom.match(/<body\b[^>]*>/)?.[0];
  if (!body) throw new Error(`no <body> in the dumped DOM:\n${dom.slice(0, 500)}`);
  const charts = [...dom.matchAll(/<div class="chart[^"]*"[^>]*>/g)].map((m) => attrs(m[0]));
  return { dom, body: attrs(body), charts };
}

function expectAllDrawn(d: Drawn, count: number): void {
  expect(d.body['data-errors']).toBe('');
  expect(d.body['data-charts']).toBe(String(count));
  expect(d.body['data-charts-drawn']).toBe(String(count));
  expect(d.body['data-selftest']).toBe('done');
  expect(d.charts).toHaveLength(count);
  for (const c of d.charts) {
    expect(c['data-drawn'], c.id).toBe('1');
    const pixels = (c['data-series-pixels'] ?? '').split(',').map(Number);
    expect(pixels.length, c.id).toBeGreaterThan(0);
    // Every series left a visible trace in its own colour.
    for (const p of pixels) expect(p, `${c.id} series pixels ${c['data-series-pixels']}`).toBeGreaterThan(100);
  }
}

describe.skipIf(missing(CHROMIUM, existsSync(CHROMIUM)))('report in headless Chromium', () => {
  it('loads offline with no script error and draws every chart', { timeout: 60_000 }, async () => {
    const a = sampleRun();
    const b = sampleRun({ startedAt: '2025-03-02T10:00:00Z' });
    const line = b.scenarios[1]!.charts[0]!;
    if (line.kind === 'line') line.series = line.series.map((s) => ({ ...s, values: s.values.map((v) => (v === null ? null : v * 0.7)) }));
    const report = join(tmp, 'report.html');
    const comparison = join(tmp, 'comparison.html');
    writeFileSync(report, renderReport(a));
    writeFileSync(comparison, renderComparison(a, b));

    const [r, c] = (await Promise.all([dumpDom(report, 'report'), dumpDom(comparison, 'comparison')])).map(parse);

    expectAllDrawn(r!, 4);
    // Grouped bars: 3 strategies x 4 sizes, each one drawn.
    expect(r!.charts[0]!['data-bars']).toBe('12');
    // No string from the results became markup.
    expect(r!.dom).not.toMatch(/<img\b|<b>not bold<\/b>/);
    expect(r!.dom.match(/<script\b/g)).toHaveLength(4);

    // Comparison: bars of A then B, two overlaid line charts, latency of A then B.
    expectAllDrawn(c!, 6);
  });
});
