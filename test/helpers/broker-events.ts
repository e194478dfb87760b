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

/**
 * Resolves once `group` has committed `offset` for topic-partition: checked
 * now and after each stored commit (the coordinator's listeners); fails
 * after `ms` saying where the offset is.
 */
export function committedAt(broker: Broker, group: string, topic: string, partition: number, offset: bigint, ms = 30_000): Promise<void> {
  const now = (): bigint => broker.coordinator.committed(group, topic, partition).offset;
  if (now() === offset) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      stop();
      reject(new Error(`group ${group} did not commit ${topic}-${partition} at ${offset} within ${ms} ms (it is at ${now()})`));
    }, ms);
    const stop = broker.coordinator.onCommit(() => {
      if (now() !== offset) return;
      clearTimeout(timer);
      stop();
      resolve();
    });
  });
}

/**
 * Resolves once topic-partition's high watermark is at least `end` (a topic
 * not there yet counts as empty): checked now and on each append to it (the
 * broker's append watch, which long polls wait on); fails after `ms`.
 */
export async function appended(broker: Broker, topic: string, partition: number, end: bigint, ms = 30_000): Promise<void> {
  const hw = (): bigint => (broker.topics.get(topic) ? broker.engine.highWatermark({ topic, partition }) : 0n);
  const deadline = Date.now() + ms;
  while (hw() < end) {
    const left = deadline - Date.now();
    if (left <= 0) throw new Error(`${topic}-${partition} did not reach offset ${end} within ${ms} ms (its end is ${hw()})`);
    await broker.waitForAppend(topic, partition, left);
  }
}
