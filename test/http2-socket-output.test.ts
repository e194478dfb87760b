// SocketOutput (src/protocol/http2/socket-output.ts) over a real loopback
// socket: what a connection pushes in one turn leaves in one write at the
// loop's check phase, and what its beforeWrite hook pushes then (DATA the
// windows let out) leaves with it, without asking the loop for another
// turn: an empty extra flush cost every gRPC call a zero-timeout poll.
import { once } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SocketOutput } from '../src/protocol/http2/socket-output.js';
import { PairFactory } from './helpers/sockets.js';

describe('SocketOutput', () => {
  const pairs = new PairFactory();
  beforeAll(() => pairs.start());
  afterAll(() => pairs.stop());

  it('writes what beforeWrite pushes with the flush that called it, and schedules no second flush', async () => {
    const { sender, receiver } = await pairs.pair();
    let flushes = 0;
    const output: SocketOutput = new SocketOutput(sender, () => {
      flushes++;
      // The first flush's hook adds a frame, as the connection's fillData does.
      if (flushes === 1) output.push(Buffer.from('data'));
    }, () => false);
    const got: Buffer[] = [];
    receiver.on('data', (b: Buffer) => got.push(b));
    output.push(Buffer.from('head'));
    output.push(Buffer.from('ers:'));
    // Three check phases: the flush, and two more in which a second one would run.
    for (let i = 0; i < 3; i++) await new Promise(setImmediate);
    expect(flushes).toBe(1);
    while (Buffer.concat(got).length < 12) await once(receiver, 'data');
    expect(Buffer.concat(got).toString()).toBe('headers:data');
    // A push after the flush schedules the next.
    output.push(Buffer.from('!'));
    for (let i = 0; i < 3; i++) await new Promise(setImmediate);
    expect(flushes).toBe(2);
  });
});
