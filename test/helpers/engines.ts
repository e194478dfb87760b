// The engines the conformance, recovery and crash suites run against. A new
// engine joins every storage test by adding an entry here.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { CommitLogEngine } from '../../src/storage/commitlog/engine.js';
import { SegmentedEngine } from '../../src/storage/segmented/engine.js';
import type { EngineOptions, StorageEngine } from '../../src/storage/types.js';

export interface EngineFactory {
  name: string;
  make(options: EngineOptions): StorageEngine;
  /** The files holding record bytes, in append order (for damage tests). */
  dataFiles(dir: string): string[];
}

function walk(dir: string, pattern: RegExp): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...walk(p, pattern));
    else if (pattern.test(e.name)) out.push(p);
  }
  return out.sort();
}

export const ENGINES: EngineFactory[] = [
  { name: 'segmented', make: (o) => new SegmentedEngine(o), dataFiles: (dir) => walk(dir, /^\d{20}\.log$/) },
  { name: 'commitlog', make: (o) => new CommitLogEngine(o), dataFiles: (dir) => walk(join(dir, 'commitlog'), /^\d{20}$/) },
];
