// Saving a run (its JSON results and its HTML report) and reading one back.

import { copyFileSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { RESULTS_SCHEMA, type LabRun } from '../results.js';
import { renderReport } from './render.js';

export interface WrittenReport {
  json: string;
  html: string;
  latest: string;
}

/** "2025-03-01T14-05-09Z" from the run's start: sortable, and safe in any file name. */
export function runStamp(run: LabRun): string {
  const t = Date.parse(run.startedAt);
  const iso = Number.isNaN(t) ? run.startedAt : new Date(t).toISOString();
  return iso.replace(/\.\d+Z$/, 'Z').replace(/:/g, '-').replace(/[^0-9A-Za-z_.-]/g, '_');
}

function writeAtomic(file: string, text: string): void {
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, text);
  renameSync(tmp, file);
}

/**
 * Writes `<dir>/<timestamp>.json` (the results), `<dir>/<timestamp>.html` (the
 * report) and `<dir>/latest.html` (a copy of it); returns the three paths.
 * Runs in OpenMessaging Benchmark's format go to `<dir>/<timestamp>-omb/`,
 * one file per system and mode, as OMB writes one per driver.
 */
export function writeReport(run: LabRun, dir = 'reports'): WrittenReport {
  mkdirSync(dir, { recursive: true });
  const stamp = runStamp(run);
  const omb = run.scenarios.flatMap((s) => s.omb ?? []);
  if (omb.length > 0) {
    const ombDir = join(dir, `${stamp}-omb`);
    mkdirSync(ombDir, { recursive: true });
    for (const r of omb) {
      const name = `${String(r.mqlabSystem ?? r.driver)}-${String(r.mqlabPersistence ?? 'run')}.json`.replace(/[^0-9A-Za-z_.-]/g, '_');
      writeAtomic(join(ombDir, name), `${JSON.stringify(r, null, 2)}\n`);
    }
  }
  const json = join(dir, `${stamp}.json`);
  const html = join(dir, `${stamp}.html`);
  const latest = join(dir, 'latest.html');
  writeAtomic(json, `${JSON.stringify(run, null, 2)}\n`);
  writeAtomic(html, renderReport(run));
  const tmp = `${latest}.${process.pid}.tmp`;
  copyFileSync(html, tmp);
  renameSync(tmp, latest);
  return { json, html, latest };
}

class RunShapeError extends Error {}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function need(cond: boolean, where: string, what: string): void {
  if (!cond) throw new RunShapeError(`${where}: ${what}`);
}

const isNum = (v: unknown): boolean => typeof v === 'number';
const isStr = (v: unknown): boolean => typeof v === 'string';
const isNumOrNull = (v: unknown): boolean => v === null || typeof v === 'number';

function checkArray(v: unknown, where: string, each: (x: unknown, at: string) => void): void {
  need(Array.isArray(v), where, 'expected an array');
  (v as unknown[]).forEach((x, i) => each(x, `${where}[${i}]`));
}

function checkChart(c: unknown, at: string): void {
  need(isObject(c), at, 'expected a chart object');
  const o = c as Record<string, unknown>;
  for (const k of ['id', 'title', 'caption']) need(isStr(o[k]), `${at}.${k}`, 'expected a string');
  if (o.kind === 'line') {
    need(isStr(o.xLabel) && isStr(o.yLabel), at, 'a line chart needs xLabel and yLabel');
    checkArray(o.x, `${at}.x`, (x, w) => need(isNum(x), w, 'expected a number'));
    checkArray(o.series, `${at}.series`, (s, w) => {
      need(isObject(s) && isStr(s.label), w, 'expected { label, values }');
      checkArray((s as Record<string, unknown>).values, `${w}.values`, (x, ww) => need(isNumOrNull(x), ww, 'expected a number or null'));
    });
    if (o.markers !== undefined) {
      checkArray(o.markers, `${at}.markers`, (m, w) => need(isObject(m) && isNum(m.x) && isStr(m.label), w, 'expected { x, label }'));
    }
  } else if (o.kind === 'bars') {
    need(isStr(o.yLabel), `${at}.yLabel`, 'expected a string');
    checkArray(o.categories, `${at}.categories`, (x, w) => need(isStr(x), w, 'expected a string'));
    checkArray(o.series, `${at}.series`, (s, w) => {
      need(isObject(s) && isStr(s.label), w, 'expected { label, values }');
      checkArray((s as Record<string, unknown>).values, `${w}.values`, (x, ww) => need(isNumOrNull(x), ww, 'expected a number'));
    });
  } else if (o.kind === 'latency') {
    checkArray(o.series, `${at}.series`, (s, w) => {
      need(isObject(s) && isStr(s.label), w, 'expected { label, percentiles }');
      checkArray((s as Record<string, unknown>).percentiles, `${w}.percentiles`, (p, ww) =>
        need(isObject(p) && isNum(p.percentile) && isNumOrNull(p.ms), ww, 'expected { percentile, ms }'),
      );
    });
  } else {
    need(false, `${at}.kind`, `unknown chart kind ${JSON.stringify(o.kind)} (expected line, bars or latency)`);
  }
}

function checkScenario(s: unknown, at: string): void {
  need(isObject(s), at, 'expected a scenario object');
  const o = s as Record<string, unknown>;
  for (const k of ['name', 'title', 'claim']) need(isStr(o[k]), `${at}.${k}`, 'expected a string');
  need(isObject(o.verdict), `${at}.verdict`, 'expected { held, measured, summary }');
  const v = o.verdict as Record<string, unknown>;
  need(v.held === true || v.held === false || v.held === null, `${at}.verdict.held`, 'expected true, false or null');
  need(isStr(v.measured) && isStr(v.summary), `${at}.verdict`, 'measured and summary must be strings');
  checkArray(o.charts, `${at}.charts`, checkChart);
  checkArray(o.tables, `${at}.tables`, (t, w) => {
    need(isObject(t) && isStr(t.title), w, 'expected { title, columns, rows }');
    const tt = t as Record<string, unknown>;
    checkArray(tt.columns, `${w}.columns`, (x, ww) => need(isStr(x), ww, 'expected a string'));
    checkArray(tt.rows, `${w}.rows`, (r, ww) => checkArray(r, ww, (x, www) => need(isStr(x) || isNum(x), www, 'expected a string or number')));
  });
  checkArray(o.integrity, `${at}.integrity`, (c, w) => {
    need(isObject(c) && isStr(c.run), w, 'expected { run, sent, received, lost, duplicated }');
    const cc = c as Record<string, unknown>;
    for (const k of ['sent', 'received', 'lost', 'duplicated']) need(isNum(cc[k]), `${w}.${k}`, 'expected a number');
  });
  need(isObject(o.settings), `${at}.settings`, 'expected an object');
  checkArray(o.notes, `${at}.notes`, (x, w) => need(isStr(x), w, 'expected a string'));
  if (o.omb !== undefined) checkArray(o.omb, `${at}.omb`, (x, w) => need(isObject(x), w, 'expected an OpenMessaging Benchmark result object'));
}

/** Throws, naming the first field that does not fit the results schema. */
export function validateRun(value: unknown, source = 'run'): LabRun {
  try {
    need(isObject(value), source, 'expected a JSON object');
    const o = value as Record<string, unknown>;
    need(
      o.schema === RESULTS_SCHEMA,
      source,
      `not an mqlab lab run: schema is ${o.schema === undefined ? 'missing' : JSON.stringify(o.schema)}, expected "${RESULTS_SCHEMA}"`,
    );
    for (const k of ['startedAt', 'command', 'gitRevision', 'suite']) need(isStr(o[k]), `${source}: ${k}`, 'expected a string');
    need(o.seed === undefined || (Number.isSafeInteger(o.seed) && (o.seed as number) >= 0), `${source}: seed`, 'expected a non-negative integer');
    need(isObject(o.environment), `${source}: environment`, 'expected an object');
    const e = o.environment as Record<string, unknown>;
    for (const k of ['cpu', 'kernel', 'node', 'filesystem', 'dataDir']) need(isStr(e[k]), `${source}: environment.${k}`, 'expected a string');
    for (const k of ['cores', 'memoryBytes']) need(isNum(e[k]), `${source}: environment.${k}`, 'expected a number');
    checkArray(o.scenarios, `${source}: scenarios`, checkScenario);
    return value as LabRun;
  } catch (err) {
    if (err instanceof RunShapeError) throw new Error(err.message);
    throw err;
  }
}

/** Reads a run's JSON results file; a clear error if it is not JSON or not an mqlab lab run. */
export function loadRun(file: string): LabRun {
  const text = readFileSync(file, 'utf8');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new Error(`${file}: not JSON (${(err as Error).message})`);
  }
  return validateRun(value, file);
}
