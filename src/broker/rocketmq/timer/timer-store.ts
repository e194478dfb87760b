// Delayed delivery (RocketMQ 5's DELAY messages): a message sent with a
// delivery time is written once to the timer log and linked into the wheel
// slot of its delivery time; when the slot's time is over, its messages are
// appended to their real topic and queue, so consumers see them then and
// never earlier (at most one slot, timer.precision.ms, late).
//
// Recovery rebuilds the wheel from the timer log: every unit due at or
// after the checkpoint's read time is linked again, so nothing pending is
// lost by a crash, and slots that fell due while the broker was down fire
// at once. A crash between firing a slot and writing the checkpoint fires
// that slot again (at least once, as RocketMQ's timer).
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Broker } from '../../broker.js';
import type { FlushPolicy } from '../../../storage/types.js';
import { encodeBatch } from '../../../records/index.js';
import { toRecord, type RocketMessage } from '../message-record.js';
import { BROKER_NAME, buildRecallHandle, parseRecallHandle } from './recall-handle.js';
import { TimerCheckpoint } from './timer-checkpoint.js';
import { encodeUnit, TimerLog, UNIT_ADD, UNIT_CANCEL, type TimerUnit } from './timer-log.js';
import { TimerSync } from './timer-sync.js';
import { TimerWheel } from './timer-wheel.js';

export interface TimerSettings {
  /** Slot width: how late a message may be delivered at most. */
  precisionMs: number;
  /** Latest delivery time accepted, from now. */
  maxDelayMs: number;
  /** Pending delayed messages at most; more answer TOO_MANY_REQUESTS. */
  maxPending: number;
  /** Timer-log bytes on disk at most (pending messages and the files they keep). */
  maxLogBytes: number;
  /** Size of one timer-log file. */
  fileBytes: number;
}

/** Wheel slots at most (32 bytes each: a 1 GiB sparse file). */
export const MAX_WHEEL_SLOTS = 2 ** 25;
/** Bytes handed to one produce when a slot fires. */
const FIRE_CHUNK_BYTES = 1024 * 1024;
/** How long a slot whose append failed waits before it is tried again. */
const RETRY_MS = 1_000;

export type TimerErrorCode = 'ILLEGAL_DELIVERY_TIME' | 'TOO_MANY_REQUESTS' | 'BAD_REQUEST' | 'NOT_FOUND';

export class TimerError extends Error {
  constructor(readonly code: TimerErrorCode, message: string) {
    super(message);
  }
}

export interface TimerStats {
  pending: number;
  pendingBytes: number;
  logBytes: number;
  /** Everything due before this time has fired. */
  readMs: number;
  fired: number;
}

export class TimerStore {
  private readonly log: TimerLog;
  private readonly wheel: TimerWheel;
  private readonly checkpoint: TimerCheckpoint;
  private readonly sync: TimerSync;
  private readonly p: number;
  /** The next slot to fire; every slot before it has fired. */
  private readSlot = 0;
  private pending = 0;
  private pendingBytes = 0;
  private fired = 0;
  /** Per closed timer-log file (by base position): its latest slot, so it can go once that slot has fired. */
  private readonly fileLastSlot = new Map<number, number>();
  /** Queues of a slot already appended before a failed append, so a retry does not append them twice. */
  private retry: { slot: number; done: Set<string> } | null = null;
  /** The latest slot of any unit in the active timer-log file. */
  private activeLastSlot = -1;
  private closed = false;
  private wake: (() => void) | null = null;
  private loop: Promise<void> | null = null;

  constructor(
    private readonly broker: Broker,
    dir: string,
    private readonly settings: TimerSettings,
    flush: FlushPolicy,
    private readonly warn: (m: string) => void = () => undefined,
  ) {
    this.p = settings.precisionMs;
    // Twice the longest delay, as RocketMQ's wheel: a slot's units are all of
    // one lap as long as firing lags less than the longest delay behind now.
    const slots = Math.ceil((2 * settings.maxDelayMs) / this.p) + 2;
    if (slots > MAX_WHEEL_SLOTS) {
      throw new Error(`timer.max.delay.ms ${settings.maxDelayMs} at timer.precision.ms ${this.p} needs ${slots} wheel slots; at most ${MAX_WHEEL_SLOTS} (raise the precision or lower the delay)`);
    }
    mkdirSync(dir, { recursive: true });
    this.log = new TimerLog(join(dir, 'log'), settings.fileBytes, warn);
    this.wheel = new TimerWheel(join(dir, 'wheel'), slots);
    this.checkpoint = new TimerCheckpoint(join(dir, 'checkpoint'));
    this.sync = new TimerSync(flush, () => this.log.sync());
  }

  open(): void {
    const saved = this.checkpoint.read();
    const units: { u: TimerUnit; pos: number }[] = [];
    let oldest = Number.POSITIVE_INFINITY;
    this.log.open((u, pos, base) => {
      const slot = this.slotOf(u.deliverMs);
      this.fileLastSlot.set(base, Math.max(this.fileLastSlot.get(base) ?? -1, slot));
      oldest = Math.min(oldest, slot);
      // Only what is still to fire is kept for linking (no batch bytes: they are read again when due).
      if (saved === null || slot >= Math.floor(saved / this.p)) units.push({ u: { ...u, batch: Buffer.alloc(0) }, pos });
    });
    this.activeLastSlot = this.fileLastSlot.get(this.log.activeBase()) ?? -1;
    this.fileLastSlot.delete(this.log.activeBase());
    this.readSlot = saved !== null ? Math.floor(saved / this.p) : Number.isFinite(oldest) ? oldest : this.slotOf(Date.now());
    const adds = new Map<string, number>();
    for (const { u, pos } of units) {
      const slot = this.slotOf(u.deliverMs);
      const s = this.wheel.get(slot);
      this.wheel.put({ time: slot, firstPos: s.count > 0 ? s.firstPos : pos, lastPos: pos, count: s.count + 1 });
      const key = `${slot}\0${u.topic}\0${u.messageId}`;
      if (u.type === UNIT_ADD) adds.set(key, u.length);
      else adds.delete(key);
    }
    this.pending = adds.size;
    for (const n of adds.values()) this.pendingBytes += n;
    this.loop = this.run();
  }

  stats(): TimerStats {
    return { pending: this.pending, pendingBytes: this.pendingBytes, logBytes: this.log.bytes(), readMs: this.readSlot * this.p, fired: this.fired };
  }

  /**
   * Keeps the message until `deliverMs`, then appends it to topic/partition.
   * Resolves, with its recall handle, once the message is stored as the
   * flush policy promises.
   */
  async schedule(topic: string, partition: number, m: RocketMessage, deliverMs: number): Promise<string> {
    const now = Date.now();
    if (deliverMs - now > this.settings.maxDelayMs) {
      throw new TimerError('ILLEGAL_DELIVERY_TIME', `delivery time ${new Date(deliverMs).toISOString()} is ${deliverMs - now} ms away; at most timer.max.delay.ms = ${this.settings.maxDelayMs} ms are accepted`);
    }
    if (this.closed) throw new TimerError('TOO_MANY_REQUESTS', 'the timer store is closing');
    const lagSlots = this.slotOf(now) - this.readSlot;
    if (lagSlots * this.p > this.settings.maxDelayMs / 2) throw new TimerError('TOO_MANY_REQUESTS', `the timer is ${lagSlots * this.p} ms behind; try again later`);
    if (this.pending >= this.settings.maxPending) throw new TimerError('TOO_MANY_REQUESTS', `${this.pending} delayed messages are pending, the most timer.max.pending.messages allows`);
    const record = toRecord(m);
    const batch = encodeBatch({ baseTimestamp: record.timestamp!, records: [record] });
    const slot = this.slotOf(deliverMs);
    const raw = this.wheel.raw(slot);
    const sameLap = raw.time === slot && raw.count > 0;
    if (!sameLap && raw.count > 0 && raw.time >= this.readSlot) throw new TimerError('TOO_MANY_REQUESTS', `wheel slot of ${new Date(deliverMs).toISOString()} still holds an earlier lap; try again later`);
    const unit = encodeUnit({ type: UNIT_ADD, deliverMs, prevPos: sameLap ? raw.lastPos : -1, partition, topic, messageId: m.messageId, batch });
    if (this.log.bytes() + unit.length > this.settings.maxLogBytes) throw new TimerError('TOO_MANY_REQUESTS', `the timer log holds ${this.log.bytes()} bytes; timer.log.max.bytes is ${this.settings.maxLogBytes}`);
    this.link(slot, unit, raw.firstPos, sameLap ? raw.count : 0);
    this.pending++;
    this.pendingBytes += unit.length;
    await this.sync.appended();
    return buildRecallHandle(topic, deliverMs, m.messageId);
  }

  /** Cancels a pending delayed message by its recall handle; returns its message id. */
  async recall(topic: string, handle: string): Promise<string> {
    const h = parseRecallHandle(handle);
    if (!h || h.brokerName !== BROKER_NAME) throw new TimerError('BAD_REQUEST', 'not a recall handle of this broker');
    if (h.topic !== topic) throw new TimerError('BAD_REQUEST', `the recall handle is for topic "${h.topic}", not "${topic}"`);
    // A slot fires only once its time is over, so a recall before the
    // delivery time never races the slot's firing.
    if (h.deliverMs <= Date.now()) throw new TimerError('NOT_FOUND', `message ${h.messageId} was due at ${new Date(h.deliverMs).toISOString()}: delivered already`);
    const slot = this.slotOf(h.deliverMs);
    const s = this.wheel.get(slot);
    let found: TimerUnit | null = null;
    for (const { u } of this.chain(s.lastPos)) {
      if (u.topic !== topic || u.messageId !== h.messageId) continue;
      if (u.type === UNIT_CANCEL) break; // recalled already (a cancel follows its add)
      if (u.deliverMs === h.deliverMs) {
        found = u;
        break;
      }
    }
    if (!found) throw new TimerError('NOT_FOUND', `no pending delayed message ${h.messageId} in topic "${topic}" (delivered or recalled already)`);
    const unit = encodeUnit({ type: UNIT_CANCEL, deliverMs: h.deliverMs, prevPos: s.lastPos, partition: found.partition, topic, messageId: h.messageId, batch: Buffer.alloc(0) });
    this.link(slot, unit, s.firstPos, s.count);
    this.pending--;
    this.pendingBytes -= found.length;
    await this.sync.appended();
    return h.messageId;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.wake?.();
    await this.loop;
    this.sync.stop();
    this.checkpoint.write(this.readSlot * this.p);
    this.checkpoint.close();
    this.log.close();
    this.wheel.close();
  }

  private slotOf(ms: number): number {
    return Math.floor(ms / this.p);
  }

  private link(slot: number, unit: Buffer, firstPos: number, count: number): void {
    const before = this.log.activeBase();
    const pos = this.log.append(unit);
    if (this.log.activeBase() !== before) {
      // The file appends went to until now is closed: it can go once its last slot has fired.
      this.fileLastSlot.set(before, this.activeLastSlot);
      this.activeLastSlot = -1;
    }
    this.activeLastSlot = Math.max(this.activeLastSlot, slot);
    this.wheel.put({ time: slot, firstPos: count > 0 ? firstPos : pos, lastPos: pos, count: count + 1 });
  }

  /** A slot's units, newest first. */
  private *chain(lastPos: number): Generator<{ u: TimerUnit; pos: number }> {
    for (let pos = lastPos; pos >= 0; ) {
      const u = this.log.read(pos);
      yield { u, pos };
      pos = u.prevPos;
    }
  }

  private async run(): Promise<void> {
    while (!this.closed) {
      const now = Date.now();
      const current = this.slotOf(now); // slots before it are over
      if (this.readSlot < current) {
        // Units never sit more than a wheel's length ahead of readSlot, so past that the wheel holds nothing.
        const next = this.wheel.nextNonEmpty(this.readSlot, Math.min(current, this.readSlot + this.wheel.slots));
        if (next === null) {
          this.advance(current);
          continue;
        }
        this.readSlot = next;
        if (await this.fire(next)) this.advance(next + 1);
        else await this.sleep(RETRY_MS);
        continue;
      }
      await this.sleep((current + 1) * this.p - now);
    }
  }

  private advance(slot: number): void {
    this.readSlot = slot;
    this.checkpoint.write(slot * this.p);
    for (const [base, last] of this.fileLastSlot) {
      if (last < slot) {
        this.log.delete(base);
        this.fileLastSlot.delete(base);
      }
    }
  }

  /** Appends the slot's messages to their queues; false if an append failed (the slot is tried again). */
  private async fire(slot: number): Promise<boolean> {
    const s = this.wheel.get(slot);
    const units = [...this.chain(s.lastPos)].reverse();
    const cancelled = new Set(units.filter(({ u }) => u.type === UNIT_CANCEL).map(({ u }) => `${u.topic}\0${u.messageId}`));
    const queues = new Map<string, { topic: string; partition: number; batches: Buffer[]; bytes: number }>();
    let live = 0;
    for (const { u } of units) {
      if (u.type !== UNIT_ADD || cancelled.has(`${u.topic}\0${u.messageId}`)) continue;
      live++;
      const key = `${u.topic}\0${u.partition}`;
      let q = queues.get(key);
      if (!q) queues.set(key, (q = { topic: u.topic, partition: u.partition, batches: [], bytes: 0 }));
      q.batches.push(u.batch);
      q.bytes += u.length;
    }
    const done = this.retry?.slot === slot ? this.retry.done : new Set<string>();
    for (const [key, q] of queues) {
      if (done.has(key)) continue;
      for (let i = 0; i < q.batches.length; ) {
        let n = 0;
        let bytes = 0;
        while (i + n < q.batches.length && (n === 0 || bytes + q.batches[i + n]!.length <= FIRE_CHUNK_BYTES)) bytes += q.batches[i + n++]!.length;
        const r = await this.broker.produce(q.topic, q.partition, Buffer.concat(q.batches.slice(i, i + n)), -1);
        if (r.error === 'UNKNOWN_TOPIC_OR_PARTITION') {
          this.warn(`timer: ${q.batches.length} delayed messages for ${q.topic}-${q.partition} dropped: the queue no longer exists`);
          break;
        }
        if (r.error !== 'NONE') {
          this.warn(`timer: cannot append delayed messages to ${q.topic}-${q.partition}: ${r.error}${r.message ? `: ${r.message}` : ''}; trying again in ${RETRY_MS} ms`);
          this.retry = { slot, done };
          return false;
        }
        i += n;
      }
      done.add(key);
    }
    this.retry = null;
    this.wheel.clear(slot);
    this.pending -= live;
    for (const q of queues.values()) this.pendingBytes -= q.bytes;
    this.fired += live;
    return true;
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(done, Math.max(1, ms));
      function done(): void {
        clearTimeout(t);
        resolve();
      }
      this.wake = done;
    });
  }
}
