// The HTTP listener's limits (src/http/limits.ts), each against a real
// server on loopback with short settings: slow clients are cut off at the
// head and request timeouts (a test waits for the close, an event), idle
// keep-alive connections are closed, long polls are not, heads over the
// limit get 431, connections over the limit are closed on arrival, and
// bodies read at once share a budget without waiting on each other.
import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BodyBudget } from '../src/http/body-budget.js';
import { startHttpApi, type HttpApi } from '../src/http/index.js';
import { DEFAULT_HTTP_LIMITS, httpLimitsFrom } from '../src/http/limits.js';
import { numberedBatch } from './helpers/batches.js';
import { startTestBroker, type TestBroker } from './helpers/broker.js';

const HEADERS_TIMEOUT_MS = 400;
const REQUEST_TIMEOUT_MS = 800;
const KEEP_ALIVE_TIMEOUT_MS = 300;
/** Node looks for requests past their timeouts every quarter of the shorter one; then answers and closes. */
const SLACK_MS = 400;

interface Outcome {
  /** What the server sent before closing. */
  text: string;
  afterMs: number;
}

/** Connects, runs `talk`, and resolves when the server closes the connection. */
async function untilClosed(port: number, talk: (s: Socket) => void): Promise<Outcome> {
  const s = connect(port, '127.0.0.1');
  await once(s, 'connect');
  const started = performance.now();
  let text = '';
  s.on('data', (d: Buffer) => (text += d.toString('latin1')));
  s.on('error', () => undefined);
  // Not once(): an error (EPIPE, once the server has answered and closed) would reject it.
  const closed = new Promise<void>((resolve) => s.once('close', () => resolve()));
  talk(s);
  await closed;
  return { text, afterMs: performance.now() - started };
}

/** Writes `bytes` one at a time, each on its own timer tick: a slow-loris client. */
function trickle(s: Socket, bytes: string, everyMs = 20): void {
  let i = 0;
  const timer = setInterval(() => {
    if (s.destroyed || i >= bytes.length) return clearInterval(timer);
    s.write(bytes[i++]!);
  }, everyMs);
  s.once('close', () => clearInterval(timer));
}

describe('HTTP listener limits', () => {
  let b: TestBroker;
  let api: HttpApi;

  beforeAll(async () => {
    b = await startTestBroker();
    api = await startHttpApi(b.broker, {
      port: 0,
      headersTimeoutMs: HEADERS_TIMEOUT_MS,
      requestTimeoutMs: REQUEST_TIMEOUT_MS,
      keepAliveTimeoutMs: KEEP_ALIVE_TIMEOUT_MS,
      maxHeaderBytes: 2048,
    });
  });
  afterAll(async () => {
    await api?.close();
    await b?.destroy();
  });

  const health = async (): Promise<number> => (await fetch(`http://127.0.0.1:${api.port}/health`)).status;

  it('sets every limit explicitly, with the documented defaults', () => {
    expect(DEFAULT_HTTP_LIMITS).toEqual({
      maxBodyBytes: 16 * 1024 * 1024,
      maxBodyBytesInFlight: 32 * 1024 * 1024,
      maxHeaderBytes: 16 * 1024,
      headersTimeoutMs: 10_000,
      requestTimeoutMs: 60_000,
      keepAliveTimeoutMs: 5_000,
      maxConnections: 1_000,
    });
    expect(api.limits).toMatchObject({ headersTimeoutMs: HEADERS_TIMEOUT_MS, requestTimeoutMs: REQUEST_TIMEOUT_MS, maxHeaderBytes: 2048 });
    expect(() => httpLimitsFrom({ headersTimeoutMs: 2000, requestTimeoutMs: 1000 })).toThrow(/headersTimeoutMs must not exceed requestTimeoutMs/);
    expect(() => httpLimitsFrom({ maxConnections: 0 })).toThrow(/maxConnections must be a positive integer/);
    expect(httpLimitsFrom({ maxBodyBytes: 100 << 20 }).maxBodyBytesInFlight).toBe(100 << 20);
  });

  it('closes a connection that sends nothing with 408 after the head timeout', async () => {
    const o = await untilClosed(api.port, () => undefined);
    expect(o.text).toMatch(/^HTTP\/1\.1 408 /);
    expect(o.afterMs).toBeGreaterThanOrEqual(HEADERS_TIMEOUT_MS - 20);
    expect(o.afterMs).toBeLessThan(HEADERS_TIMEOUT_MS + SLACK_MS);
  });

  it('closes a slow-loris head, sent a byte at a time, with 408 after the head timeout', async () => {
    const o = await untilClosed(api.port, (s) => trickle(s, `GET /health HTTP/1.1\r\nHost: x\r\n${'X-Slow: yes\r\n'.repeat(100)}\r\n`));
    expect(o.text).toMatch(/^HTTP\/1\.1 408 /);
    expect(o.afterMs).toBeLessThan(HEADERS_TIMEOUT_MS + SLACK_MS);
    expect(await health()).toBe(200);
  });

  it('closes a body trickled, or shorter than its Content-Length, with 408 after the request timeout', async () => {
    const head = `POST /topics/t/partitions/0/records HTTP/1.1\r\nHost: x\r\nContent-Type: application/vnd.kafka.batch\r\nContent-Length: 1000\r\n\r\n`;
    const [slow, short] = await Promise.all([
      untilClosed(api.port, (s) => {
        s.write(head);
        trickle(s, 'x'.repeat(1000));
      }),
      untilClosed(api.port, (s) => s.write(`${head}${'x'.repeat(10)}`)),
    ]);
    for (const o of [slow, short]) {
      expect(o.text).toMatch(/^HTTP\/1\.1 408 /);
      expect(o.afterMs).toBeGreaterThanOrEqual(REQUEST_TIMEOUT_MS - 20);
      expect(o.afterMs).toBeLessThan(REQUEST_TIMEOUT_MS + SLACK_MS);
    }
  });

  it('closes an idle keep-alive connection after its request was answered', async () => {
    const o = await untilClosed(api.port, (s) => s.write('GET /health HTTP/1.1\r\nHost: x\r\n\r\n'));
    expect(o.text).toMatch(/^HTTP\/1\.1 200 /);
    // Node holds the socket open up to a second past the timeout it announces, so that the client closes first.
    expect(o.afterMs).toBeLessThan(KEEP_ALIVE_TIMEOUT_MS + 1000 + SLACK_MS);
  });

  it('lets an answer take longer than the request timeout: a long poll', async () => {
    const r = await fetch(`http://127.0.0.1:${api.port}/topics`, { method: 'POST', body: JSON.stringify({ name: 'poll', partitions: 1 }), headers: { 'Content-Type': 'application/json' } });
    expect(r.status).toBe(201);
    const started = performance.now();
    const poll = await fetch(`http://127.0.0.1:${api.port}/topics/poll/partitions/0/records?offset=0&maxWaitMs=${REQUEST_TIMEOUT_MS + 500}`);
    expect(poll.status).toBe(200);
    expect(performance.now() - started).toBeGreaterThanOrEqual(REQUEST_TIMEOUT_MS + 500 - 50);
  });

  it('answers a head over maxHeaderBytes with 431 and closes', async () => {
    const o = await untilClosed(api.port, (s) => s.write(`GET /health HTTP/1.1\r\nHost: x\r\nX-Big: ${'b'.repeat(4000)}\r\n\r\n`));
    expect(o.text).toMatch(/^HTTP\/1\.1 431 /);
    expect(await health()).toBe(200);
  });

  it('closes connections over maxConnections as they arrive, and serves again once they go', async () => {
    // Its own server, with the default head timeout: the held connections must not time out meanwhile.
    const few = await startHttpApi(b.broker, { port: 0, maxConnections: 20 });
    try {
      const held: Socket[] = [];
      for (let i = 0; i < 20; i++) {
        const s = connect(few.port, '127.0.0.1');
        s.on('error', () => undefined);
        held.push(s);
        await once(s, 'connect');
      }
      const extra = await Promise.all(Array.from({ length: 3 }, () => untilClosed(few.port, () => undefined)));
      expect(extra.map((o) => o.text)).toEqual(['', '', '']);
      expect(few.refusedConnections).toBe(3);
      for (const s of held) s.destroy();
      // The server learns of the closes a moment later; until then a new connection may still be refused.
      let status = 0;
      for (let tries = 0; status !== 200 && tries < 1000; tries++) status = await fetch(`http://127.0.0.1:${few.port}/health`).then((r) => r.status, () => 0);
      expect(status).toBe(200);
    } finally {
      await few.close();
    }
  });

  it('answers produce bodies sent at once through a budget smaller than them all', async () => {
    const small = await startHttpApi(b.broker, { port: 0, maxBodyBytes: 64 * 1024, maxBodyBytesInFlight: 64 * 1024 });
    try {
      const batch = numberedBatch('x'.repeat(200), 200); // about 45 KiB
      const answers = await Promise.all(
        Array.from({ length: 12 }, () =>
          fetch(`http://127.0.0.1:${small.port}/topics/budget/partitions/0/records`, { method: 'POST', body: new Uint8Array(batch), headers: { 'Content-Type': 'application/vnd.kafka.batch' } }).then((r) => r.status),
        ),
      );
      expect(answers).toEqual(Array(12).fill(200));
    } finally {
      await small.close();
    }
  });
});

describe('the body budget', () => {
  it('pauses every body but the oldest once spent, and resumes them as bytes come back', () => {
    const budget = new BodyBudget(100);
    const first = budget.start();
    const second = budget.start();
    expect(second.take(60)).toBe(true);
    // Spent: the oldest body reads on, whatever the budget says, so that bodies never wait on each other.
    expect(first.take(60)).toBe(true);
    expect(second.take(10)).toBe(false);
    let resumed = 0;
    second.waitForTurn(() => resumed++);
    expect(first.take(50)).toBe(true);
    // The oldest is read: the next in line becomes the oldest and reads on.
    first.end();
    expect(resumed).toBe(1);
    expect(budget.usedBytes).toBe(180);
    budget.give(first.held);
    expect(budget.usedBytes).toBe(70);
    const third = budget.start();
    expect(third.take(40)).toBe(false);
    third.waitForTurn(() => resumed++);
    second.end();
    budget.give(second.held);
    expect(resumed).toBe(2);
  });
});
