// socket.listen.backlog.size reaches the kernel: a listening socket's
// backlog is what `ss -ltn` shows in its Send-Q column. The default holds a
// thousand clients connecting at once (Node's own 511 did not).
import { execFileSync } from 'node:child_process';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { tempDir } from './helpers/files.js';
import { missing } from './helpers/requires.js';
import { ServeProcess } from './helpers/serve-process.js';

const hasSs = ((): boolean => {
  try {
    execFileSync('ss', ['-V'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

function backlogOf(port: number): number {
  const lines = execFileSync('ss', ['-Hltn', `sport = :${port}`], { encoding: 'utf8' }).trim().split('\n');
  expect(lines).toHaveLength(1);
  return Number(lines[0]!.trim().split(/\s+/)[2]);
}

describe('socket.listen.backlog.size', () => {
  const tmp = tempDir('mqlab-backlog-');
  let broker: ServeProcess | undefined;
  afterEach(async () => {
    await broker?.kill();
    broker = undefined;
  });
  afterAll(() => tmp.cleanup());

  it.skipIf(missing('ss (iproute2)', hasSs))('is the listening socket backlog: 4096 by default, or as set', async () => {
    const somaxconn = Number(execFileSync('cat', ['/proc/sys/net/core/somaxconn'], { encoding: 'utf8' }));
    broker = await ServeProcess.start(tmp.dir, []);
    expect(backlogOf(broker.port)).toBe(Math.min(4096, somaxconn));
    await broker.kill();
    broker = await ServeProcess.start(tmp.dir, ['--set', 'socket.listen.backlog.size=7']);
    expect(backlogOf(broker.port)).toBe(7);
  });
});
