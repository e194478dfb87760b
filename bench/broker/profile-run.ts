// The profiled produce run: a broker of its own, after the measured ones (the
// sampler's cost stays out of the figures), started with --cpu-prof and
// stopped with SIGINT, whose handler exits through process.exit, which is
// when node writes the profile. The breakdown counts only the samples taken
// while the produce ran: not startup, topic creation or shutdown.
//
// A sample stands for the wall time until the next one, so on a shared
// machine a thread waiting for a CPU inflates whatever it was doing. The
// kernel says how long the main thread ran and how long it waited
// (/proc/<pid>/task/<pid>/schedstat, ns); the categories are given as
// shares of the time it ran.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Admin } from '../../src/client/admin.js';
import { BrokerProcess } from '../../src/lab/broker-process.js';
import { table } from '../lib/stats.js';
import { addonCallLines, breakdown, type Breakdown, type CpuProfile } from './profile-breakdown.js';
import { produceRun, TOPIC, type ProduceSettings } from './produce-run.js';

export interface ProfiledRun {
  engine: string;
  recordBytes: number;
  intervalUs: number;
  /** The profiled run's own throughput, to show what the sampler cost. */
  mbPerSecond: number;
  breakdown: Breakdown;
  /** Over the produce, µs: the broker's main thread on a CPU and waiting for one (null without schedstat), and the whole process's CPU. */
  mainThreadRunUs: number | null;
  mainThreadWaitUs: number | null;
  processCpuUs: number;
  /** Each category's share of the main thread's CPU time, per request (null without schedstat). */
  cpuUsPerRequest: Record<string, number> | null;
}

/** A thread's time on a CPU and waiting on a run queue, ns. */
function schedstat(pid: number): { run: number; wait: number } | null {
  const file = `/proc/${pid}/task/${pid}/schedstat`;
  if (!existsSync(file)) return null;
  const [run, wait] = readFileSync(file, 'utf8').trim().split(/\s+/).map(Number);
  return { run: run!, wait: wait! };
}

export async function profiledProduce(dataDir: string, engine: string, s: ProduceSettings, intervalUs: number): Promise<ProfiledRun> {
  const profDir = mkdtempSync(join(tmpdir(), 'mqlab-broker-prof-'));
  try {
    const broker = await BrokerProcess.start(['--data-dir', dataDir, '--engine', engine, '--flush', 'none'], 0, {
      nodeFlags: ['--cpu-prof', '--cpu-prof-dir', profDir, '--cpu-prof-interval', String(intervalUs)],
    });
    let run;
    let before;
    let after;
    try {
      const admin = await Admin.connect(broker.bootstrap);
      try {
        await admin.createTopic(TOPIC, 1);
      } finally {
        admin.close();
      }
      before = schedstat(broker.pid);
      run = await produceRun(broker, s);
      after = schedstat(broker.pid);
    } finally {
      await broker.interrupt();
    }
    const files = readdirSync(profDir).filter((f) => f.endsWith('.cpuprofile'));
    if (files.length !== 1) throw new Error(`expected one .cpuprofile in ${profDir}, found ${files.length}`);
    const profile = JSON.parse(readFileSync(join(profDir, files[0]!), 'utf8')) as CpuProfile;
    const b = breakdown(profile, run.fromUs, run.toUs, run.requests, { lineCategories: addonCallLines });
    const runUs = before && after ? (after.run - before.run) / 1000 : null;
    return {
      engine,
      recordBytes: s.recordBytes,
      intervalUs,
      mbPerSecond: run.load.bytes / run.load.seconds / 1e6,
      breakdown: b,
      mainThreadRunUs: runUs,
      mainThreadWaitUs: before && after ? (after.wait - before.wait) / 1000 : null,
      processCpuUs: run.brokerCpuSeconds * 1e6,
      cpuUsPerRequest: runUs === null ? null : Object.fromEntries(b.categories.map((c) => [c.category, (c.share * runUs) / run.requests])),
    };
  } finally {
    rmSync(profDir, { recursive: true, force: true });
  }
}

/** "writeBuffer", "append segment.js": a self time named short enough for a table cell. */
function short(fn: string): string {
  const [name, where] = fn.split(' ');
  return where ? `${name} ${where.replace(/^.*\//, '').replace(/:\d+$/, '')}` : name!;
}

export function formatProfile(p: ProfiledRun): string {
  const b = p.breakdown;
  const n = b.requests;
  const us = (x: number): string => x.toFixed(2);
  const pct = (x: number): string => (100 * x).toFixed(1);
  // Per request: the main thread's CPU time split by the profile's shares, or without schedstat the profile's busy wall time.
  // The process's CPU (/proc stat, 10 ms ticks) and the main thread's (schedstat, ns) are two clocks: once the warm-up has
  // compiled the hot path, the other threads' share is within their difference, so it is shown as at least 0.
  const basis = p.mainThreadRunUs ?? b.busyUs;
  const lines = [
    `${p.engine}, ${p.recordBytes} B records: ${n} requests in ${(b.windowUs / 1e6).toFixed(2)} s (${p.mbPerSecond.toFixed(0)} MB/s under the profiler), ${b.samples} samples every ${p.intervalUs} µs.`,
    `Per request: broker process CPU ${us(p.processCpuUs / n)} µs` +
      (p.mainThreadRunUs === null
        ? ''
        : `: main thread ${us(p.mainThreadRunUs / n)} µs (and ${us(p.mainThreadWaitUs! / n)} µs waiting for a CPU), other threads (V8's GC and compiler workers, the sampler) ${us(Math.max(0, p.processCpuUs - p.mainThreadRunUs) / n)} µs`) +
      `; in the profile busy ${us(b.busyUs / n)} µs, idle ${us(b.idleUs / n)} µs (wall).`,
  ];
  const cats = table(
    [p.mainThreadRunUs === null ? 'category' : 'category (main thread CPU)', 'µs/request', '% of busy', 'biggest self times, µs/request'],
    b.categories.map((c) => [c.category, us((c.share * basis) / n), pct(c.share), c.top.slice(0, 3).map((t) => `${short(t.fn)} ${us((t.share * basis) / n)}`).join(', ')]),
  );
  const other = table(
    ['"other": top self time', 'µs/request', '% of busy'],
    b.otherTop.map((o) => [o.under ? `${o.fn}  (under ${o.under})` : o.fn, us((o.share * basis) / n), pct(o.share)]),
  );
  return `${lines.join('\n')}\n\n${cats}\n\n${other}`;
}
