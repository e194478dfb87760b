// The consumer groups' pop states held (pop-service.ts): one per group and
// queue (a partition of a topic, or of the group's retry topic), made on
// first use from the group's committed offset and what the pop journal
// restored, made afresh for a topic created again under its name, and let
// go once idle (rocketmq.pop.state.idle.ms) with nothing the committed
// offset does not say.
import type { Broker } from '../broker.js';
import type { PopJournal } from './pop-journal.js';
import type { QueueCommits } from './queue-commits.js';
import { QueueState } from './queue-state.js';
import { retryTopic } from './system-topics.js';
import type { TopicPartition } from '../../storage/types.js';

/** One consumer group's pop state of one queue. */
export interface Queue {
  group: string;
  /** The stored topic (RETRY.<group> for the group's retries). */
  topic: string;
  partition: number;
  /** { topic, partition }, for the engine: one object shape at its calls, whichever queue asks. */
  tp: TopicPartition;
  state: QueueState;
  key: string;
  /** The group's retry queue (its deliveries' handles say so). */
  retry: boolean;
  /** Date.now() at its last receive or ack: an idle state is let go after rocketmq.pop.state.idle.ms. */
  lastUsed: number;
}

export class PopQueues {
  private readonly states = new Map<string, Queue>();
  private last: Queue | null = null;

  constructor(
    private readonly broker: Broker,
    private readonly journal: PopJournal | null,
    private readonly commits: QueueCommits,
    /** rocketmq.pop.state.idle.ms. */
    private readonly idleMs: number,
  ) {}

  get size(): number {
    return this.states.size;
  }

  all(): IterableIterator<Queue> {
    return this.states.values();
  }

  /** Makes the states of the queues the journal restored, so what they had out is settled though no client of theirs comes back. */
  restore(): void {
    for (const [group, topic, partition] of this.journal?.restoredQueues() ?? []) {
      const t = this.broker.topics.get(topic);
      if (t && !t.internal && partition < t.partitions) this.get(group, topic, partition);
    }
  }

  /** The group's retry queue, or null while it has no retry topic. */
  retries(group: string): Queue | null {
    const name = retryTopic(group);
    return this.broker.topics.get(name) ? this.get(group, name, 0) : null;
  }

  get(group: string, topic: string, partition: number): Queue {
    // A receive's or an ack's calls are mostly for the queue of the call before.
    const last = this.last;
    const topicId = this.broker.topics.get(topic)?.id ?? '';
    const now = Date.now();
    if (last !== null && last.group === group && last.topic === topic && last.partition === partition && last.state.topicId === topicId && this.states.get(last.key) === last) {
      last.lastUsed = now;
      return last;
    }
    const key = `${group}\0${topic}\0${partition}`;
    let q = this.states.get(key);
    // A topic deleted and created again under its name is another queue: its state starts afresh.
    if (q && q.state.topicId !== topicId) {
      this.commits.forget(q.state);
      q = undefined;
    }
    if (!q) {
      const tp = { topic, partition };
      const committed = this.broker.coordinator.committed(group, topic, partition).offset;
      // A group new to the queue starts at the log's start, like Kafka's
      // auto.offset.reset=earliest: what was sent before its first receive is its to read.
      const state = new QueueState(Number(committed >= 0n ? committed : this.broker.engine.logStartOffset(tp)), topicId);
      const restored = this.journal?.take(group, topic, partition);
      if (restored) state.restore(restored);
      q = { group, topic, partition, tp, state, key, retry: topic === retryTopic(group), lastUsed: now };
      this.states.set(key, q);
    }
    q.lastUsed = now;
    this.last = q;
    return q;
  }

  /**
   * Lets the queue go if idle long enough with nothing the committed offset
   * does not say (made again at its next use); true if it went. A deleted
   * topic's scan in a retry queue goes first: its retries wait for no
   * receive, so it no longer holds the retry topic's offset.
   */
  letGoIfIdle(queue: Queue, now: number): boolean {
    const { state } = queue;
    if (state.topicScans.size > 0) for (const topic of state.topicScans.keys()) if (!this.broker.topics.get(topic)) state.topicScans.delete(topic);
    if (now - queue.lastUsed <= this.idleMs || !state.idle() || state.commitQueued !== null || state.lowWatermark() !== state.committed) return false;
    this.states.delete(queue.key);
    this.commits.forget(state);
    if (this.last === queue) this.last = null;
    return true;
  }
}
