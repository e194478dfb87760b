// Debian's headless Chromium loading a report file offline: the DOM after
// the page's own script ran, and checks that every chart was drawn (with
// ?selftest each chart counts the canvas pixels in each series' colour).
import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { expect } from 'vitest';

export const CHROMIUM = '/usr/bin/chromium';

/** Loads the page headless (no network: file URL, quic and background traffic off) and returns the DOM after its scripts ran. */
export function dumpDom(file: string, name: string, tmp: string): Promise<string> {
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

export function attrs(tag: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of tag.matchAll(/([\w-]+)="([^"]*)"/g)) out[m[1]!] = m[2]!;
  return out;
}

export interface Drawn {
  dom: string;
  body: Record<string, string>;
  charts: Record<string, string>[];
}

export function parse(dom: string): Drawn {
  const body = dom.match(/<body\b[^>]*>/)?.[0];
  if (!body) throw new Error(`no <body> in the dumped DOM:\n${dom.slice(0, 500)}`);
  const charts = [...dom.matchAll(/<div class="chart[^"]*"[^>]*>/g)].map((m) => attrs(m[0]));
  return { dom, body: attrs(body), charts };
}

export function expectAllDrawn(d: Drawn, count: number): void {
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

