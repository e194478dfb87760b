// What pop consumption moves a consumer group's committed offset by, on its
// way to the broker's offset store (so `mqlab groups --describe` shows the
// lag of RocketMQ groups too). A queue's offset is the low watermark of its
// QueueState; receives and acks mark the queue, and the marked queues are
// committed together at most `intervalMs` later
// (rocketmq.offset.commit.interval.ms; RocketMQ's broker persists its
// consumer offsets every 5 s): one offset-store append per queue and
// interval instead of one per receive and ack. Meanwhile the pop journal's
// ack records keep acked messages from coming back, across a crash too.
import type { Broker } from '../broker.js';
import type { QueueState } from './queue-state.js';

export interface QueueRef {
  group: string;
  topic: string;
  partition: number;
}

export class QueueCommits {
  /** Queues whose low watermark may have moved past their committed offset. */
  private readonly marked = new Map<QueueState, QueueRef>();
  private timer: NodeJS.Timeout | null = null;
  /** Resolves once every commit started so far is done. */
  private committing: Promise<void> = Promise.resolve();
  private closed = false;

  constructor(private readonly broker: Broker, private readonly intervalMs: number, private readonly log: (m: string) => void) {}

  /** Commits the queue's low watermark within the interval, with every other queue's that moves meanwhile (at once after close()). */
  later(q: QueueRef, state: QueueState): void {
    if (this.marked.has(state)) return;
    this.marked.set(state, q);
    if (this.closed) {
      void this.flush();
      return;
    }
    if (this.timer !== null) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.flush();
    }, this.intervalMs);
    this.timer.unref();
  }

  /** A state no longer in use (its topic was created again): nothing of it is committed. */
  forget(state: QueueState): void {
    this.marked.delete(state);
  }

  /** Commits the marked queues now; resolves once they and every commit started before are done. */
  flush(): Promise<void> {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    const marked = [...this.marked];
    this.marked.clear();
    const now = Promise.all(marked.map(([state, q]) => this.now(q, state)));
    this.committing = Promise.all([this.committing, now]).then(() => undefined);
    return this.committing;
  }

  /** Commits what is marked, and from now on commits at once (the broker is closing). */
  close(): Promise<void> {
    this.closed = true;
    return this.flush();
  }

  /** Commits the queue's low watermark now; resolves once stored (failures are logged, and the next move tries again). */
  now(q: QueueRef, state: QueueState): Promise<void> {
    // A commit not yet started reads the low watermark when it starts, so it
    // covers every ack before then.
    if (state.commitQueued) return state.commitQueued;
    const queued = state.commitChain.then(async () => {
      state.commitQueued = null;
      const low = state.lowWatermark();
      if (low <= state.committed) return;
      // Deleted (its offsets with it), or deleted and created again: not this state's to commit.
      if ((this.broker.topics.get(q.topic)?.id ?? '') !== state.topicId) return;
      try {
        const error = await this.broker.coordinator.commit(q.group, '', -1, [{ topic: q.topic, partition: q.partition, offset: BigInt(low), metadata: null }]);
        if (error === 'NONE') state.committed = low;
        else this.log(`rocketmq: cannot commit offset ${low} of ${q.topic}-${q.partition} for group ${q.group}: ${error}`);
      } catch (err) {
        this.log(`rocketmq: cannot commit offset ${low} of ${q.topic}-${q.partition} for group ${q.group}: ${(err as Error).message}`);
      }
    });
    state.commitQueued = queued;
    state.commitChain = queued;
    return queued;
  }
}
