// HPACK Huffman strings (RFC 7541 §5.2). Decoding is table-driven, one input
// octet per lookup: a state is an internal node of the code tree (256 of them,
// the root is 0), and DECODE[state << 8 | octet] says where those 8 bits lead
// and which symbols (at most two: codes are 5 bits or longer) they complete.
// The table is built once at load from the code table, by way of 4-bit steps.
import { HUFFMAN_CODES, HUFFMAN_EOS } from './huffman-table.js';

/** Thrown for EOS in a string or bad padding; hpack.ts turns it into an HpackError. */
export class HuffmanError extends Error {
  override name = 'HuffmanError';
}

const codeOf = (sym: number): number => HUFFMAN_CODES[sym * 2]!;
const lengthOf = (sym: number): number => HUFFMAN_CODES[sym * 2 + 1]!;

// Entry layout of the transition tables.
const NEXT_MASK = 0xff;
const SYM1_SHIFT = 8;
const SYM2_SHIFT = 16;
const COUNT_SHIFT = 24;
const FAIL = 1 << 26;

/** A state where the string may end: the root, or up to 7 one-bits into EOS (valid padding). */
const ACCEPTING = new Uint8Array(256);
const DECODE = new Int32Array(256 * 256);

function build(): void {
  // The tree: internal nodes 0..255, children as node ids or ~symbol for leaves.
  const EMPTY = 0x7fffffff;
  const child = new Int32Array(256 * 2).fill(EMPTY);
  let nodes = 1;
  for (let sym = 0; sym <= HUFFMAN_EOS; sym++) {
    const code = codeOf(sym);
    let node = 0;
    for (let bit = lengthOf(sym) - 1; bit >= 0; bit--) {
      const slot = node * 2 + ((code >>> bit) & 1);
      if (bit === 0) child[slot] = ~sym;
      else node = child[slot] === EMPTY ? (child[slot] = nodes++) : child[slot]!;
    }
  }
  if (nodes !== 256) throw new Error(`Huffman table: ${nodes} internal nodes, 256 expected`);

  let node = 0;
  ACCEPTING[0] = 1;
  for (let depth = 1; depth <= 7; depth++) ACCEPTING[(node = child[node * 2 + 1]!)] = 1;

  // 4-bit steps: a nibble completes at most one symbol.
  const step = new Int32Array(256 * 16);
  for (let state = 0; state < 256; state++) {
    for (let nibble = 0; nibble < 16; nibble++) {
      let at = state;
      let entry = 0;
      for (let bit = 3; bit >= 0; bit--) {
        const next = child[at * 2 + ((nibble >>> bit) & 1)]!;
        if (next >= 0) {
          at = next;
          continue;
        }
        if (~next === HUFFMAN_EOS) entry |= FAIL;
        else entry |= (~next << SYM1_SHIFT) | (1 << COUNT_SHIFT);
        at = 0;
      }
      step[state * 16 + nibble] = entry | at;
    }
  }
  for (let state = 0; state < 256; state++) {
    for (let octet = 0; octet < 256; octet++) {
      const hi = step[state * 16 + (octet >>> 4)]!;
      const lo = step[(hi & NEXT_MASK) * 16 + (octet & 15)]!;
      let entry = (lo & NEXT_MASK) | ((hi | lo) & FAIL);
      const hiCount = (hi >>> COUNT_SHIFT) & 3;
      const loCount = (lo >>> COUNT_SHIFT) & 3;
      if (hiCount) entry |= hi & (0xff << SYM1_SHIFT);
      if (loCount) entry |= ((lo >>> SYM1_SHIFT) & 0xff) << (hiCount ? SYM2_SHIFT : SYM1_SHIFT);
      DECODE[(state << 8) | octet] = entry | ((hiCount + loCount) << COUNT_SHIFT);
    }
  }
}
build();

// Decoded strings are written here first: reused up to this size, so the
// common case allocates nothing but the string itself.
const KEEP_SCRATCH = 64 * 1024;
let scratch = Buffer.allocUnsafe(4096);

interface Latin1Slicer {
  latin1Slice(start: number, end: number): string;
}
/** Buffer's own latin1Slice skips toString's argument handling (measurable per field); toString where it is missing. */
export const latin1: (buf: Buffer, start: number, end: number) => string =
  typeof (Buffer.prototype as unknown as Partial<Latin1Slicer>).latin1Slice === 'function'
    ? (buf, start, end) => (buf as unknown as Latin1Slicer).latin1Slice(start, end)
    : (buf, start, end) => buf.toString('latin1', start, end);

/**
 * Decodes src[start, end) as a Huffman string into latin1 (one char per
 * octet). The output is at most 8/5 of the input (the shortest code is 5
 * bits), which bounds what a hostile string can make us allocate.
 */
export function huffmanDecode(src: Buffer, start: number, end: number): string {
  const most = (((end - start) * 8) / 5) | 0;
  let out = scratch;
  if (most > out.length) {
    out = Buffer.allocUnsafe(most);
    if (most <= KEEP_SCRATCH) scratch = out;
  }
  let state = 0;
  let n = 0;
  for (let i = start; i < end; i++) {
    const entry = DECODE[(state << 8) | src[i]!]!;
    if (entry >= FAIL) throw new HuffmanError('EOS inside a Huffman string');
    if (entry >= 1 << COUNT_SHIFT) {
      out[n++] = entry >>> SYM1_SHIFT;
      if (entry >= 2 << COUNT_SHIFT) out[n++] = entry >>> SYM2_SHIFT;
    }
    state = entry & NEXT_MASK;
  }
  if (ACCEPTING[state] === 0) throw new HuffmanError('Huffman padding is not 0 to 7 one-bits');
  return latin1(out, 0, n);
}

/** Octets huffmanEncode will produce for `s` (chars above 0xff are taken modulo 256, as latin1 does). */
export function huffmanEncodedLength(s: string): number {
  let bits = 0;
  for (let i = 0; i < s.length; i++) bits += lengthOf(s.charCodeAt(i) & 0xff);
  return (bits + 7) >>> 3;
}

/** Writes `s` Huffman-coded at dst[offset]; returns the offset after it. Not on the hot path (encodeHeaders uses none). */
export function huffmanEncode(s: string, dst: Buffer, offset: number): number {
  let acc = 0; // pending bits, fewer than 8 between symbols
  let pending = 0;
  let o = offset;
  for (let i = 0; i < s.length; i++) {
    const sym = s.charCodeAt(i) & 0xff;
    const len = lengthOf(sym);
    // Up to 7 + 30 bits: kept exact as a double, not a 32-bit int.
    acc = acc * 2 ** len + codeOf(sym);
    pending += len;
    while (pending >= 8) {
      pending -= 8;
      const div = 2 ** pending;
      dst[o++] = Math.floor(acc / div) & 0xff;
      acc %= div;
    }
  }
  if (pending > 0) dst[o++] = (acc << (8 - pending)) | (0xff >>> pending);
  return o;
}
