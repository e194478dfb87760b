// Requests that are honest but huge: arrays as long as their frame allows.
// Each decoded element costs tens of times its wire bytes, and some answers
// cost many times their request, so a few MiB of request used to take the
// broker past 500 MiB (a 100 MiB frame, within the frame limit, would have
// ended it). Now a request holds at most MAX_REQUEST_ELEMENTS elements, and
// the answers that multiply (a resource's configs, a group's members, a
// topic's partitions) answer each name once. `mqlab serve` runs as a child
// so that its memory is measured on its own.
import { once } from 'node:events';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KafkaConnection } from '../src/client/connection.js';
import { ApiKeys, MAX_REQUEST_ELEMENTS, Writer, bytesOf, decodeResponse, errorCode } from '../src/protocol/kafka/index.js';
import { tempDir } from './helpers/files.js';
import { ServeProcess } from './helpers/serve-process.js';

const MiB = 1024 * 1024;
/** What the broker may reach while answering any of these (it starts near 80 MiB). */
const RSS_LIMIT = 256 * MiB;

/** A request frame, size prefix included, whose body `build` writes after the header. */
function frame(apiKey: number, apiVersion: number, build: (w: Writer) => void): Buffer {
  const w = new Writer(1 << 20);
  w.int16(apiKey).int16(apiVersion).int32(7).nullableString('huge');
  build(w);
  const body = bytesOf(w.finish());
  const size = Buffer.alloc(4);
  size.writeInt32BE(body.length, 0);
  return Buffer.concat([size, body]);
}

/** Sends one frame on a fresh connection: its response, or null if the broker closed the connection. */
async function exchange(port: number, bytes: Buffer): Promise<Buffer | null> {
  const socket = connect(port, '127.0.0.1');
  await once(socket, 'connect');
  const chunks: Buffer[] = [];
  let size = -1;
  let got = 0;
  return new Promise((resolve) => {
    socket.on('data', (d: Buffer) => {
      chunks.push(d);
      got += d.length;
      if (size < 0 && got >= 4) size = Buffer.concat(chunks).readInt32BE(0);
      if (size >= 0 && got >= 4 + size) {
        socket.destroy();
        resolve(Buffer.concat(chunks).subarray(4, 4 + size));
      }
    });
    socket.on('error', () => undefined);
    socket.on('close', () => resolve(null));
    socket.write(bytes);
  });
}

describe('honest requests as large as their frames allow', () => {
  const tmp = tempDir('mqlab-huge-');
  let broker: ServeProcess;
  let other: KafkaConnection;

  beforeAll(async () => {
    broker = await ServeProcess.start(tmp.dir, ['--set', 'group.initial.rebalance.delay.ms=0']);
    other = await KafkaConnection.open('127.0.0.1', broker.port, 'other');
    await other.request(ApiKeys.CreateTopics, 3, { topics: [{ name: 'wide', numPartitions: 50, replicationFactor: 1 }], timeoutMs: 5000, validateOnly: false });
  });
  afterAll(async () => {
    other?.close();
    await broker?.kill();
    tmp.cleanup();
  });

  const stillServes = async (): Promise<void> => {
    expect((await other.request(ApiKeys.ApiVersions, 0, {})).errorCode).toBe(0);
    expect(broker.peakRssBytes()).toBeLessThan(RSS_LIMIT);
  };

  it(`closes the connection of a request with more than ${MAX_REQUEST_ELEMENTS} array elements, before building them`, async () => {
    // A million empty topic names: 5 MiB of frame, a million strings and objects decoded.
    const names = 1_000_000;
    const bytes = frame(ApiKeys.Metadata, 0, (w) => {
      w.int32(names);
      for (let i = 0; i < names; i++) w.string('');
    });
    expect(await exchange(broker.port, bytes)).toBeNull();
    await stillServes();
  });

  it('answers a topic named again and again in Metadata once (it lists every partition each time)', async () => {
    const bytes = frame(ApiKeys.Metadata, 1, (w) => {
      w.int32(MAX_REQUEST_ELEMENTS);
      for (let i = 0; i < MAX_REQUEST_ELEMENTS; i++) w.string('wide');
    });
    const r = decodeResponse(ApiKeys.Metadata, 1, (await exchange(broker.port, bytes))!);
    expect(r.body.topics.map((t) => [t.name, t.partitions.length])).toEqual([['wide', 50]]);
    await stillServes();
  });

  it('answers the broker resource described again and again once, and refuses the repeats', async () => {
    const bytes = frame(ApiKeys.DescribeConfigs, 0, (w) => {
      w.int32(MAX_REQUEST_ELEMENTS);
      for (let i = 0; i < MAX_REQUEST_ELEMENTS; i++) w.int8(4).string('0').int32(-1);
    });
    const r = decodeResponse(ApiKeys.DescribeConfigs, 0, (await exchange(broker.port, bytes))!);
    expect(r.body.results).toHaveLength(MAX_REQUEST_ELEMENTS);
    expect(r.body.results[0]!.errorCode).toBe(0);
    expect(r.body.results[0]!.configs.length).toBeGreaterThan(10);
    expect(r.body.results[1]).toMatchObject({ errorCode: errorCode('INVALID_REQUEST'), configs: [] });
    await stillServes();
  });

  it('answers a group described again and again once, and refuses the repeats', async () => {
    const bytes = frame(ApiKeys.DescribeGroups, 0, (w) => {
      w.int32(MAX_REQUEST_ELEMENTS);
      for (let i = 0; i < MAX_REQUEST_ELEMENTS; i++) w.string('g');
    });
    const r = decodeResponse(ApiKeys.DescribeGroups, 0, (await exchange(broker.port, bytes))!);
    expect(r.body.groups).toHaveLength(MAX_REQUEST_ELEMENTS);
    expect(r.body.groups[0]).toMatchObject({ errorCode: 0, groupId: 'g', groupState: 'Dead' });
    expect(r.body.groups.slice(1).every((g) => g.errorCode === errorCode('INVALID_REQUEST'))).toBe(true);
    await stillServes();
  });

  it('answers a request at the element limit whose answer is one entry per element', async () => {
    const partitions = MAX_REQUEST_ELEMENTS - 1;
    const bytes = frame(ApiKeys.OffsetFetch, 1, (w) => {
      w.string('g').int32(1).string('wide').int32(partitions);
      for (let i = 0; i < partitions; i++) w.int32(i);
    });
    const r = decodeResponse(ApiKeys.OffsetFetch, 1, (await exchange(broker.port, bytes))!);
    expect(r.body.topics[0]!.partitions).toHaveLength(partitions);
    await stillServes();
  });
});
