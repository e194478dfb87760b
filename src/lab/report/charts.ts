// What the page's chart script receives for each chart, and the figure that
// holds it. The chart itself is the results schema's Chart, unchanged; the
// spec adds where to draw it and how each series looks.

import type { Chart, LineChart } from '../results.js';
import { esc, fmtNum } from './html.js';

export interface ChartSpec {
  /** id of the element the chart is drawn into. */
  target: string;
  chart: Chart;
  /** One CSS colour per series. */
  colors: string[];
  /** Per series: draw dashed (the second run of an overlay). */
  dashed?: boolean[];
}

/** Okabe–Ito based: tells apart for colour-blind readers, dark enough on white and on paper. */
export const PALETTE = ['#0072B2', '#D55E00', '#009E73', '#CC79A7', '#E69F00', '#56B4E9', '#7F3C8D', '#666666'];

/**
 * Series colours for one page: a label keeps the colour it first got (so
 * "sendfile" looks the same in every chart it is in) unless that colour is
 * already taken in the chart at hand; a new label takes the first colour free
 * in its chart. Within one chart no colour repeats while the palette lasts.
 */
export class Colours {
  private readonly byLabel = new Map<string, number>();

  forLabels(labels: string[]): string[] {
    const used = new Set<number>();
    const out: (number | undefined)[] = labels.map(() => undefined);
    // Remembered labels first, so a newcomer cannot take their colour.
    labels.forEach((label, k) => {
      const i = this.byLabel.get(label);
      if (i !== undefined && !used.has(i)) {
        used.add(i);
        out[k] = i;
      }
    });
    labels.forEach((label, k) => {
      if (out[k] !== undefined) return;
      let i = 0;
      while (i < PALETTE.length && used.has(i)) i++;
      if (i === PALETTE.length) i = k % PALETTE.length;
      used.add(i);
      out[k] = i;
      if (!this.byLabel.has(label)) this.byLabel.set(label, i);
    });
    return out.map((i) => PALETTE[i ?? 0]!);
  }
}

export function seriesLabels(chart: Chart): string[] {
  return chart.series.map((s) => s.label);
}

/** Figure with title, the chart's box, its caption sentence under it, and markers spelled out. */
export function figure(spec: ChartSpec, opts: { heading?: string; extraCaption?: string } = {}): string {
  const c = spec.chart;
  const markers =
    c.kind === 'line' && c.markers && c.markers.length > 0
      ? `<p class="markers">Marked: ${c.markers.map((m) => `${esc(m.label)} at ${esc(c.xLabel)} = ${esc(fmtNum(m.x))}`).join('; ')}.</p>`
      : '';
  return `<figure class="chart-figure" data-kind="${esc(c.kind)}">
<h4>${opts.heading ? `<span class="run-tag">${esc(opts.heading)}</span> ` : ''}${esc(c.title)}</h4>
<div class="chart" id="${esc(spec.target)}" role="img" aria-label="${esc(c.title)}"></div>
<figcaption>${esc(c.caption)}${opts.extraCaption ? ` ${esc(opts.extraCaption)}` : ''}</figcaption>
${markers}
</figure>`;
}

/** True when two line charts share their x values (and scale), so one plot can hold both. */
export function sameX(a: Chart, b: Chart): a is LineChart {
  if (a.kind !== 'line' || b.kind !== 'line') return false;
  if (Boolean(a.logX) !== Boolean(b.logX) || a.x.length !== b.x.length) return false;
  return a.x.every((v, i) => v === b.x[i]);
}
