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
// (queue-commits.ts). The states held are pop-queues.ts's, the log reads
// pop-reads.ts's, what becomes of expired deliveries pop-moves.ts's, and a
// receive's retries pop-retries.ts's.
import type { Broker } from '../broker.js';
import type { GroupSettings } from '../group-configs.js';
import { CodeWindow } from './code-window.js';
import { badQueueId } from './queue-id.js';
import { Delivery, type Popped } from './delivery.js';
import { recordMessageGroup } from './message-record.js';
import { MESSAGE_TYPE_CONFIG, topicMessageType } from './message-type.js';
import { PopError } from './pop-error.js';
import type { PopJournal } from './pop-journal.js';
import { LEAVE, PopMoves } from './pop-moves.js';
import { PopQueues, type Queue } from './pop-queues.js';
import { PopReads } from './pop-reads.js';
import { collectRetries, type Take } from './pop-retries.js';
import type { PopRequest } from './pop-request.js';
import { QueueCommits } from './queue-commits.js';
import type { DeliveryOptions, Outstanding, QueueState } from './queue-state.js';
import { handleOf, parseHandle, ReceiptHandles, type ParsedHandle } from './receipt-handle.js';
import { backoffMs } from './retry-ladder.js';
import { RETRY_PREFIX, retryTopic } from './system-topics.js';
import { codeMayMatch, filterCodes } from './tag-code.js';
import { storedMatches } from './tag-filter.js';

/** A push consumer's delivery is renewed at most this long after it went out, whatever the client. */
const MAX_RENEW_MS = 12 * 3600 * 1000;
/** Kafka's longest topic name. */
const MAX_TOPIC_NAME = 249;
/** How often messages whose invisible time ran out are revived (or renewed, or dead-lettered) though no receive of their queue comes. */
const SWEEP_MS = 1000;
/**
 * One receive in this many takes the group's retries before new messages,
 * the others after them, if there is room: as RocketMQ's broker pops the
 * retry topic first one time in five (popFromRetryProbability, 20), so a
 * storm of retries does not starve new messages, nor they the retries.
 */
const RETRIES_FIRST_EVERY = 5;
/** FIFO holds per queue and group before the scan stops to let held groups drain. */
const MAX_HELD = 10_000;
/** Records that may match in a row up to which each is read as its own batch. */
const SHORT_RUN = 4;

export { PopError, type PopErrorCode } from './pop-error.js';

export class PopService {
  private readonly handles = new ReceiptHandles();
  /** Receives collected: every RETRIES_FIRST_EVERY-th takes retries first. */
  private receives = 0;
  private readonly commits: QueueCommits;
  private readonly queues: PopQueues;
  private readonly reads: PopReads;
  private readonly moves: PopMoves;
  private sweeper: NodeJS.Timeout | null = null;

  constructor(
    private readonly broker: Broker,
    log: (m: string) => void = () => undefined,
    /** Whether a client (by id) is still connected: a push consumer's deliveries are renewed meanwhile. */
    clientAlive: (clientId: string) => boolean = () => false,
    /** Where deliveries and acks are recorded, so they outlive a restart (null: in memory only). */
    private readonly journal: PopJournal | null = null,
    /** rocketmq.offset.commit.interval.ms (queue-commits.ts). */
    commitIntervalMs = 200,
    /** rocketmq.pop.state.idle.ms. */
    idleMs = 10 * 60 * 1000,
  ) {
    this.commits = new QueueCommits(broker, commitIntervalMs, log);
    this.queues = new PopQueues(broker, journal, this.commits, idleMs);
    this.reads = new PopReads(broker);
    this.moves = new PopMoves(broker, this.reads, this.commits, journal, log, clientAlive);
  }

  /** Log bytes read to deliver or look at records (the tag index's reads are the engine's stats). */
  get logBytesRead(): number {
    return this.reads.bytesRead;
  }

  /** Queue states held (one per group and queue received or acked lately). */
  queueCount(): number {
    return this.queues.size;
  }

  /** Marks the queue for a commit if a receive took from it or its committed offset can move. */
  private commitLater(queue: Queue, took: boolean): void {
    if (took || queue.state.lowWatermark() > queue.state.committed) this.commits.later(queue, queue.state);
  }

  /** Starts reviving expired deliveries of queues no receive is waiting on. */
  start(): void {
    this.queues.restore();
    this.sweeper ??= setInterval(() => this.sweep(), SWEEP_MS).unref();
  }

  async pop(req: PopRequest): Promise<Popped[]> {
    if (!req.group) throw new PopError('ILLEGAL_CONSUMER_GROUP', 'a consumer group is required');
    // Its retries and dead letters need topics: a group whose topic names are no legal Kafka topic names could never move one (RETRY. is the longer prefix).
    const retryName = retryTopic(req.group);
    if (retryName.length > MAX_TOPIC_NAME) throw new PopError('ILLEGAL_CONSUMER_GROUP', `group "${req.group.slice(0, 40)}…": its retry topic ${retryName.slice(0, 40)}… is ${retryName.length} characters long, over Kafka's ${MAX_TOPIC_NAME}; use a shorter group name`);
    if (req.topic === retryName) throw new PopError('BAD_REQUEST', `group ${req.group} takes its retries with its receives of their topics; ${RETRY_PREFIX}${req.group} is for other groups to read`);
    const pollUntil = Date.now() + req.pollMs;
    for (;;) {
      if (req.cancelled()) return [];
      this.checkQueue(req.topic, req.partition);
      // Looked up again after each wait: an idle state let go meanwhile is made again.
      const queue = this.queues.get(req.group, req.topic, req.partition);
      const retries = this.queues.retries(req.group);
      let collected: { got: Popped[]; more: boolean };
      try {
        collected = this.collect(queue, retries, req);
      } finally {
        req.budget?.settle();
      }
      const { got, more } = collected;
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
   * is what the answer waits for (PopJournal.stored(): null when the acks'
   * records are written before any answer leaves and the flush policy asks
   * no more); the committed offsets they move follow within the commit
   * interval.
   */
  ackAll(group: string, topic: string, handles: readonly string[]): { errors: Array<Error | null>; stored: Promise<void> | null } {
    return this.ackEach(group, topic, handles.length, (i) => parseHandle(handles[i]!));
  }

  /** ackAll of the handles a request carries as bytes: `count` of them, parsed by `handle(i)` (receipt-handle.ts ackHandles; its answer is used before the next is asked for, never kept). */
  ackEach(group: string, topic: string, count: number, handle: (i: number) => ParsedHandle | null): { errors: Array<Error | null>; stored: Promise<void> | null } {
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
    return { errors, stored: this.journal?.stored() ?? null };
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
    const outcome = queue.state.ack(offset, token);
    if (outcome === 'acked' || outcome === 'acked-in-group') {
      this.journal?.done(queue.group, queue.topic, queue.partition, offset);
      // Its message group's next may go now: wake a receive waiting for it.
      if (outcome === 'acked-in-group') this.broker.wakePartition(queue.topic, queue.partition);
    }
    if (outcome === 'stale-handle') throw new PopError('INVALID_RECEIPT_HANDLE', `the receipt handle of offset ${offset} has expired: the message was delivered again since, its invisible time was changed (ChangeInvisibleDuration answers a new handle), or it was revived to the retry topic`);
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
    if (queue.retry) this.moves.wakeTopic(topic);
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
    await this.moves.deadLetter(queue, h!.offset, current);
  }

  /** The outstanding delivery of `offset` with this handle token, or INVALID_RECEIPT_HANDLE. */
  private current(queue: Queue, offset: number, token: string): Outstanding {
    const o = queue.state.get(offset);
    if (!o) throw new PopError('INVALID_RECEIPT_HANDLE', `offset ${offset} of ${queue.topic}-${queue.partition} is not outstanding for group ${queue.group} (acked already?)`);
    if (o.token !== token) throw new PopError('INVALID_RECEIPT_HANDLE', `the receipt handle of offset ${offset} has expired: the message was delivered again since, its invisible time was changed (ChangeInvisibleDuration answers a new handle), or it was moved to the DLQ or the retry topic`);
    return o;
  }

  /** Settles the expired deliveries of every queue (FIFO ones wait for a receive, which delivers them in order), and lets idle ones go. */
  private sweep(): void {
    const now = Date.now();
    for (const queue of this.queues.all()) {
      if (this.queues.letGoIfIdle(queue, now)) continue;
      const due = queue.state.nextDeadline();
      if (due === null || due > now) continue;
      const t = this.broker.topics.get(queue.topic);
      if (!t || t.id !== queue.state.topicId) continue;
      const settings = this.broker.groupConfigs.settings(queue.group);
      this.moves.settle(queue, now, settings, this.fifo(queue, settings) ? LEAVE : null);
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
    const queue = this.queues.get(group, stored, h.partition);
    this.checkInstance(h, queue.state);
    return queue;
  }

  /** A handle of an instance before a restart acks only what was restored (or is acked already). */
  private checkInstance(h: ParsedHandle, state: QueueState): void {
    if (h.instance === this.handles.instance || state.has(h.offset) || h.offset < state.lowWatermark()) return;
    throw new PopError('INVALID_RECEIPT_HANDLE', 'the receipt handle was issued before the broker restarted; the message will be delivered again');
  }

  private checkQueue(topic: string, partition: number): void {
    const t = this.broker.topics.get(topic);
    if (!t || t.internal) throw new PopError('TOPIC_NOT_FOUND', `no topic "${topic}"`);
    const bad = badQueueId(topic, t.partitions, partition);
    if (bad !== null) throw new PopError('BAD_REQUEST', bad);
  }

  /** Synchronous from the state read to its update, so concurrent receives never take the same message (nor the same budget). */
  private collect(queue: Queue, retries: Queue | null, req: PopRequest): { got: Popped[]; more: boolean } {
    const { state } = queue;
    const settings = this.broker.groupConfigs.settings(req.group);
    const t = this.broker.topics.get(req.topic)!;
    const fifo = this.fifo(queue, settings);
    const out: Popped[] = [];
    const budget = req.budget;
    let room = budget === undefined ? Infinity : budget.room();
    const full = (): boolean => out.length >= req.batchSize || room <= 0;
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
      if (budget !== undefined) room -= budget.hold(r.bodyBytes, r.backing);
    };
    const { clamped, logEnd } = this.reads.clamp(queue);
    const recordAt = this.reads.reader(queue);
    // Expired deliveries first: revived to the retry topic, or (FIFO) delivered again, as the oldest.
    this.moves.settle(queue, now, settings, !fifo ? null : (offset, o) => {
      if (full()) return;
      const r = recordAt(offset);
      if (r && storedMatches(req.filter, r)) take(queue, r, o.messageGroup, 0);
      else this.moves.done(queue, offset, o);
    });
    const retriesFirst = retries !== null && ++this.receives % RETRIES_FIRST_EVERY === 0;
    let more = false;
    if (retries !== null && retriesFirst && !full()) more = collectRetries(this.broker, this.reads, this.moves, retries, req, now, settings, take, full);
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
        const { records, end } = this.reads.scanStep(queue, state.nextScan, want, codes !== null && want <= SHORT_RUN);
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
    if (retries !== null && !retriesFirst && !full()) more = collectRetries(this.broker, this.reads, this.moves, retries, req, now, settings, take, full);
    return { got: out, more };
  }
}
