// A fetch response that waits to be sent carries exactly the bytes of the
// topic it answers, even when that topic's files are deleted meanwhile
// (DeleteTopics, retention) and new files take their fd numbers. The
// response waits either behind a send to a reader that has stopped reading
// (queued on the socket) or behind a long-poll fetch on the same connection
// (responses leave in request order). Kafka protocol and HTTP alike, every
// engine and strategy.
import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { KafkaConnection } from '../src/client/connection.js';
import { startHttpApi, type HttpApi } from '../src/http/index.js';
import { native, STRATEGY_NAMES, type StrategyName } from '../src/native/addon.js';
import { FrameDecoder, MIN_RESPONSE_FRAME_BYTES } from '../src/protocol/kafka/frame-decoder.js';
import { ApiKeys, bytesOf, decodeResponse, encodeRequest, type RequestInput } from '../src/protocol/kafka/index.js';
import { sharedFileStats } from '../src/transfer/index.js';
import { batchOf } from './helpers/batches.js';
import { startTestBroker, type TestBroker } from './helpers/broker.js';
import { until } from './helpers/until.js';
import { fetchAnswered } from './helpers/broker-events.js';

const SEGMENT_BYTES = 4 * 1024 * 1024;
const VALUE_BYTES = 512 * 1024;
const FETCH_VERSION = 11;
const BIG_GETS = 5;

type Event = 'DeleteTopics' | 'retention';
type Hold = 'queued behind a blocked send' | 'held behind a long poll';
const EVENTS: Event[] = ['DeleteTopics', 'retention'];
const HOLDS: Hold[] = ['queued behind a blocked send', 'held behind a long poll'];

let broker: TestBroker | null = null;
let http: HttpApi | null = null;
afterEach(async () => {
  await http?.close();
  http = null;
  await broker?.destroy();
  broker = null;
});

async function startFor(engine: string, strategy: StrategyName): Promise<TestBroker> {
  broker = await startTestBroker({
    'mqlab.storage.engine': engine,
    'transfer.strategy': strategy,
    'log.segment.bytes': String(SEGMENT_BYTES),
    // The commit log's retention is the broker's (its log is shared); the
    // segmented engine's is set per topic below.
    ...(engine === 'commitlog' ? { 'log.retention.bytes': '1' } : {}),
  });
  return broker;
}

/** Appends `batches` batches of one record of VALUE_BYTES bytes filled with `fill`, to every partition. */
async function fill(b: TestBroker, topic: string, partitions: number, batches: number, fill: number): Promise<void> {
  const batch = batchOf([{ value: Buffer.alloc(VALUE_BYTES, fill) }]);
  for (let p = 0; p < partitions; p++) {
    for (let i = 0; i < batches; i++) {
      const r = await b.broker.produce(topic, p, Buffer.from(batch), 1);
      expect(r.error).toBe('NONE');
    }
  }
}

function fetchBody(topic: string, partitions: number, maxWaitMs = 0): RequestInput<typeof ApiKeys.Fetch> {
  return {
    replicaId: -1,
    maxWaitMs,
    minBytes: 1,
    maxBytes: 64 * 1024 * 1024,
    isolationLevel: 0,
    sessionId: 0,
    sessionEpoch: -1,
    topics: [{ topic, partitions: Array.from({ length: partitions }, (_, p) => ({ partition: p, currentLeaderEpoch: -1, fetchOffset: 0n, logStartOffset: -1n, partitionMaxBytes: 16 * 1024 * 1024 })) }],
    forgottenTopicsData: [],
    rackId: '',
  } as RequestInput<typeof ApiKeys.Fetch>;
}

/** A Kafka client on a socket the test can stop reading from. */
class PausableKafka {
  private readonly decoder = new FrameDecoder(256 * 1024 * 1024, MIN_RESPONSE_FRAME_BYTES);
  private readonly frames: Buffer[] = [];
  private wake: (() => void) | null = null;
  private correlationId = 0;

  private constructor(readonly socket: Socket) {
    socket.on('data', (b: Buffer) => {
      this.frames.push(...this.decoder.push(b));
      this.wake?.();
    });
  }

  static async open(port: number): Promise<PausableKafka> {
    const s = connect(port, '127.0.0.1');
    await once(s, 'connect');
    return new PausableKafka(s);
  }

  fetch(body: RequestInput<typeof ApiKeys.Fetch>): void {
    const encoded = bytesOf(encodeRequest(ApiKeys.Fetch, FETCH_VERSION, ++this.correlationId, 'leases', body));
    const size = Buffer.alloc(4);
    size.writeInt32BE(encoded.length);
    this.socket.write(Buffer.concat([size, encoded]));
  }

  async next(): Promise<Map<string, Buffer>> {
    while (this.frames.length === 0) await new Promise<void>((r) => (this.wake = r));
    const body = decodeResponse(ApiKeys.Fetch, FETCH_VERSION, this.frames.shift()!).body;
    return recordsByPartition(body);
  }
}

function recordsByPartition(body: { responses: { topic: string; partitions: { partitionIndex: number; errorCode: number; records: unknown }[] }[] }): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  for (const t of body.responses) {
    for (const p of t.partitions) {
      expect(p.errorCode, `${t.topic}-${p.partitionIndex}`).toBe(0);
      out.set(`${t.topic}-${p.partitionIndex}`, (p.records as Buffer | null) ?? Buffer.alloc(0));
    }
  }
  return out;
}



/** Deletes the old topic's files, then opens new ones that take the freed fd numbers. */
async function pullTheFilesAway(b: TestBroker, engine: string, event: Event): Promise<void> {
  if (event === 'DeleteTopics') {
    await b.broker.deleteTopic('old');
  } else {
    // Enough on top for the oldest files to fall out of retention.
    await fill(b, 'old', 1, 12, 0x0d);
    await b.broker.enforceRetention();
    expect(b.broker.engine.logStartOffset({ topic: 'old', partition: 0 })).toBeGreaterThan(0n);
  }
  b.broker.createTopic('new', 4);
  await fill(b, 'new', 4, engine === 'commitlog' ? 10 : 9, 0xee);
}

async function prepare(engine: string, strategy: StrategyName, event: Event): Promise<{ b: TestBroker; expected: Buffer }> {
  const b = await startFor(engine, strategy);
  b.broker.createTopic('old', 1, engine === 'segmented' && event === 'retention' ? { 'retention.bytes': '1' } : {});
  await fill(b, 'old', 1, 12, 0x0a); // two segments / commit-log files
  // What a fetch of the old topic answers while nothing has happened.
  const reference = await KafkaConnection.open('127.0.0.1', b.port);
  const expected = recordsByPartition(await reference.request(ApiKeys.Fetch, FETCH_VERSION, fetchBody('old', 1))).get('old-0')!;
  reference.close();
  expect(expected.length).toBeGreaterThan(VALUE_BYTES);
  return { b, expected };
}

describe.each(['segmented', 'commitlog'])('%s engine', (engine) => {
  describe.each(STRATEGY_NAMES)('%s', (strategy) => {
    describe.each(EVENTS)('%s', (event) => {
      it.each(HOLDS)('a fetch response %s carries only its own topic', async (hold) => {
        const { b, expected } = await prepare(engine, strategy, event);
        const client = await PausableKafka.open(b.port);
        let first: Promise<Map<string, Buffer>>;
        if (hold === 'queued behind a blocked send') {
          b.broker.createTopic('big', 4);
          await fill(b, 'big', 4, 7, 0xbb);
          client.socket.pause();
          const pendingBefore = native.pendingCount();
          client.fetch(fetchBody('big', 4));
          await until('the big response waits for the reader', () => native.pendingCount() > pendingBefore);
        } else {
          b.broker.createTopic('empty', 1);
          client.fetch(fetchBody('empty', 1, 30_000));
        }
        const oldRead = fetchAnswered(b.broker, 'old');
        client.fetch(fetchBody('old', 1));
        await oldRead;
        const leases = sharedFileStats().leases;
        expect(leases).toBeGreaterThan(0);

        await pullTheFilesAway(b, engine, event);

        if (hold === 'queued behind a blocked send') {
          client.socket.resume();
          first = client.next();
          const big = await first;
          for (let p = 0; p < 4; p++) expect(big.get(`big-${p}`)!.length).toBeGreaterThan(0);
        } else {
          first = client.next();
          await fill(b, 'empty', 1, 1, 0x11); // wakes the long poll
          expect((await first).get('empty-0')!.length).toBeGreaterThan(0);
        }
        const old = (await client.next()).get('old-0')!;
        expect(old.length).toBe(expected.length);
        expect(old.equals(expected)).toBe(true);
        client.socket.destroy();
        // Every lease is given back once the responses have gone.
        await until('the leases are released', () => sharedFileStats().leases === 0);
      });
    });
  });
});

/** A raw HTTP/1.1 client: pipelined GETs, responses split by Content-Length. */
class PausableHttp {
  private buffered = Buffer.alloc(0);
  private wake: (() => void) | null = null;

  private constructor(readonly socket: Socket) {
    socket.on('data', (b: Buffer) => {
      this.buffered = Buffer.concat([this.buffered, b]);
      this.wake?.();
    });
  }

  static async open(port: number): Promise<PausableHttp> {
    const s = connect(port, '127.0.0.1');
    await once(s, 'connect');
    return new PausableHttp(s);
  }

  get(path: string): void {
    this.socket.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`);
  }

  async next(): Promise<{ status: number; body: Buffer }> {
    for (;;) {
      const end = this.buffered.indexOf('\r\n\r\n');
      if (end >= 0) {
        const head = this.buffered.subarray(0, end).toString('latin1');
        const length = Number(/content-length: (\d+)/i.exec(head)?.[1] ?? 0);
        if (this.buffered.length >= end + 4 + length) {
          const body = Buffer.from(this.buffered.subarray(end + 4, end + 4 + length));
          this.buffered = this.buffered.subarray(end + 4 + length);
          return { status: Number(head.split(' ')[1]), body };
        }
      }
      await new Promise<void>((r) => (this.wake = r));
    }
  }
}

describe.each(['segmented', 'commitlog'])('HTTP fetch, %s engine', (engine) => {
  describe.each(EVENTS)('%s', (event) => {
    it.each(HOLDS)('a body %s carries only its own topic', async (hold) => {
      const { b, expected } = await prepare(engine, 'sendfile', event);
      http = await startHttpApi(b.broker, { port: 0 });
      const client = await PausableHttp.open(http.port);
      if (hold === 'queued behind a blocked send') {
        b.broker.createTopic('big', 1);
        await fill(b, 'big', 1, 7, 0xbb);
        client.socket.pause();
        const pendingBefore = native.pendingCount();
        // One segment's worth each: pipelined, more than the socket buffers hold.
        for (let i = 0; i < BIG_GETS; i++) client.get('/topics/big/partitions/0/records?offset=0&maxBytes=16777216');
        await until('a big body waits for the reader', () => native.pendingCount() > pendingBefore);
      } else {
        b.broker.createTopic('empty', 1);
        client.get('/topics/empty/partitions/0/records?offset=0&maxWaitMs=30000');
      }
      const oldRead = fetchAnswered(b.broker, 'old');
      client.get(`/topics/old/partitions/0/records?offset=0&maxBytes=${16 * 1024 * 1024}`);
      await oldRead;

      await pullTheFilesAway(b, engine, event);

      if (hold === 'queued behind a blocked send') client.socket.resume();
      else await fill(b, 'empty', 1, 1, 0x11);
      for (let i = 0; i < (hold === 'queued behind a blocked send' ? BIG_GETS : 1); i++) {
        const first = await client.next();
        expect(first.status).toBe(200);
        expect(first.body.length).toBeGreaterThan(0);
      }
      const old = await client.next();
      expect(old.status).toBe(200);
      expect(old.body.equals(expected)).toBe(true);
      client.socket.destroy();
      await until('the leases are released', () => sharedFileStats().leases === 0);
    });
  });
});
