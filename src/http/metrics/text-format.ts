// Prometheus text exposition format 0.0.4: one `# HELP` and one `# TYPE`
// line per family, then its samples, each `name{label="value",...} value`.
// Label values escape backslash, double quote and newline; HELP text escapes
// backslash and newline (the format's rules).
import type { Histogram } from './histogram.js';

export type MetricType = 'counter' | 'gauge' | 'histogram' | 'untyped';
export type Labels = Readonly<Record<string, string | number>>;

export const CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

export function escapeLabelValue(value: string): string {
  return value.replace(/[\\"\n]/g, (c) => (c === '\\' ? '\\\\' : c === '"' ? '\\"' : '\\n'));
}

export function escapeHelp(text: string): string {
  return text.replace(/[\\\n]/g, (c) => (c === '\\' ? '\\\\' : '\\n'));
}

export function formatValue(value: number | bigint): string {
  if (typeof value === 'bigint') return value.toString();
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return '+Inf';
  if (value === -Infinity) return '-Inf';
  return String(value);
}

function formatLabels(labels: Labels | undefined): string {
  if (!labels) return '';
  let out = '';
  for (const key in labels) {
    out += `${out ? ',' : ''}${key}="${escapeLabelValue(String(labels[key]))}"`;
  }
  return out ? `{${out}}` : '';
}

/** Builds one exposition. Families must be written whole, one after another. */
export class MetricsText {
  private readonly lines: string[] = [];
  private readonly declared = new Set<string>();

  /** Starts a family: its HELP and TYPE lines. A name may be declared once. */
  family(name: string, type: MetricType, help: string): this {
    if (this.declared.has(name)) throw new Error(`metric family ${name} declared twice`);
    this.declared.add(name);
    this.lines.push(`# HELP ${name} ${escapeHelp(help)}`, `# TYPE ${name} ${type}`);
    return this;
  }

  sample(name: string, labels: Labels | undefined, value: number | bigint): this {
    this.lines.push(`${name}${formatLabels(labels)} ${formatValue(value)}`);
    return this;
  }

  /** A histogram's cumulative `_bucket` samples, then `_sum` and `_count`. */
  histogram(name: string, labels: Labels | undefined, h: Histogram): this {
    let cumulative = 0;
    for (let i = 0; i < h.bounds.length; i++) {
      cumulative += h.counts[i]!;
      this.sample(`${name}_bucket`, { ...labels, le: formatValue(h.bounds[i]!) }, cumulative);
    }
    this.sample(`${name}_bucket`, { ...labels, le: '+Inf' }, h.count);
    this.sample(`${name}_sum`, labels, h.sum);
    this.sample(`${name}_count`, labels, h.count);
    return this;
  }

  toString(): string {
    return this.lines.join('\n') + '\n';
  }
}
