// The processes a test's server left behind: every live process whose
// working directory is inside `dir` (a peer server is started with its data
// directory as its working directory, and what it forks inherits it).
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

export function processesIn(dir: string): string[] {
  const found: string[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const cwd = readlinkSync(`/proc/${name}/cwd`);
      if (cwd === dir || cwd.startsWith(`${dir}/`)) found.push(`${name} ${readFileSync(`/proc/${name}/cmdline`, 'utf8').replace(/\0/g, ' ').trim()}`);
    } catch {
      /* gone, or not ours to read */
    }
  }
  return found;
}
