// What every benchmark result records about where it ran.
import { cpus, release, totalmem } from 'node:os';

export function environment(): Record<string, unknown> {
  return { node: process.version, kernel: release(), cpu: cpus()[0]?.model, cores: cpus().length, memoryBytes: totalmem() };
}
