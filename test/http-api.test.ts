// The HTTP API over a real broker on loopback: health, topics, produce (JSON
// and raw batches) and fetch (raw bytes against what the engine holds, and
// JSON), and bad input answered clearly while the server keeps serving.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHttpApi, type HttpApi } from '../src/http/index.js';
import { MAX_JSON_RECORDS } from '../src/http/json-records.js';
import { decodeBatch, encodeBatch } from '../src/records/index.js';
import { numberedBatch } from './helpers/batches.js';
import { startTestBroker, type TestBroker } from './helpers/broker.js';
import { batchesIn, readRegions } from './helpers/regions.js';
import { appended, fetchWaiting } from './helpers/broker-events.js';

const BATCH = 'application/vnd.kafka.batch';

describe('HTTP API', () => {
  let b: TestBroker;
  let api: HttpApi;
  let base: string;

  beforeAll(async () => {
    b = await startTestBroker({ 'num.partitions': '2', 'message.max.bytes': String(64 * 1024) });
    api = await startHttpApi(b.broker, { port: 0, maxBodyBytes: 256 * 1024 });
    base = `http://127.0.0.1:${api.port}`;
  });
  afterAll(async () => {
    await api?.close();
    await b?.destroy();
  });

  const post = (path: string, body: string | Buffer, type: string): Promise<Response> =>
    fetch(base + path, { method: 'POST', body: typeof body === 'string' ? body : new Uint8Array(body), headers: { 'Content-Type': type } });
  const postJson = (path: string, body: unknown): Promise<Response> => post(path, JSON.stringify(body), 'application/json');
  /** The log bytes the engine holds for the partition from `offset`, as a fetch of `maxBytes` reads them. */
  const engineBytes = (topic: string, partition: number, offset: bigint, maxBytes = 1 << 20): Buffer =>
    readRegions(b.broker.engine.read({ topic, partition }, offset, maxBytes).regions);

  it('binds 127.0.0.1 and answers /health', async () => {
    expect(api.host).toBe('127.0.0.1');
    const r = await fetch(`${base}/health`);
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toMatch(/^application\/json/);
    const body = await r.json();
    expect(body).toEqual({ status: 'ok', engine: 'segmented', transfer: 'sendfile', uptimeSeconds: expect.any(Number) });
  });

  it('creates and lists topics with their partitions and offsets', async () => {
    const created = await postJson('/topics', { name: 'orders', partitions: 3 });
    expect(created.status).toBe(201);
    expect(created.headers.get('location')).toBe('/topics/orders');
    expect(await created.json()).toMatchObject({ name: 'orders', internal: false, partitions: [{ partition: 0, highWatermark: 0, logStartOffset: 0 }, { partition: 1 }, { partition: 2 }] });

    const again = await postJson('/topics', { name: 'orders', partitions: 1 });
    expect(again.status).toBe(409);
    expect(await again.json()).toMatchObject({ error: 'TOPIC_ALREADY_EXISTS' });
    expect((await (await postJson('/topics', { name: 'bad name!' })).json()).error).toBe('INVALID_TOPIC_EXCEPTION');
    const zero = await postJson('/topics', { name: 'zero', partitions: 0 });
    expect([zero.status, (await zero.json()).error]).toEqual([400, 'INVALID_PARTITIONS']);
    const badConfig = await postJson('/topics', { name: 'cfg', configs: { 'retention.ms': 'soon' } });
    expect([badConfig.status, (await badConfig.json()).error]).toEqual([400, 'INVALID_CONFIG']);
    const defaults = await postJson('/topics', { name: 'defaulted' });
    expect((await defaults.json()).partitions).toHaveLength(2); // num.partitions

    const list = await (await fetch(`${base}/topics`)).json();
    const names = list.topics.map((t: { name: string }) => t.name);
    expect(names).toEqual(expect.arrayContaining(['orders', 'defaulted', '__consumer_offsets']));
    expect(list.topics.find((t: { name: string }) => t.name === '__consumer_offsets').internal).toBe(true);
    expect((await fetch(`${base}/topics/orders`)).status).toBe(200);
    const missing = await fetch(`${base}/topics/nope`);
    expect([missing.status, (await missing.json()).error]).toEqual([404, 'UNKNOWN_TOPIC_OR_PARTITION']);
  });

  it('produces JSON records and raw batches, and fetch returns exactly the bytes the log holds', async () => {
    const json = await postJson('/topics/orders/partitions/1/records', {
      records: [{ key: 'k1', value: 'hello', headers: [{ key: 'h', value: 'v' }] }, { value: 'world' }, { key: 'k3', value: null }],
    });
    expect(json.status).toBe(200);
    expect(await json.json()).toEqual({ topic: 'orders', partition: 1, baseOffset: 0, logStartOffset: 0, recordCount: 3 });

    const raw = await post('/topics/orders/partitions/1/records?acks=1', numberedBatch('raw', 5), BATCH);
    expect(raw.status).toBe(200);
    expect(await raw.json()).toEqual({ topic: 'orders', partition: 1, baseOffset: 3, logStartOffset: 0 });
    const two = Buffer.concat([numberedBatch('a', 2), numberedBatch('b', 2)]); // several batches in one body
    expect((await (await post('/topics/orders/partitions/1/records', two, BATCH)).json()).baseOffset).toBe(8);

    const r = await fetch(`${base}/topics/orders/partitions/1/records?offset=0`);
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toBe(BATCH);
    expect(r.headers.get('x-high-watermark')).toBe('12');
    expect(r.headers.get('x-log-start-offset')).toBe('0');
    const body = Buffer.from(await r.arrayBuffer());
    expect(Number(r.headers.get('content-length'))).toBe(body.length);
    expect(body.equals(engineBytes('orders', 1, 0n))).toBe(true);
    expect(batchesIn(body).map((x) => [x.baseOffset, x.lastOffset, x.crcOk])).toEqual([[0, 2, true], [3, 7, true], [8, 9, true], [10, 11, true]]);
    const first = decodeBatch(body, 0).records;
    expect(first.map((x) => [x.key?.toString() ?? null, x.value?.toString() ?? null])).toEqual([['k1', 'hello'], [null, 'world'], ['k3', null]]);
    expect(first[0]!.headers.map((h) => [h.key, h.value?.toString()])).toEqual([['h', 'v']]);

    // From the middle: whole batches from the one holding the offset, as Kafka answers.
    const mid = Buffer.from(await (await fetch(`${base}/topics/orders/partitions/1/records?offset=5`)).arrayBuffer());
    expect(mid.equals(engineBytes('orders', 1, 5n))).toBe(true);
    expect(batchesIn(mid)[0]!.baseOffset).toBe(3);
    // maxBytes: the first batch comes whole even past it (KIP-74).
    const small = Buffer.from(await (await fetch(`${base}/topics/orders/partitions/1/records?offset=0&maxBytes=10`)).arrayBuffer());
    expect(small.equals(engineBytes('orders', 1, 0n, 10))).toBe(true);
    expect(batchesIn(small)).toHaveLength(1);
    // At the high watermark: an empty body, still a 200 with the marks.
    const end = await fetch(`${base}/topics/orders/partitions/1/records?offset=latest`);
    expect([end.status, end.headers.get('content-length'), (await end.arrayBuffer()).byteLength]).toEqual([200, '0', 0]);
  });

  it('fetches records as JSON, from an offset inside a batch', async () => {
    const r = await fetch(`${base}/topics/orders/partitions/1/records?offset=1&format=json`);
    expect(r.status).toBe(200);
    const body = await r.json();
    expect(body).toMatchObject({ topic: 'orders', partition: 1, highWatermark: 12, logStartOffset: 0, nextOffset: 12 });
    expect(body.records[0]).toEqual({ offset: 1, timestamp: expect.any(Number), key: null, value: 'world', headers: [] });
    expect(body.records[1]).toMatchObject({ offset: 2, key: 'k3', value: null });
    expect(body.records.map((x: { offset: number }) => x.offset)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    expect(body.records[2].value).toBe('raw-0');
  });

  it('answers at most 10,000 records as JSON, with the offset to go on from', async () => {
    // Empty records, 6,000 to a batch (under message.max.bytes, 64 KiB here): two batches, 12,000 records.
    const empty = (n: number): Buffer => encodeBatch({ baseTimestamp: 0n, records: Array.from({ length: n }, () => ({ key: null, value: Buffer.alloc(0), headers: [] })) });
    for (let i = 0; i < 2; i++) expect((await post('/topics/many/partitions/0/records', empty(6000), BATCH)).status).toBe(200);
    const first = await (await fetch(`${base}/topics/many/partitions/0/records?offset=0&format=json`)).json();
    expect([first.records.length, first.records.at(-1).offset, first.nextOffset]).toEqual([MAX_JSON_RECORDS, MAX_JSON_RECORDS - 1, MAX_JSON_RECORDS]);
    const rest = await (await fetch(`${base}/topics/many/partitions/0/records?offset=${first.nextOffset}&format=json`)).json();
    expect([rest.records.length, rest.records[0].offset, rest.nextOffset]).toEqual([12_000 - MAX_JSON_RECORDS, MAX_JSON_RECORDS, 12_000]);
  });

  it('long-polls: a fetch at the high watermark waits for the next append', async () => {
    const parked = fetchWaiting(b.broker, 'orders');
    const waiting = fetch(`${base}/topics/orders/partitions/2/records?offset=0&maxWaitMs=5000`);
    await parked;
    await post('/topics/orders/partitions/2/records', numberedBatch('late', 1), BATCH);
    const r = await waiting;
    expect(r.headers.get('x-high-watermark')).toBe('1');
    expect(batchesIn(Buffer.from(await r.arrayBuffer()))).toHaveLength(1);
  });

  it('answers acks=0 at once and appends all the same', async () => {
    const r = await post('/topics/acks0/partitions/0/records?acks=0', numberedBatch('z', 2), BATCH);
    expect([r.status, await r.json()]).toEqual([202, { topic: 'acks0', partition: 0, accepted: true }]);
    await appended(b.broker, 'acks0', 0, 2n, 5_000);
    expect(b.broker.engine.highWatermark({ topic: 'acks0', partition: 0 })).toBe(2n);
  });

  describe('bad input', () => {
    const expectError = async (r: Response | Promise<Response>, status: number, error: string): Promise<Record<string, unknown>> => {
      const res = await r;
      const body = await res.json();
      expect([res.status, body.error], JSON.stringify(body)).toEqual([status, error]);
      expect(typeof body.message).toBe('string');
      return body;
    };
    const records = '/topics/orders/partitions/0/records';

    it('refuses bad JSON, bad records and unknown media types', async () => {
      await expectError(post(records, '{"records": [', 'application/json'), 400, 'INVALID_JSON');
      await expectError(postJson(records, { records: [] }), 400, 'INVALID_REQUEST');
      await expectError(postJson(records, { records: [{ key: 'no value' }] }), 400, 'INVALID_REQUEST');
      const typed = await expectError(postJson(records, { records: [{ value: 1 }] }), 400, 'INVALID_REQUEST');
      expect(typed.message).toContain('records[0].value');
      await expectError(postJson(records, { records: [{ value: 'v', headers: { a: 'b' } }] }), 400, 'INVALID_REQUEST');
      await expectError(post(records, 'hello', 'text/plain'), 415, 'UNSUPPORTED_MEDIA_TYPE');
      await expectError(post('/topics', '{nope', 'application/json'), 400, 'INVALID_JSON');
      await expectError(postJson('/topics', { partitions: 1 }), 400, 'INVALID_REQUEST');
    });

    it('refuses batches the broker refuses, with the Kafka error name', async () => {
      const corrupt = numberedBatch('c', 3);
      corrupt[corrupt.length - 1]! ^= 0xff; // breaks the CRC
      await expectError(post(records, corrupt, BATCH), 400, 'CORRUPT_MESSAGE');
      await expectError(post(records, Buffer.from('not a batch'), BATCH), 400, 'CORRUPT_MESSAGE');
      const v1 = numberedBatch('m', 1);
      v1[16] = 1; // magic 1
      await expectError(post(records, v1, BATCH), 400, 'INVALID_RECORD');
      // Over message.max.bytes (64 KiB here) but under the body limit.
      await expectError(post(records, numberedBatch('x'.repeat(1000), 100), BATCH), 413, 'MESSAGE_TOO_LARGE');
      await expectError(post('/topics/orders/partitions/9/records', numberedBatch('p', 1), BATCH), 404, 'UNKNOWN_TOPIC_OR_PARTITION');
      await expectError(post(`${records}?acks=2`, numberedBatch('p', 1), BATCH), 400, 'INVALID_REQUEST');
    });

    it('refuses bodies over the limit before reading them, and closes that connection', async () => {
      const r = await post(records, Buffer.alloc(300 * 1024), BATCH);
      expect(r.headers.get('connection')).toBe('close');
      await expectError(r, 413, 'PAYLOAD_TOO_LARGE');
      // Chunked, no Content-Length: cut off once past the limit.
      const chunks = new ReadableStream<Uint8Array>({
        start(c) {
          for (let i = 0; i < 5; i++) c.enqueue(new Uint8Array(100 * 1024));
          c.close();
        },
      });
      const streamed = await fetch(base + records, { method: 'POST', body: chunks, headers: { 'Content-Type': BATCH }, duplex: 'half' } as RequestInit);
      await expectError(streamed, 413, 'PAYLOAD_TOO_LARGE');
    });

    it('refuses JSON records that cannot fit in a batch before building them (each would cost a Buffer and an object)', async () => {
      // Under the body limit (256 KiB here), but 18,000 records cannot fit in message.max.bytes (64 KiB here).
      const many = { records: Array.from({ length: 18_000 }, () => ({ value: '' })) };
      const body = await expectError(postJson(records, many), 413, 'MESSAGE_TOO_LARGE');
      expect(body.message).toBe('18000 records take at least 126061 bytes as a batch, over the limit of 65536');
      const big = await expectError(postJson(records, { records: [{ key: 'k', value: 'v'.repeat(70_000) }] }), 413, 'MESSAGE_TOO_LARGE');
      expect(big.message).toMatch(/^1 record takes at least 70069 bytes/);
    });

    it('refuses bad fetches: unknown partition 404, offset out of range 416, bad parameters 400', async () => {
      await expectError(fetch(`${base}/topics/nope/partitions/0/records?offset=0`), 404, 'UNKNOWN_TOPIC_OR_PARTITION');
      await expectError(fetch(`${base}/topics/orders/partitions/7/records?offset=0`), 404, 'UNKNOWN_TOPIC_OR_PARTITION');
      const range = await expectError(fetch(`${base}/topics/orders/partitions/1/records?offset=999`), 416, 'OFFSET_OUT_OF_RANGE');
      expect(range).toMatchObject({ logStartOffset: 0, highWatermark: 12 });
      await expectError(fetch(`${base}/topics/orders/partitions/1/records`), 400, 'INVALID_REQUEST');
      await expectError(fetch(`${base}/topics/orders/partitions/1/records?offset=-1`), 400, 'INVALID_REQUEST');
      await expectError(fetch(`${base}/topics/orders/partitions/x/records?offset=0`), 400, 'INVALID_REQUEST');
      await expectError(fetch(`${base}/topics/orders/partitions/1/records?offset=0&maxBytes=0`), 400, 'INVALID_REQUEST');
      await expectError(fetch(`${base}/topics/orders/partitions/1/records?offset=0&maxWaitMs=99999999`), 400, 'INVALID_REQUEST');
      await expectError(fetch(`${base}/topics/orders/partitions/1/records?offset=0&format=xml`), 400, 'INVALID_REQUEST');
      await expectError(fetch(`${base}/topics/or%ZZders`), 400, 'INVALID_REQUEST');
    });

    it('answers unknown routes 404 and wrong methods 405 with Allow', async () => {
      await expectError(fetch(`${base}/nowhere`), 404, 'NOT_FOUND');
      const r = await fetch(`${base}/health`, { method: 'DELETE' });
      expect(r.headers.get('allow')).toBe('GET');
      await expectError(r, 405, 'METHOD_NOT_ALLOWED');
    });

    it('keeps serving after all of that', async () => {
      expect((await fetch(`${base}/health`)).status).toBe(200);
      const body = Buffer.from(await (await fetch(`${base}/topics/orders/partitions/1/records?offset=0`)).arrayBuffer());
      expect(body.equals(engineBytes('orders', 1, 0n))).toBe(true);
    });
  });
});

describe('HTTP API lifecycle', () => {
  it('refuses a port in use and bad options; close() ends long polls within the grace and stops accepting', async () => {
    const b = await startTestBroker();
    try {
      const api = await startHttpApi(b.broker, { port: 0, closeGraceMs: 200 });
      await expect(startHttpApi(b.broker, { port: api.port })).rejects.toMatchObject({ code: 'EADDRINUSE' });
      await expect(startHttpApi(b.broker, { port: 0, maxBodyBytes: 0 })).rejects.toThrow(/maxBodyBytes/);

      b.broker.createTopic('lp', 1);
      const parked = fetchWaiting(b.broker, 'lp');
      const poll = fetch(`http://127.0.0.1:${api.port}/topics/lp/partitions/0/records?offset=0&maxWaitMs=20000`).then(
        (r) => r.status,
        () => 'cut',
      );
      await parked;
      const started = Date.now();
      await api.close();
      expect(Date.now() - started).toBeLessThan(2000);
      expect(await poll).toBe('cut');
      await expect(fetch(`http://127.0.0.1:${api.port}/health`)).rejects.toThrow();
      await api.close(); // twice is fine
    } finally {
      await b.destroy();
    }
  });
});
