// bench/storage/mapped-reads: what a read of the log's mapping costs the
// RocketMQ receive path (one read per ReceiveMessage or PullMessage, about
// 32 KiB): a Buffer of its own with a finalizer (native mapRead) against a
// view of a kept 4 MiB chunk (mappedView). CPU per read includes the
// collector's work for what the reads leave behind (its helper threads
// too), so it is read from process.cpuUsage over a whole pass, not timed
// per call. Run: node dist/bench/storage/mapped-reads.js
import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { native } from '../../src/native/addon.js';
import { mappedView } from '../../src/native/mapping.js';
import { table } from '../lib/stats.js';

const FILE_BYTES = 64 << 20;
const READ_BYTES = 36 * 1024;
const READS = 200_000;
const PASSES = 5;

const dir = mkdtempSync(join(tmpdir(), 'mqlab-mapped-reads-'));
const fd = openSync(join(dir, 'log'), 'w+');
try {
  writeSync(fd, Buffer.alloc(FILE_BYTES, 1), 0, FILE_BYTES, 0);
  const ways: Array<[string, (fd: number, position: number, length: number) => Buffer | null]> = [
    ['mapRead (a Buffer a read)', (f, p, l) => native.mapRead(f, p, l)],
    ['mappedView (a view of a kept chunk)', mappedView],
  ];
  const perRead = new Map<string, number[]>(ways.map(([name]) => [name, []]));
  let sink = 0;
  for (let pass = 0; pass < PASSES; pass++) {
    // Alternated, so both meet the machine's pace alike.
    for (const [name, read] of pass % 2 === 0 ? ways : [...ways].reverse()) {
      const cpu = process.cpuUsage();
      for (let i = 0; i < READS; i++) {
        const b = read(fd, (i * READ_BYTES) % (FILE_BYTES - READ_BYTES), READ_BYTES)!;
        sink += b[0]! + b[READ_BYTES - 1]!;
      }
      const used = process.cpuUsage(cpu);
      perRead.get(name)!.push((used.user + used.system) / READS);
    }
  }
  const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const base = median(perRead.get(ways[0]![0])!);
  console.log(table(['read', 'CPU µs a read (median of passes)', 'passes', '× mapRead'], ways.map(([name]) => {
    const m = median(perRead.get(name)!);
    return [name, m.toFixed(2), perRead.get(name)!.map((x) => x.toFixed(2)).join(' '), (m / base).toFixed(2)];
  })));
  if (sink === 0.5) console.log(sink);
} finally {
  closeSync(fd);
  rmSync(dir, { recursive: true, force: true });
}
