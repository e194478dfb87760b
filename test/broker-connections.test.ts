// 10,000 connections to a `mqlab serve` child (its default max.connections),
// 2,000 of them holding long-poll fetches: one more connection is refused,
// the broker keeps serving, one produce answers every long poll, and the
// broker's peak RSS stays bounded.
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KafkaConnection } from '../src/client/connection.js';
import { BrokerProcess } from '../src/lab/broker-process.js';
import { ApiKeys, bytesOf, encodeRequest, type RequestInput } from '../src/protocol/kafka/index.js';
import { numberedBatch } from './helpers/batches.js';
import { tempDir } from './helpers/files.js';

const CONNECTIONS = 10_000;
const LONG_POLLS = 2_000;
const RSS_BOUND_BYTES = 512 * 1024 * 1024;

/** A connection that counts the response frames it has received. */
class Counted {
  frames = 0;
  closed = false;
  private pending: Buffer = Buffer.alloc(0);
  private waiters: { count: number; resolve: () => void }[] = [];

  constructor(readonly socket: Socket) {
    socket.on('data', (b: Buffer) => {
      this.pending = this.pending.length === 0 ? b : Buffer.concat([this.pending, b]);
      while (this.pending.length >= 4 && this.pending.length >= 4 + this.pending.readInt32BE(0)) {
        this.pending = this.pending.subarray(4 + this.pending.readInt32BE(0));
        this.frames++;
      }
      this.wake();
    });
    socket.on('close', () => {
      this.closed = true;
      this.wake();
    });
    socket.on('error', () => undefined);
  }

  send<K extends typeof ApiKeys.ApiVersions | typeof ApiKeys.Fetch>(apiKey: K, version: number, correlationId: number, body: RequestInput<K>): void {
    const encoded = bytesOf(encodeRequest(apiKey, version, correlationId, 'many', body));
    const size = Buffer.alloc(4);
    size.writeInt32BE(encoded.length);
    this.socket.write(Buffer.concat([size, encoded]));
  }

  /** Resolves once `count` frames have arrived, or the connection closed. */
  received(count: number): Promise<void> {
    if (this.frames >= count || this.closed) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ count, resolve }));
  }

  private wake(): void {
    this.waiters = this.waiters.filter((w) => {
      if (this.frames < w.count && !this.closed) return true;
      w.resolve();
      return false;
    });
  }
}

async function open(port: number): Promise<Counted> {
  const s = connect(port, '127.0.0.1');
  await once(s, 'connect');
  return new Counted(s);
}

function longPoll(topic: string): RequestInput<typeof ApiKeys.Fetch> {
  return {
    replicaId: -1,
    maxWaitMs: 30_000,
    minBytes: 1,
    maxBytes: 1024 * 1024,
    isolationLevel: 0,
    topics: [{ topic, partitions: [{ partition: 0, fetchOffset: 0n, logStartOffset: -1n, partitionMaxBytes: 1024 * 1024 }] }],
  } as RequestInput<typeof ApiKeys.Fetch>;
}

/** The broker's peak resident set (VmHWM), from /proc. */
function peakRss(pid: number): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m![1]) * 1024;
}

let broker: BrokerProcess;
const conns: Counted[] = [];
const tmp = tempDir('mqlab-conns-');

beforeAll(async () => {
  broker = await BrokerProcess.start(['--data-dir', tmp.dir]);
});

afterAll(async () => {
  for (const c of conns) c.socket.destroy();
  await broker?.stop();
  tmp.cleanup();
});

describe('10,000 connections', () => {
  it('holds its connection limit and 2,000 long polls, keeps serving, and stays under 512 MiB', async () => {
    const admin = await KafkaConnection.open('127.0.0.1', broker.port);
    await admin.request(ApiKeys.CreateTopics, 3, { topics: [{ name: 'polled', numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 5000, validateOnly: false } as never);
    // The admin connection is one of the 10,000.
    for (let i = conns.length; i < CONNECTIONS - 1; i += 500) {
      conns.push(...(await Promise.all(Array.from({ length: Math.min(500, CONNECTIONS - 1 - i) }, () => open(broker.port)))));
    }
    // Every connection answered, so the broker has accepted them all.
    conns.forEach((c, i) => c.send(ApiKeys.ApiVersions, 0, i, {} as never));
    await Promise.all(conns.map((c) => c.received(1)));
    expect(conns.filter((c) => c.closed)).toHaveLength(0);

    const extra = await open(broker.port);
    await extra.received(1); // closed at once: the limit
    expect(extra.closed).toBe(true);

    const polls = conns.slice(0, LONG_POLLS);
    polls.forEach((c, i) => c.send(ApiKeys.Fetch, 4, 1_000_000 + i, longPoll('polled')));
    // The broker keeps serving while they wait: a produce and a fetch on another topic.
    const r = await admin.request(ApiKeys.Produce, 3, {
      transactionalId: null,
      acks: -1,
      timeoutMs: 5000,
      topicData: [{ name: 'elsewhere', partitionData: [{ index: 0, records: numberedBatch('x', 10) }] }],
    } as never);
    expect((r as { responses: { partitionResponses: { errorCode: number }[] }[] }).responses[0]!.partitionResponses[0]!.errorCode).toBe(0);
    expect(polls.every((c) => c.frames === 1)).toBe(true); // still waiting

    // One record answers every long poll.
    await admin.request(ApiKeys.Produce, 3, { transactionalId: null, acks: -1, timeoutMs: 5000, topicData: [{ name: 'polled', partitionData: [{ index: 0, records: numberedBatch('wake', 1) }] }] } as never);
    await Promise.all(polls.map((c) => c.received(2)));
    expect(polls.filter((c) => c.closed)).toHaveLength(0);

    const peak = peakRss(broker.pid);
    console.log(`broker peak RSS with ${CONNECTIONS} connections and ${LONG_POLLS} long polls: ${(peak / 1024 / 1024).toFixed(0)} MiB`);
    expect(peak).toBeLessThan(RSS_BOUND_BYTES);
    admin.close();
  });
});
