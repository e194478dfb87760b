// The on-disk states a power cut at one point of a recording could leave.
//
// The model, for a cut before strace line `cut`:
// - Data. A file's content is every data op (write, truncate) that returned
//   before the start of the latest fsync/fdatasync of that file to return
//   before the cut, then any prefix of its later ops that began before the
//   cut, in order; the last op kept may be torn at a 512-byte sector: cut
//   short, its tail zeros (size updated, data not), or its last sector
//   garbage. A sync that had not returned guarantees nothing.
// - Metadata (create, mkdir, rename, unlink, rmdir) goes in issue order:
//   some prefix of it survives. Two models of what a sync forces:
//   'ordered' (ext4 data=ordered, xfs): a returned fsync/fdatasync commits
//     the journal, so every metadata op that returned before the sync began
//     is durable; and a file's growth (an extending write or truncate) can
//     only survive if every metadata op before it did (the size reaches disk
//     in a later journal commit than those ops).
//   'posix': only an fsync of the directory makes its entries durable, and a
//     file's sync makes its own creation (and its directories') durable; no
//     order between data and metadata otherwise. Stricter than any Linux
//     filesystem in common use; for exploring, not the default.
// Not modelled: reordering of a file's own unsynced writes (each file keeps
// a prefix), damage to synced data, and lost writes inside a file's synced
// size.
import type { Recording } from './recording.js';
import { content } from './state-files.js';

export type MetadataModel = 'ordered' | 'posix';
export type Tear = 'short' | 'zeros' | 'garbage';

/** The choices that make one crash state from a cut. */
export interface Choice {
  cut: number;
  /** Metadata ops applied: the first `metaPrefix`, and any in `forced`. */
  metaPrefix: number;
  forced: Set<number>;
  /** Per inode: unsynced ops kept (after the synced ones), and a tear of the last. */
  kept: Map<number, { synced: number; extra: number; tear: Tear | null; tearSeed: number }>;
}

/** A state as files: path (relative to the engine's directory) to bytes, or null for a directory. */
export type Files = Map<string, Buffer | null>;

/** What is fixed for a cut, whatever is sampled around it. */
export interface CutFacts {
  cut: number;
  /** Per inode: ops guaranteed durable (a prefix), ops begun before the cut. */
  synced: number[];
  started: number[];
  /** Metadata ops guaranteed durable (ordered model: a prefix of this length) and begun. */
  metaForcedPrefix: number;
  metaForced: Set<number>;
  metaStarted: number;
}

export class CrashModel {
  private readonly metaExits: number[];
  private readonly syncsByExit;

  constructor(readonly rec: Recording, readonly model: MetadataModel) {
    this.metaExits = rec.meta.map((m) => m.exit);
    this.syncsByExit = [...rec.syncs].sort((a, b) => a.exit - b.exit);
  }

  /** Metadata ops that returned before line `at`. */
  metaBefore(at: number): number {
    let lo = 0;
    let hi = this.metaExits.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.metaExits[mid]! < at) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  facts(cut: number): CutFacts {
    const { rec } = this;
    const syncStart = new Array<number>(rec.inodes.length).fill(-1);
    let lastSyncStart = -1;
    const forced = new Set<number>();
    for (const s of this.syncsByExit) {
      if (s.exit >= cut) break;
      syncStart[s.inode] = Math.max(syncStart[s.inode]!, s.entry);
      lastSyncStart = Math.max(lastSyncStart, s.entry);
      if (this.model === 'posix') {
        const inode = rec.inodes[s.inode]!;
        for (let i = 0; i < rec.meta.length && rec.meta[i]!.exit < s.entry; i++) if (rec.meta[i]!.dirs.includes(s.inode)) forced.add(i);
        if (rec.meta[inode.createdBy]!.exit < s.entry) for (const i of [inode.createdBy, ...inode.ancestors]) forced.add(i);
      }
    }
    const synced = rec.inodes.map((n, i) => countWhile(n.ops, (op) => op.exit < syncStart[i]!));
    const started = rec.inodes.map((n) => countWhile(n.ops, (op) => op.entry < cut));
    const metaStarted = countWhile(rec.meta, (m) => m.entry < cut);
    const metaForcedPrefix = this.model === 'ordered' ? this.metaBefore(lastSyncStart) : 0;
    return { cut, synced, started, metaForcedPrefix, metaForced: forced, metaStarted };
  }

  /**
   * Ops of inode `i` past the synced ones that may survive with `metaPrefix`
   * metadata ops applied: under 'ordered', none from the first growth whose
   * preceding metadata is not all applied.
   */
  maxExtra(f: CutFacts, i: number, metaPrefix: number): number {
    const ops = this.rec.inodes[i]!.ops;
    let n = 0;
    for (let k = f.synced[i]!; k < f.started[i]!; k++, n++) {
      if (this.model === 'ordered' && ops[k]!.extends && this.metaBefore(ops[k]!.entry) > metaPrefix) break;
    }
    return n;
  }

  /** The pessimistic state of a cut: only what the syncs guarantee. */
  minimal(f: CutFacts): Choice {
    const kept = new Map<number, { synced: number; extra: number; tear: null; tearSeed: number }>();
    this.rec.inodes.forEach((_, i) => kept.set(i, { synced: f.synced[i]!, extra: 0, tear: null, tearSeed: 0 }));
    return { cut: f.cut, metaPrefix: f.metaForcedPrefix, forced: f.metaForced, kept };
  }

  /** The paths a state holds (relative to the engine's directory; '' is the directory itself), and their inodes. */
  namespace(c: Choice): Map<string, number> {
    const names = new Map<string, number>();
    const apply = (i: number): void => {
      const m = this.rec.meta[i]!;
      const parentExists = (p: string): boolean => !p.includes('/') || names.has(p.slice(0, p.lastIndexOf('/')));
      if (m.kind === 'create' || m.kind === 'mkdir') {
        if (m.path === '' || parentExists(m.path)) names.set(m.path, m.inode);
      } else if (m.kind === 'unlink' || m.kind === 'rmdir') {
        names.delete(m.path);
      } else if (m.kind === 'rename' && names.has(m.path) && parentExists(m.to)) {
        for (const [p, n] of [...names]) {
          if (p === m.path || p.startsWith(`${m.path}/`)) {
            names.delete(p);
            names.set(m.to + p.slice(m.path.length), n);
          }
        }
      }
    };
    for (let i = 0; i < this.rec.meta.length; i++) if (i < c.metaPrefix || c.forced.has(i)) apply(i);
    return names;
  }

  /** Builds a state's files (only those `wanted`, if given). */
  files(c: Choice, names = this.namespace(c), wanted?: (path: string) => boolean): Files {
    const out: Files = new Map();
    if (!names.has('')) return out; // the directory itself never reached the disk
    for (const [path, inode] of names) {
      if (path === '' || (wanted && !wanted(path))) continue;
      if (this.rec.inodes[inode]!.dir) out.set(path, null);
      else {
        const k = c.kept.get(inode)!;
        out.set(path, content(this.rec.inodes[inode]!.ops, k.synced + k.extra, k.tear, k.tearSeed));
      }
    }
    return out;
  }
}

function countWhile<T>(xs: readonly T[], ok: (x: T) => boolean): number {
  let n = 0;
  while (n < xs.length && ok(xs[n]!)) n++;
  return n;
}
