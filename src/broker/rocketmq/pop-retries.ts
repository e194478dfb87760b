// A receive's retries (pop-service.ts): one retry topic per consumer group
// (retry-topic.ts) holds the retries of every topic the group consumes, and
// a receive of topic T takes T's, each topic scanning the retry topic on its
// own (QueueState.topicScans), so a topic no receive comes for keeps its
// retries without holding up another's.
import type { Broker } from '../broker.js';
import type { GroupSettings } from '../group-configs.js';
import type { PopMoves } from './pop-moves.js';
import type { Queue } from './pop-queues.js';
import type { PopReads } from './pop-reads.js';
import type { PopRequest } from './pop-request.js';
import type { StoredRecord } from './queue-records.js';
import { retryOrigin } from './retry-topic.js';
import { storedMatches } from './tag-filter.js';

/** Records of the group's retry topic a receive looks at per call, at most (the retries of other topics among them cost a read each). */
const RETRY_LOOKS = 1024;

/** Hands a record of a queue out in the receive being collected: its message group (FIFO), and the deliveries before (a retry copy's). */
export type Take = (from: Queue, r: StoredRecord, messageGroup: string | null, priorAttempts: number) => void;

/**
 * The retries of the receive's topic T, from the group's retry topic: its
 * expired deliveries revived (again); then T's scan, if behind how far the
 * topics in the retry topic are known (nextScan), takes T's retries up to
 * there; then, caught up, both go on together, T's retries taken and each
 * other topic met for the first time given its scan from there. The copies
 * pass the receive's filter again (the group's subscription may have
 * changed); what does not match is done with for the group. At most
 * RETRY_LOOKS records are looked at per call: returns whether it stopped
 * there with more to look at.
 */
export function collectRetries(broker: Broker, reads: PopReads, moves: PopMoves, retries: Queue, req: PopRequest, now: number, settings: GroupSettings, take: Take, full: () => boolean): boolean {
  const { state } = retries;
  const topic = req.topic;
  const { clamped } = reads.clamp(retries);
  moves.settle(retries, now, settings, null);
  // No scan yet: T has no retry below nextScan.
  let scan = state.topicScans.get(topic) ?? state.nextScan;
  let looks = 0;
  const offer = (r: StoredRecord): void => {
    const origin = retryOrigin(r.record);
    if (origin !== null && origin.topic === topic) {
      if (!state.passOver(r.offset) && storedMatches(req.filter, r)) take(retries, r, null, origin.attempts);
    } else if (scan === state.nextScan && origin !== null && !state.topicScans.has(origin.topic) && broker.topics.get(origin.topic)) {
      state.topicScans.set(origin.topic, r.offset);
    }
    // A record this broker did not copy there (a Kafka producer's) is no retry of anything: passed over.
  };
  while (!full() && looks < RETRY_LOOKS && scan < clamped) {
    const together = scan === state.nextScan;
    const { records, end } = reads.scanStep(retries, scan, req.batchSize);
    let stopped = false;
    for (const r of records) {
      if (r.offset < scan) continue;
      if ((!together && r.offset >= state.nextScan) || full() || looks >= RETRY_LOOKS) {
        stopped = true;
        break;
      }
      looks++;
      offer(r);
      scan = r.offset + 1;
      if (together) state.nextScan = scan;
    }
    if (stopped) break;
    if (end <= scan && records.length === 0) break;
    if (end > scan) {
      scan = together ? end : Math.min(end, state.nextScan);
      if (together) state.nextScan = scan;
    }
  }
  state.topicScans.set(topic, scan);
  return looks >= RETRY_LOOKS && !full();
}
