// The broker benchmark's profile analyzer, on a hand-made profile: which
// samples count (the window, not idle), and which category each goes to.
import { describe, expect, it } from 'vitest';
import { breakdown, type CpuProfile, type CpuProfileNode } from '../bench/broker/profile-breakdown.js';

const ours = (path: string): string => `file:///work/mqlab/dist/${path}`;

function node(id: number, functionName: string, url: string, children: number[] = []): CpuProfileNode {
  return { id, callFrame: { functionName, url, lineNumber: id, columnNumber: 0, scriptId: '0' }, hitCount: 0, children };
}

// root
// ├─ (idle) 2, (garbage collector) 3, (program) 4
// ├─ runMicrotasks 5 ─ produce (handlers) 6 ─┬─ validateBatches 7 ─┬─ crc32c (native) 8
// │                                          │                     └─ readInt32BE (node:buffer) 9
// │                                          ├─ append (engine) 10 ─ writeSync (node:fs) 11 ─ writeBuffer 12
// │                                          └─ readBigInt64BE (node:buffer) 13
// ├─ processImmediate 14 ─┬─ flush (connection) 15 ─ send (send-queue) 16
// │                       └─ pump (connection) 17
// └─ onStreamRead 18 ─ onData (connection) 19 ─ push (frame-decoder) 20
const nodes = [
  node(1, '(root)', '', [2, 3, 4, 5, 14, 18]),
  node(2, '(idle)', ''),
  node(3, '(garbage collector)', ''),
  node(4, '(program)', ''),
  node(5, 'runMicrotasks', '', [6]),
  node(6, 'produce', ours('src/server/handlers/produce.js'), [7, 10, 13]),
  node(7, 'validateBatches', ours('src/records/validate.js'), [8, 9]),
  node(8, 'crc32c', ''),
  node(9, 'readInt32BE', 'node:internal/buffer'),
  node(10, 'append', ours('src/storage/segmented/engine.js'), [11]),
  node(11, 'writeSync', 'node:fs', [12]),
  node(12, 'writeBuffer', ''),
  node(13, 'readBigInt64BE', 'node:internal/buffer'),
  node(14, 'processImmediate', 'node:internal/timers', [15, 17]),
  node(15, 'flush', ours('src/broker/network/connection.js'), [16]),
  node(16, 'send', ours('src/transfer/send-queue.js')),
  node(17, 'pump', ours('src/broker/network/connection.js')),
  node(18, 'onStreamRead', 'node:internal/stream_base_commons', [19]),
  node(19, 'onData', ours('src/broker/network/connection.js'), [20]),
  node(20, 'push', ours('src/protocol/kafka/frame-decoder.js')),
];

// One sample every 10 µs from t = 1000; a sample stands for the 10 µs until the next.
// The first (t=1010) and the last two lie outside the window [1020, 1200).
const leaves = [12, 2, 3, 4, 5, 8, 9, 12, 13, 16, 17, 20, 18, 8, 8, 2, 12, 12];
const profile: CpuProfile = { nodes, startTime: 1000, endTime: 1200, samples: leaves, timeDeltas: leaves.map(() => 10) };

describe('profile breakdown', () => {
  const b = breakdown(profile, 1020, 1170, 5);
  const us = (category: string): number => b.categories.find((c) => c.category === category)!.us;

  it('counts only the window, and idle apart', () => {
    expect(b.samples).toBe(15); // t = 1020 … 1160
    expect(b.idleUs).toBe(20);
    expect(b.busyUs).toBe(130);
    expect(b.categories.reduce((s, c) => s + c.us, 0)).toBe(b.busyUs);
  });

  it('puts each sample to the innermost frame naming a category', () => {
    expect(us('CRC')).toBe(30); // crc32c under validation, wherever it is called
    expect(us('validate')).toBe(10); // a Buffer builtin under validateBatches
    expect(us('append')).toBe(10); // the fs binding under the engine
    expect(us('response')).toBe(10);
    expect(us('socket read and framing')).toBe(20); // the frame decoder, and stream internals themselves
    expect(us('garbage collector')).toBe(10);
    expect(us('event loop')).toBe(10); // (program)
    expect(us('microtasks/promises')).toBe(10); // runMicrotasks itself
    expect(us('decode')).toBe(0);
  });

  it('gives machinery no sample that passed an unnamed frame of ours, and names that frame', () => {
    expect(us('other')).toBe(20); // readBigInt64BE under the produce handler; pump under processImmediate
    const fns = b.otherTop.map((o) => [o.fn, o.under]);
    expect(fns).toContainEqual(['readBigInt64BE node:internal/buffer:14', 'produce src/server/handlers/produce.js:7']);
    expect(fns).toContainEqual(['pump src/broker/network/connection.js:18', null]);
  });

  it('divides by requests and by busy time', () => {
    const crc = b.categories.find((c) => c.category === 'CRC')!;
    expect(crc.usPerRequest).toBe(6);
    expect(crc.share).toBeCloseTo(30 / 130);
  });

  it('gives machinery called from our code to that code, not to machinery', () => {
    // root ─ runMicrotasks 2 ─┬─ finish (connection) 3 ─ get remoteAddress (node:net) 4
    //                         └─ flush (connection) 5 ─ nextTick (task_queues) 6
    const p: CpuProfile = {
      nodes: [
        node(1, '(root)', '', [2]),
        node(2, 'runMicrotasks', '', [3, 5]),
        node(3, 'finish', ours('src/broker/network/connection.js'), [4]),
        node(4, 'get remoteAddress', 'node:net'),
        node(5, 'flush', ours('src/broker/network/connection.js'), [6]),
        node(6, 'nextTick', 'node:internal/process/task_queues'),
      ],
      startTime: 0,
      endTime: 100,
      samples: [4, 6, 2],
      timeDeltas: [10, 10, 10],
    };
    const m = breakdown(p, 0, 30, 1);
    const of = (category: string): number => m.categories.find((c) => c.category === category)!.us;
    expect(of('other')).toBe(10);
    expect(m.otherTop[0]).toMatchObject({ fn: 'get remoteAddress node:net:5', under: 'finish src/broker/network/connection.js:4' });
    expect(of('response')).toBe(10);
    expect(of('socket read and framing')).toBe(0);
    expect(of('microtasks/promises')).toBe(0); // the last sample stands for no time
  });

  it('splits a caller\'s self time by the lines its ticks fell on, for calls the sampler cannot see into', () => {
    const caller = { ...node(2, 'checkBatchAt', ours('src/records/validate.js')), positionTicks: [{ line: 10, ticks: 3 }, { line: 12, ticks: 1 }] };
    const p: CpuProfile = { nodes: [node(1, '(root)', '', [2]), caller], startTime: 0, endTime: 100, samples: [2, 2, 2, 2, 2], timeDeltas: [10, 10, 10, 10, 10] };
    const lines = new Map([[10, 'CRC' as const]]);
    const split = breakdown(p, 0, 100, 1, { lineCategories: (url) => (url === caller.callFrame.url ? lines : undefined) });
    const of = (category: string): number => split.categories.find((c) => c.category === category)!.us;
    expect(split.busyUs).toBe(40); // the last sample has no next one to stand for
    expect(of('CRC')).toBe(30);
    expect(of('validate')).toBe(10);
  });

  it('refuses a window the profile does not cover', () => {
    expect(() => breakdown(profile, 5000, 6000, 1)).toThrow(/outside the profile/);
  });
});
