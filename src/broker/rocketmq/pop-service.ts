// RocketMQ 5's pop consumption (what SimpleConsumer's receive, ack and
// changeInvisibleDuration drive) over the broker's logs: per group and
// queue a QueueState; messages are read from the log on demand, filtered by
// tag, and handed out with a receipt handle and an invisible deadline. One
// not acked in time is revived, as RocketMQ's broker revives it: a copy goes
// to the group's retry topic (retry-topic.ts) and the group's receives of
// its topic take it from there, with the next delivery attempt; once
// max.delivery.attempts are used up it goes to the group's dead-letter
// queue instead. FIFO topics are delivered in order per message group
// (fifo-holds.ts), and redelivered in place, before their successors. The
// group's committed offsets go to the broker's offset store
// (queue-commits.ts).
import type { Broker } from '../broker.js';
import { appendDeadLetter } from './dead-letter.js';
import { appendRetries, retryOrigin, type Retry } from './retry-topic.js';
import { recordMessageGroup } from './message-record.js';
import { Delivery, type Popped } from './delivery.js';
import { MESSAGE_TYPE_CONFIG, topicMessageType } from './message-type.js';
import type { PopJournal } from './pop-journal.js';
import { PopError } from './pop-error.js';
import { readQueueRecords, type QueueRead, type StoredRecord } from './queue-records.js';
import { QueueCommits } from './queue-commits.js';
import { MAX_OFFSET, QueueState, type DeliveryOptions, type Outstanding } from './queue-state.js';
import { backoffMs } from './retry-ladder.js';
import { handleOf, parseHandle, ReceiptHandles, type ParsedHandle } from './receipt-handle.js';
import { RETRY_PREFIX, retryTopic } from './system-topics.js';
import { CodeWindow } from './code-window.js';
import { codeMayMatch, filterCodes } from './tag-code.js';
import { storedMatches } from './tag-filter.js';
import type { PopRequest } from './pop-request.js';
import type { GroupSettings } from '../group-configs.js';
import type { KafkaRecord } from '../../records/index.js';
import type { TopicPartition } from '../../storage/types.js';

/**
 * Bytes read from the log per step of a scan. A receive takes at most 32
 * messages and what it reads past them is read again by the next one, so
 * this stays small (bench/rocketmq/tag-filter: 1 MiB steps read 29× the log
 * to deliver all of it in receives of 32 one-KiB messages).
 */
const SCAN_BYTES = 64 * 1024;
/** A push consumer's delivery is renewed at most this long after it went out, whatever the client. */
const MAX_RENEW_MS = 12 * 3600 * 1000;
/** Kafka's longest topic name. */
const MAX_TOPIC_NAME = 249;
/** A failed move to the DLQ or the retry topic is tried again this much later. */
const MOVE_RETRY_MS = 1000;
/** How often messages whose invisible time ran out are revived (or renewed, or dead-lettered) though no receive of their queue comes. */
const SWEEP_MS = 1000;
/** Records of the group's retry topic a receive looks at, at most (the retries of other topics among them cost a read each). */
const RETRY_LOOKS = 1024;
/**
 * One receive in this many takes the group's retries before new messages,
 * the others after them, if there is room: as RocketMQ's broker pops the
 * retry topic first one time in five (popFromRetryProbability, 20), so a
 * storm of retries does not starve new messages, nor they the retries.
 */
const RETRIES_FIRST_EVERY = 5;
/** FIFO holds per queue and group before the scan stops to let held groups drain. */
const MAX_HELD = 10_000;
/**
 * Due messages a receive looks at, at most: it delivers up to its batch of
 * them again, and renews, dead-letters or drops others on the way; the rest
 * wait for the next receive (each look costs a read, so not all of a failed
 * consumer's thousands at every receive).
 */
const EXPIRED_PER_RECEIVE = 256;
/** Records that may match in a row up to which each is read as its own batch. */
const SHORT_RUN = 4;

export { PopError, type PopErrorCode } from './pop-error.js';

/** One consumer group's pop state of one queue (a partition of a topic, or of the group's retry topic). */
interface Queue {
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

/** Hands a record of a queue out in the receive being collected: its message group (FIFO), and the deliveries before (a retry copy's). */
type Take = (from: Queue, r: StoredRecord, messageGroup: string | null, priorAttempts: number) => void;

/** What to do with an expired FIFO delivery, which goes again from its own queue (null: revive it to the retry topic). */
type InPlace = ((offset: number, o: Outstanding) => void) | null;

export class PopService {
  private readonly states = new Map<string, Queue>();
  private readonly handles = new ReceiptHandles();
  private lastQueue: Queue | null = null;
  /** Receives collected: every RETRIES_FIRST_EVERY-th takes retries first. */
  private receives = 0;
  private readonly commits: QueueCommits;
  private sweeper: NodeJS.Timeout | null = null;
  /** Log bytes read to deliver or look at records (the tag index's reads are the engine's stats). */
  logBytesRead = 0;

  constructor(
    private readonly broker: Broker,
    private readonly log: (m: string) => void = () => undefined,
    /** Whether a client (by id) is still connected: a push consumer's deliveries are renewed meanwhile. */
    private readonly clientAlive: (clientId: string) => boolean = () => false,
    /** Where deliveries and acks are recorded, so they outlive a restart (null: in memory only). */
    private readonly journal: PopJournal | null = null,
    /** rocketmq.offset.commit.interval.ms (queue-commits.ts). */
    commitIntervalMs = 200,
    /** rocketmq.pop.state.idle.ms. */
    private readonly idleMs = 10 * 60 * 1000,
  ) {
    this.commits = new QueueCommits(broker, commitIntervalMs, log);
  }

  /** Queue states held (one per group and queue received or acked lately). */
  queueCount(): number {
    return this.states.size;
  }

  /** Marks the queue for a commit if a receive took from it or its committed offset can move. */
  private commitLater(queue: Queue, took: boolean): void {
    if (took || queue.state.lowWatermark() > queue.state.committed) this.commits.later(queue, queue.state);
  }

  /** Starts reviving expired deliveries of queues no receive is waiting on. */
  start(): void {
    // What was out before a restart is settled though no client of its queue comes back.
    for (const [group, topic, partition] of this.journal?.restoredQueues() ?? []) {
      const t = this.broker.topics.get(topic);
      if (t && !t.internal && partition < t.partitions) this.queue(group, topic, partition);
    }
    this.sweeper ??= setInterval(() => this.sweep(), SWEEP_MS).unref();
  }

  async pop(req: PopRequest): Promise<Popped[]> {
    if (!req.group) throw new PopError('ILLEGAL_CONSUMER_GROUP', 'a consumer group is required');
    // Its retries and dead letters need topics: a group whose topic names are no legal Kafka topic names could never move one (RETRY. is the longer prefix).
    const retryName = retryTopic(req.group);
    if (retryName.length > MAX_TOPIC_NAME) throw new PopError('ILLEGAL_CONSUMER_GROUP', `group "${req.group.slice(0, 40)}…": its retry topic ${retryName.slice(0, 40)}… is ${retryName.length} characters long, over Kafka's ${MAX_TOPIC_NAME}; use a shorter group name`);
    this.checkQueue(req.topic, req.partition);
    if (req.topic === retryName) throw new PopError('BAD_REQUEST', `group ${req.group} takes its retries with its receives of their topics; ${RETRY_PREFIX}${req.group} is for other groups to read`);
    const pollUntil = Date.now() + req.pollMs;
    for (;;) {
      if (req.cancelled()) return [];
      this.checkQueue(req.topic, req.partition);
      // Looked up again after each wait: an idle state let go meanwhile is made again.
      const queue = this.queue(req.group, req.topic, req.partition);
      const retries = this.retryQueue(req.group);
      const { got, more } = this.collect(queue, retries, req);
      this.commitLater(queue, got.length > 0);
      if (retries !== null) this.commitLater(retries, got.length > 0);
      if (got.length > 0) return got;
      // The retry topic has more to look at than one turn looks at: look on after the others' turns.
      if (more) {
        await new Promise(setImmediate);
        continue;
      }
      const now = Date.now();
      const remaining = pollUntil - now;
      if (remaining <= 0) return [];
      // Wake for an append past what was scanned (a revived retry of the
      // topic wakes its queues), or when an outstanding message becomes
      // visible again.
      const visibleAgain = Math.min(queue.state.nextDeadline() ?? Infinity, retries?.state.nextDeadline() ?? Infinity);
      const wait = Math.max(1, Math.min(remaining, visibleAgain - now));
      await this.broker.waitForAppend(req.topic, req.partition, wait);
    }
  }

  /**
   * Acks deliveries by their receipt handles, each on its own: `errors[i]`
   * says why handle i was refused (null: acked, or acked before). `stored`
   * resolves once the acks are in the pop journal under the flush policy
   * (no promise per ack); the committed offsets they move follow within
   * the commit interval.
   */
  ackAll(group: string, topic: string, handles: readonly string[]): { errors: Array<Error | null>; stored: Promise<void> } {
    return this.ackEach(group, topic, handles.length, (i) => parseHandle(handles[i]!));
  }

  /** ackAll of the handles a request carries as bytes: `count` of them, parsed by `handle(i)` (receipt-handle.ts parseHandleAt). */
  ackEach(group: string, topic: string, count: number, handle: (i: number) => ParsedHandle | null): { errors: Array<Error | null>; stored: Promise<void> } {
    const errors = new Array<Error | null>(count);
    // An ack's handles are mostly of one queue: it is looked up once, and marked for a commit once.
    let queue: Queue | null = null;
    let retry = false;
    for (let i = 0; i < count; i++) {
      try {
        const h = handle(i);
        if (queue === null || h === null || h.partition !== queue.partition || h.retry !== retry) {
          queue = this.lookupParsed(group, topic, h);
          retry = h!.retry;
          this.commits.later(queue, queue.state);
        } else this.checkInstance(h, queue.state);
        this.ackOne(queue, h!.offset, h!.token);
        errors[i] = null;
      } catch (err) {
        errors[i] = err as Error;
      }
    }
    return { errors, stored: this.journal?.stored() ?? Promise.resolve() };
  }

  /** Stores now the committed offsets that receives and acks have moved, and waits for commits already under way. */
  commitOffsets(): Promise<void> {
    return this.commits.flush();
  }

  /** Commits what the queues' acks have moved, and from now on commits at once (the broker is closing). */
  close(): Promise<void> {
    if (this.sweeper !== null) clearInterval(this.sweeper);
    return this.commits.close();
  }

  private ackOne(queue: Queue, offset: number, token: string): void {
    const { state } = queue;
    const o = state.get(offset);
    const outcome = state.ack(offset, token, o);
    if (outcome === 'acked') {
      this.journal?.done(queue.group, queue.topic, queue.partition, offset);
      // Its message group's next may go now: wake a receive waiting for it.
      if (o!.messageGroup !== null) this.broker.wakePartition(queue.topic, queue.partition);
    }
    if (outcome === 'stale-handle') throw new PopError('INVALID_RECEIPT_HANDLE', `the receipt handle of offset ${offset} has expired: the message was delivered again since (or revived to the retry topic)`);
    if (outcome === 'never-delivered') throw new PopError('INVALID_RECEIPT_HANDLE', `offset ${offset} of ${queue.topic}-${queue.partition} was not delivered to group ${queue.group}`);
  }

  /**
   * Sets a new invisible time for a delivery, counted from now; returns the
   * new receipt handle. For a push consumer's delivery this is its nack (what
   * the clients send when the listener fails): the group's retry ladder sets
   * the wait, or the asked time if longer, and renewal stops; a message out
   * of attempts is due for the DLQ at once.
   */
  changeInvisible(group: string, topic: string, handle: string, invisibleMs: number, minMs: number): string {
    const h = parseHandle(handle);
    const queue = this.lookupParsed(group, topic, h);
    const { state } = queue;
    const o = this.current(queue, h!.offset, h!.token);
    let wait = invisibleMs;
    if (o.renewFor !== null) {
      const g = this.broker.groupConfigs.settings(group);
      wait = o.attempt >= g.maxDeliveryAttempts ? 0 : Math.max(invisibleMs, backoffMs(g.backoffSteps, o.attempt));
      o.renewFor = null;
    } else if (invisibleMs < minMs) {
      throw new PopError('ILLEGAL_INVISIBLE_TIME', `invisible duration ${invisibleMs} ms: at least ${minMs} ms`);
    }
    o.token = this.handles.token();
    state.setDeadline(h!.offset, o, Date.now() + wait);
    this.journal?.delivered(group, queue.topic, queue.partition, h!.offset, o);
    // A receive waiting out the old deadline learns of the new one (any receive of the topic, for a retry).
    if (queue.retry) this.wakeTopic(topic);
    else this.broker.wakePartition(topic, queue.partition);
    return handleOf(queue.partition, h!.offset, o.token, queue.retry);
  }

  /**
   * ForwardMessageToDeadLetterQueue: moves a delivery to the group's DLQ now.
   * Resolves once it is stored there; if the append fails the move is retried
   * by the broker (the message stays bound for the DLQ, never redelivered).
   */
  async forwardToDeadLetter(group: string, topic: string, handle: string): Promise<void> {
    const h = parseHandle(handle);
    const queue = this.lookupParsed(group, topic, h);
    const o = queue.state.get(h!.offset);
    // Moved already (an answer the client lost): done.
    if (!o && h!.offset < queue.state.nextScan && !queue.state.wasRevived(h!.offset)) return;
    const current = this.current(queue, h!.offset, h!.token);
    current.toDeadLetter = true;
    await this.deadLetter(queue, h!.offset, current);
  }

  /** The outstanding delivery of `offset` with this handle token, or INVALID_RECEIPT_HANDLE. */
  private current(queue: Queue, offset: number, token: string): Outstanding {
    const o = queue.state.get(offset);
    if (!o) throw new PopError('INVALID_RECEIPT_HANDLE', `offset ${offset} of ${queue.topic}-${queue.partition} is not outstanding for group ${queue.group} (acked already?)`);
    if (o.token !== token) throw new PopError('INVALID_RECEIPT_HANDLE', `the receipt handle of offset ${offset} has expired: the message was delivered again since (or moved to the DLQ or the retry topic)`);
    return o;
  }

  /**
   * Moves an outstanding message to the DLQ. Meanwhile it can be neither
   * acked (its handle is voided) nor redelivered (no deadline); once stored
   * it leaves the state, freeing its message group and the committed offset.
   */
  private async deadLetter(queue: Queue, offset: number, o: Outstanding): Promise<void> {
    const { group, topic, partition, state } = queue;
    state.setDeadline(offset, o, Infinity);
    o.token = '';
    this.journal?.delivered(group, topic, partition, offset, o);
    try {
      const r = this.readFrom(queue.tp, offset, 1).records.find((x) => x.offset === offset);
      // Gone (retention): nothing to move.
      if (r) await appendDeadLetter(this.broker, { group, ...this.originOf(queue, offset, r.record), timestampMs: r.timestampMs, record: r.record, attempts: o.attempt });
      this.done(queue, offset, o);
      this.broker.wakePartition(topic, partition);
      await this.commits.now(queue, state);
    } catch (err) {
      this.log(`rocketmq: cannot move offset ${offset} of ${topic}-${partition} to the DLQ of group ${group} (retrying): ${(err as Error).message}`);
      if (state.get(offset) === o) state.setDeadline(offset, o, Date.now() + MOVE_RETRY_MS);
    }
  }

  /**
   * Revives deliveries of a queue whose invisible time ran out: copies go
   * to the group's retry topic, in as few appends as can be, and the
   * originals are done with. Meanwhile their handles ack nothing (they
   * expired) and they are not revived twice (no deadline). If the broker
   * stops between the copies and the journal's record of them, the
   * originals are revived again after the restart: a retry may come twice,
   * never not at all.
   */
  private async revive(queue: Queue, offsets: readonly number[]): Promise<void> {
    const { group, topic, partition, state } = queue;
    const outs = offsets.map((offset) => {
      const o = state.get(offset)!;
      state.setDeadline(offset, o, Infinity);
      o.token = '';
      return o;
    });
    try {
      const recordAt = this.reader(queue);
      const copies: Retry[] = [];
      for (let i = 0; i < offsets.length; i++) {
        const r = recordAt(offsets[i]!);
        // Gone (retention): nothing to copy.
        if (r) copies.push({ ...this.originOf(queue, offsets[i]!, r.record), timestampMs: r.timestampMs, record: r.record, attempts: outs[i]!.attempt });
      }
      if (copies.length > 0) await appendRetries(this.broker, group, copies);
      for (let i = 0; i < offsets.length; i++) this.done(queue, offsets[i]!, outs[i]!, true);
      this.commits.later(queue, state);
      // The receives of their topics take retries: wake them.
      for (const origin of new Set(copies.map((c) => c.topic))) this.wakeTopic(origin);
    } catch (err) {
      this.log(`rocketmq: cannot revive ${offsets.length} deliveries of ${topic}-${partition} to the retry topic of group ${group} (retrying): ${(err as Error).message}`);
      for (let i = 0; i < offsets.length; i++) if (state.get(offsets[i]!) === outs[i]) state.setDeadline(offsets[i]!, outs[i]!, Date.now() + MOVE_RETRY_MS);
    }
  }

  private wakeTopic(topic: string): void {
    const t = this.broker.topics.get(topic);
    for (let p = 0; p < (t?.partitions ?? 0); p++) this.broker.wakePartition(topic, p);
  }

  /** `offset` leaves the queue's state (moved to the DLQ or the retry topic: `revived`), unless delivered again meanwhile. */
  private done(queue: Queue, offset: number, o: Outstanding, revived = false): void {
    if (queue.state.get(offset) !== o) return;
    if (revived) queue.state.revive(offset);
    else queue.state.drop(offset);
    this.journal?.done(queue.group, queue.topic, queue.partition, offset);
  }

  /** Where a delivered record was first stored: its own queue, or for a retry, the queue its copy names. */
  private originOf(queue: Queue, offset: number, record: KafkaRecord): { topic: string; partition: number; offset: number } {
    const from = queue.retry ? retryOrigin(record) : null;
    return from ?? { topic: queue.topic, partition: queue.partition, offset };
  }

  /**
   * Expired deliveries of a queue, at most EXPIRED_PER_RECEIVE: a push
   * consumer's is renewed while its client is connected; one out of attempts
   * (or forwarded) goes to the DLQ; any other is revived to the retry topic,
   * or with `inPlace` (FIFO) delivered again from its queue.
   */
  private settleExpired(queue: Queue, now: number, settings: GroupSettings, inPlace: InPlace): void {
    const { state } = queue;
    let revive: number[] | null = null;
    for (const offset of state.expired(now, EXPIRED_PER_RECEIVE)) {
      const o = state.get(offset)!;
      if (o.renewFor !== null && now < o.renewUntil && this.clientAlive(o.renewFor)) {
        state.setDeadline(offset, o, now + o.renewMs);
        this.journal?.delivered(queue.group, queue.topic, queue.partition, offset, o);
      } else if (o.toDeadLetter || o.attempt >= settings.maxDeliveryAttempts) {
        o.toDeadLetter = true;
        void this.deadLetter(queue, offset, o);
      } else if (inPlace !== null) inPlace(offset, o);
      else (revive ??= []).push(offset);
    }
    if (revive !== null) void this.revive(queue, revive);
  }

  /** Settles the expired deliveries of every queue (FIFO ones wait for a receive, which delivers them in order). */
  private sweep(): void {
    const now = Date.now();
    for (const queue of this.states.values()) {
      const { state } = queue;
      // A deleted topic's retries wait for no receive: its scan no longer holds the retry topic's offset.
      if (state.topicScans.size > 0) for (const topic of state.topicScans.keys()) if (!this.broker.topics.get(topic)) state.topicScans.delete(topic);
      // Idle long enough, with nothing the state knows that the committed offset does not: let go (made again at the next use).
      if (now - queue.lastUsed > this.idleMs && state.idle() && state.commitQueued === null && state.lowWatermark() === state.committed) {
        this.states.delete(queue.key);
        this.commits.forget(state);
        if (this.lastQueue === queue) this.lastQueue = null;
        continue;
      }
      const due = state.nextDeadline();
      if (due === null || due > now) continue;
      const t = this.broker.topics.get(queue.topic);
      if (!t || t.id !== state.topicId) continue;
      const settings = this.broker.groupConfigs.settings(queue.group);
      this.settleExpired(queue, now, settings, this.fifo(queue, settings) ? LEAVE : null);
    }
  }

  /** Whether the group gets this queue in FIFO order (and so its retries in place). */
  private fifo(queue: Queue, settings: GroupSettings): boolean {
    if (queue.retry || !settings.fifo) return false;
    const t = this.broker.topics.get(queue.topic);
    return t !== undefined && topicMessageType(t) === 'FIFO';
  }

  /** The queue a handle names (its topic's, or the group's retry topic's), checking that the handle could be this broker's. */
  private lookupParsed(group: string, topic: string, h: ParsedHandle | null): Queue {
    if (!h) throw new PopError('INVALID_RECEIPT_HANDLE', 'not a receipt handle of this broker');
    const t = this.broker.topics.get(topic);
    if (!t || t.internal) throw new PopError('TOPIC_NOT_FOUND', `no topic "${topic}"`);
    const stored = h.retry ? retryTopic(group) : topic;
    const st = h.retry ? this.broker.topics.get(stored) : t;
    if (!st) throw new PopError('INVALID_RECEIPT_HANDLE', `group ${group} has no retries (no topic ${stored})`);
    if (h.partition >= st.partitions) throw new PopError('INVALID_RECEIPT_HANDLE', `topic "${stored}" has no queue ${h.partition}`);
    const queue = this.queue(group, stored, h.partition);
    this.checkInstance(h, queue.state);
    return queue;
  }

  /** A handle of an instance before a restart acks only what was restored (or is acked already). */
  private checkInstance(h: ParsedHandle, state: QueueState): void {
    if (h.instance === this.handles.instance || state.get(h.offset) || h.offset < state.lowWatermark()) return;
    throw new PopError('INVALID_RECEIPT_HANDLE', 'the receipt handle was issued before the broker restarted; the message will be delivered again');
  }

  private checkQueue(topic: string, partition: number): void {
    const t = this.broker.topics.get(topic);
    if (!t || t.internal) throw new PopError('TOPIC_NOT_FOUND', `no topic "${topic}"`);
    if (!Number.isInteger(partition) || partition < 0 || partition >= t.partitions) throw new PopError('BAD_REQUEST', `topic "${topic}" has queues 0 to ${t.partitions - 1}, not ${partition}`);
  }

  /** The group's retry queue, or null while it has no retry topic. */
  private retryQueue(group: string): Queue | null {
    const name = retryTopic(group);
    return this.broker.topics.get(name) ? this.queue(group, name, 0) : null;
  }

  private queue(group: string, topic: string, partition: number): Queue {
    // A receive's or an ack's calls are mostly for the queue of the call before.
    const last = this.lastQueue;
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
    this.lastQueue = q;
    return q;
  }

  /** Synchronous from the state read to its update, so concurrent receives never take the same message (nor the same budget). */
  private collect(queue: Queue, retries: Queue | null, req: PopRequest): { got: Popped[]; more: boolean } {
    const { state } = queue;
    const settings = this.broker.groupConfigs.settings(req.group);
    const t = this.broker.topics.get(req.topic)!;
    const fifo = this.fifo(queue, settings);
    const out: Popped[] = [];
    const full = (): boolean => out.length >= req.batchSize || (req.budget !== undefined && req.budget.room() <= 0);
    const now = Date.now();
    // One options object for all the takes: deliver copies what it keeps.
    const delivery: DeliveryOptions = { messageGroup: null, priorAttempts: 0, renewFor: req.renewFor, renewMs: req.invisibleMs, renewUntil: now + MAX_RENEW_MS };
    // One token for this receive's deliveries: their queues and offsets tell them apart.
    let token = '';
    const take: Take = (from, r, messageGroup, priorAttempts) => {
      if (token === '') token = this.handles.token();
      delivery.messageGroup = messageGroup;
      delivery.priorAttempts = priorAttempts;
      const o = from.state.deliver(r.offset, now + req.invisibleMs, token, delivery);
      this.journal?.delivered(from.group, from.topic, from.partition, r.offset, o);
      out.push(new Delivery(r, req.topic, from.partition, r.offset, o.attempt, token, req.invisibleMs, from.retry));
      req.budget?.hold(r.bodyBytes, r.backing);
    };
    const { clamped, logEnd } = this.clamp(queue, req.topic);
    const recordAt = this.reader(queue);
    // Expired deliveries first: revived to the retry topic, or (FIFO) delivered again, as the oldest.
    this.settleExpired(queue, now, settings, !fifo ? null : (offset, o) => {
      if (full()) return;
      const r = recordAt(offset);
      if (r && storedMatches(req.filter, r)) take(queue, r, o.messageGroup, 0);
      else this.done(queue, offset, o);
    });
    const retriesFirst = retries !== null && ++this.receives % RETRIES_FIRST_EVERY === 0;
    let more = false;
    if (retries !== null && retriesFirst && !full()) more = this.collectRetries(retries, req, now, settings, take, full);
    // Then new messages, the next of each message group whose previous one is done first, in order.
    fresh: {
      for (let next = state.fifo.nextReady(); next !== null; next = state.fifo.nextReady()) {
        if (full()) break fresh;
        const { group, offset } = next;
        state.fifo.shift(group);
        const r = recordAt(offset);
        if (r) take(queue, r, group, 0);
      }
      // With a tag filter and a tag index, records whose code cannot match are
      // passed over unread, and the log is read one batch at a time from each
      // record that may match.
      const indexed = t.configs[MESSAGE_TYPE_CONFIG] !== undefined && this.broker.engine.tagCodes !== undefined;
      const codes = !req.filter.all && indexed ? filterCodes(req.filter) : null;
      const window = new CodeWindow(this.broker.engine, queue.tp);
      while (!full() && state.nextScan < clamped && state.fifo.held < MAX_HELD) {
        // What is read past the records this receive still takes is read again by the next one: ask for about those.
        let want = req.batchSize - out.length;
        if (codes) {
          const next = Number(window.nextMayMatch(BigInt(state.nextScan), logEnd, (c) => codeMayMatch(req.filter, codes, c)));
          if (next > state.nextScan) {
            state.nextScan = next;
            continue;
          }
          // Only the run of records that may match.
          want = Math.min(want, window.runLength(BigInt(state.nextScan), logEnd, (c) => codeMayMatch(req.filter, codes, c)));
        }
        const { records, end } = this.scanStep(queue, state.nextScan, want, codes !== null && want <= SHORT_RUN);
        for (const r of records) {
          if (r.offset < state.nextScan) continue;
          if (full() || state.fifo.held >= MAX_HELD) break fresh;
          if (state.passOver(r.offset)) {
            state.nextScan = r.offset + 1;
            continue;
          }
          if (storedMatches(req.filter, r)) {
            const group = fifo ? recordMessageGroup(r.record) : null;
            if (group !== null && state.fifo.busy(group)) state.fifo.hold(group, r.offset);
            else take(queue, r, group, 0);
          }
          state.nextScan = r.offset + 1;
        }
        if (end <= state.nextScan && records.length === 0) break;
        if (end > state.nextScan) state.nextScan = end;
      }
    }
    if (retries !== null && !retriesFirst && !full()) more = this.collectRetries(retries, req, now, settings, take, full);
    return { got: out, more };
  }

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
  private collectRetries(retries: Queue, req: PopRequest, now: number, settings: GroupSettings, take: Take, full: () => boolean): boolean {
    const { state } = retries;
    const topic = req.topic;
    const { clamped } = this.clamp(retries, retries.topic);
    this.settleExpired(retries, now, settings, null);
    // No scan yet: T has no retry below nextScan.
    let scan = state.topicScans.get(topic) ?? state.nextScan;
    let looks = 0;
    const offer = (r: StoredRecord): void => {
      const origin = retryOrigin(r.record);
      if (origin !== null && origin.topic === topic) {
        if (!state.passOver(r.offset) && storedMatches(req.filter, r)) take(retries, r, null, origin.attempts);
      } else if (scan === state.nextScan && origin !== null && !state.topicScans.has(origin.topic) && this.broker.topics.get(origin.topic)) {
        state.topicScans.set(origin.topic, r.offset);
      }
      // A record this broker did not copy there (a Kafka producer's) is no retry of anything: passed over.
    };
    while (!full() && looks < RETRY_LOOKS && scan < clamped) {
      const together = scan === state.nextScan;
      const { records, end } = this.scanStep(retries, scan, req.batchSize);
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

  /** Keeps the queue's state within its log's bounds; returns the log's end, as a number and as read. */
  private clamp(queue: Queue, topic: string): { clamped: number; logEnd: bigint } {
    const logEnd = this.broker.engine.highWatermark(queue.tp);
    // The pop state keeps offsets as numbers; no log gets this far by appends (2^53 messages), but a receive would rather say so than lose precision.
    if (logEnd > MAX_OFFSET) throw new PopError('UNSUPPORTED', `${topic}-${queue.partition} has offsets past 2^53 - 1 (${logEnd}): RocketMQ consumers read queues below that (Kafka consumers read all of it)`);
    const clamped = Number(logEnd);
    queue.state.clamp(Number(this.broker.engine.logStartOffset(queue.tp)), clamped);
    return { clamped, logEnd };
  }

  /**
   * The next records of a scan, from `from`: as many bytes as
   * its batches so far suggest for `want` records; a short run (or no
   * estimate yet) reads exactly its first batch (the engine returns at least
   * one whole batch), so nothing past it is read.
   */
  private scanStep(queue: Queue, from: number, want: number, shortRun = false): QueueRead {
    const { state } = queue;
    const readBytes = shortRun || state.bytesPerRecord === 0 ? 1 : Math.min(SCAN_BYTES, want * state.bytesPerRecord);
    const read = this.readFrom(queue.tp, from, readBytes);
    if (read.bytesPerRecord > 0) state.bytesPerRecord = read.bytesPerRecord;
    return read;
  }

  /** The record at an offset of the queue; redeliveries and FIFO holds let go mostly lie in one batch: it is read once, not once per message. */
  private reader(queue: Queue): (offset: number) => StoredRecord | undefined {
    let last: QueueRead | null = null;
    return (offset) => {
      if (last === null || last.records.length === 0 || offset < last.records[0]!.offset || offset >= last.end) last = this.readFrom(queue.tp, offset, 1);
      return last.records.find((s) => s.offset === offset);
    };
  }

  /** Records from the batch holding `offset` on, up to `maxBytes` (at least that batch), counting the log bytes read. */
  private readFrom(tp: TopicPartition, offset: number, maxBytes = SCAN_BYTES): QueueRead {
    const r = readQueueRecords(this.broker.engine, tp, offset, maxBytes, this.broker.transactions.partitions);
    this.logBytesRead += r.bytesRead;
    return r;
  }
}

/** A FIFO delivery expired with no receive at hand: it waits for one, which delivers it before its successors. */
const LEAVE: InPlace = () => undefined;
