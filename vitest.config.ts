import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    // Real processes, files and sockets: forks isolate native state per file.
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // The JSON file is what .ci/run reads its totals from.
    reporters: ['default', 'json'],
    outputFile: { json: 'build/test-results.json' },
  },
});
