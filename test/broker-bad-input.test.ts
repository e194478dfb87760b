// Bad input against a running broker: each bad request gets an error code
// or closes its own connection, while another client keeps being served
// and what was acknowledged stays readable.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ApiKeys, advertisedVersions, bytesOf, decodeResponse, encodeRequest } from '../src/protocol/kafka/index.js';
import { encodeBatch } from '../src/records/index.js';
import { startTestBroker, type TestBroker } from './helpers/broker.js';
import { numberedBatch } from './helpers/batches.js';
import { RawClient } from './helpers/raw-client.js';

function framed(body: Buffer): Buffer {
  const size = Buffer.alloc(4);
  size.writeInt32BE(body.length, 0);
  return Buffer.concat([size, body]);
}

function produceFrame(correlationId: number, records: Buffer, version = 7, acks = -1): Buffer {
  return framed(
    bytesOf(
      encodeRequest(ApiKeys.Produce, version, correlationId, 'bad-input', {
        transactionalId: null,
        acks,
        timeoutMs: 5000,
        topicData: [{ name: 'bad', partitionData: [{ index: 0, records }] }],
      }),
    ),
  );
}

function produceError(frame: Buffer | null, version = 7): number {
  const r = decodeResponse(ApiKeys.Produce, version, frame!);
  return r.body.responses[0]!.partitionResponses[0]!.errorCode;
}

describe('bad input to a running broker', () => {
  let broker: TestBroker;
  let witness: RawClient;
  const clients: RawClient[] = [];
  const client = async (): Promise<RawClient> => {
    const c = await RawClient.connect(broker.port);
    clients.push(c);
    return c;
  };
  /** The other client: still answered, and the acknowledged batch still there. */
  const othersStillServed = async (): Promise<void> => {
    witness.send(produceFrame(900, numberedBatch('witness', 1)));
    expect(produceError(await witness.next())).toBe(0);
    expect(broker.broker.engine.highWatermark({ topic: 'bad', partition: 0 })).toBeGreaterThanOrEqual(2n);
  };

  beforeEach(async () => {
    broker = await startTestBroker({ 'message.max.bytes': '65536', 'socket.request.max.bytes': '1048576' });
    witness = await client();
    witness.send(produceFrame(1, numberedBatch('acknowledged', 1)));
    expect(produceError(await witness.next())).toBe(0);
  });
  afterEach(async () => {
    for (const c of clients.splice(0)) c.close();
    await broker.destroy();
  });

  it('answers a batch with a bad CRC with CORRUPT_MESSAGE and keeps the connection', async () => {
    const c = await client();
    const bad = numberedBatch('x', 3);
    bad.writeUInt8(bad.readUInt8(bad.length - 1) ^ 0xff, bad.length - 1); // a value byte: inside the CRC's span
    c.send(produceFrame(2, bad));
    expect(produceError(await c.next())).toBe(2);
    c.send(produceFrame(3, numberedBatch('fine', 1)));
    expect(produceError(await c.next())).toBe(0);
    await othersStillServed();
  });

  it('answers an old message format (magic 1) with INVALID_RECORD', async () => {
    const c = await client();
    const old = numberedBatch('x', 1);
    old.writeInt8(1, 16);
    c.send(produceFrame(2, old));
    expect(produceError(await c.next())).toBe(87);
    await othersStillServed();
  });

  it('answers a batch above message.max.bytes with MESSAGE_TOO_LARGE', async () => {
    const c = await client();
    const big = encodeBatch({ baseTimestamp: 0n, records: [{ key: null, value: Buffer.alloc(70_000, 1) }] });
    c.send(produceFrame(2, big));
    expect(produceError(await c.next())).toBe(10);
    await othersStillServed();
  });

  it('answers acks other than 0, 1, -1 with INVALID_REQUIRED_ACKS', async () => {
    const c = await client();
    c.send(produceFrame(2, numberedBatch('x', 1), 7, 2));
    expect(produceError(await c.next())).toBe(21);
    await othersStillServed();
  });

  it('closes the connection on an unknown api key, a truncated body, an unserved version, a negative or oversized length', async () => {
    const unknownKey = framed(Buffer.from([0x00, 0x63, 0, 0, 0, 0, 0, 1, 0xff, 0xff]));
    const truncated = produceFrame(5, numberedBatch('x', 1)).subarray(0, 40);
    truncated.writeInt32BE(36, 0);
    const unservedVersion = produceFrame(6, numberedBatch('x', 1));
    unservedVersion.writeInt16BE(42, 6);
    const negative = Buffer.from([0xff, 0xff, 0xff, 0xf0]);
    const oversized = Buffer.from([0x10, 0, 0, 0]); // 256 MiB > socket.request.max.bytes
    for (const frame of [unknownKey, truncated, unservedVersion, negative, oversized]) {
      const c = await client();
      c.send(frame);
      expect(await c.next()).toBeNull();
      expect(c.closed).toBe(true);
    }
    await othersStillServed();
  });

  it('answers the frames that came before a bad length in the same write, then closes', async () => {
    for (const bad of [Buffer.from([0xff, 0xff, 0xff, 0xf0]), Buffer.from([0x10, 0, 0, 0])]) {
      const c = await client();
      const before = broker.broker.engine.highWatermark({ topic: 'bad', partition: 0 });
      c.send(Buffer.concat([produceFrame(7, numberedBatch('before-bad-length', 1)), produceFrame(8, numberedBatch('before-bad-length', 1)), bad]));
      expect(produceError(await c.next())).toBe(0);
      expect(produceError(await c.next())).toBe(0);
      expect(await c.next()).toBeNull();
      expect(c.closed).toBe(true);
      expect(broker.broker.engine.highWatermark({ topic: 'bad', partition: 0 })).toBe(before + 2n);
    }
    await othersStillServed();
  });

  it('answers ApiVersions of an unknown version in the v0 layout with UNSUPPORTED_VERSION and its ranges', async () => {
    const c = await client();
    c.send(framed(Buffer.from([0, 18, 0, 99, 0, 0, 0, 7, 0xff, 0xff])));
    const r = decodeResponse(ApiKeys.ApiVersions, 0, (await c.next())!);
    expect(r.correlationId).toBe(7);
    expect(r.body.errorCode).toBe(35);
    expect(r.body.apiKeys).toEqual(advertisedVersions());
    await othersStillServed();
  });
});
