// A crash state's files: a file's bytes after some of its recorded ops, the
// last maybe torn (crash-states.ts says which), and writing a state out.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Files, Tear } from './crash-states.js';
import type { DataOp, Recording } from './recording.js';

const SECTOR = 512;

/** The bytes of inode `i` after its first `n` ops, none torn. */
export function contentAfter(rec: Recording, i: number, n: number): Buffer {
  return content(rec.inodes[i]!.ops, n, null, 0);
}

/** A file's bytes after its first `n` ops, the last of them torn as `tear` says. */
export function content(ops: readonly DataOp[], n: number, tear: Tear | null, seed: number): Buffer {
  let buf = Buffer.alloc(4096);
  let size = 0;
  const resize = (to: number): void => {
    if (to > buf.length) {
      const grown = Buffer.alloc(Math.max(to, buf.length * 2));
      buf.copy(grown, 0, 0, size);
      buf = grown;
    } else if (to < size) buf.fill(0, to, size); // a later growth must read zeros there
    size = to;
  };
  const put = (at: number, data: Buffer): void => {
    if (at + data.length > size) resize(at + data.length);
    data.copy(buf, at);
  };
  for (let i = 0; i < n; i++) {
    const op = ops[i]!;
    if (op.kind === 'trunc') {
      resize(op.size);
      continue;
    }
    if (i < n - 1 || tear === null) {
      put(op.offset, op.data);
      continue;
    }
    const end = op.offset + op.data.length;
    // Where a sector boundary falls inside the write (else a byte inside it).
    const firstBoundary = Math.ceil((op.offset + 1) / SECTOR) * SECTOR;
    const boundaries = firstBoundary < end ? Math.ceil((end - firstBoundary) / SECTOR) : 0;
    const pick = (seed % 0x7fffffff) / 0x7fffffff;
    const cutAt = boundaries > 0 ? firstBoundary + SECTOR * Math.floor(pick * boundaries) : op.offset + Math.max(1, Math.floor(pick * op.data.length));
    const keep = Math.min(op.data.length, cutAt - op.offset);
    if (tear === 'short') put(op.offset, op.data.subarray(0, keep));
    else if (tear === 'zeros') put(op.offset, Buffer.concat([op.data.subarray(0, keep), Buffer.alloc(op.data.length - keep)]));
    else {
      put(op.offset, op.data);
      const from = Math.max(op.offset, Math.floor((end - 1) / SECTOR) * SECTOR);
      put(from, garbage(end - from, seed));
    }
  }
  return buf.subarray(0, size);
}

function garbage(n: number, seed: number): Buffer {
  const b = Buffer.allocUnsafe(n);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    b[i] = s & 0xff;
  }
  return b;
}

/** Writes a state into `dir` (which must be empty). */
export function writeFiles(dir: string, files: Files): void {
  mkdirSync(dir, { recursive: true });
  const paths = [...files.keys()].sort();
  for (const p of paths) if (files.get(p) === null) mkdirSync(join(dir, p), { recursive: true });
  for (const p of paths) {
    const data = files.get(p);
    if (data) writeFileSync(join(dir, p), data);
  }
}
