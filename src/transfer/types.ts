import type { Socket } from 'node:net';
import type { StrategyName } from '../native/addon.js';
import type { SharedFile } from './shared-file.js';

export type { StrategyName };

/**
 * A run of a partition's bytes in a file, wherever they live. It names the
 * open file, never a bare fd number: a region handed out by a storage engine
 * holds a lease on that file until it is released (shared-file.ts).
 */
export interface FileRegion {
  readonly file: SharedFile;
  position: number;
  length: number;
}

export interface TransferStrategy {
  readonly name: StrategyName;
  /**
   * Writes `header`, then the regions, in order, to the socket. Never
   * interleaves with other sends on that socket. Rejects with a
   * Node-style error (code EPIPE, ECONNRESET, ERR_SOCKET_CLOSED, ...) if the
   * bytes cannot all be delivered; the socket is then destroyed, because a
   * partly written response cannot be taken back.
   */
  send(socket: Socket, header: Buffer | null, regions: readonly FileRegion[]): Promise<void>;
}
