// Seeded pseudo-random numbers for the lab's random choices (when to kill a
// broker, how much load comes first), so a run that found something can be
// run again the same way. Each use draws from its own stream (the run's seed
// mixed with a name), so adding a scenario or a draw elsewhere does not
// shift the numbers another scenario sees.
import { randomInt } from 'node:crypto';

export interface Random {
  /** Uniform in [0, 1). */
  next(): number;
  /** Uniform integer in [lo, hi]. */
  int(lo: number, hi: number): number;
}

/** A seed for a run that was given none: printed and recorded, so it can be given back. */
export function freshSeed(): number {
  return randomInt(1, 2 ** 31);
}

/** sfc32 seeded from (seed, stream): small, fast and well mixed; not for secrets. */
export function seededRandom(seed: number, stream: string): Random {
  let a = seed >>> 0;
  let b = fnv1a(stream);
  let c = (Math.floor(seed / 2 ** 32) ^ 0x9e3779b9) >>> 0;
  let d = 1;
  const next32 = (): number => {
    const t = (((a + b) >>> 0) + d) >>> 0;
    d = (d + 1) >>> 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) >>> 0;
    c = ((c << 21) | (c >>> 11)) >>> 0;
    c = (c + t) >>> 0;
    return t;
  };
  // The first outputs of sfc32 still echo the seed.
  for (let i = 0; i < 15; i++) next32();
  const next = (): number => next32() / 2 ** 32;
  return { next, int: (lo, hi) => lo + Math.floor(next() * (hi - lo + 1)) };
}

function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}
