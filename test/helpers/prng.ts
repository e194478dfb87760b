// A small seeded PRNG (sfc32) for fuzz tests: every random choice comes from
// it, so a run is reproduced by its seed alone. Math.random is never used.

export class Prng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(readonly seed: number) {
    // splitmix32 spreads a small seed over the whole state.
    let s = seed >>> 0;
    const next = (): number => {
      s = (s + 0x9e3779b9) >>> 0;
      let z = s;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.a = next();
    this.b = next();
    this.c = next();
    this.d = next();
    for (let i = 0; i < 12; i++) this.u32();
  }

  u32(): number {
    const t = (((this.a + this.b) >>> 0) + this.d) >>> 0;
    this.d = (this.d + 1) >>> 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) >>> 0;
    this.c = ((this.c << 21) | (this.c >>> 11)) >>> 0;
    this.c = (this.c + t) >>> 0;
    return t;
  }

  /** An integer in [0, n). */
  int(n: number): number {
    return Math.floor((this.u32() / 0x1_0000_0000) * n);
  }

  /** An integer in [min, max]. */
  range(min: number, max: number): number {
    return min + this.int(max - min + 1);
  }

  chance(p: number): boolean {
    return this.u32() / 0x1_0000_0000 < p;
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }

  /** Picks by weight: [[weight, value], ...]. */
  weighted<T>(table: readonly (readonly [number, T])[]): T {
    let total = 0;
    for (const [w] of table) total += w;
    let x = this.u32() / 0x1_0000_0000 * total;
    for (const [w, v] of table) {
      if ((x -= w) < 0) return v;
    }
    return table[table.length - 1]![1];
  }

  bytes(n: number): Buffer {
    const b = Buffer.allocUnsafe(n);
    for (let i = 0; i < n; i++) b[i] = this.u32() & 0xff;
    return b;
  }

  /** A new generator seeded from this one: independent streams that stay reproducible. */
  fork(): Prng {
    return new Prng(this.u32());
  }
}

/**
 * The seed of a fuzz run: `envVar` if set (to reproduce a run), else a
 * fresh one. Printed either way, so a failure can always be replayed.
 */
export function fuzzSeed(envVar: string, what: string): number {
  const given = process.env[envVar];
  const seed = given !== undefined && given !== '' ? Number(given) >>> 0 : (Date.now() ^ (process.pid << 16)) >>> 0;
  if (given !== undefined && given !== '' && !/^\d+$/.test(given)) throw new Error(`${envVar} must be an unsigned integer, got "${given}"`);
  console.log(`${what}: seed ${seed} (reproduce with ${envVar}=${seed})`);
  return seed;
}

/** A positive integer from the environment, or `fallback`. */
export function envCount(envVar: string, fallback: number): number {
  const v = process.env[envVar];
  if (v === undefined || v === '') return fallback;
  if (!/^\d+$/.test(v) || Number(v) < 1) throw new Error(`${envVar} must be a positive integer, got "${v}"`);
  return Number(v);
}
