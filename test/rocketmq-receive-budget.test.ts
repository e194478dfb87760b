// What a client that does not read holds counts against
// rocketmq.connection.max.unsent.bytes: a large body (8 KiB or more) is sent
// from the buffer the log was read into, so that buffer counts, once per
// receive, and a tag-filtered receive that reads one large batch for one
// large matching message holds the whole batch until the message is sent; a
// small body is copied into its answer and holds only itself.
import { afterEach, describe, expect, it } from 'vitest';
import { encodeBatch } from '../src/records/index.js';
import { startTestBroker, type TestBroker } from './helpers/broker.js';
import { FLAG, FRAME, frame, grpcHeaders, grpcMessage, grpcMessagesOf, PREFACE, RawH2, streamEnded as ended, windowUpdate, type Frame } from './fuzz/h2-frames.js';
import { decode, encode, rpc } from './fuzz/rocketmq-schema.js';

const UNSENT_PER_CONNECTION = 100_000;

describe('RocketMQ receives count what their answers hold until sent', () => {
  let broker: TestBroker | undefined;
  let raw: RawH2 | undefined;
  afterEach(async () => {
    raw?.destroy();
    await broker?.destroy();
    broker = undefined;
  });

  /** The broker, with a topic holding one batch of 600 kB: 29 records of 20 kB tagged B, then one of 10 bytes tagged A; and a connection whose stream windows start at 0. */
  async function setUp(): Promise<RawH2> {
    broker = await startTestBroker({ 'rocketmq.connection.max.unsent.bytes': String(UNSENT_PER_CONNECTION) }, { rocketmq: true });
    broker.broker.createTopic('big', 1, { 'message.type': 'NORMAL' });
    const records = Array.from({ length: 30 }, (_, i) => ({
      key: null,
      value: i < 29 ? Buffer.alloc(20_000, i) : Buffer.from('small one!'),
      headers: [{ key: 'rmq.tag', value: Buffer.from(i < 29 ? 'B' : 'A') }],
    }));
    expect((await broker.broker.produce('big', 0, encodeBatch({ baseTimestamp: BigInt(Date.now()), records }), -1)).error).toBe('NONE');
    const r = await RawH2.open(Number(broker.rocketmqEndpoint!.split(':')[1]));
    // Stream windows of 0: nothing of an answer leaves until the test opens its stream's window.
    const windowZero = Buffer.alloc(6);
    windowZero.writeUInt16BE(4, 0); // SETTINGS_INITIAL_WINDOW_SIZE 0
    r.send(Buffer.concat([PREFACE, frame(FRAME.SETTINGS, 0, 0, windowZero), frame(FRAME.SETTINGS, FLAG.ACK, 0)]));
    return r;
  }

  it('a large message is sent from the batch it was read from: the whole batch counts against the bound until it is sent', async () => {
    raw = await setUp();
    raw.send(receiveOn(1, 'B', 1));
    // Taken (its headers are out), its body waiting behind the closed window.
    expect(await raw.until((f) => f.some((x) => x.type === FRAME.HEADERS && x.streamId === 1), 5000)).toBe(true);

    // The batch it was read from (600 kB) is past the bound: the next receive is refused at once.
    raw.send(receiveOn(3, '*'));
    raw.send(windowUpdate(3, 1_000_000));
    expect(await raw.until((f) => ended(f, 3), 5000)).toBe(true);
    expect(answers(raw.frames, 3).map((m) => m.status?.code).filter(Boolean)).toEqual(['TOO_MANY_REQUESTS']);
    expect(answers(raw.frames, 3)[0]!.status.message).toMatch(/rocketmq\.connection\.max\.unsent\.bytes/);

    // Read: the message comes whole, and the bound is free again.
    raw.send(windowUpdate(1, 1_000_000));
    expect(await raw.until((f) => ended(f, 1), 5000)).toBe(true);
    expect(answers(raw.frames, 1).filter((m) => m.message).map((m) => m.message.body.length)).toEqual([20_000]);
    raw.send(receiveOn(5, 'A'));
    raw.send(windowUpdate(5, 1_000_000));
    expect(await raw.until((f) => ended(f, 5), 5000)).toBe(true);
    expect(answers(raw.frames, 5).filter((m) => m.message).map((m) => m.message.body.toString())).toEqual(['small one!']);
  });

  it('a small message is copied into its answer: read from the same batch, it holds only itself', async () => {
    raw = await setUp();
    raw.send(receiveOn(1, 'A'));
    expect(await raw.until((f) => f.some((x) => x.type === FRAME.HEADERS && x.streamId === 1), 5000)).toBe(true);

    // Waiting to be read, it leaves room: the next receive is served.
    raw.send(receiveOn(3, 'B', 1));
    raw.send(windowUpdate(3, 1_000_000));
    expect(await raw.until((f) => ended(f, 3), 5000)).toBe(true);
    expect(answers(raw.frames, 3).filter((m) => m.message).map((m) => m.message.body.length)).toEqual([20_000]);

    raw.send(windowUpdate(1, 1_000_000));
    expect(await raw.until((f) => ended(f, 1), 5000)).toBe(true);
    expect(answers(raw.frames, 1).filter((m) => m.message).map((m) => m.message.body.toString())).toEqual(['small one!']);
  });
});

function receiveOn(streamId: number, tags: string, batchSize = 32): Buffer {
  const request = { group: { name: `g-${streamId}` }, messageQueue: { topic: { name: 'big' }, id: 0 }, filterExpression: { type: 'TAG', expression: tags }, batchSize, invisibleDuration: { seconds: '60' }, longPollingTimeout: { seconds: '1' } };
  return Buffer.concat([
    frame(FRAME.HEADERS, FLAG.END_HEADERS, streamId, grpcHeaders('ReceiveMessage', [['grpc-timeout', '10S']])),
    frame(FRAME.DATA, FLAG.END_STREAM, streamId, grpcMessage(encode(rpc('ReceiveMessage').request, request))),
  ]);
}

/* eslint-disable @typescript-eslint/no-explicit-any -- decoded proto objects */
function answers(frames: Frame[], streamId: number): Record<string, any>[] {
  return grpcMessagesOf(frames, streamId).map((m) => decode(rpc('ReceiveMessage').response, m));
}
