// One lab run as one self-contained HTML file: verdicts first, then each
// scenario (claim, verdict, settings, charts with their captions, tables,
// message integrity, notes), then the environment the figures came from.

import type { LabRun, ScenarioResult } from '../results.js';
import { Colours, figure, seriesLabels, type ChartSpec } from './charts.js';
import { anchor, esc, page, verdictBadge, verdictState } from './html.js';
import {
  environmentTable,
  integrityBanner,
  integrityBlock,
  notesList,
  resultTable,
  runLabel,
  settingsTable,
  verdictCounts,
  verdictTable,
} from './sections.js';

function scenarioSection(s: ScenarioResult, colours: Colours, specs: ChartSpec[]): string {
  const st = verdictState(s.verdict);
  const figures = s.charts.map((chart) => {
    const spec: ChartSpec = { target: `chart-${specs.length + 1}`, chart, colors: colours.forLabels(seriesLabels(chart)) };
    specs.push(spec);
    return figure(spec);
  });
  return `<section class="scenario" id="${esc(anchor('s-', s.name))}">
<h2>${esc(s.title)} <span class="scenario-id mono">${esc(s.name)}</span></h2>
<blockquote class="claim">${esc(s.claim)}</blockquote>
<div class="verdict-box ${st}">
<p>${verdictBadge(s.verdict)} <strong>Measured:</strong> ${esc(s.verdict.measured)}</p>
<p>${esc(s.verdict.summary)}</p>
</div>
<h3>Settings</h3>
${settingsTable(s.settings)}
${figures.length > 0 ? `<h3>Charts</h3>\n${figures.join('\n')}` : ''}
${s.tables.length > 0 ? `<h3>Tables</h3>\n${s.tables.map(resultTable).join('\n')}` : ''}
<h3>Message integrity</h3>
${integrityBlock(s.integrity)}
${s.notes.length > 0 ? `<h3>Notes</h3>\n${notesList(s.notes)}` : ''}
</section>`;
}

export function renderReport(run: LabRun): string {
  const colours = new Colours();
  const specs: ChartSpec[] = [];
  const sections = run.scenarios.map((s) => scenarioSection(s, colours, specs));
  const title = `mqlab lab report — ${runLabel(run)}`;
  const body = `<header>
<h1>${esc(title)}</h1>
<p class="subtitle">git ${esc(run.gitRevision)} · ${esc(run.environment.cpu)} · ${esc(run.environment.cores)} cores · Node ${esc(run.environment.node)} · <a href="#environment">environment</a></p>
</header>
<section class="verdict-summary">
<h2>Verdicts</h2>
<p class="summary-line">${esc(verdictCounts(run))}</p>
${integrityBanner(run)}
${verdictTable(run)}
</section>
${sections.join('\n')}
<section class="scenario environment" id="environment">
<h2>Environment</h2>
<p>Every figure above came from this machine and this command; run it again to reproduce them.</p>
${environmentTable(run)}
</section>`;
  return page({ title, body, charts: specs, kind: 'report' });
}
