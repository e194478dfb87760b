// What the child asked of the kernel under one directory, from its strace:
// per file (inode) its data operations and syncs, the namespace operations
// (create, mkdir, rename, unlink, rmdir) in one global order, and the
// acknowledgements the child printed. Positions are strace line indexes, so
// "before" means before in the one order strace observed.
//
// Calls this model does not cover (fallocate, sync_file_range, truncate by
// path, io_uring, which would hide I/O from strace) make it throw rather
// than silently build wrong states. Writes through a shared mapping would
// be invisible to strace; the engines write with write(2)/pwritev(2) only.
import { dirname, relative, resolve, sep } from 'node:path';
import { bytesOf, fdOf, iovBytes, retNumber, type Syscall } from './strace-lines.js';

export type DataOp =
  | { kind: 'write'; offset: number; data: Buffer; entry: number; exit: number; extends: boolean }
  | { kind: 'trunc'; size: number; entry: number; exit: number; extends: boolean };

export interface Sync {
  inode: number;
  entry: number;
  exit: number;
  entryMs: number;
  exitMs: number;
}

export type MetaOp = {
  entry: number;
  exit: number;
  /** Inodes of the directories whose entries it changes (an fsync of one of them makes it durable). */
  dirs: number[];
} & (
  | { kind: 'create' | 'mkdir'; path: string; inode: number }
  | { kind: 'unlink' | 'rmdir'; path: string }
  | { kind: 'rename'; path: string; to: string }
);

export interface Inode {
  id: number;
  dir: boolean;
  /** Index in `meta` of the op that created it, and of those that created the directories above it then. */
  createdBy: number;
  ancestors: number[];
  ops: DataOp[];
}

export interface Line {
  /** Line index of the write(1, ...) that printed it. */
  at: number;
  ms: number;
  text: string;
}

export interface Recording {
  /** The directory recorded (absolute, as the child named it). */
  root: string;
  inodes: Inode[];
  meta: MetaOp[];
  syncs: Sync[];
  /** Lines the child printed on stdout (ACK ..., CLOSED, ...). */
  lines: Line[];
  /** One past the last line index. */
  end: number;
}

const UNMODELLED = new Set(['fallocate', 'sync_file_range', 'truncate', 'creat', 'open', 'io_uring_setup', 'io_uring_enter', 'renameat', 'link', 'linkat', 'symlink', 'symlinkat']);

/** Builds the recording of everything under `root` (which must not exist when the trace starts). */
export function buildRecording(calls: Syscall[], root: string): Recording {
  const rec: Recording = { root, inodes: [], meta: [], syncs: [], lines: [], end: 0 };
  const names = new Map<string, number>(); // live namespace: relative path -> inode
  const fds = new Map<number, { inode: number; path: string; pos: number; append: boolean }>();
  const sizes: number[] = [];
  const under = (p: string): string | null => {
    const r = relative(root, p);
    return r === '' ? '' : r.startsWith('..') || r.startsWith(sep) ? null : r;
  };
  const pathArg = (dirArg: string | null, arg: string): string | null => {
    const p = bytesOf(arg).toString('utf8');
    const base = dirArg === null ? null : fdOf(dirArg).path;
    return under(resolve(base ?? '/', p));
  };
  const parentOf = (path: string): number[] => {
    const parent = names.get(dirname(path) === '.' ? '' : dirname(path));
    return path === '' || parent === undefined ? [] : [parent];
  };
  const newInode = (dir: boolean, metaIndex: number, path: string): number => {
    const ancestors: number[] = [];
    for (let p = path; p !== ''; ) {
      p = dirname(p) === '.' ? '' : dirname(p);
      const i = names.get(p);
      if (i !== undefined) ancestors.push(rec.inodes[i]!.createdBy);
    }
    rec.inodes.push({ id: rec.inodes.length, dir, createdBy: metaIndex, ancestors, ops: [] });
    sizes.push(0);
    return rec.inodes.length - 1;
  };
  const dataOp = (inode: number, op: DataOp): void => {
    const ops = rec.inodes[inode]!.ops;
    const prev = ops[ops.length - 1];
    // One writer per file, one call at a time: what "a prefix of its writes" needs.
    if (prev && op.entry <= prev.exit) throw new Error(`overlapping writes to inode ${inode} at lines ${prev.entry} and ${op.entry}`);
    ops.push(op);
  };
  // Calls are taken in the order they returned, so an fd is looked up in
  // the table as it was then: check it against the path -y printed when
  // the call began (a close and reopen in between would reuse the number).
  const fdInode = (c: Syscall): number | null => {
    const { fd, path } = fdOf(c.args[0]!);
    const rel = path === null ? null : under(path.replace(/\(deleted\)$/, ''));
    const f = fds.get(fd);
    if (f && rel !== null && rel !== f.path) throw new Error(`line ${c.entry + 1}: fd ${fd} names ${rel}, opened as ${f.path}`);
    if (f) return f.inode;
    if (rel !== null) throw new Error(`${c.name} on ${path}, opened before the trace began`);
    return null;
  };

  const touchesRoot = (c: Syscall): boolean =>
    c.args.some((a) => {
      if (a.startsWith('"')) return under(resolve('/', bytesOf(a).toString('utf8'))) !== null;
      const path = /^-?\d+</.test(a) ? fdOf(a).path : null;
      return path !== null && under(path.replace(/\(deleted\)$/, '')) !== null;
    });

  for (const c of calls) {
    rec.end = Math.max(rec.end, c.entry + 1, Number.isFinite(c.exit) ? c.exit + 1 : 0);
    if (UNMODELLED.has(c.name) && (c.name.startsWith('io_uring') || touchesRoot(c))) throw new Error(`${c.name} is not modelled (line ${c.entry + 1})`);
    const r = retNumber(c.ret);
    const ok = r !== null;
    const span = { entry: c.entry, exit: c.exit };
    switch (c.name) {
      case 'openat': {
        if (!ok) break;
        const path = pathArg(c.args[0]!, c.args[1]!);
        if (path === null) break;
        const flags = c.args[2]!;
        let inode = names.get(path);
        if (inode === undefined) {
          if (!flags.includes('O_CREAT')) throw new Error(`openat of ${path}, which does not exist (line ${c.entry + 1})`);
          inode = newInode(flags.includes('O_DIRECTORY'), rec.meta.length, path);
          rec.meta.push({ kind: 'create', path, inode, dirs: parentOf(path), ...span });
          names.set(path, inode);
        } else if (flags.includes('O_TRUNC') && sizes[inode]! > 0) {
          dataOp(inode, { kind: 'trunc', size: 0, extends: false, ...span });
          sizes[inode] = 0;
        }
        fds.set(r, { inode, path, pos: 0, append: flags.includes('O_APPEND') });
        break;
      }
      case 'close':
        if (ok) fds.delete(fdOf(c.args[0]!).fd);
        break;
      case 'write':
      case 'pwrite64':
      case 'writev':
      case 'pwritev':
      case 'pwritev2': {
        const { fd } = fdOf(c.args[0]!);
        if (fd === 1 && c.name === 'write') {
          if (ok) for (const text of bytesOf(c.args[1]!).subarray(0, r).toString().split('\n')) if (text) rec.lines.push({ at: c.entry, ms: c.entryMs, text });
          break;
        }
        const inode = fdInode(c);
        if (inode === null || !ok || r === 0) break;
        const vec = c.name.includes('writev');
        const data = (vec ? iovBytes(c.args[1]!) : bytesOf(c.args[1]!)).subarray(0, r);
        if (data.length !== r) throw new Error(`line ${c.entry + 1}: ${r} bytes written, ${data.length} printed`);
        const f = fds.get(fd)!;
        const positional = c.name.startsWith('p');
        const offset = positional ? Number(c.args[3]) : f.append ? sizes[inode]! : f.pos;
        if (!positional) f.pos = offset + r;
        const extends_ = offset + r > sizes[inode]!;
        dataOp(inode, { kind: 'write', offset, data: Buffer.from(data), extends: extends_, ...span });
        sizes[inode] = Math.max(sizes[inode]!, offset + r);
        break;
      }
      case 'ftruncate': {
        const inode = fdInode(c);
        if (inode === null || !ok) break;
        const size = Number(c.args[1]);
        dataOp(inode, { kind: 'trunc', size, extends: size > sizes[inode]!, ...span });
        sizes[inode] = size;
        break;
      }
      case 'fsync':
      case 'fdatasync': {
        const inode = fdInode(c);
        if (inode === null || !ok) break;
        rec.syncs.push({ inode, ...span, entryMs: c.entryMs, exitMs: c.exitMs });
        break;
      }
      case 'mkdir':
      case 'mkdirat': {
        if (!ok) break;
        const path = c.name === 'mkdir' ? pathArg(null, c.args[0]!) : pathArg(c.args[0]!, c.args[1]!);
        if (path === null) break;
        const inode = newInode(true, rec.meta.length, path);
        rec.meta.push({ kind: 'mkdir', path, inode, dirs: parentOf(path), ...span });
        names.set(path, inode);
        break;
      }
      case 'unlink':
      case 'unlinkat':
      case 'rmdir': {
        if (!ok) break;
        const path = c.name === 'unlinkat' ? pathArg(c.args[0]!, c.args[1]!) : pathArg(null, c.args[0]!);
        if (path === null) break;
        const dir = c.name === 'rmdir' || (c.name === 'unlinkat' && c.args[2]!.includes('AT_REMOVEDIR'));
        rec.meta.push({ kind: dir ? 'rmdir' : 'unlink', path, dirs: parentOf(path), ...span });
        names.delete(path);
        break;
      }
      case 'rename':
      case 'renameat2': {
        if (!ok) break;
        const from = c.name === 'rename' ? pathArg(null, c.args[0]!) : pathArg(c.args[0]!, c.args[1]!);
        const to = c.name === 'rename' ? pathArg(null, c.args[1]!) : pathArg(c.args[2]!, c.args[3]!);
        if (from === null && to === null) break;
        if (from === null || to === null) throw new Error(`rename across the data directory's edge (line ${c.entry + 1})`);
        rec.meta.push({ kind: 'rename', path: from, to, dirs: [...new Set([...parentOf(from), ...parentOf(to)])], ...span });
        const inode = names.get(from)!;
        names.delete(from);
        names.set(to, inode);
        for (const [p, i] of [...names]) {
          if (p.startsWith(from + sep)) {
            names.delete(p);
            names.set(to + p.slice(from.length), i);
          }
        }
        for (const f of fds.values()) if (f.path === from || f.path.startsWith(from + sep)) f.path = to + f.path.slice(from.length);
        break;
      }
    }
  }
  return rec;
}
