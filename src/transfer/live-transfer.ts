import type { Socket } from 'node:net';
import type { StrategyName } from '../native/addon.js';
import { enqueueSend } from './send-queue.js';
import { strategyByName } from './strategies.js';
import type { FileRegion, TransferStrategy } from './types.js';

/**
 * The strategy in force on a live broker, swappable while clients are
 * connected. A send picks the strategy when it starts (not when it is
 * queued), so after set() every send that has not yet started uses the new
 * one, a send in flight finishes with the one it began with, and no send
 * fails because of the swap.
 */
export class LiveTransfer implements TransferStrategy {
  private strategy: TransferStrategy;
  private readonly pick = (): StrategyName => this.strategy.name;

  constructor(initial: StrategyName = 'sendfile') {
    this.strategy = strategyByName(initial);
  }

  get name(): StrategyName {
    return this.strategy.name;
  }

  set(name: string): void {
    this.strategy = strategyByName(name);
  }

  send(socket: Socket, header: Buffer | null, regions: readonly FileRegion[]): Promise<void> {
    return enqueueSend(socket, this.pick, header, regions);
  }
}
