// writeBatch: messages written to an object-mode stream with only _write
// (as grpc-js's server streams are) all reach _write at once, in order,
// instead of each waiting for the one before to be sent.
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { writeBatch } from '../src/protocol/rocketmq/write-batch.js';

function slowSink(): { stream: Writable; written: number[] } {
  const written: number[] = [];
  const stream = new Writable({
    objectMode: true,
    write(chunk: number, _encoding, done) {
      written.push(chunk);
      setImmediate(done); // sent later, as HTTP/2 calls back once a frame is out
    },
  });
  return { stream, written };
}

describe('writeBatch', () => {
  it('hands every message to _write before the first is sent, in order', async () => {
    const { stream, written } = slowSink();
    const messages = Array.from({ length: 32 }, (_, i) => i);
    writeBatch(stream, messages);
    expect(written).toEqual(messages);
    const finished = new Promise((resolve) => stream.once('finish', resolve));
    stream.end();
    await finished;
    // Behind a plain write still being sent, a batch keeps its place.
    const other = slowSink();
    other.stream.write(-1);
    writeBatch(other.stream, [0, 1, 2]);
    await new Promise((resolve) => other.stream.end(resolve));
    expect(other.written).toEqual([-1, 0, 1, 2]);
  });

  it('reports a failed write to the stream', async () => {
    const stream = new Writable({ objectMode: true, write: (_c, _e, done) => setImmediate(() => done(new Error('gone'))) });
    const failed = new Promise<Error>((resolve) => stream.once('error', resolve));
    writeBatch(stream, [1, 2, 3]);
    expect((await failed).message).toBe('gone');
  });
});
