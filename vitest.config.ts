import { BaseSequencer, type TestSpecification } from 'vitest/node';
import { defineConfig } from 'vitest/config';

/**
 * The files that take longest (CI, 2026-12-06: 96, 51, 45, 35, 32, 28 and
 * 23 s), started first. Without a cache of earlier runs (a fresh clone)
 * vitest starts larger files first, and these are small: the lab's
 * scenarios started 414 s into a 509 s run and ran alone for the last 39.
 */
const SLOW_FIRST = ['lab-scenarios', 'broker-workers', 'rocketmq-retry-topic', 'fuzz-kafka', 'rocketmq-pop-restart', 'rocketmq-crash', 'storage-powerloss'];

class SlowFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const rank = (f: TestSpecification): number => {
      const i = SLOW_FIRST.findIndex((name) => f.moduleId.endsWith(`/${name}.test.ts`));
      return i < 0 ? SLOW_FIRST.length : i;
    };
    // Array.prototype.sort is stable: the rest keep the order vitest gave them.
    return (await super.sort(files)).sort((a, b) => rank(a) - rank(b));
  }
}

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    // Real processes, files and sockets: forks isolate native state per file.
    pool: 'forks',
    // Two files at once on this 2-core machine (vitest's default is cores - 1 = one):
    // most files wait on child processes, servers starting and sockets, so the
    // suite's wall time drops by about a third (measured: 358 s against 500 s).
    maxWorkers: 2,
    sequence: { sequencer: SlowFirst },
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // The JSON file is what .ci/run reads its totals from.
    reporters: ['default', 'json'],
    outputFile: { json: 'build/test-results.json' },
  },
});
