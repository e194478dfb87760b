// What a receive asks of the pop service (pop-service.ts): the queue, the
// group's filter and batch, the invisible time, how long to long-poll, and
// the caller's bounds (gone, bytes it can still hold).
import type { Backing } from './queue-records.js';
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

/**
 * A collect (synchronous: no other receive runs meanwhile) asks room() once,
 * reports each message it takes to hold(), and calls settle() before it
 * ends, thrown or not: the caller's bounds then count what it took, so
 * receives woken together each see the others'.
 */
export interface ByteBudget {
  room(): number;
  /** A taken message's body, its length and the buffer it lies in: returns the bytes sending it holds (counted against room). */
  hold(bodyBytes: number, backing: Backing): number;
  settle(): void;
}
