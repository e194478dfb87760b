// A delivered message's body is sent from the buffer the log was read into,
// so what a client that does not read holds is that buffer, not the body:
// rocketmq.connection.max.unsent.bytes counts each such buffer once per
// receive. A tag-filtered receive that reads one large batch for one small
// matching message holds the whole batch until the message is sent.
import { afterEach, describe, expect, it } from 'vitest';
import { encodeBatch } from '../src/records/index.js';
import { startTestBroker, type TestBroker } from './helpers/broker.js';
import { FLAG, FRAME, frame, grpcHeaders, grpcMessage, grpcMessagesOf, PREFACE, RawH2, streamEnded as ended, windowUpdate, type Frame } from './fuzz/h2-frames.js';
import { decode, encode, rpc } from './fuzz/rocketmq-schema.js';

const UNSENT_PER_CONNECTION = 100_000;

describe('RocketMQ receives count the read buffers their bodies are sent from', () => {
  let broker: TestBroker | undefined;
  let raw: RawH2 | undefined;
  afterEach(async () => {
    raw?.destroy();
    await broker?.destroy();
    broker = undefined;
  });

  it('a small message sent from a large batch read holds the batch against the connection\'s bound until it is sent', async () => {
    broker = await startTestBroker({ 'rocketmq.connection.max.unsent.bytes': String(UNSENT_PER_CONNECTION) }, { rocketmq: true });
    broker.broker.createTopic('big', 1, { 'message.type': 'NORMAL' });
    // One batch of 600 kB: 29 large records tagged B, then one of 10 bytes tagged A.
    const records = Array.from({ length: 30 }, (_, i) => ({
      key: null,
      value: i < 29 ? Buffer.alloc(20_000, i) : Buffer.from('small one!'),
      headers: [{ key: 'rmq.tag', value: Buffer.from(i < 29 ? 'B' : 'A') }],
    }));
    expect((await broker.broker.produce('big', 0, encodeBatch({ baseTimestamp: BigInt(Date.now()), records }), -1)).error).toBe('NONE');

    raw = await RawH2.open(Number(broker.rocketmqEndpoint!.split(':')[1]));
    // Stream windows of 0: nothing of an answer leaves until the test opens its stream's window.
    const windowZero = Buffer.alloc(6);
    windowZero.writeUInt16BE(4, 0); // SETTINGS_INITIAL_WINDOW_SIZE 0
    raw.send(Buffer.concat([PREFACE, frame(FRAME.SETTINGS, 0, 0, windowZero), frame(FRAME.SETTINGS, FLAG.ACK, 0)]));
    raw.send(receiveOn(1, 'A'));
    // Taken (its headers are out), its body waiting behind the closed window.
    expect(await raw.until((f) => f.some((x) => x.type === FRAME.HEADERS && x.streamId === 1), 5000)).toBe(true);

    // The batch it was read from (600 kB) is past the bound: the next receive is refused at once.
    raw.send(receiveOn(3, '*'));
    raw.send(windowUpdate(3, 1_000_000));
    expect(await raw.until((f) => ended(f, 3), 5000)).toBe(true);
    expect(answers(raw.frames, 3).map((m) => m.status?.code).filter(Boolean)).toEqual(['TOO_MANY_REQUESTS']);
    expect(answers(raw.frames, 3)[0]!.status.message).toMatch(/rocketmq\.connection\.max\.unsent\.bytes/);

    // Read: the small message comes whole, and the bound is free again.
    raw.send(windowUpdate(1, 1_000_000));
    expect(await raw.until((f) => ended(f, 1), 5000)).toBe(true);
    expect(answers(raw.frames, 1).filter((m) => m.message).map((m) => m.message.body.toString())).toEqual(['small one!']);
    raw.send(receiveOn(5, 'B', 1));
    raw.send(windowUpdate(5, 1_000_000));
    expect(await raw.until((f) => ended(f, 5), 5000)).toBe(true);
    expect(answers(raw.frames, 5).filter((m) => m.message).map((m) => m.message.body.length)).toEqual([20_000]);
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
