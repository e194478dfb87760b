// The lab's statistics and table helpers, shared with the benchmarks.
export * from '../../src/lab/stats.js';
