// A receive's window on a queue's tag codes (the commit log's consume-queue
// slots, the segmented engine's .tags index): read in steps, so a scan
// passes over records that cannot match without reading the log.
import type { Broker } from '../broker.js';

/**
 * Tag codes read from the index per step: the first step small, as a
 * receive of matching records uses few, then doubling while it passes over
 * ones that do not match.
 */
const FIRST_CODES = 64;
/** A window before its first read (shared: never written), so a receive that reads no codes allocates none. */
const NO_CODES = new BigInt64Array(0);
const MAX_CODES = 4096;

/**
 * Tag codes of a queue from the engine's index, read a growing step at a
 * time and kept while one receive scans, so a run of matching records costs
 * one index read, not one each.
 */
export class CodeWindow {
  private from = 0n;
  private codes: BigInt64Array = NO_CODES;
  private step = FIRST_CODES;

  constructor(private readonly engine: Broker['engine'], private readonly tp: { topic: string; partition: number }) {}

  private at(offset: bigint, hw: bigint): bigint | null {
    if (offset < this.from || offset >= this.from + BigInt(this.codes.length)) {
      const n = hw - offset < BigInt(this.step) ? Number(hw - offset) : this.step;
      this.codes = this.engine.tagCodes!(this.tp, offset, n);
      this.from = offset;
      this.step = Math.min(MAX_CODES, this.step * 2);
      if (this.codes.length === 0) return null;
    }
    return this.codes[Number(offset - this.from)]!;
  }

  /** The first offset from `offset` whose code may match (or hw, or where the index gives no codes). */
  nextMayMatch(offset: bigint, hw: bigint, mayMatch: (code: bigint) => boolean): bigint {
    let o = offset;
    for (; o < hw; o++) {
      const c = this.at(o, hw);
      if (c === null || mayMatch(c)) return o;
    }
    return o;
  }

  /** How many records from `offset` on may match, within the window. */
  runLength(offset: bigint, hw: bigint, mayMatch: (code: bigint) => boolean): number {
    let n = 0;
    for (let o = offset; o < hw && o < this.from + BigInt(this.codes.length); o++, n++) {
      const c = this.at(o, hw);
      if (c === null || !mayMatch(c)) break;
    }
    return Math.max(1, n);
  }
}
