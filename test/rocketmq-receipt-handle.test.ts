// parseHandle reads receipt handles without a regular expression: it takes
// exactly what HANDLE matches, with the same parts, for issued handles and
// for every kind of near miss.
import { describe, expect, it } from 'vitest';
import { ackHandles, HANDLE, handleOf, parseHandle, ReceiptHandles } from '../src/broker/rocketmq/receipt-handle.js';
import { native } from '../src/native/addon.js';

/** ackHandles reads an ASCII handle from bytes (inside a larger buffer, as an ack request carries it) as parseHandle reads its text. */
function agreesFromBytes(h: string, want: ReturnType<typeof parseHandle>): number {
  if (!/^[\x00-\x7f]*$/.test(h)) return 0;
  const b = Buffer.from(`\x12${h}1.`, 'latin1');
  const got = ackHandles(b, 1, () => 1, () => 1 + h.length)(0);
  expect(got === null ? null : { ...got }, `bytes ${JSON.stringify(h)}`).toEqual(want);
  return 1;
}

function viaRegex(h: string): ReturnType<typeof parseHandle> {
  const m = HANDLE.exec(h);
  // The broker's offsets are numbers: a longer one is no handle it issued.
  return m && BigInt(m[2]!) <= BigInt(Number.MAX_SAFE_INTEGER) ? { retry: h.startsWith('2'), partition: Number(m[1]), offset: Number(m[2]!), instance: m[3]!, token: h.slice(h.indexOf('.', h.indexOf('.', 2) + 1) + 1) } : null;
}

/** A seeded generator of integers below n. */
function lcg(seed: number): (n: number) => number {
  return (n) => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed % n;
  };
}

/** `h` with one character inserted, deleted or replaced by one of `alphabet`. */
function mutated(h: string, rand: (n: number) => number, alphabet: string): string {
  const at = rand(h.length + 1);
  const c = alphabet[rand(alphabet.length)]!;
  const kind = rand(3);
  return kind === 0 ? h.slice(0, at) + c + h.slice(at) : kind === 1 ? h.slice(0, at) + h.slice(at + 1) : h.slice(0, at) + c + h.slice(at + 1);
}

describe('parseHandle', () => {
  it('reads issued handles', () => {
    const handles = new ReceiptHandles();
    for (const retry of [false, true]) {
      for (const [p, o] of [[0, 0], [7, 2 ** 40], [999_999_999, Number.MAX_SAFE_INTEGER]] as const) {
        const h = handleOf(p, o, handles.token(), retry);
        expect(h.startsWith(retry ? '2.' : '1.')).toBe(true);
        expect(parseHandle(h)).toEqual({ retry, partition: p, offset: o, instance: handles.instance, token: h.split('.').slice(3).join('.') });
        agreesFromBytes(h, parseHandle(h));
      }
    }
  });

  it('refuses offsets past 2^53 - 1, which the pop state cannot hold', () => {
    const token = new ReceiptHandles().token();
    for (const o of ['9007199254740992', '9007199254740993', '9223372036854775807']) {
      const h = `1.0.${o}.${token}`;
      expect(HANDLE.test(h)).toBe(true);
      expect(parseHandle(h), h).toBeNull();
      agreesFromBytes(h, null);
    }
  });

  it('agrees with the regular expression on mutated handles', () => {
    const rand = lcg(7);
    const alphabet = '0123456789abcdefghijklmnopqrstuvwxyzABCDEF.-_ \n😀';
    const handles = new ReceiptHandles();
    let matched = 0;
    let ascii = 0;
    for (let i = 0; i < 20_000; i++) {
      let h = handleOf(rand(20), rand(1_000_000), handles.token(), rand(2) === 1);
      const edits = rand(4);
      for (let e = 0; e < edits; e++) h = mutated(h, rand, alphabet);
      if (rand(20) === 0) h = `1.${'9'.repeat(rand(12))}.${'1'.repeat(rand(22))}.${'a'.repeat(rand(14))}.${'z'.repeat(rand(15))}`;
      const want = viaRegex(h);
      if (want) matched++;
      expect(parseHandle(h), JSON.stringify(h)).toEqual(want);
      ascii += agreesFromBytes(h, want);
    }
    expect(matched).toBeGreaterThan(1000);
    expect(ascii).toBeGreaterThan(15_000);
  });

  it('agrees with it on runs of handles that share a token (an ack\'s), mutated anywhere', () => {
    const rand = lcg(11);
    const alphabet = '0123456789abcdefz.-😀';
    const handles = new ReceiptHandles();
    let token = handles.token();
    let shared = 0;
    for (let i = 0; i < 20_000; i++) {
      if (rand(40) === 0) token = handles.token();
      let h = handleOf(rand(20), rand(1_000_000), token);
      if (rand(3) === 0) h = mutated(h, rand, alphabet);
      if (rand(50) === 0) h = `1.3.${rand(99)}.`;
      const want = viaRegex(h);
      if (want && want.token === token) shared++;
      expect(parseHandle(h), JSON.stringify(h)).toEqual(want);
      agreesFromBytes(h, want);
    }
    expect(shared).toBeGreaterThan(10_000);
  });

  it('reads an ack\'s handles at once as the regular expression reads each, on runs of mutated handles sharing tokens', () => {
    const rand = lcg(13);
    const alphabet = '0123456789abcdefz.-';
    const handles = new ReceiptHandles();
    let token = handles.token();
    let read = 0;
    let refused = 0;
    for (let ack = 0; ack < 600; ack++) {
      const texts: string[] = [];
      const n = 1 + rand(40);
      for (let i = 0; i < n; i++) {
        if (rand(15) === 0) token = handles.token();
        let h = handleOf(rand(20), rand(2) === 0 ? rand(1_000_000) : Number.MAX_SAFE_INTEGER - rand(3), token, rand(5) === 0);
        if (rand(4) === 0) h = mutated(h, rand, alphabet);
        if (rand(60) === 0) h = `1.0.${'9'.repeat(16 + rand(4))}.${token}`;
        // Tokens cut short, even to nothing, first in the ack or not.
        if (rand(40) === 0) h = `1.123456789.${'1234567890'.slice(0, 7 + rand(4))}.${token.slice(0, rand(5))}`;
        texts.push(h);
      }
      // As an ack carries them: each behind its entry's bytes, a separator after it (what is not to be read into).
      const at: number[] = [];
      const end: number[] = [];
      let bytes = '';
      for (const h of texts) {
        bytes += '\x12\x05';
        at.push(bytes.length);
        bytes += h;
        end.push(bytes.length);
        bytes += '.';
      }
      const b = Buffer.from(bytes, 'latin1');
      const handle = ackHandles(b, n, (i) => at[i]!, (i) => end[i]!);
      for (let i = 0; i < n; i++) {
        const got = handle(i);
        const want = viaRegex(texts[i]!);
        expect(got === null ? null : { ...got }, JSON.stringify(texts[i])).toEqual(want);
        if (want) read++;
        else refused++;
      }
    }
    expect(read).toBeGreaterThan(2000);
    expect(refused).toBeGreaterThan(1000);
  });

  it('refuses tables too short for the count, and reads spans outside the buffer as no handle', () => {
    const h = handleOf(1, 2, new ReceiptHandles().token());
    const b = Buffer.from(h, 'latin1');
    const rows = new Float64Array(8);
    const tokens = new Float64Array(4);
    expect(() => native.rmqParseHandles(b, new Float64Array(2), 2, rows, tokens)).toThrow(/count past spans, rows or tokens/);
    expect(() => native.rmqParseHandles(b, new Float64Array(4), 2, new Float64Array(4), tokens)).toThrow(/count past spans, rows or tokens/);
    expect(() => native.rmqParseHandles(b, new Float64Array(4), -1, rows, tokens)).toThrow(/count past spans, rows or tokens/);
    expect(native.rmqParseHandles(b, Float64Array.from([0, b.length, 0, b.length + 1]), 2, rows, tokens)).toBe(1);
    expect([...rows]).toEqual([0, 1, 2, 0, -1, 0, 0, 0].map((v, i) => (i >= 5 ? rows[i] : v)));
    expect(native.rmqParseHandles(b, Float64Array.from([3, 1]), 1, rows, tokens)).toBe(0);
    expect(rows[0]).toBe(-1);
  });
});
