// Pieces of a page built from the results: tables, integrity, notes,
// environment. Shared by the run report and the comparison page.

import type { IntegrityCheck, LabRun, ResultTable, ScenarioResult } from '../results.js';
import { anchor, cell, esc, fmtBytes, fmtNum, fmtTime, verdictBadge, verdictState } from './html.js';

export function runLabel(run: LabRun): string {
  return `${run.suite} suite${run.smoke ? ' at smoke sizes' : run.full ? ' at full sizes' : ''}, ${fmtTime(run.startedAt)}`;
}

/** The table every report opens with: one row per scenario. */
export function verdictTable(run: LabRun): string {
  const rows = run.scenarios.map((s) => {
    const st = verdictState(s.verdict);
    return `<tr class="row-${st}">
<td><a href="#${esc(anchor('s-', s.name))}">${esc(s.title)}</a> <span class="muted mono">${esc(s.name)}</span></td>
<td>${esc(s.claim)}</td>
<td>${esc(s.verdict.measured)}</td>
<td>${verdictBadge(s.verdict)}</td>
</tr>`;
  });
  return `<table class="verdicts">
<thead><tr><th>Scenario</th><th>Claim</th><th>Measured</th><th>Verdict</th></tr></thead>
<tbody>
${rows.join('\n')}
</tbody>
</table>`;
}

export function verdictCounts(run: LabRun): string {
  const n = { held: 0, failed: 0, inconclusive: 0 };
  for (const s of run.scenarios) n[verdictState(s.verdict)]++;
  const parts = [
    `${n.held} ${n.held === 1 ? 'claim' : 'claims'} held`,
    `${n.failed} did not`,
    `${n.inconclusive} ${n.inconclusive === 1 ? 'was' : 'were'} inconclusive`,
  ];
  return `${run.scenarios.length} ${run.scenarios.length === 1 ? 'scenario' : 'scenarios'}: ${parts.join(', ')}.`;
}

/** Runs that lost or duplicated messages where their claim does not say they would. */
export function badIntegrity(checks: IntegrityCheck[]): IntegrityCheck[] {
  return checks.filter((c) => (c.lost > 0 && !c.expects?.loss) || (c.duplicated > 0 && !c.expects?.duplicates));
}

/** Messages lost where no claim expects it, across checks. */
export function unexpectedLoss(checks: IntegrityCheck[]): number {
  return checks.reduce((n, c) => n + (c.expects?.loss ? 0 : c.lost), 0);
}

/** Red banner naming every scenario whose runs lost or duplicated messages; '' when none did. */
export function integrityBanner(run: LabRun): string {
  const bad = run.scenarios.filter((s) => badIntegrity(s.integrity).length > 0);
  if (bad.length === 0) return '';
  const names = bad.map((s) => `<a href="#${esc(anchor('s-', s.name))}">${esc(s.title)}</a>`).join(', ');
  return `<p class="banner-bad">✗ Messages were lost or duplicated in: ${names}.</p>`;
}

export function settingsTable(settings: ScenarioResult['settings']): string {
  const entries = Object.entries(settings);
  if (entries.length === 0) return '<p class="muted">No settings recorded.</p>';
  const rows = entries.map(([k, v]) => `<tr><th>${esc(k)}</th>${cell(typeof v === 'boolean' ? (v ? 'yes' : 'no') : v)}</tr>`);
  return `<table class="kv settings"><tbody>
${rows.join('\n')}
</tbody></table>`;
}

export function resultTable(t: ResultTable): string {
  const head = t.columns.map((c) => `<th>${esc(c)}</th>`).join('');
  const width = Math.max(t.columns.length, ...t.rows.map((r) => r.length));
  const rows = t.rows.map((r) => {
    const cells: string[] = [];
    for (let i = 0; i < width; i++) cells.push(cell(r[i]));
    return `<tr>${cells.join('')}</tr>`;
  });
  return `<h4>${esc(t.title)}</h4>
<div class="table-wrap"><table class="result">
${t.caption ? `<caption>${esc(t.caption)}</caption>\n` : ''}<thead><tr>${head}</tr></thead>
<tbody>
${rows.join('\n')}
</tbody>
</table></div>`;
}

function pct(part: number, whole: number): string {
  if (!(whole > 0)) return '';
  const p = (100 * part) / whole;
  return ` (${p >= 0.01 ? fmtNum(Number(p.toPrecision(3))) : '<0.01'}%)`;
}

function countCell(n: number): string {
  return n > 0 ? cell(n, 'bad') : `<td class="num ok">✓ 0</td>`;
}

/** Lost and duplicated messages per run: red with a sentence when any, a green check when none. */
export function integrityBlock(checks: IntegrityCheck[]): string {
  if (checks.length === 0) return '<p class="muted">No message checks in this scenario.</p>';
  const bad = badIntegrity(checks);
  const what = (c: IntegrityCheck): string => {
    const parts: string[] = [];
    if (c.lost > 0) parts.push(`lost ${fmtNum(c.lost)} of ${fmtNum(c.sent)} messages${esc(pct(c.lost, c.sent))}`);
    if (c.duplicated > 0) parts.push(`delivered ${fmtNum(c.duplicated)} ${c.duplicated === 1 ? 'message' : 'messages'} more than once`);
    return parts.join(' and ');
  };
  const total = checks.reduce((a, c) => a + c.sent, 0);
  const expected = checks.filter((c) => c.lost > 0 || c.duplicated > 0);
  let sentence: string;
  if (bad.length > 0) {
    sentence = `<div class="integrity-bad">${bad.map((c) => `<p>✗ Run “${esc(c.run)}” ${what(c)}.</p>`).join('')}</div>`;
  } else if (expected.length === 0) {
    sentence = `<p class="integrity-ok">✓ Every message arrived exactly once: ${checks.length} ${checks.length === 1 ? 'run' : 'runs'}, ${esc(fmtNum(total))} messages checked, none lost, none duplicated.</p>`;
  } else {
    const lines = expected.map((c) => `<p>Run “${esc(c.run)}” ${what(c)}, as the claim expects: ${esc(c.expects!.why)}.</p>`);
    sentence = `<p class="integrity-ok">✓ Nothing was lost or duplicated beyond what the claim expects: ${checks.length} ${checks.length === 1 ? 'run' : 'runs'}, ${esc(fmtNum(total))} messages checked.</p>${lines.join('')}`;
  }
  const rows = checks.map(
    (c) => `<tr${badIntegrity([c]).length > 0 ? ' class="integrity-row-bad"' : ''}>${cell(c.run)}${cell(c.sent)}${cell(c.received)}${countCell(c.lost)}${countCell(c.duplicated)}</tr>`,
  );
  return `${sentence}
<div class="table-wrap"><table class="integrity">
<thead><tr><th>Run</th><th class="num">Sent</th><th class="num">Received</th><th class="num">Lost</th><th class="num">Duplicated</th></tr></thead>
<tbody>
${rows.join('\n')}
</tbody>
</table></div>`;
}

export function notesList(notes: string[]): string {
  if (notes.length === 0) return '';
  return `<ul class="notes">${notes.map((n) => `<li>${esc(n)}</li>`).join('')}</ul>`;
}

/** Environment facts as [label, value] pairs, in the order a reader wants them. */
export function environmentRows(run: LabRun): [string, string][] {
  const e = run.environment;
  return [
    ['CPU', e.cpu],
    ['Cores', String(e.cores)],
    ['Memory', fmtBytes(e.memoryBytes)],
    ['Kernel', e.kernel],
    ['Data directory', e.dataDir],
    ['Filesystem (data directory)', e.filesystem],
    ['Node', e.node],
    ['Git revision', run.gitRevision],
    ['Suite', run.smoke ? `${run.suite}, smoke sizes (too small for the figures to mean much)` : run.full ? `${run.suite}, full sizes` : run.suite],
    ...(run.seed !== undefined ? [['Seed', `${run.seed} (mqlab bench --seed ${run.seed} makes the same random choices)`] as [string, string]] : []),
    ['Started', fmtTime(run.startedAt)],
    ['Command', run.command],
  ];
}

export function environmentTable(run: LabRun): string {
  const rows = environmentRows(run).map(([k, v]) =>
    k === 'Command' ? `<tr><th>${k}</th><td><pre class="command">${esc(v)}</pre></td></tr>` : `<tr><th>${k}</th><td>${esc(v)}</td></tr>`,
  );
  return `<table class="kv environment"><tbody>
${rows.join('\n')}
</tbody></table>`;
}
