import { CommitLogEngine } from './commitlog/engine.js';
import { SegmentedEngine } from './segmented/engine.js';
import type { EngineOptions, StorageEngine } from './types.js';

export * from './types.js';
export { StorageError, type StorageErrorCode } from './errors.js';

export const ENGINE_KINDS = ['segmented', 'commitlog'] as const;
export type EngineKind = (typeof ENGINE_KINDS)[number];

export function createEngine(kind: string, options: EngineOptions): StorageEngine {
  switch (kind) {
    case 'segmented':
      return new SegmentedEngine(options);
    case 'commitlog':
      return new CommitLogEngine(options);
    default:
      throw new RangeError(`unknown storage engine "${kind}" (expected one of ${ENGINE_KINDS.join(', ')})`);
  }
}
