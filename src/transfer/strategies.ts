import type { Socket } from 'node:net';
import { native, STRATEGY_NAMES, type StrategyName, type TransferCounters } from '../native/addon.js';
import { enqueueSend } from './send-queue.js';
import type { FileRegion, TransferStrategy } from './types.js';

/**
 * One of the addon's three ways to move file bytes to a socket:
 * - sendfile: sendfile(2), the kernel moves page-cache pages; no CPU copy.
 * - mmap: the file mapped once and kept; write(2)/writev(2) of the mapped
 *   slices; one CPU copy (page cache to socket buffer).
 * - copy: pread(2) into a buffer, then write(2); two CPU copies.
 */
class NativeStrategy implements TransferStrategy {
  private readonly pick: () => StrategyName;

  constructor(readonly name: StrategyName) {
    this.pick = () => name;
  }

  send(socket: Socket, header: Buffer | null, regions: readonly FileRegion[]): Promise<void> {
    return enqueueSend(socket, this.pick, header, regions);
  }
}

const strategies: Record<StrategyName, TransferStrategy> = {
  sendfile: new NativeStrategy('sendfile'),
  mmap: new NativeStrategy('mmap'),
  copy: new NativeStrategy('copy'),
};

export function isStrategyName(name: string): name is StrategyName {
  return (STRATEGY_NAMES as readonly string[]).includes(name);
}

export function strategyByName(name: string): TransferStrategy {
  if (!isStrategyName(name)) {
    throw new RangeError(`unknown transfer strategy "${name}" (expected one of ${STRATEGY_NAMES.join(', ')})`);
  }
  return strategies[name];
}

/** The addon's counters for every strategy, since the last reset. */
export function transferCounters(): TransferCounters {
  return native.counters();
}

export function resetTransferCounters(): void {
  native.resetCounters();
}

/**
 * Unmaps the mmap strategy's cached windows of the file behind `fd`. Call
 * before deleting a log file that may have been sent with mmap, or its disk
 * space stays held until the window is evicted.
 */
export function forgetMappedFile(fd: number): void {
  native.mapCacheForget(fd);
}
