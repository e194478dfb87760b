// librdkafka, through Debian's kcat, against a real broker on loopback: on
// each engine with each transfer strategy, 10,000 messages produced and
// consumed back byte for byte; a group consumer that commits its offsets.
import { spawnSync } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { startTestBroker, type TestBroker } from './helpers/broker.js';
import { missing } from './helpers/requires.js';
import { runTool, type ToolResult } from './helpers/run-tool.js';

const hasKcat = spawnSync('kcat', ['-V']).status === 0;
const COUNT = 10_000;

/** Runs kcat with `stdin`, bounded in time. */
const kcat = (args: string[], stdin = '', timeoutMs = 60_000): Promise<ToolResult> => runTool('kcat', args, stdin, timeoutMs);

/** Message i: varied lengths and every byte value but the newline delimiter. */
function message(i: number): string {
  const len = (i * 37) % 300;
  let s = `m${i}:`;
  for (let j = 0; j < len; j++) {
    const c = (i + j * 7) % 256;
    s += String.fromCharCode(c === 10 ? 11 : c);
  }
  return s;
}

const CASES = [
  ['segmented', 'sendfile'],
  ['segmented', 'mmap'],
  ['segmented', 'copy'],
  ['commitlog', 'sendfile'],
  ['commitlog', 'mmap'],
  ['commitlog', 'copy'],
] as const;

describe.skipIf(missing('kcat', hasKcat))('kcat (librdkafka)', () => {
  let broker: TestBroker | undefined;
  afterEach(async () => {
    await broker?.destroy();
    broker = undefined;
  });

  it.each(CASES)('produces 10,000 messages and consumes them back byte for byte (%s, %s)', async (engine, transfer) => {
    broker = await startTestBroker({ 'mqlab.storage.engine': engine, 'transfer.strategy': transfer, 'num.partitions': '2' });
    const sent = Array.from({ length: COUNT }, (_, i) => message(i));
    const p = await kcat(['-P', '-b', broker.bootstrap, '-t', 'kc', '-K', '\t', '-z', 'none'], sent.map((m, i) => `k${i % 10}\t${m}\n`).join(''));
    expect(p.code, p.stderr).toBe(0);
    const c = await kcat(['-C', '-b', broker.bootstrap, '-t', 'kc', '-o', 'beginning', '-e', '-q', '-f', '%p %o %k %S\t%s\n']);
    expect(c.code, c.stderr).toBe(0);
    const lines = c.stdout.split('\n').filter(Boolean);
    expect(lines).toHaveLength(COUNT);
    const byPartition = new Map<string, number[]>();
    const got = new Set<string>();
    for (const line of lines) {
      const tab = line.indexOf('\t');
      const [partition, offset, key, size] = line.slice(0, tab).split(' ');
      const value = line.slice(tab + 1);
      expect(Number(size)).toBe(value.length);
      expect(Number(key!.slice(1))).toBe(Number(value.slice(1, value.indexOf(':'))) % 10);
      got.add(value);
      byPartition.set(partition!, [...(byPartition.get(partition!) ?? []), Number(offset)]);
    }
    expect(got).toEqual(new Set(sent));
    // Keyed: both partitions used; each partition's offsets dense from 0.
    expect([...byPartition.keys()].sort()).toEqual(['0', '1']);
    for (const offsets of byPartition.values()) expect(offsets).toEqual(offsets.map((_, i) => i));
    // librdkafka fetches sessionless (SessionId 0, SessionEpoch -1, even in its newest releases): it opened no fetch session.
    expect(broker.broker.fetchSessions.size).toBe(0);
  });

  it('consumes in a group (-G) and commits the offsets it reached', async () => {
    broker = await startTestBroker({ 'num.partitions': '3' });
    const p = await kcat(['-P', '-b', broker.bootstrap, '-t', 'grp'], Array.from({ length: 300 }, (_, i) => `g${i}\n`).join(''));
    expect(p.code, p.stderr).toBe(0);
    const c = await kcat(['-b', broker.bootstrap, '-G', 'kcat-group', '-o', 'beginning', '-e', '-q', '-f', '%s\n', '-X', 'enable.auto.commit=true', '-X', 'auto.commit.interval.ms=100', 'grp']);
    expect(c.code, c.stderr).toBe(0);
    expect(new Set(c.stdout.split('\n').filter(Boolean))).toEqual(new Set(Array.from({ length: 300 }, (_, i) => `g${i}`)));
    // The group committed each partition's end: every message was consumed.
    // (librdkafka's sticky partitioner may leave a partition empty: nothing to commit there.)
    let total = 0n;
    for (let partition = 0; partition < 3; partition++) {
      const committed = broker.broker.coordinator.committed('kcat-group', 'grp', partition).offset;
      const end = broker.broker.engine.highWatermark({ topic: 'grp', partition });
      if (end > 0n) expect(committed).toBe(end);
      else expect(committed <= 0n).toBe(true);
      total += end;
    }
    expect(total).toBe(300n);
    // A second run of the group (no -o, which would override them) starts
    // from the committed offsets: only what was produced since. A partition
    // left empty by the first run has no committed offset; from "latest" the
    // consumer would look up its end after the late records were produced
    // and skip them (as against Kafka), so such a partition starts at its beginning.
    await kcat(['-P', '-b', broker.bootstrap, '-t', 'grp'], 'late-1\nlate-2\n');
    const again = await kcat(['-b', broker.bootstrap, '-G', 'kcat-group', '-e', '-q', '-f', '%s\n', '-X', 'auto.offset.reset=earliest', 'grp']);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout.split('\n').filter(Boolean).sort()).toEqual(['late-1', 'late-2']);
  });
});
