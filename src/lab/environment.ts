// Where a lab run ran: enough to reproduce it or to know why it differs.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus, release, totalmem } from 'node:os';
import { resolve } from 'node:path';
import { packageRoot } from '../native/addon.js';
import type { Environment } from './results.js';

export function labEnvironment(dataDir: string): Environment {
  return {
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    memoryBytes: totalmem(),
    kernel: release(),
    node: process.version,
    filesystem: filesystemOf(dataDir),
    dataDir: resolve(dataDir),
  };
}

/** The type of the filesystem holding `dir`: the longest mount point above it in /proc/mounts. */
export function filesystemOf(dir: string): string {
  try {
    const path = resolve(dir);
    let best = { point: '', type: 'unknown' };
    for (const line of readFileSync('/proc/mounts', 'utf8').split('\n')) {
      const [, point, type] = line.split(' ');
      if (!point || !type) continue;
      const within = path === point || path.startsWith(point.endsWith('/') ? point : `${point}/`);
      if (within && point.length > best.point.length) best = { point, type };
    }
    return best.type;
  } catch {
    return 'unknown';
  }
}

export function gitRevision(): string {
  try {
    const cwd = packageRoot();
    const rev = execFileSync('git', ['rev-parse', 'HEAD'], { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    return dirty ? `${rev}-dirty` : rev;
  } catch {
    return 'unknown';
  }
}
