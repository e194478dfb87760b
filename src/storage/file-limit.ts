// The process's open-file limit (RLIMIT_NOFILE). Node has no getrlimit, so
// it is read where Linux shows it, /proc/self/limits; elsewhere it is not
// known and callers fall back to a guess.
import { readFileSync } from 'node:fs';

/** The soft limit on open files from the text of /proc/self/limits, or null where it is not there. */
export function openFileLimit(limits: string): number | null {
  const m = /^Max open files\s+(\d+|unlimited)\s/m.exec(limits);
  if (!m) return null;
  return m[1] === 'unlimited' ? Number.POSITIVE_INFINITY : Number(m[1]);
}

/** This process's soft limit on open files, or null where it cannot be read. */
export function processOpenFileLimit(): number | null {
  try {
    return openFileLimit(readFileSync('/proc/self/limits', 'utf8'));
  } catch {
    return null;
  }
}
