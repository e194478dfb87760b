// Small, dependency-free HTML helpers shared by the report and the comparison
// page: escaping, number and time formatting, JSON safe inside <script>, and
// the page shell with uPlot, the stylesheet and the chart script inlined.

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Verdict } from '../results.js';
import { CLIENT_SCRIPT, ERROR_TRAP_SCRIPT } from './client.js';
import type { ChartSpec } from './charts.js';
import { REPORT_CSS } from './style.js';

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Text or attribute value, escaped for HTML. */
export function esc(value: unknown): string {
  return String(value).replace(/[&<>"']/g, (c) => ESCAPES[c] ?? c);
}

/**
 * JSON that can sit inside `<script type="application/json">`: every `<`, `>`
 * and `&` (which only occur inside strings) becomes a \u escape, so no string
 * can close the element or open a comment; U+2028/9 too, for old parsers.
 */
export function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** A table or settings number: grouped, with as many decimals as it deserves. */
export function fmtNum(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  const abs = Math.abs(n);
  if (Number.isInteger(n) || abs >= 1000) return n.toLocaleString('en-US', { maximumFractionDigits: 0 });
  if (abs >= 1) return n.toLocaleString('en-US', { maximumFractionDigits: 2 });
  if (abs === 0) return '0';
  return n.toLocaleString('en-US', { maximumSignificantDigits: 3 });
}

export function fmtBytes(n: number): string {
  if (!Number.isFinite(n) || n < 0) return String(n);
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${u === 0 ? v : v.toFixed(1)} ${units[u]}`;
}

/** "2025-03-01 14:05:09 UTC" from an ISO time; the input unchanged if it does not parse. */
export function fmtTime(iso: string): string {
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return iso;
  return new Date(t).toISOString().replace('T', ' ').replace(/\.\d+Z$|Z$/, ' UTC');
}

/** A table cell: numbers right-aligned and formatted, text escaped. */
export function cell(value: string | number | boolean | null | undefined, extraClass = ''): string {
  if (typeof value === 'number') return `<td class="num${extraClass ? ` ${extraClass}` : ''}">${esc(fmtNum(value))}</td>`;
  const text = value === null || value === undefined ? '' : String(value);
  return `<td${extraClass ? ` class="${extraClass}"` : ''}>${esc(text)}</td>`;
}

export type VerdictState = 'held' | 'failed' | 'inconclusive';

export function verdictState(v: Verdict): VerdictState {
  return v.held === true ? 'held' : v.held === false ? 'failed' : 'inconclusive';
}

const VERDICT_TEXT: Record<VerdictState, string> = {
  held: '✓ held',
  failed: '✗ not held',
  inconclusive: '? inconclusive',
};

/** The coloured verdict badge; the text says it too, for print and colour blindness. */
export function verdictBadge(v: Verdict): string {
  const s = verdictState(v);
  return `<span class="verdict ${s}">${VERDICT_TEXT[s]}</span>`;
}

/** Anchor id of a scenario section (names are short ids, but be safe). */
export function anchor(prefix: string, name: string): string {
  return `${prefix}${name.replace(/[^A-Za-z0-9_-]/g, '_')}`;
}

interface UplotAssets {
  js: string;
  css: string;
  version: string;
}

let assets: UplotAssets | undefined;

/** uPlot's minified browser build and stylesheet, read once from node_modules. */
export function uplotAssets(): UplotAssets {
  if (assets) return assets;
  const require = createRequire(import.meta.url);
  const read = (p: string): string => readFileSync(require.resolve(p), 'utf8');
  const pkg = JSON.parse(read('uplot/package.json')) as { version: string };
  assets = {
    // Neither file contains these today; the guard keeps a future build from
    // closing its own element early.
    js: read('uplot/dist/uPlot.iife.min.js').replace(/<\/(script)/gi, '<\\/$1'),
    css: read('uplot/dist/uPlot.min.css').replace(/<\/(style)/gi, '<\\/$1'),
    version: pkg.version,
  };
  return assets;
}

/** The whole document: head with inlined CSS, body, chart data, uPlot and the chart script. */
export function page(opts: { title: string; body: string; charts: ChartSpec[]; kind: 'report' | 'comparison' }): string {
  const u = uplotAssets();
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="mqlab lab ${esc(opts.kind)}; charts by uPlot ${esc(u.version)}">
<title>${esc(opts.title)}</title>
<style>
${u.css}
</style>
<style>
${REPORT_CSS}
</style>
</head>
<body class="mqlab-${esc(opts.kind)}" data-charts="${opts.charts.length}" data-charts-drawn="0" data-errors="">
<script>
${ERROR_TRAP_SCRIPT}
</script>
${opts.body}
<footer>Written by mqlab from the run's JSON results; charts drawn by uPlot ${esc(u.version)}, inlined, so this file opens offline.</footer>
<script type="application/json" id="mqlab-charts">${scriptJson(opts.charts)}</script>
<script>
${u.js}
</script>
<script>
${CLIENT_SCRIPT}
</script>
</body>
</html>
`;
}
