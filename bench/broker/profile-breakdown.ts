// Where a broker's busy time goes per produce request, from the V8 CPU
// profile its process wrote (node --cpu-prof). Only samples inside a time
// window count (the produce phase: not startup, not shutdown), and idle ones
// not at all. Each sample goes to the innermost frame of its stack that
// names a category, so a Buffer builtin called from the validator is
// validation and the same builtin called from the storage engine is append.
//
// Two kinds of rule. A frame of ours (the project's compiled code) or a
// native binding a category is about claims the sample wherever it sits.
// Event-loop, stream and promise machinery sits at the bottom of nearly
// every stack (and a stream getter or nextTick may be called from anywhere),
// so it claims only samples with none of our code on the stack: with one of
// our frames that no rule names (the produce handler, the broker's
// bookkeeping), the sample is "other", and that frame shows in the list of
// other's biggest self times rather than hiding under "microtasks".
//
// A call into the addon (crc32c) gets no frame of its own in the profile:
// its time is its caller's self time, on the line of the call. Node records
// self ticks per line (positionTicks), so a caller's samples are split by
// the share of its ticks on lines a category claims (lineCategories).
//
// Sample timestamps are µs on CLOCK_MONOTONIC (V8's TimeTicks on Linux), the
// clock process.hrtime reads too, so a window taken in the parent process
// applies as it is.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export interface CpuProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber?: number; scriptId?: string };
  hitCount?: number;
  children?: number[];
  /** Self ticks per source line (1-based), over the whole profile. */
  positionTicks?: { line: number; ticks: number }[];
}

/** The shape of a .cpuprofile file (Chrome DevTools protocol's Profiler.Profile). */
export interface CpuProfile {
  nodes: CpuProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  /** µs since the previous sample (the first: since startTime). */
  timeDeltas: number[];
}

export const CATEGORIES = [
  'decode',
  'validate',
  'CRC',
  'append',
  'response',
  'garbage collector',
  'socket read and framing',
  'event loop',
  'microtasks/promises',
  'other',
] as const;
export type Category = (typeof CATEGORIES)[number];

interface Frame {
  fn: string;
  url: string;
  /** For our code, the path from the package root (src/…); null otherwise. */
  ours: string | null;
}

interface Rule {
  category: Category;
  /** Machinery at the bottom of stacks: claims a sample only if none of our unnamed frames came first. */
  machinery?: boolean;
  test: (f: Frame) => boolean;
}

const inKafka = (f: Frame, file: string): boolean => f.ours === `src/protocol/kafka/${file}.js`;
const codecFile = (f: Frame): boolean => inKafka(f, 'codec') || inKafka(f, 'header') || inKafka(f, 'primitives') || inKafka(f, 'schema');
const connection = (f: Frame): boolean => f.ours === 'src/broker/network/connection.js';

/** Checked in order for each frame, innermost frame first. */
const RULES: readonly Rule[] = [
  { category: 'garbage collector', test: (f) => f.fn === '(garbage collector)' },
  // The addon's binding and its wrapper, wherever called from (validation, the commit log's entry header).
  { category: 'CRC', test: (f) => /^crc32c/i.test(f.fn) || f.ours === 'src/native/crc32c.js' },
  // The codec's per-field closures are named read/write after the plan's properties.
  { category: 'decode', test: (f) => inKafka(f, 'reader') || (codecFile(f) && /^(decode|read)/i.test(f.fn)) },
  { category: 'response', test: (f) => inKafka(f, 'writer') || (codecFile(f) && /^(encode|write|bytesOf)/i.test(f.fn)) },
  {
    category: 'validate',
    test: (f) => f.ours === 'src/records/validate.js' || f.ours === 'src/records/batch-header.js' || f.ours === 'src/broker/produce-checks.js' || f.ours === 'src/storage/prepare-append.js',
  },
  // The engines, and node:fs's write calls beneath them (their bindings, writeBuffer and writeBuffers, have no url).
  { category: 'append', test: (f) => (f.ours?.startsWith('src/storage/') ?? false) || (f.url === 'node:fs' && /^(write|pwrite)/.test(f.fn)) },
  { category: 'response', test: (f) => (connection(f) && /^(sendAll|flush|scheduleFlush|sent)$/.test(f.fn)) || (f.ours?.startsWith('src/transfer/') ?? false) },
  { category: 'socket read and framing', test: (f) => (connection(f) && f.fn === 'onData') || inKafka(f, 'frame-decoder') },
  { category: 'socket read and framing', machinery: true, test: (f) => f.url === 'node:net' || f.url === 'node:internal/stream_base_commons' || f.url.startsWith('node:internal/streams/') },
  // "(program)": native code with no JavaScript on the stack (libuv, Node's C++ between callbacks).
  { category: 'event loop', machinery: true, test: (f) => f.fn === '(program)' || f.url === 'node:internal/timers' },
  {
    category: 'microtasks/promises',
    machinery: true,
    test: (f) => f.fn === 'runMicrotasks' || f.url === 'node:internal/process/task_queues' || f.url === 'node:internal/async_hooks' || f.url === 'node:internal/process/promises',
  },
];

function frameOf(node: CpuProfileNode): Frame {
  const { functionName: fn, url } = node.callFrame;
  const m = /\/dist\/(src\/[^?#]*)$/.exec(url);
  return { fn, url, ours: m && !url.includes('/node_modules/') ? m[1]! : null };
}

/**
 * The category of the sample whose innermost frame is `leaf`, and the frame
 * that decided it: the one a rule named, or for "other" our innermost frame.
 */
function classify(leaf: CpuProfileNode, parent: Map<number, CpuProfileNode>): { category: Category; frame: CpuProfileNode | null } {
  let ownFrame: CpuProfileNode | null = null;
  let machinery: { category: Category; frame: CpuProfileNode } | null = null;
  for (let n: CpuProfileNode | undefined = leaf; n !== undefined; n = parent.get(n.id)) {
    const f = frameOf(n);
    const r = RULES.find((rule) => rule.test(f));
    if (r && !r.machinery) return { category: r.category, frame: n };
    if (r) machinery ??= { category: r.category, frame: n };
    else if (f.ours !== null) ownFrame ??= n;
  }
  // No rule named a frame: machinery's own time only if none of our code is on the stack.
  if (ownFrame === null && machinery !== null) return machinery;
  return { category: 'other', frame: ownFrame };
}

export interface SelfTime {
  /** "function file:line" of the innermost frame. */
  fn: string;
  /** The frame that decided the category, when not this one: a rule's, or for "other" our innermost. */
  under: string | null;
  us: number;
  usPerRequest: number;
  share: number;
}

export interface CategoryTime {
  category: Category;
  us: number;
  usPerRequest: number;
  /** Of the busy (not idle) time in the window, 0–1. */
  share: number;
  /** Its biggest self times. */
  top: SelfTime[];
}

export interface Breakdown {
  windowUs: number;
  busyUs: number;
  idleUs: number;
  samples: number;
  requests: number;
  categories: CategoryTime[];
  /** The biggest self times among the samples put to "other" (also its `top`, longer). */
  otherTop: SelfTime[];
}

export interface BreakdownOptions {
  /** Self times listed per category (default 5) and for "other" (default 10). */
  top?: number;
  otherTop?: number;
  /** Lines of a script (by profile url; 1-based) whose self time is a category's: calls the sampler cannot see into. */
  lineCategories?: (url: string) => ReadonlyMap<number, Category> | undefined;
}

function describe(node: CpuProfileNode): string {
  const f = frameOf(node);
  const where = f.ours ?? f.url;
  const name = f.fn || '(anonymous)';
  return where ? `${name} ${where}:${node.callFrame.lineNumber + 1}` : name;
}

/** Of a node's self ticks, the shares its lines give to categories (empty when none does). */
function lineShares(node: CpuProfileNode, lineCategories: BreakdownOptions['lineCategories']): [Category, number][] {
  const lines = node.positionTicks && lineCategories?.(node.callFrame.url);
  if (!lines) return [];
  const total = node.positionTicks!.reduce((s, p) => s + p.ticks, 0);
  const by = new Map<Category, number>();
  for (const p of node.positionTicks!) {
    const c = lines.get(p.line);
    if (c !== undefined) by.set(c, (by.get(c) ?? 0) + p.ticks / total);
  }
  return [...by];
}

/**
 * Busy time by category over the samples taken in [fromUs, toUs) (profile
 * clock), per request when `requests` were served in that window. A sample
 * stands for the time until the next one, as DevTools counts it.
 */
export function breakdown(profile: CpuProfile, fromUs: number, toUs: number, requests: number, options: BreakdownOptions = {}): Breakdown {
  if (toUs <= profile.startTime || fromUs >= profile.endTime) {
    throw new Error(`the window ${fromUs}–${toUs} µs lies outside the profile (${profile.startTime}–${profile.endTime} µs): not the same clock?`);
  }
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, CpuProfileNode>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n);
  const times = new Map<Category, number>(CATEGORIES.map((c) => [c, 0]));
  const selfTimes = new Map<Category, Map<string, { fn: string; under: string | null; us: number }>>(CATEGORIES.map((c) => [c, new Map()]));
  const add = (category: Category, leaf: CpuProfileNode, under: CpuProfileNode | null, us: number): void => {
    times.set(category, times.get(category)! + us);
    const fn = describe(leaf);
    const u = under && under !== leaf ? describe(under) : null;
    const k = `${fn}\0${u ?? ''}`;
    const m = selfTimes.get(category)!;
    const e = m.get(k) ?? { fn, under: u, us: 0 };
    e.us += us;
    m.set(k, e);
  };
  const classified = new Map<number, { category: Category; frame: CpuProfileNode | null; lines: [Category, number][] }>();
  let busy = 0;
  let idle = 0;
  let samples = 0;
  let t = profile.startTime;
  const n = profile.samples.length;
  for (let i = 0; i < n; i++) {
    t += profile.timeDeltas[i]!;
    if (t < fromUs || t >= toUs) continue;
    const weight = i + 1 < n ? profile.timeDeltas[i + 1]! : 0;
    const leaf = byId.get(profile.samples[i]!)!;
    samples++;
    if (leaf.callFrame.functionName === '(idle)') {
      idle += weight;
      continue;
    }
    busy += weight;
    let c = classified.get(leaf.id);
    if (c === undefined) {
      c = { ...classify(leaf, parent), lines: lineShares(leaf, options.lineCategories) };
      classified.set(leaf.id, c);
    }
    let rest = weight;
    for (const [category, share] of c.lines) {
      add(category, leaf, null, weight * share);
      rest -= weight * share;
    }
    add(c.category, leaf, c.frame, rest);
  }
  const per = (us: number): number => (requests > 0 ? us / requests : NaN);
  const share = (us: number): number => (busy > 0 ? us / busy : 0);
  const topOf = (category: Category, count: number): SelfTime[] =>
    [...selfTimes.get(category)!.values()]
      .sort((a, b) => b.us - a.us)
      .slice(0, count)
      .map((e) => ({ ...e, usPerRequest: per(e.us), share: share(e.us) }));
  return {
    windowUs: toUs - fromUs,
    busyUs: busy,
    idleUs: idle,
    samples,
    requests,
    categories: CATEGORIES.map((category) => ({ category, us: times.get(category)!, usPerRequest: per(times.get(category)!), share: share(times.get(category)!), top: topOf(category, options.top ?? 5) })),
    otherTop: topOf('other', options.otherTop ?? 10),
  };
}

const callLines = new Map<string, ReadonlyMap<number, Category> | undefined>();

/**
 * For our compiled scripts: the lines that call the addon's crc32c, whose
 * time the profile can only show as the caller's. Read once per script.
 */
export function addonCallLines(url: string): ReadonlyMap<number, Category> | undefined {
  if (!callLines.has(url)) {
    let lines: Map<number, Category> | undefined;
    if (url.startsWith('file://') && url.includes('/dist/src/')) {
      try {
        readFileSync(fileURLToPath(url), 'utf8')
          .split('\n')
          .forEach((text, i) => {
            if (/\bcrc32c\(/.test(text)) (lines ??= new Map()).set(i + 1, 'CRC');
          });
      } catch {
        // A script gone since the profile was taken: no lines.
      }
    }
    callLines.set(url, lines);
  }
  return callLines.get(url);
}
