// Two lab runs on one page: verdicts side by side; for each scenario both ran,
// every numeric table cell as a / b with the ratio b/a, the charts of both
// (one plot when both are line charts over the same x), integrity of both;
// and the two environments, differences marked.

import type { Chart, LabRun, LineChart, ResultTable, ScenarioResult } from '../results.js';
import { Colours, figure, sameX, seriesLabels, type ChartSpec } from './charts.js';
import { anchor, cell, esc, fmtNum, page, verdictBadge, verdictState } from './html.js';
import { environmentRows, integrityBlock, runLabel } from './sections.js';

type Cell = string | number | undefined;

/** "a / b" and "×ratio" for two numbers; text cells shown once, or "a → b" when they differ. */
function pairCell(a: Cell, b: Cell): string {
  if (typeof a === 'number' && typeof b === 'number') {
    let ratio = '';
    if (a !== 0 && Number.isFinite(a) && Number.isFinite(b)) {
      const r = b / a;
      const far = r > 1.1 || r < 1 / 1.1;
      ratio = `<span class="ratio${far ? ' far' : ''}">×${esc(fmtNum(Number(r.toPrecision(3))))}</span>`;
    } else if (a === 0 && b === 0) {
      ratio = '<span class="ratio">×1</span>';
    }
    return `<td class="num">${esc(fmtNum(a))} / ${esc(fmtNum(b))}${ratio}</td>`;
  }
  const show = (v: Cell): string => (v === undefined ? '' : typeof v === 'number' ? fmtNum(v) : v);
  if (a === undefined && b === undefined) return '<td></td>';
  if (b === undefined) return `<td class="changed">${esc(show(a))} <span class="muted">(A only)</span></td>`;
  if (a === undefined) return `<td class="changed">${esc(show(b))} <span class="muted">(B only)</span></td>`;
  if (show(a) === show(b)) return cell(a);
  return `<td class="changed">${esc(show(a))} → ${esc(show(b))}</td>`;
}

function uniqueKeys(values: unknown[]): boolean {
  return values.every((v) => typeof v === 'string') && new Set(values).size === values.length;
}

/** Rows matched by their first cell when it names them (unique strings), else by position. */
function matchRows(a: ResultTable, b: ResultTable): [Cell[] | undefined, Cell[] | undefined][] {
  const ka = a.rows.map((r) => r[0]);
  const kb = b.rows.map((r) => r[0]);
  if (a.rows.length > 0 && uniqueKeys(ka) && uniqueKeys(kb)) {
    const byKey = new Map(b.rows.map((r) => [r[0] as string, r]));
    const pairs: [Cell[] | undefined, Cell[] | undefined][] = a.rows.map((r) => [r, byKey.get(r[0] as string)]);
    const inA = new Set(ka);
    for (const r of b.rows) if (!inA.has(r[0])) pairs.push([undefined, r]);
    return pairs;
  }
  const n = Math.max(a.rows.length, b.rows.length);
  return Array.from({ length: n }, (_, i) => [a.rows[i], b.rows[i]]);
}

function comparedTable(a: ResultTable, b: ResultTable): string {
  // Columns by name when names are unique on both sides, else by position.
  const byName = new Set(a.columns).size === a.columns.length && new Set(b.columns).size === b.columns.length;
  let cols: { name: string; ia: number; ib: number }[];
  if (byName) {
    cols = a.columns.map((name, ia) => ({ name, ia, ib: b.columns.indexOf(name) }));
    b.columns.forEach((name, ib) => {
      if (!a.columns.includes(name)) cols.push({ name: `${name} (B only)`, ia: -1, ib });
    });
  } else {
    const n = Math.max(a.columns.length, b.columns.length);
    cols = Array.from({ length: n }, (_, i) => ({ name: a.columns[i] ?? b.columns[i] ?? '', ia: i, ib: i }));
  }
  const rows = matchRows(a, b).map(([ra, rb]) => {
    const cells = cols.map((c, k) => {
      const va = ra && c.ia >= 0 ? ra[c.ia] : undefined;
      const vb = rb && c.ib >= 0 ? rb[c.ib] : undefined;
      // The key column of rows matched by name is the same on both sides.
      if (k === 0 && va !== undefined && vb !== undefined && va === vb) return cell(va);
      return pairCell(va, vb);
    });
    return `<tr>${cells.join('')}</tr>`;
  });
  const caption = a.caption ?? b.caption;
  return `<h4>${esc(a.title)}</h4>
<div class="table-wrap"><table class="result compared">
<caption>${caption ? `${esc(caption)} ` : ''}Cells read A / B; ×r is B ÷ A (bold when they differ by more than 10%).</caption>
<thead><tr>${cols.map((c) => `<th>${esc(c.name)}</th>`).join('')}</tr></thead>
<tbody>
${rows.join('\n')}
</tbody>
</table></div>`;
}

/** One line chart holding both runs: A's series solid, B's dashed, same colour per series label. */
function overlay(a: LineChart, b: LineChart): LineChart {
  // A marker both runs have (same x, same label) is drawn once.
  const key = (m: { x: number; label: string }): string => `${m.x}\u0000${m.label}`;
  const inB = new Set((b.markers ?? []).map(key));
  const inA = new Set((a.markers ?? []).map(key));
  const markers = [
    ...(a.markers ?? []).map((m) => ({ x: m.x, label: `${inB.has(key(m)) ? 'A, B' : 'A'}: ${m.label}` })),
    ...(b.markers ?? []).filter((m) => !inA.has(key(m))).map((m) => ({ x: m.x, label: `B: ${m.label}` })),
  ];
  return {
    ...a,
    caption: a.caption === b.caption ? a.caption : `A: ${a.caption} B: ${b.caption}`,
    series: [
      ...a.series.map((s) => ({ label: `A: ${s.label}`, values: s.values })),
      ...b.series.map((s) => ({ label: `B: ${s.label}`, values: s.values })),
    ],
    ...(markers.length > 0 ? { markers } : {}),
  };
}

function chartsOf(sa: ScenarioResult, sb: ScenarioResult, colours: Colours, specs: ChartSpec[]): string {
  const out: string[] = [];
  const add = (chart: Chart, heading?: string, extra?: Partial<ChartSpec>, extraCaption?: string): void => {
    const spec: ChartSpec = { target: `chart-${specs.length + 1}`, chart, colors: extra?.colors ?? colours.forLabels(seriesLabels(chart)), ...extra };
    specs.push(spec);
    out.push(figure(spec, { ...(heading ? { heading } : {}), ...(extraCaption ? { extraCaption } : {}) }));
  };
  const bById = new Map(sb.charts.map((c) => [c.id, c]));
  const seen = new Set<string>();
  for (const ca of sa.charts) {
    const cb = bById.get(ca.id);
    if (!cb) {
      add(ca, 'A only');
      continue;
    }
    seen.add(ca.id);
    if (sameX(ca, cb) && cb.kind === 'line') {
      const both = overlay(ca, cb);
      const plain = [...ca.series.map((s) => s.label), ...cb.series.map((s) => s.label)];
      add(both, 'A and B', {
        colors: colours.forLabels(plain.slice(0, ca.series.length)).concat(colours.forLabels(plain.slice(ca.series.length))),
        dashed: [...ca.series.map(() => false), ...cb.series.map(() => true)],
      }, 'Solid lines are run A, dashed lines run B.');
    } else {
      add(ca, 'A');
      add(cb, 'B');
    }
  }
  for (const cb of sb.charts) if (!seen.has(cb.id)) add(cb, 'B only');
  return out.join('\n');
}

function tablesOf(sa: ScenarioResult, sb: ScenarioResult): string {
  const bByTitle = new Map(sb.tables.map((t) => [t.title, t]));
  const out: string[] = [];
  for (const ta of sa.tables) {
    const tb = bByTitle.get(ta.title);
    if (tb) out.push(comparedTable(ta, tb));
    else out.push(`<p class="muted">Table “${esc(ta.title)}” is only in run A.</p>`);
  }
  const inA = new Set(sa.tables.map((t) => t.title));
  for (const tb of sb.tables) if (!inA.has(tb.title)) out.push(`<p class="muted">Table “${esc(tb.title)}” is only in run B.</p>`);
  return out.join('\n');
}

function settingsOf(sa: ScenarioResult, sb: ScenarioResult): string {
  const keys = [...new Set([...Object.keys(sa.settings), ...Object.keys(sb.settings)])];
  if (keys.length === 0) return '<p class="muted">No settings recorded.</p>';
  const rows = keys.map((k) => {
    const va = sa.settings[k];
    const vb = sb.settings[k];
    const show = (v: unknown): string => (v === undefined ? '—' : typeof v === 'number' ? fmtNum(v) : typeof v === 'boolean' ? (v ? 'yes' : 'no') : String(v));
    const diff = show(va) !== show(vb);
    return `<tr><th>${esc(k)}</th><td${diff ? ' class="changed"' : ''}>${esc(show(va))}</td><td${diff ? ' class="changed"' : ''}>${esc(show(vb))}</td></tr>`;
  });
  return `<table class="kv settings"><thead><tr><th></th><th>A</th><th>B</th></tr></thead><tbody>
${rows.join('\n')}
</tbody></table>`;
}

function scenarioSection(sa: ScenarioResult, sb: ScenarioResult, colours: Colours, specs: ChartSpec[]): string {
  const charts = chartsOf(sa, sb, colours, specs);
  const tables = tablesOf(sa, sb);
  return `<section class="scenario" id="${esc(anchor('s-', sa.name))}">
<h2>${esc(sa.title)} <span class="scenario-id mono">${esc(sa.name)}</span></h2>
<blockquote class="claim">${esc(sa.claim)}</blockquote>
<div class="verdict-box ${verdictState(sa.verdict)}"><p><span class="run-tag">A</span> ${verdictBadge(sa.verdict)} ${esc(sa.verdict.measured)}</p><p>${esc(sa.verdict.summary)}</p></div>
<div class="verdict-box ${verdictState(sb.verdict)}"><p><span class="run-tag">B</span> ${verdictBadge(sb.verdict)} ${esc(sb.verdict.measured)}</p><p>${esc(sb.verdict.summary)}</p></div>
<h3>Settings</h3>
${settingsOf(sa, sb)}
${tables ? `<h3>Tables</h3>\n${tables}` : ''}
${charts ? `<h3>Charts</h3>\n${charts}` : ''}
<h3>Message integrity</h3>
<h4><span class="run-tag">A</span></h4>
${integrityBlock(sa.integrity)}
<h4><span class="run-tag">B</span></h4>
${integrityBlock(sb.integrity)}
</section>`;
}

function verdictsSideBySide(a: LabRun, b: LabRun): string {
  const names = [...new Set([...a.scenarios.map((s) => s.name), ...b.scenarios.map((s) => s.name)])];
  const find = (run: LabRun, name: string): ScenarioResult | undefined => run.scenarios.find((s) => s.name === name);
  const rows = names.map((name) => {
    const sa = find(a, name);
    const sb = find(b, name);
    const s = (sa ?? sb)!;
    const title = sa && sb ? `<a href="#${esc(anchor('s-', name))}">${esc(s.title)}</a>` : esc(s.title);
    const side = (x: ScenarioResult | undefined): string =>
      x ? `<td>${verdictBadge(x.verdict)}<br><span class="muted">${esc(x.verdict.measured)}</span></td>` : '<td class="muted">not run</td>';
    const changed = sa && sb && sa.verdict.held !== sb.verdict.held;
    return `<tr${changed ? ' class="verdict-changed"' : ''}><td>${title} <span class="muted mono">${esc(name)}</span>${changed ? '<br><strong>verdict changed</strong>' : ''}</td><td>${esc(s.claim)}</td>${side(sa)}${side(sb)}</tr>`;
  });
  return `<table class="verdicts">
<thead><tr><th>Scenario</th><th>Claim</th><th>A</th><th>B</th></tr></thead>
<tbody>
${rows.join('\n')}
</tbody>
</table>`;
}

function environments(a: LabRun, b: LabRun): string {
  const ra = environmentRows(a);
  const rb = environmentRows(b);
  const rows = ra.map(([k, va], i) => {
    const vb = rb[i]?.[1] ?? '';
    const diff = va !== vb;
    const td = (v: string): string => `<td${diff ? ' class="changed"' : ''}>${k === 'Command' ? `<pre class="command">${esc(v)}</pre>` : esc(v)}</td>`;
    return `<tr><th>${esc(k)}</th>${td(va)}${td(vb)}</tr>`;
  });
  return `<table class="kv environment"><thead><tr><th></th><th>A</th><th>B</th></tr></thead><tbody>
${rows.join('\n')}
</tbody></table>`;
}

export function renderComparison(a: LabRun, b: LabRun): string {
  const colours = new Colours();
  const specs: ChartSpec[] = [];
  const both = a.scenarios.filter((s) => b.scenarios.some((t) => t.name === s.name));
  const sections = both.map((sa) => scenarioSection(sa, b.scenarios.find((t) => t.name === sa.name)!, colours, specs));
  const onlyA = a.scenarios.filter((s) => !both.includes(s));
  const onlyB = b.scenarios.filter((s) => !a.scenarios.some((t) => t.name === s.name));
  const only = [
    ...onlyA.map((s) => `<li>${esc(s.title)} (<span class="mono">${esc(s.name)}</span>) ran only in A; see that run's own report.</li>`),
    ...onlyB.map((s) => `<li>${esc(s.title)} (<span class="mono">${esc(s.name)}</span>) ran only in B; see that run's own report.</li>`),
  ];
  const title = `mqlab comparison — A: ${runLabel(a)} vs B: ${runLabel(b)}`;
  const body = `<header>
<h1>mqlab comparison</h1>
<p class="subtitle"><span class="run-tag">A</span> ${esc(runLabel(a))}, git ${esc(a.gitRevision)}<br><span class="run-tag">B</span> ${esc(runLabel(b))}, git ${esc(b.gitRevision)}</p>
<p>Ratios are B ÷ A. Charts of the two runs follow each other, or share one plot (A solid, B dashed) when both are lines over the same x values.</p>
</header>
<section class="verdict-summary">
<h2>Verdicts</h2>
${verdictsSideBySide(a, b)}
${only.length > 0 ? `<ul class="notes">${only.join('')}</ul>` : ''}
</section>
${sections.join('\n')}
<section class="scenario environment" id="environment">
<h2>Environment</h2>
${environments(a, b)}
</section>`;
  return page({ title, body, charts: specs, kind: 'comparison' });
}
