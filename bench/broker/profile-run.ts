// The profiled produce run: a broker of its own, after the measured ones (the
// sampler's cost stays out of the figures), started with --cpu-prof and
// stopped with SIGINT, whose handler exits through process.exit, which is
// when node writes the profile. The breakdown counts only the samples taken
// while the produce ran: not startup, topic creation or shutdown.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
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
}

export async function profiledProduce(dataDir: string, engine: string, s: ProduceSettings, intervalUs: number): Promise<ProfiledRun> {
  const profDir = mkdtempSync(join(tmpdir(), 'mqlab-broker-prof-'));
  try {
    const broker = await BrokerProcess.start(['--data-dir', dataDir, '--engine', engine, '--flush', 'none'], 0, {
      nodeFlags: ['--cpu-prof', '--cpu-prof-dir', profDir, '--cpu-prof-interval', String(intervalUs)],
    });
    let run;
    try {
      const admin = await Admin.connect(broker.bootstrap);
      try {
        await admin.createTopic(TOPIC, 1);
      } finally {
        admin.close();
      }
      run = await produceRun(broker, s);
    } finally {
      await broker.interrupt();
    }
    const files = readdirSync(profDir).filter((f) => f.endsWith('.cpuprofile'));
    if (files.length !== 1) throw new Error(`expected one .cpuprofile in ${profDir}, found ${files.length}`);
    const profile = JSON.parse(readFileSync(join(profDir, files[0]!), 'utf8')) as CpuProfile;
    return {
      engine,
      recordBytes: s.recordBytes,
      intervalUs,
      mbPerSecond: run.load.bytes / run.load.seconds / 1e6,
      breakdown: breakdown(profile, run.fromUs, run.toUs, run.requests, { lineCategories: addonCallLines }),
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
  const us = (x: number): string => x.toFixed(2);
  const pct = (x: number): string => (100 * x).toFixed(1);
  const head =
    `${p.engine}, ${p.recordBytes} B records: ${b.requests} requests in ${(b.windowUs / 1e6).toFixed(2)} s (${p.mbPerSecond.toFixed(0)} MB/s under the profiler), ` +
    `${b.samples} samples every ${p.intervalUs} µs; main thread busy ${us(b.busyUs / b.requests)} µs per request ` +
    `(${pct(b.busyUs / Math.max(1, b.busyUs + b.idleUs))}% of the window), idle ${us(b.idleUs / b.requests)} µs`;
  const cats = table(
    ['category', 'µs/request', '% of busy', 'biggest self times, µs/request'],
    b.categories.map((c) => [c.category, us(c.usPerRequest), pct(c.share), c.top.slice(0, 3).map((t) => `${short(t.fn)} ${us(t.usPerRequest)}`).join(', ')]),
  );
  const other = table(
    ['"other": top self time', 'µs/request', '% of busy'],
    b.otherTop.map((o) => [o.under ? `${o.fn}  (under ${o.under})` : o.fn, us(o.usPerRequest), pct(o.share)]),
  );
  return `${head}\n\n${cats}\n\n${other}`;
}
