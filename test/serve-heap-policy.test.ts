// mqlab.heap.growing.percent: mqlab serve sets V8's heap growth policy for
// its process (as Kafka's start script sets the JVM's collector). A value
// out of range stops the start with a clear error; 0 leaves V8's own policy.
// What it does to the broker's CPU is measured in the lab (README, Garbage
// collection), not here.
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { applyHeapPolicy } from '../src/server/heap-policy.js';
import { tempDir } from './helpers/files.js';
import { ServeProcess } from './helpers/serve-process.js';

describe('mqlab.heap.growing.percent', () => {
  const tmp = tempDir('mqlab-heap-policy-');
  let broker: ServeProcess | undefined;
  afterEach(async () => {
    await broker?.kill();
    broker = undefined;
  });
  afterAll(() => tmp.cleanup());

  it('refuses a value out of range before anything starts', async () => {
    await expect(ServeProcess.start(tmp.dir, ['--set', 'mqlab.heap.growing.percent=5000'])).rejects.toThrow(/exited with 2: .*mqlab\.heap\.growing\.percent.*\[0, 1000\]/s);
    await expect(ServeProcess.start(tmp.dir, ['--set', 'mqlab.heap.growing.percent=lots'])).rejects.toThrow(/mqlab\.heap\.growing\.percent/);
    expect(() => applyHeapPolicy(-1)).toThrow(/\[0, 1000\]/);
    expect(() => applyHeapPolicy(2.5)).toThrow(/\[0, 1000\]/);
  });

  it('serves with V8\'s own policy (0) and with the largest growth', async () => {
    for (const value of ['0', '1000']) {
      broker = await ServeProcess.start(tmp.dir, ['--set', `mqlab.heap.growing.percent=${value}`]);
      expect(broker.port).toBeGreaterThan(0);
      await broker.kill();
      broker = undefined;
    }
  });
});
