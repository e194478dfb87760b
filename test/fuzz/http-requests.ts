// HTTP requests to the broker's API, valid ones and mutations of them:
// request lines with bad methods, targets and versions, percent-encoding
// that does not decode, headers that lie or do not parse, bodies that are
// not JSON or not batches, wrong media types, chunked bodies with bad chunk
// sizes, and blind byte flips and cuts of the whole request.
import { numberedBatch } from '../helpers/batches.js';
import type { Prng } from '../helpers/prng.js';

/** The topic the HTTP fuzzing writes to; the witness topics are never named. */
export const HTTP_FUZZ_TOPIC = 'fz-http';

export interface HttpCase {
  method: string;
  target: string;
  version: string;
  headers: [string, string][];
  body: Buffer;
  chunked: boolean;
}

function json(v: unknown): Buffer {
  return Buffer.from(JSON.stringify(v));
}

/** A valid request of one of the API's routes. */
export function validCase(rng: Prng, n: number): HttpCase {
  const records = `/topics/${HTTP_FUZZ_TOPIC}/partitions/0/records`;
  const c = (method: string, target: string, body: Buffer = Buffer.alloc(0), type?: string): HttpCase => ({
    method,
    target,
    version: 'HTTP/1.1',
    headers: [['Host', 'broker'], ...(type ? ([['Content-Type', type]] as [string, string][]) : [])],
    body,
    chunked: body.length > 0 && rng.chance(0.2),
  });
  switch (rng.int(12)) {
    case 0:
      return c('GET', '/health');
    case 1:
      return c('GET', '/metrics');
    case 2:
      return c('GET', '/topics');
    case 3:
      return c('GET', `/topics/${HTTP_FUZZ_TOPIC}`);
    case 4:
      return c('POST', '/topics', json({ name: `fz-h${n % 50}`, partitions: rng.range(1, 2) }), 'application/json');
    case 5:
      return c('POST', `${records}?acks=${rng.pick(['1', '-1', 'all', '0'])}`, json({ records: [{ key: 'k', value: `v${n}`, headers: [{ key: 'h', value: null }] }] }), 'application/json');
    case 6:
      return c('POST', records, numberedBatch(`raw${n}`, rng.range(1, 3)), 'application/vnd.kafka.batch');
    case 7:
      return c('GET', `${records}?offset=${rng.pick(['0', 'earliest', 'latest', '1'])}&maxBytes=${rng.pick([1, 1000, 65536])}`);
    case 8:
      return c('GET', `${records}?offset=earliest&format=json&maxBytes=4096`);
    case 9:
      return c('GET', '/admin/transfer-strategy');
    case 10:
      return c('PUT', '/admin/transfer-strategy', json({ strategy: rng.pick(['sendfile', 'mmap', 'copy']) }), 'application/json');
    default:
      return c('GET', `${records}?offset=latest&maxWaitMs=${rng.range(0, 50)}`);
  }
}

/** The request's bytes, with Content-Length or chunked framing as the case says. */
export function serialize(c: HttpCase): Buffer {
  const headers = [...c.headers];
  if (c.chunked) headers.push(['Transfer-Encoding', 'chunked']);
  else if (c.body.length > 0 && !headers.some(([k]) => k.toLowerCase() === 'content-length')) headers.push(['Content-Length', String(c.body.length)]);
  const head = `${c.method} ${c.target} ${c.version}\r\n${headers.map(([k, v]) => `${k}: ${v}\r\n`).join('')}\r\n`;
  const body = c.chunked && c.body.length > 0 ? Buffer.concat([Buffer.from(`${c.body.length.toString(16)}\r\n`), c.body, Buffer.from('\r\n0\r\n\r\n')]) : c.chunked ? Buffer.from('0\r\n\r\n') : c.body;
  return Buffer.concat([Buffer.from(head, 'latin1'), body]);
}

const BAD_METHODS = ['G@T', 'get', 'FOO', 'CONNECT', 'TRACE', '', 'GET GET', 'P\u00d6ST', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD'];
const BAD_TARGETS = [
  '/topics/%zz',
  '/topics/%',
  '/topics/%ff%fe',
  '/topics/%00',
  '//',
  '*',
  'http://broker/health',
  'health',
  '/topics/a/partitions/-1/records?offset=0',
  '/topics/a/partitions/99999999999999999999/records?offset=0',
  '/topics/a/partitions/0/records?offset=%zz',
  '/topics/a/partitions/0/records?offset=1e9999&maxBytes=-5',
  '/topics/a/partitions/0/records?offset=99999999999999999999',
  '/topics/a/partitions/0/records?maxWaitMs=2147483648&offset=0',
  `/topics/${'a'.repeat(300)}`,
  '/topics/..%2f..%2fetc/partitions/0/records?offset=0',
  '/health?&&&==&%',
  '/topics/\u00e4',
  '/topics/a b',
];
const BAD_VERSIONS = ['HTTP/1.0', 'HTTP/2.0', 'HTTP/9.9', 'HTTP/1.1x', 'HTTP/1', 'http/1.1', ''];
const BAD_BODIES = [
  '{"records": [',
  '[]',
  'null',
  '{"records": {}}',
  '{"records": [{"value": {"a": 1}}]}',
  '{"records": [{"value": "v", "timestamp": -1}]}',
  '{"records": [{"value": "v", "timestamp": 1e400}]}',
  '{"records": [{"value": "v", "headers": [{"key": 1}]}]}',
  `{"name": "${'n'.repeat(300)}", "partitions": 1}`,
  '{"name": "fz-h-x", "partitions": 2147483648}',
  '{"name": "fz-h-y", "partitions": -1, "configs": {"retention.ms": "soon"}}',
  '{"strategy": "teleport"}',
  '\u0000\u0001\u0002',
];

type CaseMutator = (c: HttpCase, rng: Prng) => void;

const MUTATORS: Record<string, CaseMutator> = {
  method: (c, rng) => (c.method = rng.pick(BAD_METHODS)),
  target: (c, rng) => (c.target = rng.pick(BAD_TARGETS)),
  version: (c, rng) => (c.version = rng.pick(BAD_VERSIONS)),
  noHost: (c) => (c.headers = c.headers.filter(([k]) => k !== 'Host')),
  contentLength: (c, rng) => {
    c.chunked = false;
    c.headers.push(['Content-Length', rng.pick(['-1', 'abc', '99999999999999999999', '1e3', ' 5', String(c.body.length + rng.range(1, 5)), String(Math.max(c.body.length - 3, 0)), '0x10'])]);
  },
  twoLengths: (c) => {
    c.chunked = false;
    c.headers.push(['Content-Length', String(c.body.length)], ['Content-Length', String(c.body.length + 1)]);
  },
  lengthAndChunked: (c) => {
    c.chunked = true;
    c.headers.push(['Content-Length', String(c.body.length)]);
  },
  transferEncoding: (c, rng) => {
    c.chunked = false;
    c.headers.push(['Transfer-Encoding', rng.pick(['gzip', 'chunked, gzip', 'identity', 'xchunked', 'chunked\u0000'])]);
  },
  headerSyntax: (c, rng) => c.headers.push(rng.pick<[string, string]>([['X Bad', 'v'], ['X-Bad ', 'v'], ['', 'no name'], ['X-Ctl', 'a\u0001b'], ['X-Fold', 'a\r\n folded'], ['X-Nul', 'a\u0000b'], ['X-Lf', 'a\nb']])),
  contentType: (c, rng) => {
    c.headers = c.headers.filter(([k]) => k !== 'Content-Type');
    c.headers.push(['Content-Type', rng.pick(['text/plain', 'application/JSON; charset=utf-8', 'application/vnd.kafka.batch; x=1', '', ';', 'application/json\u0000'])]);
  },
  body: (c, rng) => (c.body = Buffer.from(rng.pick(BAD_BODIES))),
  deepJson: (c, rng) => {
    const depth = rng.pick([1000, 100_000]);
    c.body = Buffer.from(`${'['.repeat(depth)}${']'.repeat(depth)}`);
    c.headers.push(['Content-Type', 'application/json']);
  },
  authorization: (c, rng) => c.headers.push(['Authorization', rng.pick(['Bearer', 'Bearer x', 'Basic Zm9vOmJhcg==', 'Bearer ' + 'x'.repeat(5000)])]),
  manyHeaders: (c, rng) => {
    for (let i = rng.range(100, 3000); i > 0; i--) c.headers.push([`X-H${i}`, 'v']);
  },
};

/** Chunked framing that lies: sizes too large, not hex, negative, or different from the data. */
const CHUNK_LIES = ['fffffffffffffffff\r\nabc\r\n0\r\n\r\n', 'zz\r\nabc\r\n0\r\n\r\n', '-1\r\nabc\r\n0\r\n\r\n', '5\r\nabcdefghij\r\n0\r\n\r\n', '3;ext=\u0001\r\nabc\r\n0\r\n\r\n', '3\r\nabc0\r\n\r\n', '3\r\nabc\r\n0\r\nTrailer: x\r\n\r\n', '3\nabc\n0\n\n'];

export interface MutatedCase {
  bytes: Buffer;
  name: string;
}

/** A valid request, mutated once or twice, maybe then flipped or cut as bytes. */
export function mutatedCase(rng: Prng, n: number): MutatedCase {
  const c = validCase(rng, n);
  const names: string[] = [];
  for (let i = rng.weighted([[6, 1], [2, 2]]); i > 0; i--) {
    const name = rng.pick(Object.keys(MUTATORS));
    MUTATORS[name]!(c, rng);
    names.push(name);
  }
  let bytes = serialize(c);
  if (rng.chance(0.1)) {
    // Chunk framing that lies, replacing the body.
    const head = bytes.subarray(0, bytes.indexOf('\r\n\r\n') + 4);
    bytes = Buffer.concat([head.toString('latin1').includes('chunked') ? head : Buffer.from(head.toString('latin1').replace(/\r\n\r\n$/, '\r\nTransfer-Encoding: chunked\r\n\r\n'), 'latin1'), Buffer.from(rng.pick(CHUNK_LIES), 'latin1')]);
    names.push('chunkLie');
  }
  const blind = rng.int(6);
  if (blind === 0) {
    for (let k = rng.range(1, 4); k > 0; k--) {
      const at = rng.int(bytes.length);
      bytes[at] = bytes[at]! ^ (1 << rng.int(8));
    }
    names.push('bitFlips');
  } else if (blind === 1) {
    bytes = bytes.subarray(0, rng.int(bytes.length));
    names.push('truncate');
  } else if (blind === 2) {
    const at = rng.int(bytes.length);
    bytes = Buffer.concat([bytes.subarray(0, at), rng.bytes(rng.range(1, 16)), bytes.subarray(at)]);
    names.push('insertBytes');
  }
  return { bytes, name: names.join('+') };
}
