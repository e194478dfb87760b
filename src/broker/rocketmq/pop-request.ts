// What a receive asks of the pop service (pop-service.ts): the queue, the
// group's filter and batch, the invisible time, how long to long-poll, and
// the caller's bounds (gone, bytes it can still hold).
import type { TagFilter } from './tag-filter.js';

export interface PopRequest {
  group: string;
  topic: string;
  partition: number;
  filter: TagFilter;
  batchSize: number;
  invisibleMs: number;
  /** How long to wait for a message when none is ready (long polling). */
  pollMs: number;
  /** True once the caller has gone: take nothing more for it. */
  cancelled: () => boolean;
  /** A push consumer's client id (auto renew): its deliveries stay invisible while it is connected. */
  renewFor: string | null;
  /** Message bytes the caller can still hold (a slow reader's bound): a receive takes at least one message while there is room, none without. */
  budget?: ByteBudget;
}

export interface ByteBudget {
  room(): number;
  /** A taken message's body, its length and the buffer it lies in, reported as it is taken (receives woken together each see the others'): the caller counts what sending it holds. */
  hold(bodyBytes: number, backing: ArrayBufferLike): void;
}
