// RocketMQ 5's pop consumption (what SimpleConsumer's receive, ack and
// changeInvisibleDuration drive) over the broker's logs: per group and
// queue a QueueState; messages are read from the log on demand, filtered by
// tag, handed out with a receipt handle and an invisible deadline, and come
// back with the next delivery attempt when not acked in time, or go to the
// group's dead-letter queue once max.delivery.attempts are used up. FIFO
// topics are delivered in order per message group (fifo-holds.ts). The
// group's committed offset goes to the broker's offset store
// (queue-commits.ts).
import type { Broker } from '../broker.js';
import { appendDeadLetter } from './dead-letter.js';
import { recordMessageGroup } from './message-record.js';
import { Delivery, type Popped } from './delivery.js';
import { MESSAGE_TYPE_CONFIG, topicMessageType } from './message-type.js';
import type { PopJournal } from './pop-journal.js';
import { PopError } from './pop-error.js';
import { readQueueRecords, type QueueRead, type StoredRecord } from './queue-records.js';
import { QueueCommits } from './queue-commits.js';
import { MAX_OFFSET, QueueState, type Outstanding } from './queue-state.js';
import { backoffMs } from './retry-ladder.js';
import { handleOf, parseHandle, ReceiptHandles, type ParsedHandle } from './receipt-handle.js';
import { dlqTopic } from './system-topics.js';
import { CodeWindow } from './code-window.js';
import { codeMayMatch, filterCodes } from './tag-code.js';
import { recordMatches } from './tag-filter.js';
import type { PopRequest } from './pop-request.js';

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
/** A failed move to the DLQ is tried again this much later. */
const DEAD_LETTER_RETRY_MS = 1000;
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

export class PopService {
  private readonly states = new Map<string, QueueState>();
  private readonly handles = new ReceiptHandles();
  private lastState: { group: string; topic: string; partition: number; key: string; state: QueueState } | null = null;
  private readonly commits: QueueCommits;
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
  ) {
    this.commits = new QueueCommits(broker, commitIntervalMs, log);
  }

  async pop(req: PopRequest): Promise<Popped[]> {
    if (!req.group) throw new PopError('ILLEGAL_CONSUMER_GROUP', 'a consumer group is required');
    // Its dead letters need a topic: a group whose DLQ name is no legal Kafka topic name could never move one.
    if (dlqTopic(req.group).length > MAX_TOPIC_NAME) throw new PopError('ILLEGAL_CONSUMER_GROUP', `group "${req.group.slice(0, 40)}…": its DLQ topic ${dlqTopic(req.group).length} characters long, over Kafka's ${MAX_TOPIC_NAME}; use a shorter group name`);
    this.checkQueue(req.topic, req.partition);
    const state = this.state(req.group, req.topic, req.partition);
    const pollUntil = Date.now() + req.pollMs;
    for (;;) {
      if (req.cancelled()) return [];
      this.checkQueue(req.topic, req.partition);
      const got = this.collect(state, req);
      if (got.length > 0 || state.lowWatermark() > state.committed) this.commits.later({ group: req.group, topic: req.topic, partition: req.partition }, state);
      if (got.length > 0) return got;
      const now = Date.now();
      const remaining = pollUntil - now;
      if (remaining <= 0) return [];
      // Wake for an append past what was scanned, or when an outstanding
      // message becomes visible again.
      const visibleAgain = state.nextDeadline();
      const wait = visibleAgain === null ? remaining : Math.max(1, Math.min(remaining, visibleAgain - now));
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
    // An ack's handles are mostly of one queue: its state is looked up once, and marked for a commit once.
    let partition = -1;
    let state: QueueState | null = null;
    for (let i = 0; i < count; i++) {
      try {
        const h = handle(i);
        if (state === null || h === null || h.partition !== partition) {
          ({ partition, state } = this.lookupParsed(group, topic, h));
          this.commits.later({ group, topic, partition }, state);
        } else this.checkInstance(h, state);
        this.ackOne(group, topic, partition, h!.offset, h!.token, state);
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
    return this.commits.close();
  }

  private ackOne(group: string, topic: string, partition: number, offset: number, token: string, state: QueueState): void {
    const o = state.get(offset);
    const outcome = state.ack(offset, token, o);
    if (outcome === 'acked') {
      this.journal?.done(group, topic, partition, offset);
      // Its message group's next may go now: wake a receive waiting for it.
      if (o!.messageGroup !== null) this.broker.wakePartition(topic, partition);
    }
    if (outcome === 'stale-handle') throw new PopError('INVALID_RECEIPT_HANDLE', `the receipt handle of offset ${offset} has expired: the message was delivered again since`);
    if (outcome === 'never-delivered') throw new PopError('INVALID_RECEIPT_HANDLE', `offset ${offset} of ${topic}-${partition} was not delivered to group ${group}`);
  }

  /**
   * Sets a new invisible time for a delivery, counted from now; returns the
   * new receipt handle. For a push consumer's delivery this is its nack (what
   * the clients send when the listener fails): the group's retry ladder sets
   * the wait, or the asked time if longer, and renewal stops; a message out
   * of attempts is due for the DLQ at once.
   */
  changeInvisible(group: string, topic: string, handle: string, invisibleMs: number, minMs: number): string {
    const { partition, offset, token, state } = this.lookup(group, topic, handle);
    const o = this.current(state, topic, partition, offset, token, group);
    let wait = invisibleMs;
    if (o.renewFor !== null) {
      const g = this.broker.groupConfigs.settings(group);
      wait = o.attempt >= g.maxDeliveryAttempts ? 0 : Math.max(invisibleMs, backoffMs(g.backoffSteps, o.attempt));
      o.renewFor = null;
    } else if (invisibleMs < minMs) {
      throw new PopError('ILLEGAL_INVISIBLE_TIME', `invisible duration ${invisibleMs} ms: at least ${minMs} ms`);
    }
    o.token = this.handles.token();
    state.setDeadline(offset, o, Date.now() + wait);
    this.journal?.delivered(group, topic, partition, offset, o);
    // A receive waiting out the old deadline learns of the new one.
    this.broker.wakePartition(topic, partition);
    return handleOf(partition, offset, o.token);
  }

  /**
   * ForwardMessageToDeadLetterQueue: moves a delivery to the group's DLQ now.
   * Resolves once it is stored there; if the append fails the move is retried
   * by the broker (the message stays bound for the DLQ, never redelivered).
   */
  async forwardToDeadLetter(group: string, topic: string, handle: string): Promise<void> {
    const { partition, offset, token, state } = this.lookup(group, topic, handle);
    const o = state.get(offset);
    // Moved already (an answer the client lost): done.
    if (!o && offset < state.nextScan) return;
    const current = this.current(state, topic, partition, offset, token, group);
    current.toDeadLetter = true;
    await this.deadLetter(group, topic, partition, state, offset, current);
  }

  /** The outstanding delivery of `offset` with this handle token, or INVALID_RECEIPT_HANDLE. */
  private current(state: QueueState, topic: string, partition: number, offset: number, token: string, group: string): Outstanding {
    const o = state.get(offset);
    if (!o) throw new PopError('INVALID_RECEIPT_HANDLE', `offset ${offset} of ${topic}-${partition} is not outstanding for group ${group} (acked already?)`);
    if (o.token !== token) throw new PopError('INVALID_RECEIPT_HANDLE', `the receipt handle of offset ${offset} has expired: the message was delivered again since (or moved to the DLQ)`);
    return o;
  }

  /**
   * Moves an outstanding message to the DLQ. Meanwhile it can be neither
   * acked (its handle is voided) nor redelivered (no deadline); once stored
   * it leaves the state, freeing its message group and the committed offset.
   */
  private async deadLetter(group: string, topic: string, partition: number, state: QueueState, offset: number, o: Outstanding): Promise<void> {
    state.setDeadline(offset, o, Infinity);
    o.token = '';
    this.journal?.delivered(group, topic, partition, offset, o);
    try {
      const r = this.readFrom({ topic, partition }, offset, 1).records.find((x) => x.offset === offset);
      // Gone (retention): nothing to move.
      if (r) await appendDeadLetter(this.broker, { group, topic, partition, offset, timestampMs: r.timestampMs, record: r.record, attempts: o.attempt });
      if (state.get(offset) === o) {
        state.drop(offset);
        this.journal?.done(group, topic, partition, offset);
      }
      this.broker.wakePartition(topic, partition);
      await this.commits.now({ group, topic, partition }, state);
    } catch (err) {
      this.log(`rocketmq: cannot move offset ${offset} of ${topic}-${partition} to the DLQ of group ${group} (retrying): ${(err as Error).message}`);
      if (state.get(offset) === o) state.setDeadline(offset, o, Date.now() + DEAD_LETTER_RETRY_MS);
    }
  }

  private lookup(group: string, topic: string, handle: string): { partition: number; offset: number; token: string; state: QueueState } {
    return this.lookupParsed(group, topic, parseHandle(handle));
  }

  private lookupParsed(group: string, topic: string, h: ParsedHandle | null): { partition: number; offset: number; token: string; state: QueueState } {
    if (!h) throw new PopError('INVALID_RECEIPT_HANDLE', 'not a receipt handle of this broker');
    const t = this.broker.topics.get(topic);
    if (!t || t.internal) throw new PopError('TOPIC_NOT_FOUND', `no topic "${topic}"`);
    if (h.partition >= t.partitions) throw new PopError('INVALID_RECEIPT_HANDLE', `topic "${topic}" has no queue ${h.partition}`);
    const state = this.state(group, topic, h.partition);
    this.checkInstance(h, state);
    return { partition: h.partition, offset: h.offset, token: h.token, state };
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

  private state(group: string, topic: string, partition: number): QueueState {
    // A receive's or an ack's calls are mostly for the queue of the call before.
    const last = this.lastState;
    const topicId = this.broker.topics.get(topic)?.id ?? '';
    if (last !== null && last.group === group && last.topic === topic && last.partition === partition && last.state.topicId === topicId && this.states.get(last.key) === last.state) return last.state;
    const key = `${group}\0${topic}\0${partition}`;
    const s = this.stateAt(key, group, topic, partition, topicId);
    this.lastState = { group, topic, partition, key, state: s };
    return s;
  }

  private stateAt(key: string, group: string, topic: string, partition: number, topicId: string): QueueState {
    let s = this.states.get(key);
    // A topic deleted and created again under its name is another queue: its state starts afresh.
    if (s && s.topicId !== topicId) {
      this.commits.forget(s);
      s = undefined;
    }
    if (!s) {
      const tp = { topic, partition };
      const committed = this.broker.coordinator.committed(group, topic, partition).offset;
      // A group new to the queue starts at the log's start, like Kafka's
      // auto.offset.reset=earliest: what was sent before its first receive is its to read.
      s = new QueueState(Number(committed >= 0n ? committed : this.broker.engine.logStartOffset(tp)), topicId);
      const restored = this.journal?.take(group, topic, partition);
      if (restored) s.restore(restored);
      this.states.set(key, s);
    }
    return s;
  }

  /** Synchronous from the state read to its update, so concurrent receives never take the same message (nor the same budget). */
  private collect(state: QueueState, req: PopRequest): Popped[] {
    const tp = { topic: req.topic, partition: req.partition };
    const logEnd = this.broker.engine.highWatermark(tp);
    // The pop state keeps offsets as numbers; no log gets this far by appends (2^53 messages), but a receive would rather say so than lose precision.
    if (logEnd > MAX_OFFSET) throw new PopError('UNSUPPORTED', `${req.topic}-${req.partition} has offsets past 2^53 - 1 (${logEnd}): RocketMQ consumers read queues below that (Kafka consumers read all of it)`);
    const hw = Number(logEnd);
    state.clamp(Number(this.broker.engine.logStartOffset(tp)), hw);
    const settings = this.broker.groupConfigs.settings(req.group);
    const t = this.broker.topics.get(req.topic)!;
    const fifo = settings.fifo && topicMessageType(t) === 'FIFO';
    const out: Popped[] = [];
    const full = (): boolean => out.length >= req.batchSize || (req.budget !== undefined && req.budget.room() <= 0);
    const now = Date.now();
    // One options object for all the takes: deliver copies what it keeps.
    const delivery = { messageGroup: null as string | null, renewFor: req.renewFor, renewMs: req.invisibleMs, renewUntil: now + MAX_RENEW_MS };
    // One token for this receive's deliveries: their offsets tell them apart.
    let token = '';
    const take = (r: StoredRecord, messageGroup: string | null): void => {
      if (token === '') token = this.handles.token();
      delivery.messageGroup = messageGroup;
      const o = state.deliver(r.offset, now + req.invisibleMs, token, delivery);
      this.journal?.delivered(req.group, req.topic, req.partition, r.offset, o);
      out.push(new Delivery(r, req.topic, req.partition, r.offset, o.attempt, token, req.invisibleMs));
      req.budget?.hold(r.bodyBytes, r.backing);
    };
    // Redeliveries and FIFO holds let go mostly lie in one batch: read it once, not once per message.
    let last: QueueRead | null = null;
    const recordAt = (offset: number): StoredRecord | undefined => {
      if (last === null || last.records.length === 0 || offset < last.records[0]!.offset || offset >= last.end) last = this.readFrom(tp, offset, 1);
      return last.records.find((s) => s.offset === offset);
    };
    // Messages whose invisible time ran out go first: they are the oldest.
    for (const offset of state.expired(now, EXPIRED_PER_RECEIVE)) {
      const o = state.get(offset)!;
      if (o.renewFor !== null && now < o.renewUntil && this.clientAlive(o.renewFor)) {
        state.setDeadline(offset, o, now + o.renewMs);
        this.journal?.delivered(req.group, req.topic, req.partition, offset, o);
        continue;
      }
      if (o.toDeadLetter || o.attempt >= settings.maxDeliveryAttempts) {
        o.toDeadLetter = true;
        void this.deadLetter(req.group, req.topic, req.partition, state, offset, o);
        continue;
      }
      if (full()) continue;
      const r = recordAt(offset);
      if (!r || !recordMatches(req.filter, r.record)) {
        state.drop(offset);
        this.journal?.done(req.group, req.topic, req.partition, offset);
      }
      else take(r, o.messageGroup);
    }
    // Then the next of each message group whose previous one is done, in order.
    for (let next = state.fifo.nextReady(); next !== null; next = state.fifo.nextReady()) {
      if (full()) return out;
      const { group, offset } = next;
      state.fifo.shift(group);
      const r = recordAt(offset);
      if (r) take(r, group);
    }
    // With a tag filter and a tag index, records whose code cannot match are
    // passed over unread, and the log is read one batch at a time from each
    // record that may match.
    const indexed = t.configs[MESSAGE_TYPE_CONFIG] !== undefined && this.broker.engine.tagCodes !== undefined;
    const codes = !req.filter.all && indexed ? filterCodes(req.filter) : null;
    const window = new CodeWindow(this.broker.engine, tp);
    while (!full() && state.nextScan < hw && state.fifo.held < MAX_HELD) {
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
      // As many bytes as the queue's batches so far suggest; a short run (or
      // no estimate yet) reads exactly its first batch (the engine returns at
      // least one whole batch), so nothing past it is read.
      const readBytes = (codes && want <= SHORT_RUN) || state.bytesPerRecord === 0 ? 1 : Math.min(SCAN_BYTES, want * state.bytesPerRecord);
      const { records, end, bytesPerRecord } = this.readFrom(tp, state.nextScan, readBytes);
      if (bytesPerRecord > 0) state.bytesPerRecord = bytesPerRecord;
      for (const r of records) {
        if (r.offset < state.nextScan) continue;
        if (full() || state.fifo.held >= MAX_HELD) return out;
        if (state.passOver(r.offset)) {
          state.nextScan = r.offset + 1;
          continue;
        }
        if (recordMatches(req.filter, r.record)) {
          const group = fifo ? recordMessageGroup(r.record) : null;
          if (group !== null && state.fifo.busy(group)) state.fifo.hold(group, r.offset);
          else take(r, group);
        }
        state.nextScan = r.offset + 1;
      }
      if (end <= state.nextScan && records.length === 0) break;
      if (end > state.nextScan) state.nextScan = end;
    }
    return out;
  }

  /** Records from the batch holding `offset` on, up to `maxBytes` (at least that batch), counting the log bytes read. */
  private readFrom(tp: { topic: string; partition: number }, offset: number, maxBytes = SCAN_BYTES): QueueRead {
    const r = readQueueRecords(this.broker.engine, tp, offset, maxBytes, this.broker.transactions.partitions);
    this.logBytesRead += r.bytesRead;
    return r;
  }
}
