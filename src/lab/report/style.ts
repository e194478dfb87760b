// The report's stylesheet: light, plain, and the same on paper.

export const REPORT_CSS = `
:root {
  --text: #1f2328;
  --muted: #59636e;
  --line: #d1d9e0;
  --head: #f6f8fa;
  --held: #116329;
  --held-bg: #dafbe1;
  --failed: #a40e26;
  --failed-bg: #ffebe9;
  --inconclusive: #7d4e00;
  --inconclusive-bg: #fff8c5;
}
html { background: #fff; }
body {
  margin: 0 auto;
  max-width: 1100px;
  padding: 24px 28px 48px;
  color: var(--text);
  background: #fff;
  font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
}
h1 { font-size: 1.75em; line-height: 1.25; margin: 0 0 0.25em; }
h2 { font-size: 1.35em; margin: 0 0 0.4em; }
h3 { font-size: 1.1em; margin: 1.4em 0 0.4em; }
h4 { font-size: 1em; margin: 0 0 0.3em; }
p { margin: 0.4em 0 0.8em; }
a { color: #0b57d0; }
code, pre, .mono { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, "Liberation Mono", monospace; font-size: 0.9em; }
pre { white-space: pre-wrap; word-break: break-all; background: var(--head); border: 1px solid var(--line); border-radius: 4px; padding: 0.5em 0.75em; margin: 0.3em 0 0.8em; }
.subtitle { color: var(--muted); margin-top: 0; }
.summary-line { font-size: 1.05em; }

table { border-collapse: collapse; margin: 0.4em 0 1em; font-size: 0.92em; max-width: 100%; }
th, td { border: 1px solid var(--line); padding: 4px 8px; text-align: left; vertical-align: top; }
th { background: var(--head); font-weight: 600; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
table caption { caption-side: bottom; text-align: left; color: var(--muted); font-size: 0.95em; padding-top: 0.3em; }
.table-wrap { overflow-x: auto; }
table.verdicts { width: 100%; }
table.verdicts td:nth-child(4), table.verdicts td:nth-child(5) { white-space: nowrap; }
table.kv th { width: 12em; }
table.environment { width: 100%; table-layout: fixed; }
table.environment th { width: 14em; }

.verdict { display: inline-block; padding: 1px 9px; border-radius: 999px; font-weight: 600; white-space: nowrap; border: 1px solid currentColor; }
.verdict.held { color: var(--held); background: var(--held-bg); }
.verdict.failed { color: var(--failed); background: var(--failed-bg); }
.verdict.inconclusive { color: var(--inconclusive); background: var(--inconclusive-bg); }
tr.row-held td:first-child { box-shadow: inset 4px 0 0 var(--held); }
tr.row-failed td:first-child { box-shadow: inset 4px 0 0 var(--failed); }
tr.row-inconclusive td:first-child { box-shadow: inset 4px 0 0 var(--inconclusive); }

section.scenario { border-top: 2px solid var(--line); margin-top: 2.2em; padding-top: 1em; }
.scenario-id { color: var(--muted); font-weight: normal; font-size: 0.8em; }
blockquote.claim { margin: 0.5em 0 0.8em; padding: 0.4em 0.9em; border-left: 4px solid var(--line); background: #fbfcfd; font-size: 1.05em; }
.verdict-box { padding: 0.5em 0.9em; border-radius: 4px; margin: 0.5em 0 1em; border-left: 4px solid; }
.verdict-box.held { background: var(--held-bg); border-color: var(--held); }
.verdict-box.failed { background: var(--failed-bg); border-color: var(--failed); }
.verdict-box.inconclusive { background: var(--inconclusive-bg); border-color: var(--inconclusive); }
.verdict-box p { margin: 0.2em 0; }

figure.chart-figure { margin: 1.2em 0 1.6em; break-inside: avoid; page-break-inside: avoid; }
.chart { width: 100%; min-height: 320px; overflow: hidden; }
.chart.chart-error { min-height: 0; color: var(--failed); background: var(--failed-bg); padding: 0.5em; }
figcaption { color: var(--muted); font-size: 0.93em; margin-top: 0.35em; }
p.markers { color: var(--muted); font-size: 0.88em; margin: 0.2em 0 0; }
.run-tag { display: inline-block; font-size: 0.8em; font-weight: 600; padding: 0 6px; border-radius: 3px; background: var(--head); border: 1px solid var(--line); }
.uplot { font-family: inherit; }
.u-legend { font-size: 0.88em; }

.integrity-bad { color: var(--failed); background: var(--failed-bg); border-left: 4px solid var(--failed); padding: 0.5em 0.9em; font-weight: 600; border-radius: 4px; }
.integrity-bad p { margin: 0.15em 0; }
.integrity-ok { color: var(--held); background: var(--held-bg); border-left: 4px solid var(--held); padding: 0.5em 0.9em; border-radius: 4px; }
td.bad { color: var(--failed); background: var(--failed-bg); font-weight: 700; }
td.ok { color: var(--held); }
.banner-bad { color: var(--failed); background: var(--failed-bg); border: 1px solid var(--failed); padding: 0.5em 0.9em; border-radius: 4px; font-weight: 600; }
td.changed { background: var(--inconclusive-bg); }
.ratio { display: block; color: var(--muted); font-size: 0.88em; }
.ratio.far { color: var(--text); font-weight: 700; }
.muted { color: var(--muted); }
ul.notes { margin: 0.3em 0 0.8em; padding-left: 1.4em; }
footer { margin-top: 3em; padding-top: 0.6em; border-top: 1px solid var(--line); color: var(--muted); font-size: 0.85em; }

@media print {
  body { max-width: none; padding: 0; font-size: 10.5pt; }
  a { color: inherit; text-decoration: none; }
  .verdict, .verdict-box, .integrity-bad, .integrity-ok, .banner-bad, td.bad, td.changed, tr[class^="row-"] td:first-child {
    -webkit-print-color-adjust: exact;
    print-color-adjust: exact;
  }
  section.scenario { break-before: auto; }
  table, pre { break-inside: avoid; }
  h2, h3, h4 { break-after: avoid; }
}
`;
