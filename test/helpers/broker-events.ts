// Promises on what the broker does, from its observers: a test waits for
// the event itself instead of sleeping until it has probably happened.
import type { Broker, FetchResult } from '../../src/broker/broker.js';

const ignore = (): void => undefined;

/** Resolves when a fetch of `topic` finds too little and waits at the broker (a long poll). */
export function fetchWaiting(broker: Broker, topic: string): Promise<void> {
  return new Promise((resolve) => {
    broker.observe({ produced: ignore, fetched: ignore, failed: ignore, waiting: (ps) => ps.some((p) => p.topic === topic) && resolve() });
  });
}

/** Resolves when the broker answers a fetch that carries bytes of `topic` (its regions are then leased). */
export function fetchAnswered(broker: Broker, topic: string): Promise<void> {
  return new Promise((resolve) => {
    broker.observe({
      produced: ignore,
      failed: ignore,
      fetched: (results: readonly FetchResult[]) => results.some((r) => r.topic === topic && r.bytes > 0) && resolve(),
    });
  });
}

/** Resolves when the broker answers any fetch of `topic`, empty ones (an expired long poll) included. */
export function fetchDone(broker: Broker, topic: string): Promise<void> {
  return new Promise((resolve) => {
    broker.observe({ produced: ignore, failed: ignore, fetched: (results: readonly FetchResult[]) => results.some((r) => r.topic === topic) && resolve() });
  });
}
