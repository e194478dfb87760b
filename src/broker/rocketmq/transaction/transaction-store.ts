// Transactional messages (RocketMQ 5's TRANSACTION type): a half message is
// stored in RMQ_SYS_TRANS_HALF_TOPIC, invisible to consumers of its topic;
// EndTransaction COMMIT appends it to its topic and queue, ROLLBACK drops
// it. One left open longer than transaction.timeout.ms is checked back with
// a producer of its topic (its own client first) every
// transaction.check.interval.ms; after transaction.check.max checks it is
// discarded to TRANS_CHECK_MAX_TIME_TOPIC. Open halves are kept in memory
// (ids and positions, never bodies), rebuilt at start from the half topic
// from the oldest open half on (the checkpoint), so a restart, SIGKILL
// included, loses none. A commit appends to the topic before it records
// the op: a crash between the two checks the half back and may commit it
// twice (at least once, as RocketMQ).
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BROKER_BUILT, type Broker } from '../../broker.js';
import { writeFileAtomic } from '../../atomic-file.js';
import { encodeBatch } from '../../../records/index.js';
import { fromRecord, type RocketMessage } from '../message-record.js';
import { readRecord, scanRecords } from './half-log-read.js';
import { CHECK_MAX_TOPIC, HALF_TOPIC, halfBatch, opBatch, readEntry, realRecord, type OpKind } from './half-records.js';
import { badQueueId } from '../queue-id.js';

export interface TransactionSettings {
  timeoutMs: number;
  checkIntervalMs: number;
  checkMax: number;
  maxPending: number;
}

export type TransactionErrorCode = 'INVALID_TRANSACTION_ID' | 'BAD_REQUEST' | 'TOO_MANY_REQUESTS' | 'TOPIC_NOT_FOUND' | 'INTERNAL_ERROR';

export class TransactionError extends Error {
  constructor(readonly code: TransactionErrorCode, message: string) {
    super(message);
  }
}

/** What a check-back asks of a producer: RecoverOrphanedTransactionCommand. */
export interface CheckBack {
  topic: string;
  partition: number;
  /** The producer that sent the half, asked first. */
  clientId: string;
  transactionId: string;
  halfOffset: bigint;
  message: RocketMessage;
}

interface Open {
  messageId: string;
  topic: string;
  partition: number;
  clientId: string;
  checks: number;
  nextCheckMs: number;
  /** Being committed, rolled back or discarded. */
  ending: boolean;
}

const TP = { topic: HALF_TOPIC, partition: 0 };
const CHECKPOINT_EVERY_MS = 1_000;

export class TransactionStore {
  private readonly open = new Map<bigint, Open>();
  /** High watermarks before half appends still in flight: the checkpoint must not pass them. */
  private readonly preparing = new Set<bigint>();
  private readonly checkpointFile: string;
  private savedLow = -1n;
  private ticker: NodeJS.Timeout | null = null;
  private checking: Promise<void> = Promise.resolve();
  private closed = false;
  private checkpointDue: NodeJS.Timeout | null = null;

  constructor(
    private readonly broker: Broker,
    dir: string,
    private readonly settings: TransactionSettings,
    /** Sends the check to a producer; false if none of the topic's producers is connected. */
    private readonly checkBack: (c: CheckBack) => boolean,
    private readonly warn: (m: string) => void = () => undefined,
  ) {
    mkdirSync(dir, { recursive: true });
    this.checkpointFile = join(dir, 'checkpoint.json');
  }

  start(): void {
    if (!this.broker.topics.get(HALF_TOPIC)) this.broker.topics.create(HALF_TOPIC, 1, {}, true);
    const from = existsSync(this.checkpointFile) ? BigInt((JSON.parse(readFileSync(this.checkpointFile, 'utf8')) as { halfLow: string }).halfLow) : 0n;
    scanRecords(this.broker.engine, TP, from, (r) => {
      const e = readEntry(r.record);
      if (!e) return;
      if (e.kind === 'half') {
        const m = fromRecord(r.record, r.timestampMs, { topic: HALF_TOPIC, partition: 0, offset: r.offset });
        this.open.set(r.offset, { messageId: m.messageId, topic: e.half.topic, partition: e.half.partition, clientId: e.half.clientId, checks: 0, nextCheckMs: e.half.preparedMs + this.settings.timeoutMs, ending: false });
        return;
      }
      const o = this.open.get(e.halfOffset);
      if (!o) return;
      if (e.op === 'CHECK') {
        o.checks++;
        o.nextCheckMs = Number(r.timestampMs) + this.settings.checkIntervalMs;
      } else this.open.delete(e.halfOffset);
    });
    this.savedLow = from;
    const tick = Math.max(20, Math.min(1_000, this.settings.timeoutMs / 4, this.settings.checkIntervalMs / 4));
    this.ticker = setInterval(() => {
      this.checking = this.checking.then(() => this.checkOpen()).catch((err: Error) => this.warn(`transaction check: ${err.message}`));
    }, tick);
    this.ticker.unref();
  }

  openCount(): number {
    return this.open.size;
  }

  /** Stores a half message; resolves with its transaction id once it is as durable as an acks=-1 produce. */
  async prepare(topic: string, partition: number, m: RocketMessage, clientId: string): Promise<{ transactionId: string; halfOffset: bigint }> {
    const t = this.broker.topics.get(topic);
    if (!t) throw new TransactionError('TOPIC_NOT_FOUND', `no topic "${topic}"`);
    const bad = badQueueId(topic, t.partitions, partition);
    if (bad !== null) throw new TransactionError('BAD_REQUEST', bad);
    if (this.open.size >= this.settings.maxPending) throw new TransactionError('TOO_MANY_REQUESTS', `${this.open.size} transactions are open, the most transaction.max.pending.messages allows`);
    const now = Date.now();
    const before = this.broker.engine.highWatermark(TP);
    this.preparing.add(before);
    let r: bigint;
    try {
      r = await this.append(halfBatch(m, { topic, partition, clientId, preparedMs: now }));
      this.open.set(r, { messageId: m.messageId, topic, partition, clientId, checks: 0, nextCheckMs: now + this.settings.timeoutMs, ending: false });
    } finally {
      this.preparing.delete(before);
    }
    return { transactionId: transactionIdOf(r, m.messageId), halfOffset: r };
  }

  /** EndTransaction: COMMIT makes the message visible in its topic, ROLLBACK drops it. */
  async end(topic: string, messageId: string, transactionId: string, resolution: string): Promise<void> {
    if (resolution !== 'COMMIT' && resolution !== 'ROLLBACK') throw new TransactionError('BAD_REQUEST', `resolution ${resolution || 'missing'}: expected COMMIT or ROLLBACK`);
    const offset = parseTransactionId(transactionId);
    const o = offset === null ? undefined : this.open.get(offset);
    if (offset === null || !o || o.messageId !== messageId) throw new TransactionError('INVALID_TRANSACTION_ID', `no open transaction ${transactionId} with message ${messageId} (ended, discarded after transaction.check.max checks, or never begun)`);
    if (o.topic !== topic) throw new TransactionError('INVALID_TRANSACTION_ID', `transaction ${transactionId} is of topic "${o.topic}", not "${topic}"`);
    if (o.ending) throw new TransactionError('INVALID_TRANSACTION_ID', `transaction ${transactionId} is being ended already`);
    o.ending = true;
    try {
      if (resolution === 'COMMIT') {
        const half = this.readHalf(offset);
        const r = await this.broker.produce(o.topic, o.partition, encodeBatch({ baseTimestamp: half.timestampMs, records: [realRecord(half.record, half.timestampMs)] }), -1, null, BROKER_BUILT);
        if (r.error === 'UNKNOWN_TOPIC_OR_PARTITION') throw new TransactionError('TOPIC_NOT_FOUND', `topic "${o.topic}" queue ${o.partition} no longer exists`);
        if (r.error !== 'NONE') throw new TransactionError('INTERNAL_ERROR', `the broker refused the commit's append: ${r.error}${r.message ? `: ${r.message}` : ''}`);
      }
      await this.finish(offset, resolution);
    } finally {
      o.ending = false;
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.ticker) clearInterval(this.ticker);
    if (this.checkpointDue) clearTimeout(this.checkpointDue);
    await this.checking;
    this.saveCheckpoint();
  }

  private async append(batch: Buffer): Promise<bigint> {
    const r = await this.broker.engine.append(TP, batch);
    return r.baseOffset;
  }

  private readHalf(offset: bigint): NonNullable<ReturnType<typeof readRecord>> {
    const half = readRecord(this.broker.engine, TP, offset);
    if (!half) throw new TransactionError('INTERNAL_ERROR', `half message at ${HALF_TOPIC} offset ${offset} is gone (retention?)`);
    return half;
  }

  private async finish(offset: bigint, op: Exclude<OpKind, 'CHECK'>): Promise<void> {
    await this.append(opBatch(op, offset, Date.now()));
    this.open.delete(offset);
    this.checkpointDue ??= setTimeout(() => {
      this.checkpointDue = null;
      this.saveCheckpoint();
    }, CHECKPOINT_EVERY_MS);
    this.checkpointDue.unref();
  }

  /** The oldest open half (or the end): recovery starts there. */
  private saveCheckpoint(): void {
    let low = this.broker.engine.highWatermark(TP);
    for (const offset of this.open.keys()) if (offset < low) low = offset;
    for (const offset of this.preparing) if (offset < low) low = offset;
    if (low === this.savedLow) return;
    writeFileAtomic(this.checkpointFile, JSON.stringify({ halfLow: String(low) }));
    this.savedLow = low;
  }

  private async checkOpen(): Promise<void> {
    const now = Date.now();
    for (const [offset, o] of [...this.open]) {
      if (this.closed) return;
      if (o.ending || o.nextCheckMs > now || !this.open.has(offset)) continue;
      if (o.checks >= this.settings.checkMax) {
        await this.discard(offset, o);
        continue;
      }
      await this.append(opBatch('CHECK', offset, now));
      o.checks++;
      o.nextCheckMs = now + this.settings.checkIntervalMs;
      const half = this.readHalf(offset);
      const message = fromRecord(half.record, half.timestampMs, { topic: HALF_TOPIC, partition: 0, offset });
      const sent = this.checkBack({ topic: o.topic, partition: o.partition, clientId: o.clientId, transactionId: transactionIdOf(offset, o.messageId), halfOffset: offset, message });
      if (!sent) this.warn(`transaction ${transactionIdOf(offset, o.messageId)} (topic ${o.topic}): no producer of the topic is connected for check ${o.checks} of ${this.settings.checkMax}`);
    }
  }

  private async discard(offset: bigint, o: Open): Promise<void> {
    o.ending = true;
    try {
      if (!this.broker.topics.get(CHECK_MAX_TOPIC)) this.broker.createTopic(CHECK_MAX_TOPIC, 1);
      const half = this.readHalf(offset);
      const record = realRecord(half.record, half.timestampMs, { REAL_TOPIC: o.topic, REAL_QID: String(o.partition), TRANSACTION_ID: transactionIdOf(offset, o.messageId), TRANSACTION_CHECK_TIMES: String(o.checks) });
      const r = await this.broker.produce(CHECK_MAX_TOPIC, 0, encodeBatch({ baseTimestamp: half.timestampMs, records: [record] }), -1, null, BROKER_BUILT);
      if (r.error !== 'NONE') {
        this.warn(`transaction ${transactionIdOf(offset, o.messageId)}: cannot discard to ${CHECK_MAX_TOPIC}: ${r.error}`);
        return;
      }
      await this.finish(offset, 'DISCARD');
      this.warn(`transaction ${transactionIdOf(offset, o.messageId)} (topic ${o.topic}) discarded to ${CHECK_MAX_TOPIC} after ${o.checks} check-backs`);
    } finally {
      o.ending = false;
    }
  }
}

/** "<half offset>.<message id>": the offset finds the half, the id guards against a stale or forged one. */
export function transactionIdOf(halfOffset: bigint, messageId: string): string {
  return `${halfOffset}.${messageId}`;
}

function parseTransactionId(id: string): bigint | null {
  const m = /^(\d{1,19})\.[0-9A-Za-z]+$/.exec(id);
  return m ? BigInt(m[1]!) : null;
}
