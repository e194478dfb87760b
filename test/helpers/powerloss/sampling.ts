// Seeded sampling of crash states. Every random choice of the power-loss
// test comes from one of these generators, so a seed (printed by the test,
// settable by MQLAB_POWERLOSS_SEED) replays the same states from the same
// trace.
import type { Choice, CrashModel, CutFacts, Tear } from './crash-states.js';

export type Random = () => number;

/** mulberry32: small, fast, and good enough to spread samples. */
export function rng(seed: number): Random {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A seed for sub-stream `label` of `seed`, so adding a stream does not shift the others. */
export function subSeed(seed: number, label: string): number {
  let h = seed >>> 0 ^ 0x9e3779b9;
  for (let i = 0; i < label.length; i++) h = Math.imul(h ^ label.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

export function int(r: Random, lo: number, hi: number): number {
  return lo + Math.floor(r() * (hi - lo + 1));
}

const TEARS: Tear[] = ['short', 'zeros', 'garbage'];

/**
 * One state around a cut. A quarter keep nothing unsynced (the worst case for
 * durability), a quarter keep everything begun (the most for recovery to
 * check), the rest pick per file; half of the files that keep an unsynced
 * write have it torn.
 */
export function sampleChoice(model: CrashModel, f: CutFacts, r: Random): Choice {
  const style = r();
  const metaPrefix = style < 0.25 ? f.metaForcedPrefix : style < 0.5 ? f.metaStarted : int(r, f.metaForcedPrefix, Math.max(f.metaForcedPrefix, f.metaStarted));
  const kept: Choice['kept'] = new Map();
  model.rec.inodes.forEach((_, i) => {
    const max = model.maxExtra(f, i, metaPrefix);
    const extra = style < 0.25 ? 0 : style < 0.5 ? max : int(r, 0, max);
    const torn = extra > 0 && model.rec.inodes[i]!.ops[f.synced[i]! + extra - 1]!.kind === 'write' && r() < 0.5;
    kept.set(i, { synced: f.synced[i]!, extra, tear: torn ? TEARS[int(r, 0, 2)]! : null, tearSeed: int(r, 1, 0x7ffffffe) });
  });
  return { cut: f.cut, metaPrefix, forced: f.metaForced, kept };
}

/** Where a power cut may fall: just before each line where something the model tracks began or ended, and at the end. */
export function cutPoints(model: CrashModel): number[] {
  const { rec } = model;
  const at = new Set<number>([rec.end]);
  const add = (entry: number, exit: number): void => {
    at.add(entry);
    if (Number.isFinite(exit)) at.add(exit + 1);
  };
  for (const n of rec.inodes) for (const op of n.ops) add(op.entry, op.exit);
  for (const s of rec.syncs) add(s.entry, s.exit);
  for (const m of rec.meta) add(m.entry, m.exit);
  for (const l of rec.lines) add(l.at, l.at);
  return [...at].sort((a, b) => a - b);
}

/** A short description of a state, for a failure message. */
export function describeChoice(model: CrashModel, c: Choice): string {
  const files: string[] = [];
  for (const [i, k] of c.kept) {
    const inode = model.rec.inodes[i]!;
    if (inode.ops.length === 0) continue;
    const path = model.rec.meta[inode.createdBy]!.path;
    if (k.extra > 0 || k.synced < inode.ops.length) files.push(`${path}: ${k.synced} synced + ${k.extra}${k.tear ? ` (${k.tear} ${k.tearSeed})` : ''} of ${inode.ops.length}`);
  }
  return `cut before trace line ${c.cut + 1}; metadata ops ${c.metaPrefix}/${model.rec.meta.length}${c.forced.size ? ` (+${c.forced.size} forced)` : ''}; ${files.join('; ')}`;
}
