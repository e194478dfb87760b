// The fetch body goes out through the transfer strategy in force, on a
// connection Node's HTTP server owns: same bytes under sendfile, mmap and
// copy (and the addon's counters say which one sent them), the strategy
// swapped through the admin route (token or not), and keep-alive and
// pipelining intact, checked byte for byte on raw sockets.
import { once } from 'node:events';
import { createServer, ServerResponse, type IncomingMessage } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHttpApi, type HttpApi } from '../src/http/index.js';
import { sendRegions } from '../src/http/send-regions.js';
import { STRATEGY_NAMES } from '../src/native/addon.js';
import { transferCounters } from '../src/transfer/index.js';
import { numberedBatch } from './helpers/batches.js';
import { startTestBroker, type TestBroker } from './helpers/broker.js';
import { readRegions } from './helpers/regions.js';
import { fetchDone, fetchWaiting } from './helpers/broker-events.js';
import { until } from './helpers/until.js';

interface RawResponse {
  statusLine: string;
  headers: Record<string, string>;
  head: string;
  body: Buffer;
}

/** An HTTP/1.1 client on one raw socket: writes requests as given, parses responses strictly by Content-Length. */
class RawHttp {
  private buffered = Buffer.alloc(0);
  private wake: (() => void) | null = null;
  closed = false;

  private constructor(readonly socket: Socket) {
    socket.on('data', (b: Buffer) => {
      this.buffered = Buffer.concat([this.buffered, b]);
      this.wake?.();
    });
    socket.on('close', () => {
      this.closed = true;
      this.wake?.();
    });
    socket.on('error', () => undefined);
  }

  static async connect(port: number): Promise<RawHttp> {
    const s = connect(port, '127.0.0.1');
    await once(s, 'connect');
    return new RawHttp(s);
  }

  write(data: string | Buffer): void {
    this.socket.write(data);
  }

  /** Resolves once `ready()` holds, checked on each 'data' (and at once); fails on close or after 10 s. */
  private waitFor(ready: () => boolean, what: string): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => finish(new Error(`no ${what} within 10 s; have ${this.buffered.length} bytes`)), 10_000);
      const finish = (err: Error | null): void => {
        clearTimeout(timer);
        this.wake = null;
        if (err) reject(err);
        else resolve();
      };
      const check = (): void => {
        if (ready()) finish(null);
        else if (this.closed) finish(new Error(`connection closed while waiting for ${what}; have ${this.buffered.length} bytes`));
      };
      this.wake = check;
      check();
    });
  }

  async response(): Promise<RawResponse> {
    await this.waitFor(() => this.buffered.includes('\r\n\r\n'), 'a response head');
    const end = this.buffered.indexOf('\r\n\r\n');
    const head = this.buffered.subarray(0, end).toString('latin1');
    const [statusLine, ...lines] = head.split('\r\n');
    const headers: Record<string, string> = {};
    for (const l of lines) headers[l.slice(0, l.indexOf(':')).toLowerCase()] = l.slice(l.indexOf(':') + 1).trim();
    expect(headers['transfer-encoding']).toBeUndefined();
    const length = Number(headers['content-length']);
    expect(Number.isInteger(length)).toBe(true);
    await this.waitFor(() => this.buffered.length >= end + 4 + length, `a body of ${length} bytes`);
    const body = Buffer.from(this.buffered.subarray(end + 4, end + 4 + length));
    this.buffered = this.buffered.subarray(end + 4 + length);
    return { statusLine: statusLine!, headers, head, body };
  }

  /** Bytes received beyond the responses read so far. */
  get extra(): number {
    return this.buffered.length;
  }

  close(): void {
    this.socket.destroy();
  }
}

const get = (path: string, extra = ''): string => `GET ${path} HTTP/1.1\r\nHost: x\r\n${extra}\r\n`;
const postBatch = (path: string, body: Buffer): Buffer =>
  Buffer.concat([Buffer.from(`POST ${path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/vnd.kafka.batch\r\nContent-Length: ${body.length}\r\n\r\n`), body]);
const postJson = (path: string, body: unknown): string => {
  const text = JSON.stringify(body);
  return `POST ${path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(text)}\r\n\r\n${text}`;
};

/**
 * Proves the server sent nothing beyond the responses read so far, and kept
 * the connection: one more request's answer is the very next thing on the
 * socket (a stray byte ahead of it would garble its status line) and the
 * only thing (nothing left over after it), and the connection is still open.
 */
async function nothingBeyond(c: RawHttp): Promise<void> {
  expect(c.extra).toBe(0);
  c.write(get('/health'));
  const marker = await c.response();
  expect(marker.statusLine).toBe('HTTP/1.1 200 OK');
  expect(marker.headers.connection).toBe('keep-alive');
  expect(JSON.parse(marker.body.toString()).status).toBe('ok');
  expect([c.extra, c.closed]).toEqual([0, false]);
}

describe('HTTP fetch through the transfer strategies', () => {
  let b: TestBroker;
  let api: HttpApi;
  let base: string;
  const TOKEN = 's3cret-token';
  const auth = { Authorization: `Bearer ${TOKEN}` };

  beforeAll(async () => {
    b = await startTestBroker({ 'message.max.bytes': String(2 * 1024 * 1024) });
    api = await startHttpApi(b.broker, { port: 0, adminToken: TOKEN });
    base = `http://127.0.0.1:${api.port}`;
    b.broker.createTopic('t', 3);
    for (let i = 0; i < 20; i++) await b.broker.produce('t', 0, numberedBatch(`v${i}`, 50));
    await b.broker.produce('t', 1, numberedBatch('one', 3));
    // Large batches, so a fetch of them overflows the socket buffer and the send has to wait.
    // 12 MB: well past the largest send buffer (tcp_wmem max, 4 MiB by default) plus a paused reader's receive window.
    for (let i = 0; i < 12; i++) await b.broker.produce('t', 2, numberedBatch('L'.repeat(20_000), 50));
  });
  afterAll(async () => {
    await api?.close();
    await b?.destroy();
  });

  const engineBytes = (partition: number, offset: bigint, maxBytes = 1 << 20): Buffer =>
    readRegions(b.broker.engine.read({ topic: 't', partition }, offset, maxBytes).regions);
  const setStrategy = (strategy: string, headers: Record<string, string> = auth): Promise<Response> =>
    fetch(`${base}/admin/transfer-strategy`, { method: 'PUT', headers: { ...headers, 'Content-Type': 'application/json' }, body: JSON.stringify({ strategy }) });

  it('guards the admin routes with the token: 401 without, 403 wrong, 200 right', async () => {
    const none = await fetch(`${base}/admin/transfer-strategy`);
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toMatch(/^Bearer/);
    expect((await none.json()).error).toBe('UNAUTHORIZED');
    const wrong = await fetch(`${base}/admin/transfer-strategy`, { headers: { Authorization: 'Bearer nope' } });
    expect([wrong.status, (await wrong.json()).error]).toEqual([403, 'FORBIDDEN']);
    expect((await setStrategy('mmap', {})).status).toBe(401);
    expect((await setStrategy('mmap', { Authorization: `Bearer ${TOKEN}x` })).status).toBe(403);
    expect((await setStrategy('mmap', { Authorization: `Basic ${TOKEN}` })).status).toBe(401);
    expect(b.broker.transfer.name).toBe('sendfile'); // refused calls changed nothing

    const ok = await fetch(`${base}/admin/transfer-strategy`, { headers: auth });
    expect(await ok.json()).toEqual({ strategy: 'sendfile', strategies: ['sendfile', 'mmap', 'copy'] });
  });

  it('swaps the strategy by body or query, refuses a bad value with a clear 400, and persists it as the broker config', async () => {
    const r = await setStrategy('copy');
    expect(await r.json()).toEqual({ strategy: 'copy', previous: 'sendfile' });
    expect(b.broker.transfer.name).toBe('copy');
    expect(b.broker.configs.get('transfer.strategy')).toBe('copy');
    const q = await fetch(`${base}/admin/transfer-strategy?strategy=mmap`, { method: 'PUT', headers: auth });
    expect(await q.json()).toEqual({ strategy: 'mmap', previous: 'copy' });

    const bad = await setStrategy('splice');
    const body = await bad.json();
    expect([bad.status, body.error]).toEqual([400, 'INVALID_CONFIG']);
    expect(body.message).toContain('sendfile, mmap, copy');
    const missing = await fetch(`${base}/admin/transfer-strategy`, { method: 'PUT', headers: auth });
    expect([missing.status, (await missing.json()).error]).toEqual([400, 'INVALID_REQUEST']);
    expect(b.broker.transfer.name).toBe('mmap');
    expect((await (await fetch(`${base}/health`)).json()).transfer).toBe('mmap');
  });

  it('sends the same bytes under each strategy, through that strategy (the addon counters say so)', async () => {
    const expected = engineBytes(0, 0n);
    for (const strategy of STRATEGY_NAMES) {
      expect((await setStrategy(strategy)).status).toBe(200);
      const before = transferCounters()[strategy];
      const r = await fetch(`${base}/topics/t/partitions/0/records?offset=0`);
      const body = Buffer.from(await r.arrayBuffer());
      expect(body.equals(expected), strategy).toBe(true);
      const after = transferCounters()[strategy];
      expect(after.sends - before.sends, strategy).toBe(1);
      expect(after.fileBytes - before.fileBytes, strategy).toBe(expected.length);
      expect(after.headerBytes - before.headerBytes, strategy).toBeGreaterThan(100); // the HTTP head went in the same send
      const copies = { sendfile: 0, mmap: 1, copy: 2 }[strategy];
      expect(after.copiedBytes - before.copiedBytes, strategy).toBe(copies * expected.length);
    }
  });

  it('keeps the connection alive: fetch, fetch, produce, fetch on one socket, exact bytes', async () => {
    await setStrategy('sendfile');
    const c = await RawHttp.connect(api.port);
    try {
      c.write(get('/topics/t/partitions/0/records?offset=0'));
      const first = await c.response();
      expect(first.statusLine).toBe('HTTP/1.1 200 OK');
      expect(first.headers).toMatchObject({ 'content-type': 'application/vnd.kafka.batch', connection: 'keep-alive', 'x-high-watermark': '1000' });
      expect(first.body.equals(engineBytes(0, 0n))).toBe(true);

      c.write(get('/topics/t/partitions/0/records?offset=500&maxBytes=100'));
      const second = await c.response();
      expect(second.body.equals(engineBytes(0, 500n, 100))).toBe(true);

      c.write(postBatch('/topics/t/partitions/1/records', numberedBatch('ka', 2)));
      const produced = await c.response();
      expect(produced.statusLine).toBe('HTTP/1.1 200 OK');
      expect(JSON.parse(produced.body.toString())).toMatchObject({ baseOffset: 3 });

      c.write(get('/topics/t/partitions/1/records?offset=0'));
      const third = await c.response();
      expect(third.headers['x-high-watermark']).toBe('5');
      expect(third.body.equals(engineBytes(1, 0n))).toBe(true);

      await nothingBeyond(c); // not one byte beyond the Content-Lengths
    } finally {
      c.close();
    }
  });

  it('answers pipelined requests in order, a fetch waiting behind a slower response', async () => {
    const c = await RawHttp.connect(api.port);
    try {
      // 1: a long poll at the high watermark of partition 1 (answers empty after 300 ms);
      // 2: a fetch that is ready at once, but must not overtake 1;
      // 3: a JSON produce; 4: health.
      const hw = b.broker.engine.highWatermark({ topic: 't', partition: 1 });
      c.write(
        get(`/topics/t/partitions/1/records?offset=${hw}&maxWaitMs=300`) +
          get('/topics/t/partitions/0/records?offset=0') +
          postJson('/topics/t/partitions/2/records', { records: [{ value: 'piped' }] }) +
          get('/health'),
      );
      const poll = await c.response();
      expect([poll.statusLine, poll.body.length, poll.headers['x-high-watermark']]).toEqual(['HTTP/1.1 200 OK', 0, String(hw)]);
      const data = await c.response();
      expect(data.body.equals(engineBytes(0, 0n))).toBe(true);
      const produced = await c.response();
      expect(JSON.parse(produced.body.toString())).toEqual({ topic: 't', partition: 2, baseOffset: 600, logStartOffset: 0, recordCount: 1 });
      const health = await c.response();
      expect(JSON.parse(health.body.toString()).status).toBe('ok');
      await nothingBeyond(c);
    } finally {
      c.close();
    }
  });

  it('sends a body larger than the socket buffer to a slow reader, then serves the next request', async () => {
    for (const strategy of STRATEGY_NAMES) {
      await setStrategy(strategy);
      const before = transferCounters()[strategy].sendsDeferred;
      const c = await RawHttp.connect(api.port);
      try {
        c.socket.pause(); // a slow reader: the kernel buffers fill and the send has to wait
        c.write(get('/topics/t/partitions/2/records?offset=0&maxBytes=16777216'));
        await until('the body waits for the reader', () => transferCounters()[strategy].sendsDeferred > before);
        c.socket.resume();
        const big = await c.response();
        const expected = engineBytes(2, 0n, 16 * 1024 * 1024);
        expect(expected.length).toBeGreaterThan(12_000_000);
        expect(big.body.equals(expected), strategy).toBe(true);
        expect(transferCounters()[strategy].sendsDeferred, strategy).toBeGreaterThan(before);
        c.write(get('/health'));
        expect((await c.response()).statusLine).toBe('HTTP/1.1 200 OK');
        expect(c.extra).toBe(0);
      } finally {
        c.close();
      }
    }
  });

  it('closes when the client asks: Connection: close, and HTTP/1.0', async () => {
    await setStrategy('sendfile');
    const c = await RawHttp.connect(api.port);
    c.write(get('/topics/t/partitions/1/records?offset=0', 'Connection: close\r\n'));
    const r = await c.response();
    expect(r.headers.connection).toBe('close');
    expect(r.body.equals(engineBytes(1, 0n))).toBe(true);
    await once(c.socket, 'close');
    expect(c.extra).toBe(0);

    const old = await RawHttp.connect(api.port);
    old.write('GET /topics/t/partitions/1/records?offset=0 HTTP/1.0\r\n\r\n');
    const r10 = await old.response();
    expect(r10.body.equals(engineBytes(1, 0n))).toBe(true);
    await once(old.socket, 'close');
  });

  it('survives a client that leaves during a long poll, and swaps while fetches run without failing one', async () => {
    const gone = await RawHttp.connect(api.port);
    const parked = fetchWaiting(b.broker, 't');
    gone.write(get('/topics/t/partitions/1/records?offset=latest&maxWaitMs=200'));
    await parked;
    const expired = fetchDone(b.broker, 't');
    gone.close();
    await expired; // the poll ran out with nobody left to answer

    const expected = engineBytes(0, 0n);
    const fetches = Array.from({ length: 60 }, async (_, i) => {
      if (i % 10 === 0) await setStrategy(STRATEGY_NAMES[(i / 10) % 3]!);
      const r = await fetch(`${base}/topics/t/partitions/0/records?offset=0`);
      return Buffer.from(await r.arrayBuffer()).equals(expected);
    });
    expect(await Promise.all(fetches)).toEqual(Array(60).fill(true));
    expect((await fetch(`${base}/health`)).status).toBe(200);
  });
});

describe('sendRegions when Node does not keep its rendered head where expected', () => {
  // A response class whose head reads back as a String object, not a
  // string: Node itself still works with it, but sendRegions must not trust
  // it and takes the public way (flushHeaders, then the body).
  class OddResponse extends ServerResponse {
    private stored: unknown;
    get _header(): unknown {
      return typeof this.stored === 'string' ? new String(this.stored) : this.stored;
    }
    set _header(v: unknown) {
      this.stored = v;
    }
  }

  it('falls back to flushHeaders and still sends exact bytes on a kept-alive connection', async () => {
    const b = await startTestBroker();
    const server = createServer({ ServerResponse: OddResponse as unknown as typeof ServerResponse }, (req: IncomingMessage, res: ServerResponse) => {
      const r = b.broker.engine.read({ topic: 'f', partition: 0 }, 0n, 1 << 20);
      void sendRegions(res, req.socket, b.broker.transfer, { 'Content-Type': 'application/octet-stream' }, r.regions, r.bytes);
    });
    try {
      await b.broker.produce('f', 0, numberedBatch('fallback', 20));
      server.listen(0, '127.0.0.1');
      await once(server, 'listening');
      const expected = readRegions(b.broker.engine.read({ topic: 'f', partition: 0 }, 0n, 1 << 20).regions);
      const before = transferCounters().sendfile;
      const c = await RawHttp.connect((server.address() as AddressInfo).port);
      c.write(get('/one') + get('/two'));
      for (let i = 0; i < 2; i++) {
        const r = await c.response();
        expect([r.statusLine, r.headers.connection]).toEqual(['HTTP/1.1 200 OK', 'keep-alive']);
        expect(r.body.equals(expected)).toBe(true);
      }
      const after = transferCounters().sendfile;
      expect(after.fileBytes - before.fileBytes).toBe(2 * expected.length);
      expect(after.headerBytes - before.headerBytes).toBe(0); // Node wrote the heads itself
      expect([c.extra, c.closed]).toEqual([0, false]);
      c.close();
    } finally {
      server.closeAllConnections();
      server.close();
      await b.destroy();
    }
  });
});
