// What a lab run produces: the raw results every report is rendered from.
// One JSON file per run (reports/<timestamp>.json); the HTML report and
// `mqlab report a.json b.json` read only this, so a report can always be
// re-rendered, and two runs compared, from the files alone.

export const RESULTS_SCHEMA = 'mqlab-lab/1';

export interface LabRun {
  schema: typeof RESULTS_SCHEMA;
  /** ISO time the run started. */
  startedAt: string;
  /** The exact command line. */
  command: string;
  /** `git rev-parse HEAD` (with "-dirty" if the tree had changes), or "unknown". */
  gitRevision: string;
  suite: 'quick' | 'full' | 'scenario';
  /** Run at smoke sizes (every scenario at its smallest): the figures say little. */
  smoke?: boolean;
  /** Named scenarios run at the full suite's sizes (--scenario with --full). */
  full?: boolean;
  /** The seed every random choice of the run came from (`mqlab bench --seed` repeats them). */
  seed?: number;
  /** Workload settings given by flags or a YAML file (OpenMessaging Benchmark field names); empty for the defaults. */
  workload?: Record<string, string | number>;
  environment: Environment;
  scenarios: ScenarioResult[];
}

export interface Environment {
  cpu: string;
  cores: number;
  memoryBytes: number;
  kernel: string;
  node: string;
  /** Filesystem type of the data directory (from /proc/mounts), e.g. "ext4", "overlay". */
  filesystem: string;
  dataDir: string;
}

export interface ScenarioResult {
  /** Short id: "throughput", "zero-copy", "partitions", "two-reads", "persistence", "integrity", "crash", "live-swap", "http", "latency". */
  name: string;
  title: string;
  /** The claim under test, in one sentence. */
  claim: string;
  verdict: Verdict;
  charts: Chart[];
  tables: ResultTable[];
  /** Message checks of each run: every message carries a producer id and sequence. */
  integrity: IntegrityCheck[];
  /** Settings of the scenario (records, sizes, reps...). */
  settings: Record<string, string | number | boolean>;
  notes: string[];
  /** Runs in OpenMessaging Benchmark's result format (the peers comparison), also written to <stamp>-omb/. */
  omb?: Record<string, unknown>[];
}

export interface Verdict {
  /** true: the claim held here; false: it did not; null: inconclusive (say why in summary). */
  held: boolean | null;
  /** The figure the verdict rests on, e.g. "sendfile 0.61 CPU s/GB vs mmap 0.83". */
  measured: string;
  summary: string;
}

export interface IntegrityCheck {
  run: string;
  sent: number;
  received: number;
  lost: number;
  duplicated: number;
  /** What the scenario's claim says this run does (acks=0 loses what is in flight; a retrying producer duplicates): not a fault when it happens. */
  expects?: { loss?: boolean; duplicates?: boolean; why: string };
}

export interface ResultTable {
  title: string;
  caption?: string;
  columns: string[];
  rows: (string | number)[][];
}

/** Every chart has a sentence under it saying what it shows. */
interface ChartBase {
  id: string;
  title: string;
  caption: string;
}

/** Lines over a numeric x axis: throughput over time, throughput vs partitions. */
export interface LineChart extends ChartBase {
  kind: 'line';
  xLabel: string;
  yLabel: string;
  /** Log-scale x (partition counts). */
  logX?: boolean;
  x: number[];
  series: { label: string; values: (number | null)[] }[];
  /** Vertical markers, e.g. the moments a strategy was swapped. */
  markers?: { x: number; label: string }[];
}

/** Grouped bars: CPU/GB, syscalls/GB, copies per byte by strategy. */
export interface BarChart extends ChartBase {
  kind: 'bars';
  yLabel: string;
  categories: string[];
  series: { label: string; values: number[] }[];
}

/** Latency percentiles on a log "nines" axis (50, 90, 99, 99.9...). */
export interface LatencyChart extends ChartBase {
  kind: 'latency';
  series: { label: string; percentiles: { percentile: number; ms: number }[] }[];
}

export type Chart = LineChart | BarChart | LatencyChart;
