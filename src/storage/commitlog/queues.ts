// The engine's queues on disk: one consume-queue directory per live queue
// (queue-registry.ts says which are live), nothing else under consumequeue/.
import { readdirSync, rmSync, rmdirSync } from 'node:fs';
import { join } from 'node:path';
import type { FilePool } from '../file-pool.js';
import { tpKey, type TopicPartition } from '../types.js';
import { ConsumeQueue } from './consume-queue.js';
import type { CqDispatch } from './cq-dispatch.js';
import { EntryHeaders } from './entry-format.js';
import type { QueueRegistry } from './queue-registry.js';
import { TimeMarks } from './time-marks.js';

export const QUEUE_ROOT = 'consumequeue';

export interface Queue {
  tp: TopicPartition;
  key: string;
  /** The incarnation whose commit-log entries are this queue's. */
  epoch: number;
  cq: ConsumeQueue;
  /** Encodes this queue's commit-log entry headers. */
  headers: EntryHeaders;
  /** Where the queue's largest timestamp grew, for lookups by time (unbuilt until the engine says). */
  marks: TimeMarks;
}

export function newQueue(tp: TopicPartition, epoch: number, cq: ConsumeQueue): Queue {
  return { tp, key: tpKey(tp), epoch, cq, headers: new EntryHeaders(tp.topic, tp.partition, epoch), marks: new TimeMarks() };
}

export function queueDir(dir: string, tp: TopicPartition): string {
  return join(dir, QUEUE_ROOT, tp.topic, String(tp.partition));
}

/**
 * Opens the consume queue of every live queue into `into`, after removing
 * directories of queues that are not live (a delete that a crash cut short).
 * `missing` is true if a live queue had no directory: recovery must then
 * rebuild from the start of the commit log.
 */
export function openQueues(dir: string, registry: QueueRegistry, fileEntries: number, forget: (path: string) => void, dispatch: CqDispatch, pool: FilePool, into: Map<string, Queue>): { missing: boolean } {
  const root = join(dir, QUEUE_ROOT);
  for (const topic of readdirSync(root)) {
    for (const p of listDir(join(root, topic))) {
      if (!registry.live.has(tpKey({ topic, partition: Number(p) })) || !/^\d+$/.test(p)) rmSync(join(root, topic, p), { recursive: true, force: true });
    }
    removeIfEmpty(join(root, topic));
  }
  let missing = false;
  for (const { tp, epoch } of registry.live.values()) {
    const { cq, existed } = ConsumeQueue.open(queueDir(dir, tp), fileEntries, forget, dispatch, pool);
    missing ||= !existed;
    into.set(tpKey(tp), newQueue(tp, epoch, cq));
  }
  return { missing };
}

/** Removes a queue's directory (and its topic's, if now empty); returns the queue's path. */
export function removeQueueDir(dir: string, tp: TopicPartition): string {
  const path = queueDir(dir, tp);
  rmSync(path, { recursive: true, force: true });
  removeIfEmpty(join(dir, QUEUE_ROOT, tp.topic));
  return path;
}

function listDir(path: string): string[] {
  try {
    return readdirSync(path);
  } catch {
    return [];
  }
}

function removeIfEmpty(path: string): void {
  try {
    rmdirSync(path);
  } catch {
    // not empty, or already gone
  }
}
