export type { FileRegion, StrategyName, TransferStrategy } from './types.js';
export { LiveTransfer } from './live-transfer.js';
export { forgetMappedFile, isStrategyName, resetTransferCounters, strategyByName, transferCounters } from './strategies.js';
export { holdRegion, releaseRegions, SharedFile, sharedFileStats } from './shared-file.js';
