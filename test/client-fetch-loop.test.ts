// The load tools' response reading: a frame split over several TCP chunks
// comes out whole (a chunk that completes no frame used to wake the reader
// with nothing, and the lab's fetch loop died on it), and the fetch loop
// reads a partition to its end, or says what an empty answer held, over
// TCP and over TLS.
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { missing } from './helpers/requires.js';
import { fetchLoop } from '../src/client/load/fetch-loop.js';
import { produceLoad, type ProducerLoadResult } from '../src/client/load/producer.js';
import { ResponseFrames } from '../src/client/response-frames.js';
import { resetStreamSendCounters, streamSendCounters } from '../src/transfer/stream-send.js';
import { startTestBroker, type TestBroker } from './helpers/broker.js';
import { hasOpenssl, makeTestCerts, type TestCerts } from './helpers/certs.js';
import { PairFactory } from './helpers/sockets.js';
import { turns } from './helpers/until.js';

describe('response frames', () => {
  const pairs = new PairFactory();
  beforeAll(() => pairs.start());
  afterAll(() => pairs.stop());

  const frame = (body: string): Buffer => {
    const b = Buffer.alloc(4 + body.length);
    b.writeInt32BE(body.length, 0);
    b.write(body, 4);
    return b;
  };

  /** Writes `bytes` and resolves once the receiver has seen them (ResponseFrames listened first). */
  const deliver = async (sender: Socket, receiver: Socket, bytes: Buffer): Promise<void> => {
    let got = 0;
    const seen = new Promise<void>((resolve) => {
      const onData = (b: Buffer): void => {
        got += b.length;
        if (got < bytes.length) return;
        receiver.off('data', onData);
        resolve();
      };
      receiver.on('data', onData);
    });
    sender.write(bytes);
    await seen;
    // Let any continuation the chunk woke run before the caller looks (all are microtasks, done within a turn).
    await turns(1);
  };

  for (const timeoutMs of [undefined, 30_000]) {
    it(`waits for the rest of a frame that arrives in pieces (${timeoutMs === undefined ? 'no timeout' : 'with a timeout'})`, async () => {
      const { sender, receiver } = await pairs.pair();
      const frames = new ResponseFrames(receiver);
      const whole = frame('correlation id and a body long enough to split');
      let settled: Buffer | undefined | 'pending' = 'pending';
      const next = (timeoutMs === undefined ? frames.next() : frames.next(timeoutMs)).then((f) => (settled = f));
      await deliver(sender, receiver, whole.subarray(0, 2)); // part of the size
      expect(settled).toBe('pending');
      await deliver(sender, receiver, whole.subarray(2, 20)); // size and part of the body
      expect(settled).toBe('pending');
      await deliver(sender, receiver, whole.subarray(20));
      expect((await next)?.toString('latin1')).toBe('correlation id and a body long enough to split');
    });
  }

  it('hands over frames that came together one by one, then reports the close', async () => {
    const { sender, receiver } = await pairs.pair();
    const frames = new ResponseFrames(receiver);
    sender.end(Buffer.concat([frame('first'), frame('second')]));
    await once(receiver, 'end');
    expect((await frames.next()).toString('latin1')).toBe('first');
    expect((await frames.next()).toString('latin1')).toBe('second');
    await expect(frames.next()).rejects.toThrow(/closed the connection/);
  });
});

describe('fetch loop', () => {
  const recordsPerBatch = 16;
  let broker: TestBroker;
  let produced: ProducerLoadResult;
  let batchBytes = 0;
  let certs: TestCerts | null = null;
  beforeAll(async () => {
    certs = hasOpenssl() ? makeTestCerts() : null;
    broker = await startTestBroker(certs ? { listeners: 'PLAINTEXT://127.0.0.1:0,SSL://127.0.0.1:0', 'ssl.keystore.location': certs.serverStore } : {});
    broker.broker.topics.create('data', 1);
    broker.broker.topics.create('empty', 1);
    produced = await produceLoad({ host: '127.0.0.1', port: broker.port, topic: 'data', partitions: [0], recordsPerBatch, valueBytes: 1024, acks: 1, window: 16, targetRecordsPerSecond: 0, maxRecords: 4800, maxMs: 30_000 });
    batchBytes = produced.bytes / (produced.sentRecords / recordsPerBatch);
  });
  afterAll(async () => {
    await broker.destroy();
    certs?.cleanup();
  });

  it('reads a partition from start to end at small and large fetch sizes', async () => {
    const p = produced;
    expect([p.ackedRecords, p.errors]).toEqual([4800, 0]);
    const batches = p.sentRecords / recordsPerBatch;
    // Below one batch (KIP-74: the first batch comes whole): one batch per fetch.
    const small = await fetchLoop('127.0.0.1', broker.port, 'data', 4800n, recordsPerBatch, batchBytes, 16 * 1024);
    expect([small.bytes, small.requests]).toEqual([p.bytes, batches]);
    // 1 MiB answers arrive in many TCP chunks; a partial batch at the end of one is fetched again.
    const large = await fetchLoop('127.0.0.1', broker.port, 'data', 4800n, recordsPerBatch, batchBytes, 1024 * 1024);
    expect(large.requests).toBeLessThan(batches / 10);
    expect(large.bytes).toBeGreaterThanOrEqual(p.bytes);
    expect(large.bytes).toBeLessThan(p.bytes + large.requests * batchBytes);
  });

  it('stops on an answer with no records, naming its error code and that no record bytes came', async () => {
    // The loop tells record bytes from the response's own by an empty Fetch v11 answer's size: 0 here means that size is right.
    await expect(fetchLoop('127.0.0.1', broker.port, 'empty', 1n, recordsPerBatch, batchBytes, 1024 * 1024)).rejects.toThrow(/^fetch at 0: error 0, 0 record bytes/);
    await expect(fetchLoop('127.0.0.1', broker.port, 'data', 1_000_000n, recordsPerBatch, batchBytes, 1024 * 1024)).rejects.toThrow(/^fetch at 4800: error 0, 0 record bytes/);
  });

  it.skipIf(missing('openssl (apt install openssl)', hasOpenssl()))('reads the same over the SSL listener, the bytes going through the stream path (pread, then OpenSSL)', async () => {
    const ssl = broker.listeners.find((l) => l.name === 'SSL')!;
    const ca = readFileSync(certs!.caPem);
    const plain = await fetchLoop('127.0.0.1', broker.port, 'data', 4800n, recordsPerBatch, batchBytes, 1024 * 1024);
    resetStreamSendCounters();
    const tls = await fetchLoop(ssl.host, ssl.port, 'data', 4800n, recordsPerBatch, batchBytes, 1024 * 1024, { apiVersion: 11, tls: { ca } });
    expect([tls.bytes, tls.requests]).toEqual([plain.bytes, plain.requests]);
    expect(tls.tls).toMatch(/^TLSv1\.[23] /);
    expect(plain.tls).toBeUndefined();
    expect(streamSendCounters.fileBytes).toBe(tls.bytes);
    expect(streamSendCounters.copiedBytes).toBe(tls.bytes);
    // Trusting only another authority: the handshake fails before any fetch.
    await expect(fetchLoop(ssl.host, ssl.port, 'data', 4800n, recordsPerBatch, batchBytes, 1024 * 1024, { apiVersion: 11, tls: { ca: readFileSync(join(certs!.dir, 'rogue-ca.pem')) } })).rejects.toThrow(/certificate/);
  });
});
