// Mutations of one request frame (its body; the size prefix is computed
// when sending, and lied about only in stream-tails.ts). Blind ones (bit
// flips, truncation, insertion, splicing) and aimed ones: lengths and
// counts that lie, varints that overflow, tagged sections of garbage,
// headers naming APIs and versions not served, and record batches that lie.
import type { Prng } from '../helpers/prng.js';
import { mutateBatch } from './batch-mutators.js';
import type { LengthSite, StringSite, ValueSite } from './sites.js';
import type { PoolSeed } from './seed-pool.js';

export interface Mutated {
  bytes: Buffer;
  /** The mutation's name, for the run's statistics and for replaying a finding. */
  name: string;
}

type FrameMutator = (frame: Buffer, seed: PoolSeed, rng: Prng, pool: readonly PoolSeed[]) => Buffer | Mutated | null;

function uvarint(value: number): Buffer {
  const out: number[] = [];
  let v = value;
  while (v >= 0x80) {
    out.push((v % 0x80) | 0x80);
    v = Math.floor(v / 0x80);
  }
  out.push(v);
  return Buffer.from(out);
}

function flipBit(b: Buffer, at: number, rng: Prng): void {
  b[at] = b[at]! ^ (1 << rng.int(8));
}

function splice(frame: Buffer, at: number, removed: number, inserted: Buffer): Buffer {
  return Buffer.concat([frame.subarray(0, at), inserted, frame.subarray(at + removed)]);
}

function pickSite(seed: PoolSeed, rng: Prng, filter: (s: LengthSite) => boolean): LengthSite | null {
  const sites = seed.sites.lengths.filter(filter);
  return sites.length === 0 ? null : rng.pick(sites);
}

const INTERESTING: readonly Buffer[] = [
  [0x00],
  [0xff],
  [0x7f],
  [0x80],
  [0x00, 0x00],
  [0xff, 0xff],
  [0x7f, 0xff],
  [0x80, 0x00],
  [0x00, 0x00, 0x00, 0x00],
  [0xff, 0xff, 0xff, 0xff],
  [0x7f, 0xff, 0xff, 0xff],
  [0x80, 0x00, 0x00, 0x00],
  [0x00, 0x00, 0x01, 0x00],
  [0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff],
  [0x80, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00],
].map((a) => Buffer.from(a));

/** A length that lies: null where none may be, negative, zero, one past, huge. */
function lyingValue(site: LengthSite, remaining: number, rng: Prng): number {
  const honest = site.value;
  if (site.kind === 'int16') return rng.pick([-2, -1, -0x8000, 0, honest - 1, honest + 1, 0x7fff, Math.min(remaining + 1, 0x7fff)]);
  if (site.kind === 'int32') {
    return rng.pick([-2, -1, -0x8000_0000, 0, honest - 1, honest + 1, 0x7fff_ffff, 0x4000_0000, remaining + 1, 1_000_000_000]);
  }
  // Compact: the varint holds length + 1, and 0 is null.
  return rng.pick([0, 1, honest - 1, honest + 1, remaining + 2, 0x7fff_ffff, 0x8000_0000, 0x8000_0001, 0xffff_ffff, 0x1_0000_0000 - 2]);
}

function writeSite(frame: Buffer, site: LengthSite, value: number): Buffer {
  if (site.kind === 'int16') {
    frame.writeInt16BE(value, site.at);
    return frame;
  }
  if (site.kind === 'int32') {
    frame.writeInt32BE(value, site.at);
    return frame;
  }
  return splice(frame, site.at, site.width, uvarint(Math.max(value, 0)));
}

/** A value of `width` bytes at the edges: zero, minus one, the extremes, one past them. */
function interestingValue(width: ValueSite['width'], rng: Prng): Buffer {
  const b = Buffer.alloc(width);
  switch (rng.int(7)) {
    case 0:
      break;
    case 1:
      b.fill(0xff);
      break;
    case 2:
      b.fill(0xff);
      b[0] = 0x7f;
      break;
    case 3:
      b[0] = 0x80;
      break;
    case 4:
      b[width - 1] = 1;
      break;
    case 5:
      // Just past a small value, or one below: off-by-one territory.
      b[width - 1] = rng.pick([2, 3, 7, 8, 0xfe]);
      break;
    default:
      rng.bytes(width).copy(b);
  }
  return b;
}

/** String contents that a topic, group or config name must not be, or barely may be. */
function interestingString(rng: Prng): Buffer {
  const pick = rng.int(12);
  switch (pick) {
    case 0:
      return Buffer.alloc(0);
    case 1:
      return Buffer.from(rng.pick(['.', '..', '../x', '/', 'a/b', '\\', 'con', '__consumer_offsets', ' ', 'a b', 'ä']));
    case 2:
      return Buffer.alloc(rng.pick([248, 249, 250, 255, 256, 1000]), 'a');
    case 3:
      return Buffer.alloc(rng.pick([4096, 32767]), 'z');
    case 4:
      return Buffer.from([0x00]);
    case 5:
      // Not UTF-8: lone continuation bytes, an overlong form, a surrogate.
      return Buffer.from(rng.pick([[0x80], [0xc0, 0xaf], [0xed, 0xa0, 0x80], [0xff, 0xfe]]));
    case 6:
      return Buffer.from('fz-a\u0000x');
    default:
      // Text, sometimes beyond ASCII: the broker must refuse such names without choking on them.
      return Buffer.from(Array.from({ length: rng.range(1, 24) }, () => String.fromCodePoint(rng.pick([0x20 + rng.int(95), 0xa0 + rng.int(0x700), 0x4e00 + rng.int(0x5000), 0x1f600 + rng.int(80)]))).join(''));
  }
}

function replaceString(frame: Buffer, s: StringSite, content: Buffer): Buffer {
  const l = s.length;
  const length =
    l.kind === 'int16' ? Buffer.from([(content.length >> 8) & 0xff, content.length & 0xff]) : uvarint(content.length + 1);
  return Buffer.concat([frame.subarray(0, l.at), length, content, frame.subarray(s.to)]);
}

const MUTATORS: Record<string, readonly [weight: number, FrameMutator]> = {
  valueEdges: [
    30,
    (f, s, rng) => {
      const sites = s.sites.values.filter((v) => v.at >= s.headerEnd);
      if (sites.length === 0) return null;
      for (let i = rng.weighted([[6, 1], [2, 2], [1, 3]]); i > 0; i--) {
        const site = rng.pick(sites);
        interestingValue(site.width, rng).copy(f, site.at);
      }
      return f;
    },
  ],
  valueFlips: [
    10,
    (f, s, rng) => {
      const sites = s.sites.values.filter((v) => v.at >= s.headerEnd);
      if (sites.length === 0) return null;
      const site = rng.pick(sites);
      flipBit(f, site.at + rng.int(site.width), rng);
      return f;
    },
  ],
  stringContent: [
    12,
    (f, s, rng) => {
      if (s.sites.strings.length === 0) return null;
      const site = rng.pick(s.sites.strings);
      const content = interestingString(rng);
      // Past an int16 length's range the length is a lie, which is a mutation too.
      return replaceString(f, site, site.length.kind === 'int16' && content.length > 0x7fff ? content.subarray(0, 0x7fff) : content);
    },
  ],
  bitFlips: [
    5,
    (f, s, rng) => {
      const n = rng.weighted([[6, 1], [3, 2], [2, 4], [1, 8]]);
      // Mostly past the header: flips there reach the body's fields.
      const from = rng.chance(0.85) ? Math.min(s.headerEnd, f.length - 1) : 0;
      for (let i = 0; i < n; i++) flipBit(f, from + rng.int(f.length - from), rng);
      return f;
    },
  ],
  truncate: [2, (f, _s, rng) => f.subarray(0, rng.int(f.length))],
  trailingGarbage: [1, (f, _s, rng) => Buffer.concat([f, rng.bytes(rng.range(1, 32))])],
  insertBytes: [1, (f, _s, rng) => splice(f, rng.int(f.length + 1), 0, rng.bytes(rng.range(1, 8)))],
  deleteBytes: [1, (f, _s, rng) => splice(f, rng.int(f.length), rng.range(1, 8), Buffer.alloc(0))],
  interesting: [
    3,
    (f, s, rng) => {
      const v = rng.pick(INTERESTING);
      const at = s.headerEnd + rng.int(Math.max(f.length - s.headerEnd - v.length + 1, 1));
      v.copy(f, Math.min(at, Math.max(f.length - v.length, 0)));
      return f;
    },
  ],
  lyingLength: [
    6,
    (f, s, rng) => {
      const site = pickSite(s, rng, () => true);
      return site && writeSite(f, site, lyingValue(site, f.length - site.at - site.width, rng));
    },
  ],
  hugeCount: [
    2,
    (f, s, rng) => {
      const site = pickSite(s, rng, (x) => x.role === 'array');
      if (!site) return null;
      const huge = rng.pick([0x7fff_ffff, 100_000_000, 1 << 20, Math.floor((f.length - site.at) / 2)]);
      return writeSite(f, site, site.kind === 'uvarint' ? huge + 1 : huge);
    },
  ],
  varintOverflow: [
    4,
    (f, s, rng) => {
      const site = pickSite(s, rng, (x) => x.kind === 'uvarint');
      if (!site) return null;
      const forms: Buffer[] = [
        // More than five bytes.
        Buffer.concat([Buffer.alloc(rng.range(5, 9), 0xff), Buffer.from([0x01])]),
        Buffer.concat([Buffer.alloc(rng.range(5, 9), 0x80), Buffer.from([0x00])]),
        // Five bytes whose last carries bits past 32.
        Buffer.from([0xff, 0xff, 0xff, 0xff, rng.range(0x10, 0x7f)]),
        // 2^32 - 1 and 2^31: lengths past int32 once the compact +1 is taken off.
        Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f]),
        Buffer.from([0x80, 0x80, 0x80, 0x80, 0x08]),
        // Never terminated.
        Buffer.alloc(Math.max(f.length - site.at, 1), 0xff),
      ];
      const form = rng.pick(forms);
      return form.length >= f.length - site.at ? Buffer.concat([f.subarray(0, site.at), form]) : splice(f, site.at, site.width, form);
    },
  ],
  taggedGarbage: [
    4,
    (f, s, rng) => {
      const site = pickSite(s, rng, (x) => x.role === 'tagged');
      if (!site) return null;
      const count = rng.pick([1, 2, 3, 127, 128, 100_000, 0xffff_ffff]);
      const parts: Buffer[] = [uvarint(count)];
      for (let i = 0; i < Math.min(count, 3); i++) {
        const data = rng.bytes(rng.range(0, 12));
        parts.push(uvarint(rng.pick([0, 1, 2, 3, 7, 127, 0x7fff_ffff, 0xffff_ffff])));
        parts.push(uvarint(rng.pick([data.length, data.length + 1, data.length + 100, 0xffff_ffff, 0])));
        parts.push(data);
      }
      return splice(f, site.at, site.width, Buffer.concat(parts));
    },
  ],
  spliceOther: [
    1,
    (f, _s, rng, pool) => {
      const other = rng.pick(pool).body;
      const from = rng.int(other.length);
      const piece = other.subarray(from, from + rng.range(1, 64));
      return splice(f, rng.int(f.length), rng.chance(0.5) ? piece.length : 0, piece);
    },
  ],
  repeatSlice: [
    1,
    (f, _s, rng) => {
      const at = rng.int(f.length);
      const piece = f.subarray(at, at + rng.range(1, 16));
      return splice(f, at, 0, Buffer.concat(Array.from({ length: rng.range(2, 64) }, () => piece)));
    },
  ],
  unservedApi: [
    1,
    (f, s, rng) => {
      const form = rng.int(3);
      if (form === 0) f.writeInt16BE(rng.pick([-1, 4, 5, 6, 7, 17, 21, 23, 45, 67, 1000, 0x7fff, rng.int(0x10000) - 0x8000]), 0);
      else if (form === 1) f.writeInt16BE(rng.pick([-1, -0x8000, 0x7fff, s.apiVersion + 20, 99]), 2);
      else {
        f.writeInt16BE(18, 0);
        f.writeInt16BE(rng.pick([4, 5, 100, 0x7fff, -1]), 2);
      }
      return f;
    },
  ],
  recordBatch: [
    10,
    (f, s, rng) => {
      if (s.batches.length === 0) return null;
      return mutateBatch(f, rng.pick(s.batches), rng);
    },
  ],
};

const TABLE = Object.entries(MUTATORS).map(([name, [weight]]) => [weight, name] as const);

/** Mutations aimed at what only some requests have, chosen often when a request has it. */
const FOR_BATCHES = ['recordBatch'];
const FOR_VARINTS = ['varintOverflow', 'taggedGarbage', 'lyingLength'];

/**
 * One mutation of `frame` (a fresh copy of `seed`'s request), sometimes
 * followed by a bit flip. A mutator that does not apply to this seed (no
 * varint, no batch) gives way to another. Requests with record batches or
 * varints are few among the seeds, so their own mutations are favoured.
 */
export function mutateFrame(frame: Buffer, seed: PoolSeed, rng: Prng, pool: readonly PoolSeed[]): Mutated {
  for (;;) {
    let name: string;
    if (seed.batches.length > 0 && rng.chance(0.5)) name = rng.pick(FOR_BATCHES);
    else if (seed.sites.lengths.some((l) => l.kind === 'uvarint') && rng.chance(0.5)) name = rng.pick(FOR_VARINTS);
    else name = rng.weighted(TABLE);
    const r = MUTATORS[name]![1](frame, seed, rng, pool);
    if (r === null) continue;
    const out = Buffer.isBuffer(r) ? { bytes: r, name } : r;
    if (out.bytes.length > 0 && rng.chance(0.1)) {
      flipBit(out.bytes, rng.int(out.bytes.length), rng);
      out.name += '+flip';
    }
    return out;
  }
}
