// Seeded mutations of a valid protobuf request: on the wire tree
// (protobuf-wire.ts), aimed by the schema (missing and empty fields, huge
// and badly encoded strings, huge bytes, absurd numbers, enum values that
// do not exist, wire types that lie, unknown fields and groups, lengths that
// lie, fields repeated thousands of times), then on the bytes (cuts, flips,
// random bytes, a message past the server's receive limit).
import type { Prng } from '../helpers/prng.js';
import { encodeWire, flatten, overlongVarint, tagBytes, varintBytes, type WireNode } from './protobuf-wire.js';

const MiB = 1024 * 1024;

/** Numbers at the edges of what int32, int64 and their unsigned kin hold, and just past them. */
export const EDGE_NUMBERS: readonly bigint[] = [
  0n, 1n, -1n, 2n, 7n, 31n, 32n, 33n, 999n, 1000n, 1001n, 65535n, 65536n,
  2n ** 31n - 1n, 2n ** 31n, -(2n ** 31n), 2n ** 32n - 1n, 2n ** 32n,
  2n ** 53n, 2n ** 53n + 1n, 2n ** 63n - 1n, -(2n ** 63n), 2n ** 64n - 1n,
  43_200n, 43_201n, 300n, 301n, 86_400_000n, 315_537_897_599n, 315_537_897_600n, -62_135_596_800n, -62_135_596_801n,
  999_999_999n, 1_000_000_000n, -999_999_999n, -1_000_000_000n,
];

/** Byte sequences no UTF-8 decoder may accept. */
const BAD_UTF8: readonly number[][] = [
  [0xff], [0xfe, 0xff], [0x80], [0xc0, 0x80], [0xc3], [0xe2, 0x82], [0xed, 0xa0, 0x80], [0xed, 0xbf, 0xbf], [0xf4, 0x90, 0x80, 0x80],
  [0xf8, 0x88, 0x80, 0x80, 0x80], [0xe0, 0x80, 0xaf], [0xc1, 0xbf], [0x00], [0xef, 0xbf, 0xbe],
];

export interface MutationLimits {
  /** The server's receive limit: 'oversized' goes past it. */
  maxReceiveBytes: number;
}

export interface Mutated {
  bytes: Buffer;
  mutations: string[];
}

function pickNode(rng: Prng, tree: WireNode[], want: (n: WireNode) => boolean): { node: WireNode; siblings: WireNode[] } | null {
  const all = flatten(tree).filter((e) => want(e.node));
  return all.length === 0 ? null : rng.pick(all);
}

/** A container to insert into: the root or a nested message. */
function pickContainer(rng: Prng, tree: WireNode[]): WireNode[] {
  const nested = flatten(tree).filter((e) => e.node.children !== undefined).map((e) => e.node.children!);
  return rng.chance(0.4) || nested.length === 0 ? tree : rng.pick(nested);
}

function hugeString(rng: Prng): Buffer {
  const n = rng.weighted([[4, 256], [3, 4096], [2, 32_768], [2, 65_536], [1, 1 * MiB], [1, 3 * MiB]]);
  switch (rng.int(4)) {
    case 0:
      return Buffer.alloc(n, 'a');
    case 1:
      return Buffer.from('é'.repeat(Math.floor(n / 2)));
    case 2:
      return Buffer.from('😀'.repeat(Math.floor(n / 4)));
    default: {
      const b = rng.bytes(Math.min(n, 65_536));
      for (let i = 0; i < b.length; i++) b[i] = 0x20 + (b[i]! % 95);
      return b;
    }
  }
}

function badUtf8(rng: Prng, original: Buffer | undefined): Buffer {
  const bad = Buffer.from(rng.pick(BAD_UTF8));
  const base = original ?? Buffer.alloc(0);
  const at = rng.int(base.length + 1);
  return Buffer.concat([base.subarray(0, at), bad, rng.chance(0.5) ? base.subarray(at) : Buffer.alloc(0)]);
}

function randomPayload(rng: Prng, wt: number): Partial<WireNode> {
  if (wt === 0) return { varint: rng.pick(EDGE_NUMBERS) };
  if (wt === 1) return { data: rng.bytes(8) };
  if (wt === 5) return { data: rng.bytes(4) };
  return { data: rng.bytes(rng.int(64)) };
}

function cloneNode(n: WireNode): WireNode {
  return { ...n, children: n.children?.map(cloneNode) };
}

type TreeMutation = (rng: Prng, tree: WireNode[]) => boolean;

const TREE_MUTATIONS: readonly (readonly [number, string, TreeMutation])[] = [
  [8, 'drop', (rng, tree) => {
    const p = pickNode(rng, tree, () => true);
    if (!p) return false;
    p.siblings.splice(p.siblings.indexOf(p.node), 1);
    return true;
  }],
  [4, 'duplicate', (rng, tree) => {
    const p = pickNode(rng, tree, () => true);
    if (!p) return false;
    p.siblings.splice(p.siblings.indexOf(p.node), 0, cloneNode(p.node));
    return true;
  }],
  [5, 'empty', (rng, tree) => {
    const p = pickNode(rng, tree, (n) => n.wt === 2);
    if (!p) return false;
    if (p.node.children) p.node.children = [];
    else p.node.data = Buffer.alloc(0);
    return true;
  }],
  [3, 'hugeString', (rng, tree) => {
    const p = pickNode(rng, tree, (n) => n.info?.kind === 'string');
    if (!p) return false;
    p.node.data = hugeString(rng);
    return true;
  }],
  [8, 'badUtf8', (rng, tree) => {
    const p = pickNode(rng, tree, (n) => n.info?.kind === 'string');
    if (!p) return false;
    p.node.data = badUtf8(rng, p.node.data);
    return true;
  }],
  [2, 'hugeBytes', (rng, tree) => {
    const p = pickNode(rng, tree, (n) => n.info?.kind === 'bytes');
    if (!p) return false;
    // The largest body a message may have with the default message.max.bytes (stored), one byte more (refused), or far more.
    p.node.data = Buffer.alloc(rng.weighted([[4, 65_536], [1, MiB + 12 - 64 * 1024], [3, MiB + 12 - 64 * 1024 + 1], [2, 3 * MiB]]), rng.int(256));
    return true;
  }],
  [12, 'absurdNumber', (rng, tree) => {
    const p = pickNode(rng, tree, (n) => n.wt === 0 || n.wt === 1 || n.wt === 5);
    if (!p) return false;
    if (p.node.wt === 0) p.node.varint = rng.chance(0.8) ? rng.pick(EDGE_NUMBERS) : BigInt(rng.u32()) * BigInt(rng.u32());
    else if (p.node.wt === 1) p.node.data = rng.pick([Buffer.from('000000000000f07f', 'hex'), Buffer.from('000000000000f8ff', 'hex'), Buffer.from('ffffffffffffffff', 'hex'), rng.bytes(8)]);
    else p.node.data = rng.pick([Buffer.from('0000807f', 'hex'), Buffer.from('0000c0ff', 'hex'), Buffer.from('ffff7fff', 'hex'), rng.bytes(4)]);
    return true;
  }],
  [6, 'badEnum', (rng, tree) => {
    const p = pickNode(rng, tree, (n) => n.info?.kind === 'enum' && n.wt === 0);
    if (!p) return false;
    const known = new Set(p.node.info!.values);
    let v: bigint;
    do v = rng.pick([-1n, 3n, 5n, 17n, 99n, 2n ** 31n - 1n, -(2n ** 31n), 40_000n, BigInt(rng.int(60_000))]);
    while (known.has(Number(v)));
    p.node.varint = v;
    return true;
  }],
  [3, 'overlongVarint', (rng, tree) => {
    const p = pickNode(rng, tree, (n) => n.wt === 0 && !n.raw);
    if (!p) return false;
    // Ten bytes decode (the tenth holds bit 63); eleven do not.
    p.node.raw = Buffer.concat([tagBytes(p.node.no, 0), overlongVarint(p.node.varint ?? 0n, rng.chance(0.7) ? 10 : 11)]);
    return true;
  }],
  [4, 'wrongWireType', (rng, tree) => {
    const p = pickNode(rng, tree, (n) => !n.raw);
    if (!p) return false;
    const wt = rng.pick([0, 1, 2, 5].filter((w) => w !== p.node.wt));
    p.siblings[p.siblings.indexOf(p.node)] = { no: p.node.no, wt, ...randomPayload(rng, wt) };
    return true;
  }],
  [8, 'unknownField', (rng, tree) => {
    const into = pickContainer(rng, tree);
    const no = rng.pick([15, 16, 99, 1000, 19_000, 19_999, 2 ** 29 - 1, rng.range(10, 5000)]);
    const kind = rng.int(10);
    let node: WireNode;
    if (kind < 6) {
      const wt = rng.pick([0, 1, 2, 5]);
      node = { no, wt, ...randomPayload(rng, wt) };
    } else if (kind < 8) {
      // A group (wire types 3 and 4, deprecated): nested a little or very deep.
      const depth = rng.pick([1, 3, 100, 5000]);
      node = { no, wt: 3, raw: Buffer.concat([...Array.from({ length: depth }, () => tagBytes(no, 3)), ...Array.from({ length: depth }, () => tagBytes(no, 4))]) };
    } else if (kind === 8) {
      node = { no, wt: 6, raw: Buffer.concat([tagBytes(no, rng.pick([6, 7])), rng.bytes(4)]) };
    } else {
      node = { no: 0, wt: 0, raw: Buffer.concat([tagBytes(0, rng.pick([0, 2])), Buffer.from([0])]) };
    }
    into.splice(rng.int(into.length + 1), 0, node);
    return true;
  }],
  [4, 'lengthLie', (rng, tree) => {
    const p = pickNode(rng, tree, (n) => n.wt === 2 && !n.raw);
    if (!p) return false;
    const payload = p.node.children ? encodeWire(p.node.children) : (p.node.data ?? Buffer.alloc(0));
    const lie = rng.pick([payload.length + 1, payload.length + 1000, Math.max(0, payload.length - 1), 2 ** 31 - 1, 2 ** 32 + 5]);
    p.node.raw = Buffer.concat([tagBytes(p.node.no, 2), varintBytes(BigInt(lie)), payload]);
    return true;
  }],
  [3, 'repeatMany', (rng, tree) => {
    const p = pickNode(rng, tree, (n) => n.info?.repeated === true || n.info?.kind === 'message');
    if (!p) return false;
    // Encoded once and repeated as bytes: the tree stays small.
    const one = encodeWire([p.node]);
    const times = Math.min(rng.weighted([[4, 100], [3, 1000], [2, 10_000], [1, 100_000]]), Math.floor(MiB / Math.max(1, one.length)));
    p.siblings.splice(p.siblings.indexOf(p.node), 0, { no: p.node.no, wt: p.node.wt, raw: Buffer.concat(Array.from({ length: times }, () => one)) });
    return true;
  }],
];

const BIG = new Set(['hugeString', 'hugeBytes', 'repeatMany']);
const TREE_TABLE = TREE_MUTATIONS.map(([w, name, fn]) => [w, { name, fn }] as const);

/**
 * Mutates a valid encoding: usually one to three tree mutations, sometimes
 * a byte-level one on top, or the whole message replaced.
 */
export function mutate(rng: Prng, tree: WireNode[], limits: MutationLimits): Mutated {
  const mutations: string[] = [];
  const whole = rng.int(100);
  if (whole < 3) return { bytes: rng.bytes(rng.int(2048)), mutations: ['randomBytes'] };
  if (whole < 4 && rng.chance(0.5)) {
    // Past the server's receive limit: a bytes field nobody knows, so the size alone is wrong.
    const over = limits.maxReceiveBytes + rng.pick([1, 1000, 1 * MiB, 3 * MiB]);
    const base = encodeWire(tree);
    const head = (pad: number): Buffer => Buffer.concat([tagBytes(9999, 2), varintBytes(BigInt(pad))]);
    let pad = over - base.length - head(over).length;
    pad += over - (base.length + head(pad).length + pad);
    return { bytes: Buffer.concat([base, head(pad), Buffer.alloc(pad, 0x61)]), mutations: ['oversized'] };
  }
  const n = rng.weighted([[6, 1], [3, 2], [1, 3]]);
  let big = false;
  for (let i = 0; i < n; i++) {
    const m = rng.weighted(TREE_TABLE);
    // One mutation that makes the request large at most: stacked, they multiply.
    if (BIG.has(m.name) && big) continue;
    big ||= BIG.has(m.name);
    for (let tries = 0; tries < 3; tries++) {
      if (m.fn(rng, tree)) {
        mutations.push(m.name);
        break;
      }
    }
  }
  let bytes = encodeWire(tree);
  const tail = rng.int(100);
  if (tail < 8 && bytes.length > 1) {
    bytes = bytes.subarray(0, rng.int(bytes.length));
    mutations.push('truncate');
  } else if (tail < 14 && bytes.length > 0) {
    bytes = Buffer.from(bytes);
    for (let k = rng.range(1, 8); k > 0; k--) {
      const at = rng.int(bytes.length);
      bytes[at] = bytes[at]! ^ (1 << rng.int(8));
    }
    mutations.push('flip');
  }
  if (mutations.length === 0) mutations.push('none');
  return { bytes, mutations };
}
