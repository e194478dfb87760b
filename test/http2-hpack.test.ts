// HPACK (src/protocol/http2/hpack.ts): RFC 7541 Appendix C byte for byte,
// every decoding error a peer can provoke, the oversized-list path, and both
// directions against node:http2 (nghttp2) through a raw frame server.
import { once } from 'node:events';
import http2 from 'node:http2';
import type net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { listenRawH2, SETTING, type HeaderBlock, type RawH2Connection } from '../bench/http2/raw-h2.js';
import { encodeHeaders, HpackDecoder, HpackError } from '../src/protocol/http2/hpack.js';
import { HpackEncoder } from '../src/protocol/http2/hpack-encoder.js';
import { seededRandom } from '../src/lab/random.js';
import { huffmanDecode, huffmanEncode, huffmanEncodedLength } from '../src/protocol/http2/hpack-huffman.js';

type Field = [string, string];
const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');

// §5.1 integer with `flags` above an N-bit prefix: the tests' own encoder.
function int(flags: number, bits: number, value: number): number[] {
  const mask = (1 << bits) - 1;
  if (value < mask) return [flags | value];
  const out = [flags | mask];
  let rest = value - mask;
  for (; rest >= 128; rest = Math.floor(rest / 128)) out.push((rest % 128) | 0x80);
  out.push(rest);
  return out;
}
const raw = (s: string): number[] => [...int(0, 7, s.length), ...Buffer.from(s, 'latin1')];
function huff(s: string): number[] {
  const out = Buffer.alloc(huffmanEncodedLength(s));
  huffmanEncode(s, out, 0);
  return [...int(0x80, 7, out.length), ...out];
}
/** Literal with incremental indexing, new name. */
const indexedLiteral = (name: string, value: string): number[] => [0x40, ...raw(name), ...raw(value)];
const block = (...parts: number[][]): Buffer => Buffer.from(parts.flat());

function decodeError(decoder: HpackDecoder, bytes: Buffer): string {
  try {
    decoder.decode(bytes);
  } catch (err) {
    expect(err).toBeInstanceOf(HpackError);
    return (err as Error).message;
  }
  throw new Error(`decoded without error: ${bytes.toString('hex')}`);
}

describe('HPACK: RFC 7541 Appendix C', () => {
  it('C.1 integers (through size updates, the one representation that shows a bare integer)', () => {
    const d = new HpackDecoder();
    d.decode(hex('2a')); // 10 in a 5-bit prefix
    expect(d.tableLimit).toBe(10);
    d.decode(hex('3f 9a 0a')); // 1337 in a 5-bit prefix
    expect(d.tableLimit).toBe(1337);
  });

  it('C.2 header field representations, one at a time', () => {
    const cases: Array<[string, Field, Field[], number]> = [
      ['400a 6375 7374 6f6d 2d6b 6579 0d63 7573 746f 6d2d 6865 6164 6572', ['custom-key', 'custom-header'], [['custom-key', 'custom-header']], 55],
      ['040c 2f73 616d 706c 652f 7061 7468', [':path', '/sample/path'], [], 0],
      ['1008 7061 7373 776f 7264 0673 6563 7265 74', ['password', 'secret'], [], 0],
      ['82', [':method', 'GET'], [], 0],
    ];
    for (const [bytes, field, table, size] of cases) {
      const d = new HpackDecoder();
      expect(d.decode(hex(bytes))).toEqual({ headers: [field], oversized: false });
      expect(d.tableEntries()).toEqual(table);
      expect(d.tableSize).toBe(size);
    }
  });

  const requests: Field[][] = [
    [[':method', 'GET'], [':scheme', 'http'], [':path', '/'], [':authority', 'www.example.com']],
    [[':method', 'GET'], [':scheme', 'http'], [':path', '/'], [':authority', 'www.example.com'], ['cache-control', 'no-cache']],
    [[':method', 'GET'], [':scheme', 'https'], [':path', '/index.html'], [':authority', 'www.example.com'], ['custom-key', 'custom-value']],
  ];
  const requestTables: Array<[Field[], number]> = [
    [[[':authority', 'www.example.com']], 57],
    [[['cache-control', 'no-cache'], [':authority', 'www.example.com']], 110],
    [[['custom-key', 'custom-value'], ['cache-control', 'no-cache'], [':authority', 'www.example.com']], 164],
  ];
  const cookie = 'foo=ASDJKHQKBZXOQWEOPIUAXQWEOIU; max-age=3600; version=1';
  const responses: Field[][] = [
    [[':status', '302'], ['cache-control', 'private'], ['date', 'Mon, 21 Oct 2013 20:13:21 GMT'], ['location', 'https://www.example.com']],
    [[':status', '307'], ['cache-control', 'private'], ['date', 'Mon, 21 Oct 2013 20:13:21 GMT'], ['location', 'https://www.example.com']],
    [[':status', '200'], ['cache-control', 'private'], ['date', 'Mon, 21 Oct 2013 20:13:22 GMT'], ['location', 'https://www.example.com'], ['content-encoding', 'gzip'], ['set-cookie', cookie]],
  ];
  const responseTables: Array<[Field[], number]> = [
    [[['location', 'https://www.example.com'], ['date', 'Mon, 21 Oct 2013 20:13:21 GMT'], ['cache-control', 'private'], [':status', '302']], 222],
    [[[':status', '307'], ['location', 'https://www.example.com'], ['date', 'Mon, 21 Oct 2013 20:13:21 GMT'], ['cache-control', 'private']], 222],
    [[['set-cookie', cookie], ['content-encoding', 'gzip'], ['date', 'Mon, 21 Oct 2013 20:13:22 GMT']], 215],
  ];
  const sequences: Array<[string, number, string[], Field[][], Array<[Field[], number]>]> = [
    ['C.3 requests without Huffman', 4096, [
      '8286 8441 0f77 7777 2e65 7861 6d70 6c65 2e63 6f6d',
      '8286 84be 5808 6e6f 2d63 6163 6865',
      '8287 85bf 400a 6375 7374 6f6d 2d6b 6579 0c63 7573 746f 6d2d 7661 6c75 65',
    ], requests, requestTables],
    ['C.4 requests with Huffman', 4096, [
      '8286 8441 8cf1 e3c2 e5f2 3a6b a0ab 90f4 ff',
      '8286 84be 5886 a8eb 1064 9cbf',
      '8287 85bf 4088 25a8 49e9 5ba9 7d7f 8925 a849 e95b b8e8 b4bf',
    ], requests, requestTables],
    ['C.5 responses without Huffman, 256-octet table (evictions)', 256, [
      '4803 3330 3258 0770 7269 7661 7465 611d 4d6f 6e2c 2032 3120 4f63 7420 3230 3133 2032 303a 3133 3a32 3120 474d 546e 1768 7474 7073 3a2f 2f77 7777 2e65 7861 6d70 6c65 2e63 6f6d',
      '4803 3330 37c1 c0bf',
      '88c1 611d 4d6f 6e2c 2032 3120 4f63 7420 3230 3133 2032 303a 3133 3a32 3220 474d 54c0 5a04 677a 6970 7738 666f 6f3d 4153 444a 4b48 514b 425a 584f 5157 454f 5049 5541 5851 5745 4f49 553b 206d 6178 2d61 6765 3d33 3630 303b 2076 6572 7369 6f6e 3d31',
    ], responses, responseTables],
    ['C.6 responses with Huffman, 256-octet table (evictions)', 256, [
      '4882 6402 5885 aec3 771a 4b61 96d0 7abe 9410 54d4 44a8 2005 9504 0b81 66e0 82a6 2d1b ff6e 919d 29ad 1718 63c7 8f0b 97c8 e9ae 82ae 43d3',
      '4883 640e ffc1 c0bf',
      '88c1 6196 d07a be94 1054 d444 a820 0595 040b 8166 e084 a62d 1bff c05a 839b d9ab 77ad 94e7 821d d7f2 e6c7 b335 dfdf cd5b 3960 d5af 2708 7f36 72c1 ab27 0fb5 291f 9587 3160 65c0 03ed 4ee5 b106 3d50 07',
    ], responses, responseTables],
  ];
  for (const [title, tableSize, blocks, lists, tables] of sequences) {
    it(title, () => {
      const d = new HpackDecoder(tableSize);
      blocks.forEach((bytes, i) => {
        expect(d.decode(hex(bytes))).toEqual({ headers: lists[i], oversized: false });
        expect(d.tableEntries()).toEqual(tables[i]![0]);
        expect(d.tableSize).toBe(tables[i]![1]);
      });
    });
  }
});

describe('HPACK: Huffman', () => {
  it('every octet round-trips through the code table', () => {
    const all = Array.from({ length: 256 }, (_, i) => String.fromCharCode(i)).join('');
    for (const s of [all, all.split('').reverse().join(''), '', 'a', 'www.example.com']) {
      const bytes = Buffer.from(huff(s));
      const start = bytes.length - huffmanEncodedLength(s);
      expect(huffmanDecode(bytes, start, bytes.length)).toBe(s);
    }
  });

  it('decodes the densest strings (8 chars per 5 octets) in full, small and past the reused scratch', () => {
    for (const octets of [5, 1000, 100_000]) {
      const zeros = Buffer.alloc(octets); // '0' is 00000: 5 bits
      expect(huffmanDecode(zeros, 0, octets)).toBe('0'.repeat((octets * 8) / 5));
    }
  });

  it('EOS inside a string is an error', () => {
    const d = new HpackDecoder();
    // 'a' (00011) then EOS (30 ones) then 5 ones of padding: 5 octets.
    expect(decodeError(d, block([0x00, ...raw('x'), 0x85, 0x1f, 0xff, 0xff, 0xff, 0xff]))).toMatch(/EOS/);
    expect(decodeError(new HpackDecoder(), block([0x00, ...raw('x'), 0x84, 0xff, 0xff, 0xff, 0xff]))).toMatch(/EOS/);
  });

  it('padding must be at most 7 bits, all ones', () => {
    const value = (...octets: number[]): Buffer => block([0x00, ...raw('x'), 0x80 | octets.length, ...octets]);
    expect(new HpackDecoder().decode(value(0x07)).headers).toEqual([['x', '0']]); // 00000 111
    expect(new HpackDecoder().decode(value()).headers).toEqual([['x', '']]);
    expect(decodeError(new HpackDecoder(), value(0x00))).toMatch(/padding/); // 00000 000
    expect(decodeError(new HpackDecoder(), value(0x06))).toMatch(/padding/); // 00000 110
    expect(decodeError(new HpackDecoder(), value(0xff))).toMatch(/padding/); // 8 ones
    expect(decodeError(new HpackDecoder(), value(0x07, 0xff))).toMatch(/padding/); // 3 + 8 ones
  });
});

describe('HPACK: decoding errors', () => {
  it('integers: above 32 bits, longer than 32 bits need, cut short', () => {
    // 2^32 - 1 is read (and refused as a table size: the integer itself was fine).
    expect(decodeError(new HpackDecoder(), block(int(0x20, 5, 0xffffffff)))).toMatch(/size update to 4294967295/);
    expect(decodeError(new HpackDecoder(), block(int(0x80, 7, 0x100000000)))).toMatch(/above 32 bits/);
    expect(decodeError(new HpackDecoder(), hex('ff 80 80 80 80 80 00'))).toMatch(/longer than any 32-bit/);
    expect(decodeError(new HpackDecoder(), hex('ff ff ff ff ff ff ff ff'))).toMatch(/longer than any 32-bit/);
    expect(decodeError(new HpackDecoder(), hex('ff 80'))).toMatch(/past the end/);
    expect(decodeError(new HpackDecoder(), hex('7f'))).toMatch(/past the end/);
  });

  it('strings: length past the end of the block, or missing', () => {
    expect(decodeError(new HpackDecoder(), block([0x40, 0x05, 0x61, 0x62]))).toMatch(/5 octets runs past the end/);
    expect(decodeError(new HpackDecoder(), block([0x40, ...raw('name'), 0x83, 0xff]))).toMatch(/past the end/);
    expect(decodeError(new HpackDecoder(), block([0x40, ...raw('name'), ...int(0, 7, 0xffffffff)]))).toMatch(/past the end/);
    expect(decodeError(new HpackDecoder(), block([0x40, ...raw('name')]))).toMatch(/missing/);
    expect(decodeError(new HpackDecoder(), block([0x0f, 0x10]))).toMatch(/missing/);
  });

  it('indexes: 0, or past the static and dynamic tables', () => {
    expect(decodeError(new HpackDecoder(), hex('80'))).toMatch(/index 0/);
    expect(decodeError(new HpackDecoder(), hex('be'))).toMatch(/index 62 past the tables/);
    expect(decodeError(new HpackDecoder(), block([0x7e, ...raw('v')]))).toMatch(/index 62 past/); // as a name
    expect(decodeError(new HpackDecoder(), block([0x0f, 0x2f, ...raw('v')]))).toMatch(/index 62 past/);
    const d = new HpackDecoder();
    expect(d.decode(block(indexedLiteral('a', 'b'), [0xbe, 0xbd])).headers).toEqual([['a', 'b'], ['a', 'b'], ['www-authenticate', '']]);
    expect(decodeError(d, hex('bf'))).toMatch(/index 63 past the tables \(61 static, 1 dynamic\)/);
    // Out of step with the peer from here on: even a good block is refused.
    expect(decodeError(d, hex('82'))).toMatch(/used after a compression error/);
  });

  it('dynamic table size updates: only at the start of a block, never above our maximum', () => {
    const d = new HpackDecoder(4096);
    d.decode(block(int(0x20, 5, 0), int(0x20, 5, 4096), [0x82])); // several at the start are fine
    expect(d.tableLimit).toBe(4096);
    expect(decodeError(d, block([0x82], int(0x20, 5, 100)))).toMatch(/after a field/);
    expect(decodeError(new HpackDecoder(4096), block(int(0x20, 5, 4097)))).toMatch(/above the 4096/);
    expect(decodeError(new HpackDecoder(0), block(int(0x20, 5, 1)))).toMatch(/above the 0/);
    // The start of each block: a later block may update again.
    const e = new HpackDecoder();
    e.decode(block(indexedLiteral('a', 'b')));
    e.decode(block(int(0x20, 5, 0)));
    expect([e.tableLimit, e.tableSize, e.tableEntries()]).toEqual([0, 0, []]);
    expect(decodeError(e, hex('be'))).toMatch(/past the tables/);
  });

  it('a smaller size evicts the oldest entries; a larger one keeps them', () => {
    const d = new HpackDecoder();
    d.decode(block(indexedLiteral('a', '1'), indexedLiteral('b', '2'), indexedLiteral('c', '3'))); // 34 each
    d.decode(block(int(0x20, 5, 70)));
    expect([d.tableSize, d.tableEntries()]).toEqual([68, [['c', '3'], ['b', '2']]]);
    d.decode(block(int(0x20, 5, 4096)));
    expect(d.tableEntries()).toEqual([['c', '3'], ['b', '2']]);
  });
});

describe('HPACK: §4.4 eviction', () => {
  it('evicts oldest first to fit a new entry; an entry the size of the table fills it alone', () => {
    const d = new HpackDecoder(100);
    d.decode(block(indexedLiteral('a', 'x'.repeat(10)), indexedLiteral('b', 'y'.repeat(10)))); // 43 each
    d.decode(block(indexedLiteral('c', 'z'.repeat(10))));
    expect([d.tableSize, d.tableEntries()]).toEqual([86, [['c', 'z'.repeat(10)], ['b', 'y'.repeat(10)]]]);
    d.decode(block(indexedLiteral('d', 'w'.repeat(67)))); // 1 + 67 + 32 = 100
    expect([d.tableSize, d.tableEntries()]).toEqual([100, [['d', 'w'.repeat(67)]]]);
  });

  it('an entry larger than the table empties it and is not added (but is a header)', () => {
    const d = new HpackDecoder(100);
    d.decode(block(indexedLiteral('a', '1')));
    const { headers } = d.decode(block(indexedLiteral('big', 'v'.repeat(66)), [0x82])); // 3 + 66 + 32 = 101
    expect(headers).toEqual([['big', 'v'.repeat(66)], [':method', 'GET']]);
    expect([d.tableSize, d.tableEntries()]).toEqual([0, []]);
    expect(decodeError(d, hex('be'))).toMatch(/past the tables/);
  });

  it('a new entry may name an entry its own insertion evicts', () => {
    const d = new HpackDecoder(64);
    d.decode(block(indexedLiteral('name', 'old-value')));
    const { headers } = d.decode(block([0x7e, ...raw('new-value')])); // name: index 62
    expect(headers).toEqual([['name', 'new-value']]);
    expect(d.tableEntries()).toEqual([['name', 'new-value']]);
  });

  it('the ring keeps order across wrap-around and growth', () => {
    const d = new HpackDecoder(33 * 40); // 40 one-char entries fit
    const live: Field[] = [];
    for (let i = 0; i < 300; i++) {
      const field: Field = [String.fromCharCode(0x61 + (i % 26)), ''];
      d.decode(block(indexedLiteral(...field)));
      live.unshift(field);
      if (live.length > 40) live.pop();
      if (i % 37 === 0) expect(d.tableEntries()).toEqual(live);
    }
    expect(d.decode(block([0xbe], int(0x80, 7, 61 + 40))).headers).toEqual([live[0], live[39]]);
  });
});

describe('HPACK: oversized header lists', () => {
  it('stops collecting past maxListBytes but keeps the table in step for the next block', () => {
    const d = new HpackDecoder(4096, 200);
    const a = 'a'.repeat(100);
    const b = 'b'.repeat(100);
    const first = d.decode(block([0x82], indexedLiteral('x-a', a), indexedLiteral('x-b', b), indexedLiteral('x-c', 'c'), [0x83]));
    // 42 + 135 = 177 fit; 177 + 135 does not; nothing after is collected.
    expect(first).toEqual({ headers: [[':method', 'GET'], ['x-a', a]], oversized: true });
    expect(d.tableEntries()).toEqual([['x-c', 'c'], ['x-b', b], ['x-a', a]]);
    expect(d.decode(hex('be bf'))).toEqual({ headers: [['x-c', 'c'], ['x-b', b]], oversized: false });
    // Exactly at the limit is not oversized.
    const e = new HpackDecoder(4096, 42);
    expect(e.decode(hex('82'))).toEqual({ headers: [[':method', 'GET']], oversized: false });
    expect(e.decode(hex('82 82')).oversized).toBe(true);
  });

  it('a malformed oversized block is still an error', () => {
    expect(decodeError(new HpackDecoder(4096, 10), hex('82 80'))).toMatch(/index 0/);
  });
});

describe('HPACK: latin1 octets', () => {
  it('decodes raw and Huffman strings octet for octet', () => {
    const octets = Array.from({ length: 256 }, (_, i) => String.fromCharCode(i)).join('');
    const d = new HpackDecoder();
    expect(d.decode(block([0x00, ...raw('x-raw'), ...raw(octets)], [0x00, ...raw('x-huff'), ...huff(octets)])).headers).toEqual([
      ['x-raw', octets],
      ['x-huff', octets],
    ]);
  });
});

describe('HPACK: encodeHeaders', () => {
  it('static whole fields, static names and new names, no dynamic table', () => {
    const bytes = encodeHeaders([[':status', '200'], ['content-type', 'application/grpc'], ['grpc-status', '0'], [':authority', '']]);
    expect(bytes.toString('hex')).toBe(
      '88' + // :status 200, index 8
        '0f10' + '10' + Buffer.from('application/grpc').toString('hex') + // name index 31 (15 + 16), value
        '00' + '0b' + Buffer.from('grpc-status').toString('hex') + '0130' + // new name
        '81', // :authority with the empty value: index 1
    );
    const long = 'v'.repeat(300);
    const d = new HpackDecoder();
    const fields: Field[] = [[':status', '418'], ['x-long', long], ['', ''], ['cookie', 'a=b']];
    expect(d.decode(encodeHeaders(fields)).headers).toEqual(fields);
    expect(d.tableSize).toBe(0);
    expect(encodeHeaders([])).toEqual(Buffer.alloc(0));
  });

  it('starts with a dynamic table size update when asked', () => {
    expect(encodeHeaders([[':status', '200']], 0).toString('hex')).toBe('2088');
    expect(encodeHeaders([], 4096).toString('hex')).toBe('3fe11f');
    const d = new HpackDecoder();
    d.decode(block(indexedLiteral('a', 'b')));
    expect(d.decode(encodeHeaders([[':status', '200']], 0)).headers).toEqual([[':status', '200']]);
    expect([d.tableLimit, d.tableSize]).toEqual([0, 0]);
  });
});

describe('HPACK against node:http2 (nghttp2)', () => {
  let server: net.Server | undefined;
  let client: http2.ClientHttp2Session | undefined;
  afterEach(async () => {
    client?.destroy();
    if (server) await new Promise((r) => server!.close(r));
    server = client = undefined;
  });

  interface Started {
    port: number;
    conn: () => RawH2Connection;
    /** The latest connection's decoder. */
    decoder: () => HpackDecoder;
    next: () => Promise<HeaderBlock & { fields: Field[] }>;
  }

  /** A raw server whose blocks are decoded in arrival order, a decoder per connection, and answered with `reply`. */
  async function start(reply: (streamId: number) => Buffer, onConnection?: (conn: RawH2Connection) => void): Promise<Started> {
    let decoder = new HpackDecoder();
    const queue: Array<HeaderBlock & { fields: Field[] }> = [];
    const waiting: Array<() => void> = [];
    let connection: RawH2Connection | undefined;
    const listening = await listenRawH2((conn) => {
      connection = conn;
      const own = (decoder = new HpackDecoder());
      onConnection?.(conn);
      conn.on('block', (b: HeaderBlock) => {
        const { headers, oversized } = own.decode(b.block);
        expect(oversized).toBe(false);
        queue.push({ ...b, fields: headers });
        waiting.shift()?.();
        conn.sendHeaders(b.streamId, reply(b.streamId), true);
      });
    });
    server = listening.server;
    const next = async (): Promise<HeaderBlock & { fields: Field[] }> => {
      if (queue.length === 0) await new Promise<void>((r) => waiting.push(r));
      return queue.shift()!;
    };
    return { port: listening.port, conn: () => connection!, decoder: () => decoder, next };
  }

  async function request(headers: http2.OutgoingHttpHeaders): Promise<http2.IncomingHttpHeaders> {
    const req = client!.request(headers, { endStream: true });
    const [response] = (await once(req, 'response')) as [http2.IncomingHttpHeaders];
    req.resume();
    await once(req, 'end');
    return response;
  }

  /** What node puts on the wire for `headers`: its pseudo-headers (in any order), then ours in order, names lowercased. */
  function expectSent(fields: Field[], port: number, headers: Record<string, string | string[]>, method = 'GET', path = '/'): void {
    const pseudo = fields.filter(([n]) => n.startsWith(':'));
    expect(pseudo.sort()).toEqual(
      [[':authority', `127.0.0.1:${port}`], [':method', method], [':path', path], [':scheme', 'http']].sort(),
    );
    const ours: Field[] = Object.entries(headers).flatMap(([n, v]) => (Array.isArray(v) ? v : [v]).map((x): Field => [n.toLowerCase(), x]));
    expect(fields.filter(([n]) => !n.startsWith(':'))).toEqual(ours);
  }

  it('decodes what node sends: indexed repeats, long values, all octets, CONTINUATION', async () => {
    const h = await start(() => encodeHeaders([[':status', '204']]));
    client = http2.connect(`http://127.0.0.1:${h.port}`);
    const octets = Array.from({ length: 256 }, (_, i) => String.fromCharCode(i))
      .filter((c) => c === '\t' || (c >= ' ' && c !== '\x7f'))
      .join('');
    const sends: Array<Record<string, string | string[]>> = [
      { 'x-request-id': 'a1b2c3', 'User-Agent': 'test/1.0', accept: 'application/json' },
      { 'x-request-id': 'a1b2c3', 'User-Agent': 'test/1.0', accept: 'application/json' }, // all indexed now
      { 'x-long': 'L'.repeat(3000), 'x-octets': octets, 'x-multi': ['one', 'two', 'three'] },
      { 'x-long': 'L'.repeat(3000), 'x-other-long': 'M'.repeat(2000) }, // evicts
      // ~30 KB of Huffman-coded values: more than one 16 KB frame.
      Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`x-field-${i}`, Buffer.alloc(750, i * 7 + 1).toString('base64')])),
    ];
    const sizes: number[] = [];
    for (const headers of sends) {
      const response = await request({ ...headers });
      expect(response[':status']).toBe(204);
      const got = await h.next();
      expectSent(got.fields, h.port, headers);
      sizes.push(got.block.length);
      if (headers === sends[4]) expect(got.frames).toBeGreaterThan(1);
    }
    expect(sizes[1]).toBeLessThan(10); // every field from the dynamic or static table
    expect(h.decoder().tableSize).toBeLessThanOrEqual(4096);
  });

  it('follows the dynamic table size updates our SETTINGS_HEADER_TABLE_SIZE provokes', async () => {
    const h = await start(() => encodeHeaders([[':status', '200']]));
    client = http2.connect(`http://127.0.0.1:${h.port}`);
    const headers = { 'x-a': 'a'.repeat(100), 'x-b': 'b'.repeat(100), 'x-c': 'c'.repeat(100) };
    const sendAndCheck = async (): Promise<Buffer> => {
      await request(headers);
      const got = await h.next();
      expectSent(got.fields, h.port, headers);
      return got.block;
    };
    await sendAndCheck();
    expect(h.decoder().tableSize).toBeGreaterThan(256);
    for (const size of [256, 0, 4096]) {
      h.conn().sendSettings([[SETTING.HEADER_TABLE_SIZE, size]]);
      await once(client, 'remoteSettings');
      const bytes = await sendAndCheck();
      expect(bytes[0]! & 0xe0).toBe(0x20); // it starts with a size update
      expect(h.decoder().tableLimit).toBe(size);
      expect(h.decoder().tableSize).toBeLessThanOrEqual(size);
      await sendAndCheck(); // and the table stays in step after it
    }
  });

  it("node reads encodeHeaders' blocks", async () => {
    // nghttp2 drops a value with whitespace at either end (RFC 9113 §8.2.1), so the tab goes inside.
    const octets = 'a' + Array.from({ length: 256 }, (_, i) => String.fromCharCode(i))
      .filter((c) => c === '\t' || (c >= ' ' && c !== '\x7f'))
      .join('') + 'z';
    const fields: Field[] = [
      [':status', '200'],
      ['content-type', 'application/grpc'],
      ['grpc-status', '0'],
      ['x-long', 'z'.repeat(5000)],
      ['x-octets', octets],
      ['set-cookie', 'a=1'],
      ['set-cookie', 'b=2'],
      ['cache-control', 'no-cache'],
    ];
    const h = await start((streamId) => (streamId === 1 ? encodeHeaders(fields) : encodeHeaders([[':status', '418'], ['x-second', 'yes']])));
    client = http2.connect(`http://127.0.0.1:${h.port}`);
    const response = await request({});
    expect(Object.fromEntries(Object.entries(response))).toEqual({
      ':status': 200,
      'content-type': 'application/grpc',
      'grpc-status': '0',
      'x-long': 'z'.repeat(5000),
      'x-octets': octets,
      'set-cookie': ['a=1', 'b=2'],
      'cache-control': 'no-cache',
    });
    expect(Object.fromEntries(Object.entries(await request({})))).toEqual({ ':status': 418, 'x-second': 'yes' });
  });

  it('a client with a table smaller than 4096 needs the size update (and refuses a block without one)', async () => {
    let update: number | undefined;
    const errors: number[] = [];
    let refused!: () => void;
    const refusal = new Promise<void>((r) => (refused = r));
    const h = await start(
      () => encodeHeaders([[':status', '200'], ['x-ok', 'yes']], update),
      (conn) =>
        conn.on('goaway', (code: number) => {
          if (code === 0) return;
          errors.push(code);
          refused();
        }),
    );
    const connectSmall = (): http2.ClientHttp2Session =>
      (client = http2.connect(`http://127.0.0.1:${h.port}`, { settings: { headerTableSize: 0 } }));
    connectSmall();
    update = 0;
    expect((await request({}))['x-ok']).toBe('yes');
    client!.destroy();

    update = undefined;
    connectSmall().on('error', () => {});
    client!.request({}, { endStream: true }).on('error', () => {});
    await refusal;
    expect(errors).toEqual([http2.constants.NGHTTP2_COMPRESSION_ERROR]);
  });
});

describe('HPACK: the indexing encoder (the load tools\' client)', () => {
  it('says what it was given, block after block, as its table fills, evicts and shrinks; a repeated set goes as indexes', () => {
    const seed = 20261205;
    console.log(`HpackEncoder: seed ${seed}`);
    const random = seededRandom(seed, 'hpack-encoder');
    const sets = Array.from({ length: 12 }, (_, i) => ({
      fields: [[':method', 'POST'], [':scheme', 'http'], [':path', `/svc/Method${i % 5}`], [':authority', '127.0.0.1:8081'], ['content-type', 'application/grpc'], ['te', 'trailers'], ['grpc-timeout', `${1000 * (i % 3)}m`], ...(i % 4 === 0 ? [['x-mq-client-id', `client-${i}-${'x'.repeat(i * 30)}`]] : [])] as Array<[string, string]>,
    }));
    const encoder = new HpackEncoder();
    const decoder = new HpackDecoder(4096);
    for (let n = 0; n < 2000; n++) {
      // The peer's table shrinks twice (to 200 bytes, then 0) and grows back, as a peer's SETTINGS may say.
      if (n === 700) encoder.setMaxSize(200);
      if (n === 1200) encoder.setMaxSize(0);
      if (n === 1500) encoder.setMaxSize(65_536);
      // Twice between two blocks: emptied, then back (the next block says both, smallest first).
      if (n === 1800) {
        encoder.setMaxSize(0);
        encoder.setMaxSize(4096);
      }
      const set = sets[random.int(0, sets.length - 1)]!;
      const block = encoder.encode(set);
      expect(decoder.decode(block).headers, `block ${n}`).toEqual(set.fields);
      // Said again at once: every field an index, one byte each (a table index below 127), once the table holds a set.
      const again = encoder.encode(set);
      expect(decoder.decode(again).headers, `block ${n} again`).toEqual(set.fields);
      if (n === 1800) expect(decoder.tableSize, 'the table emptied, then this block\'s fields').toBe(encoder.tableSize);
      if (n < 700 || n > 1500) expect(again.length, `block ${n} again`).toBeLessThanOrEqual(set.fields.length);
    }
  });
});
