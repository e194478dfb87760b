// Sweeps crash states of one recording: samples a cut and a state around it,
// works out what must survive, writes the state to a directory, and has the
// engine recover it (check-recovery.ts).
import { execFileSync } from 'node:child_process';
import { cpSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { checkRecovery } from './check-recovery.js';
import { CrashModel, type MetadataModel } from './crash-states.js';
import { contentAfter, writeFiles } from './state-files.js';
import { durableFloors, isLogFile, parseLog, type EngineName, type ParsedLog } from './floors.js';
import type { Recording } from './recording.js';
import { cutPoints, describeChoice, int, rng, sampleChoice, subSeed } from './sampling.js';

export interface Ack {
  /** Trace line of the write that printed it. */
  at: number;
  ms: number;
  partition: number;
  lastOffset: number;
}

export function acksOf(rec: Recording): Ack[] {
  const out: Ack[] = [];
  for (const l of rec.lines) {
    const m = /^ACK (\d+) (\d+) (\d+)$/.exec(l.text);
    if (m) out.push({ at: l.at, ms: l.ms, partition: Number(m[1]), lastOffset: Number(m[3]) });
  }
  return out;
}

export interface Sweep {
  engine: EngineName;
  /** Names the recording, for the sampling's seed. */
  label: string;
  /** Under 'batch', every acknowledged record must survive. */
  acksAreDurable: boolean;
  partitions: number;
  topic: string;
  seed: number;
  states: number;
  model: MetadataModel;
  /** Scratch space; failing states are copied to `keepDir` (if any). */
  workDir: string;
  keepDir?: string;
}

export interface SweepResult {
  checked: number;
  failures: string[];
  /** Acknowledgements that were not durable when printed (flush=batch only). */
  unsyncedAcks: string[];
}

export class FloorCache {
  private readonly cache = new Map<number, number[]>();
  /** Parsed synced bytes of a log file, by inode and synced op count (shared by the many cuts between two syncs). */
  private readonly parsed = new Map<string, ParsedLog>();
  constructor(private readonly model: CrashModel, private readonly s: Pick<Sweep, 'engine' | 'topic' | 'partitions'>) {}

  /** The durable floor per partition for a cut before line `cut`. */
  at(cut: number): number[] {
    let f = this.cache.get(cut);
    if (f === undefined) {
      const facts = this.model.facts(cut);
      const logs = new Map<string, ParsedLog>();
      const pending = new Set<string>();
      const names = this.model.namespace(this.model.minimal(facts));
      for (const [path, inode] of names) {
        if (!isLogFile(this.s.engine, path)) continue;
        const n = facts.synced[inode]!;
        const key = `${inode}:${n}`;
        let log = this.parsed.get(key);
        if (log === undefined) this.parsed.set(key, (log = parseLog(this.s.engine, path, contentAfter(this.model.rec, inode, n))));
        logs.set(path, log);
        if (facts.started[inode]! > n) pending.add(path);
      }
      f = durableFloors(this.s.engine, this.s.topic, this.s.partitions, logs, pending, new Set(names.keys()));
      this.cache.set(cut, f);
    }
    return f;
  }
}

export async function sweep(rec: Recording, s: Sweep): Promise<SweepResult> {
  const model = new CrashModel(rec, s.model);
  const cuts = cutPoints(model);
  const acks = acksOf(rec);
  const floors = new FloorCache(model, s);
  const result: SweepResult = { checked: 0, failures: [], unsyncedAcks: [] };
  if (s.acksAreDurable) {
    // The policy's promise, read off the trace alone: at the line that
    // printed an acknowledgement, its records were in the synced bytes.
    for (const a of acks) {
      const floor = floors.at(a.at)[a.partition]!;
      if (floor < a.lastOffset) result.unsyncedAcks.push(`partition ${a.partition} offset ${a.lastOffset} acknowledged at trace line ${a.at + 1}, synced only up to ${floor}`);
    }
  }
  for (let i = 0; i < s.states; i++) {
    // One directory per state, removed a hundred at a time by rm(1):
    // rmSync's JavaScript tree walk cost more than the state's checks.
    const group = join(s.workDir, String(Math.floor(i / 100)));
    if (i % 100 === 0) execFileSync('rm', ['-rf', s.workDir]);
    const dir = join(group, String(i));
    const r = rng(subSeed(s.seed, `${s.label}/${i}`));
    const cut = cuts[int(r, 0, cuts.length - 1)]!;
    const floor = floors.at(cut);
    const acked = new Array<number>(s.partitions).fill(-1);
    for (const a of acks) if (a.at < cut) acked[a.partition] = Math.max(acked[a.partition]!, a.lastOffset);
    const mustKeep = floor.map((f, p) => (s.acksAreDurable ? Math.max(f, acked[p]!) : f));
    const facts = model.facts(cut);
    const choice = sampleChoice(model, facts, r);
    writeFiles(dir, model.files(choice));
    const problems = await checkRecovery(s.engine, dir, { partitions: s.partitions, mustKeep, floors: floor, acked }, r, i % 4 === 0);
    result.checked++;
    if (problems.length > 0) {
      const keep = s.keepDir === undefined ? null : join(s.keepDir, `state-${i}`);
      if (keep !== null) {
        rmSync(keep, { recursive: true, force: true });
        writeFiles(keep, model.files(choice)); // as it was before recovery touched it
      }
      result.failures.push(`state ${i} (${describeChoice(model, choice)})${keep ? `, kept in ${keep}` : ''}:\n  ${problems.join('\n  ')}`);
    }
  }
  execFileSync('rm', ['-rf', s.workDir]);
  return result;
}

/** Copies the trace next to the failing states, so the run can be replayed with MQLAB_POWERLOSS_REPLAY. */
export function keepTrace(tracePath: string, keepDir: string): void {
  cpSync(tracePath, join(keepDir, 'trace.txt'));
}

export interface Exposure {
  /** ms from an acknowledgement to the return of the sync that made its records durable. */
  median: number;
  max: number;
  /** Acknowledgements no sync covered before the child exited. */
  never: number;
}

/**
 * How long acknowledged records stayed exposed to a power cut: for each
 * acknowledgement, the time until the durable floor (at a sync's return)
 * first covered it.
 */
export function exposure(rec: Recording, s: Pick<Sweep, 'engine' | 'topic' | 'partitions' | 'model'>): Exposure {
  const floors = new FloorCache(new CrashModel(rec, s.model), s);
  const returns = [...rec.syncs].filter((x) => Number.isFinite(x.exit)).sort((a, b) => a.exit - b.exit);
  const waits: number[] = [];
  let never = 0;
  for (const a of acksOf(rec)) {
    const covered = returns.find((x) => x.exit > a.at && floors.at(x.exit + 1)[a.partition]! >= a.lastOffset);
    if (covered) waits.push(Math.max(0, covered.exitMs - a.ms));
    else never++;
  }
  waits.sort((a, b) => a - b);
  return { median: waits[waits.length >> 1] ?? NaN, max: waits.at(-1) ?? NaN, never };
}
