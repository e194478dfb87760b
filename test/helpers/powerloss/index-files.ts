// Do the derived files agree with the logs? Read after a clean close, when
// each engine has written everything it holds in memory:
// - segmented: each segment's .index entry (relative offset, position)
//   names the start of a batch with that base offset, in increasing order;
//   each .timeindex entry (timestamp, relative offset) names a batch of the
//   segment whose max timestamp it is; segments follow on without a gap.
// - commitlog: each consume-queue entry of queue q at offset o points at a
//   whole entry of the commit log whose header says topic and queue q and
//   whose batch holds o.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CQ_ENTRY_BYTES } from '../../../src/storage/commitlog/cq-entry.js';
import type { EngineName } from './floors.js';
import { commitLogEntries, segmentBatches, type Batch, type LogEntry } from './log-files.js';

export function indexFileProblems(engine: EngineName, dir: string, topic: string, partitions: number): string[] {
  return engine === 'segmented' ? segmentIndexProblems(dir, topic, partitions) : consumeQueueProblems(dir, topic, partitions);
}

function segmentIndexProblems(dir: string, topic: string, partitions: number): string[] {
  const problems: string[] = [];
  for (let p = 0; p < partitions; p++) {
    const pdir = join(dir, `${topic}-${p}`);
    if (!existsSync(pdir)) continue;
    const bases = readdirSync(pdir)
      .filter((f) => /^\d{20}\.log$/.test(f))
      .map((f) => f.slice(0, 20))
      .sort();
    let next = -1;
    for (const name of bases) {
      const base = Number(name);
      const where = `${topic}-${p}/${name}`;
      if (next >= 0 && base !== next) problems.push(`${where}.log starts at offset ${base}, the segment before ends at ${next - 1}`);
      const log = readFileSync(join(pdir, `${name}.log`));
      const { batches, end, next: after } = segmentBatches(log, base);
      if (end !== log.length) problems.push(`${where}.log: ${log.length - end} bytes after its last valid batch`);
      next = after;
      const byPosition = new Map<number, Batch>(batches.map((b) => [b.position, b]));
      const byBase = new Map<number, Batch>(batches.map((b) => [b.baseOffset, b]));
      const index = readFileSync(join(pdir, `${name}.index`));
      if (index.length % 8 !== 0) problems.push(`${where}.index: ${index.length} bytes, not whole entries`);
      for (let at = 0, last = -1; at + 8 <= index.length; at += 8) {
        const rel = index.readUInt32BE(at);
        const pos = index.readUInt32BE(at + 4);
        const b = byPosition.get(pos);
        if (b === undefined || b.baseOffset !== base + rel) problems.push(`${where}.index entry ${at / 8} (${rel}, ${pos}) does not name a batch start of the log (${log.length} bytes)`);
        if (pos <= last) problems.push(`${where}.index entry ${at / 8}: position ${pos} after ${last}`);
        last = pos;
      }
      const time = readFileSync(join(pdir, `${name}.timeindex`));
      if (time.length % 12 !== 0) problems.push(`${where}.timeindex: ${time.length} bytes, not whole entries`);
      for (let at = 0, last = -Infinity; at + 12 <= time.length; at += 12) {
        const ts = Number(time.readBigInt64BE(at));
        const rel = time.readUInt32BE(at + 8);
        const b = byBase.get(base + rel);
        if (b === undefined || b.maxTimestamp !== ts) problems.push(`${where}.timeindex entry ${at / 12} (${ts}, ${rel}) does not name a batch of the log with that max timestamp`);
        if (ts <= last) problems.push(`${where}.timeindex entry ${at / 12}: timestamp ${ts} after ${last}`);
        last = ts;
      }
    }
  }
  return problems;
}

function consumeQueueProblems(dir: string, topic: string, partitions: number): string[] {
  const problems: string[] = [];
  const byPosition = new Map<number, LogEntry>();
  const cl = join(dir, 'commitlog');
  for (const name of readdirSync(cl).filter((f) => /^\d{20}$/.test(f))) {
    for (const e of commitLogEntries(readFileSync(join(cl, name)), Number(name)).entries) byPosition.set(e.batch.position, e);
  }
  for (let p = 0; p < partitions; p++) {
    const qdir = join(dir, 'consumequeue', topic, String(p));
    if (!existsSync(qdir)) continue;
    for (const name of readdirSync(qdir).filter((f) => /^\d{20}$/.test(f)).sort()) {
      const first = Number(name) / CQ_ENTRY_BYTES;
      const cq = readFileSync(join(qdir, name));
      if (cq.length % CQ_ENTRY_BYTES !== 0) problems.push(`consume queue ${p}/${name}: ${cq.length} bytes, not whole entries`);
      for (let at = 0; at + CQ_ENTRY_BYTES <= cq.length; at += CQ_ENTRY_BYTES) {
        const o = first + at / CQ_ENTRY_BYTES;
        const position = Number(cq.readBigInt64BE(at));
        const size = cq.readInt32BE(at + 8);
        const e = byPosition.get(position);
        if (e === undefined || e.batch.size !== size || e.topic !== topic || e.partition !== p || o < e.batch.baseOffset || o > e.batch.lastOffset) {
          const what = e === undefined ? 'no valid entry' : `${e.topic}-${e.partition} ${e.batch.baseOffset}..${e.batch.lastOffset} (${e.batch.size} bytes)`;
          problems.push(`consume queue ${topic}-${p} offset ${o} points at ${size} bytes at ${position}: ${what}`);
          if (problems.length > 5) return problems;
        }
      }
    }
  }
  return problems;
}
