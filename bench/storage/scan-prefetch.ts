// bench/storage/scan-prefetch: what the RocketMQ receive path's scan of a
// log read (rmqScanBatches: each batch's CRC-32C checked, its records read)
// costs on bytes not in the CPU's caches, with and without asking for the
// bytes a page ahead of the check. The log is 512 MiB of 1-record batches
// of 1 KiB (as a RocketMQ producer's SendMessage stores them), more than
// this machine's caches keep, read in 36 KiB reads (a 32-message receive)
// through views of the mapping, as a receive reads. CPU is read from
// process.cpuUsage over whole passes, alternated. Run:
// node dist/bench/storage/scan-prefetch.js
import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { native } from '../../src/native/addon.js';
import { mappedView } from '../../src/native/mapping.js';
import { encodeBatch, setBaseOffset } from '../../src/records/index.js';
import { table } from '../lib/stats.js';

const CHUNK_BYTES = 4 << 20;
const CHUNKS = 128;
const READ_BYTES = 36 * 1024;
const PASSES = 6;
const STRIDE = 8;
const AHEAD = [0, 2048, 4096, 8192, 16384];

const one = encodeBatch({ baseTimestamp: 1_700_000_000_000n, records: [{ key: null, value: Buffer.alloc(1024, 7), headers: [{ key: 'TAGS', value: Buffer.from('a') }] }] });
const perChunk = Math.floor(CHUNK_BYTES / one.length);
const dir = mkdtempSync(join(tmpdir(), 'mqlab-scan-prefetch-'));
const fd = openSync(join(dir, 'log'), 'w+');
try {
  // Whole batches in each 4 MiB chunk (a view never spans two), the rest of the chunk zeros.
  const chunk = Buffer.alloc(CHUNK_BYTES);
  for (let c = 0; c < CHUNKS; c++) {
    for (let i = 0; i < perChunk; i++) {
      one.copy(chunk, i * one.length);
      setBaseOffset(chunk, i * one.length, BigInt(c * perChunk + i));
    }
    writeSync(fd, chunk, 0, CHUNK_BYTES, c * CHUNK_BYTES);
  }
  const used = perChunk * one.length;
  const rows = new Float64Array(STRIDE * Math.ceil(READ_BYTES / 64));
  const info = new Float64Array(4);
  const scanAll = (ahead: number): number => {
    let records = 0;
    for (let c = 0; c < CHUNKS; c++) {
      for (let at = 0; at < used; ) {
        const view = mappedView(fd, c * CHUNK_BYTES + at, Math.min(READ_BYTES, used - at))!;
        records += native.rmqScanBatches(view, 0, 0, rows, info, ahead);
        if (info[0] === 0) throw new Error(`the scan stopped at chunk ${c}, byte ${at}`);
        at += info[0]!;
      }
    }
    return records;
  };
  const perRecord = new Map<number, number[]>(AHEAD.map((a) => [a, []]));
  for (let pass = 0; pass < PASSES; pass++) {
    for (const ahead of pass % 2 === 0 ? AHEAD : [...AHEAD].reverse()) {
      const cpu = process.cpuUsage();
      const n = scanAll(ahead);
      const spent = process.cpuUsage(cpu);
      if (n !== perChunk * CHUNKS) throw new Error(`scanned ${n} records of ${perChunk * CHUNKS}`);
      perRecord.get(ahead)!.push(((spent.user + spent.system) * 1000) / n);
    }
  }
  const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const base = median(perRecord.get(0)!);
  console.log(`${(perChunk * CHUNKS).toLocaleString('en-US')} records of ${one.length} bytes, ${PASSES} passes each`);
  console.log(table(['asked for ahead', 'CPU ns a record (median of passes)', 'passes', '× none'], AHEAD.map((a) => {
    const m = median(perRecord.get(a)!);
    return [a === 0 ? 'nothing' : `${a} bytes`, m.toFixed(0), perRecord.get(a)!.map((x) => x.toFixed(0)).join(' '), (m / base).toFixed(2)];
  })));
} finally {
  closeSync(fd);
  rmSync(dir, { recursive: true, force: true });
}
