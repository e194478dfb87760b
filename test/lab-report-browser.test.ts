// The report in a real browser: Debian's headless Chromium loads the file
// offline, and the page's own script records what it drew. With ?selftest
// each chart also counts the canvas pixels in each series' colour.
// .ci/run installs chromium (apt-get install -y chromium); skipped without it.
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { renderComparison } from '../src/lab/report/compare.js';
import { renderReport } from '../src/lab/report/render.js';
import { sampleRun } from '../src/lab/report/sample.js';
import { CHROMIUM, dumpDom as dump, expectAllDrawn, parse } from './helpers/chromium.js';
import { missing } from './helpers/requires.js';

const tmp = mkdtempSync(join(tmpdir(), 'mqlab-report-browser-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const dumpDom = (file: string, name: string): Promise<string> => dump(file, name, tmp);

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
