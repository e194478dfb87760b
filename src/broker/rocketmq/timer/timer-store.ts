// Delayed delivery (RocketMQ 5's DELAY messages): a message sent with a
// delivery time is written once to the timer log and linked into the wheel
// slot of its delivery time; once the slot's time begins, its messages are
// appended to their real topic and queue each at its delivery time
// (timer-firing.ts), so consumers see them then and never earlier.
//
// Recovery rebuilds the wheel from the timer log: every unit due at or
// after the checkpoint's time is linked again, so nothing pending is lost
// by a crash, and slots that fell due while the broker was down fire at
// once. A crash between an append and the checkpoint after it appends
// those messages again (at least once, as RocketMQ's timer).
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Broker } from '../../broker.js';
import type { FlushPolicy } from '../../../storage/types.js';
import { encodeBatch } from '../../../records/index.js';
import { toRecord, type RocketMessage } from '../message-record.js';
import { BROKER_NAME, buildRecallHandle, parseRecallHandle } from './recall-handle.js';
import { delayLevelFor } from './delay-levels.js';
import { TimerCheckpoint } from './timer-checkpoint.js';
import { TimerFiring, type TimerCounts } from './timer-firing.js';
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
  /** use.delay.level: each message goes at the delay level its wait rounds up to (delay-levels.ts); null keeps the time asked for. */
  delayLevelsMs?: readonly number[] | null;
}

/** Wheel slots at most (32 bytes each: a 1 GiB sparse file). */
export const MAX_WHEEL_SLOTS = 2 ** 25;

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

/** A delayed message for its topic and queue. */
export interface Scheduled {
  topic: string;
  partition: number;
  message: RocketMessage;
  deliverMs: number;
}

export class TimerStore {
  private readonly log: TimerLog;
  private readonly wheel: TimerWheel;
  private readonly checkpoint: TimerCheckpoint;
  private readonly sync: TimerSync;
  private readonly firing: TimerFiring;
  private readonly p: number;
  private readonly counts: TimerCounts = { pending: 0, pendingBytes: 0, fired: 0 };
  /** Per closed timer-log file (by base position): its latest slot, so it can go once that slot has fired. */
  private readonly fileLastSlot = new Map<number, number>();
  /** The latest slot of any unit in the active timer-log file. */
  private activeLastSlot = -1;
  private closed = false;

  constructor(
    broker: Broker,
    dir: string,
    private readonly settings: TimerSettings,
    flush: FlushPolicy,
    warn: (m: string) => void = () => undefined,
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
    this.firing = new TimerFiring(broker, this.log, this.wheel, this.checkpoint, this.p, this.counts, (slot) => this.dropFiredFiles(slot), warn);
  }

  open(): void {
    const saved = this.checkpoint.read();
    const fromSlot = saved === null ? Number.NEGATIVE_INFINITY : this.slotOf(saved);
    let oldest = Number.POSITIVE_INFINITY;
    // The wheel file starts empty at every open (it is derived data): slots are built here, then written once.
    const slots = new Map<number, { firstPos: number; lastPos: number; count: number }>();
    // Recalls are few: their adds are looked up in their slots afterwards, so no unit is indexed here.
    const cancels: TimerUnit[] = [];
    this.log.open((u, pos, base) => {
      const slot = this.slotOf(u.deliverMs);
      const last = this.fileLastSlot.get(base);
      if (last === undefined || slot > last) this.fileLastSlot.set(base, slot);
      if (slot < oldest) oldest = slot;
      if (slot < fromSlot) return;
      const s = slots.get(slot);
      if (s) {
        s.lastPos = pos;
        s.count++;
      } else slots.set(slot, { firstPos: pos, lastPos: pos, count: 1 });
      if (saved !== null && u.deliverMs < saved) return; // appended before the restart
      if (u.type === UNIT_ADD) {
        this.counts.pending++;
        this.counts.pendingBytes += u.length;
      } else cancels.push({ ...u, batch: Buffer.alloc(0) });
    });
    // In first-seen order: a later lap of a slot index comes later in the log, so it is the one kept.
    for (const [time, s] of slots) this.wheel.put({ time, ...s });
    this.wheel.flush();
    this.takeBackRecalled(cancels);
    this.activeLastSlot = this.fileLastSlot.get(this.log.activeBase()) ?? -1;
    this.fileLastSlot.delete(this.log.activeBase());
    this.firing.start(saved ?? (Number.isFinite(oldest) ? oldest : this.slotOf(Date.now())) * this.p);
  }

  /** Takes each recalled message's add out of the pending counts, reading each slot with recalls once. */
  private takeBackRecalled(cancels: TimerUnit[]): void {
    const bySlot = new Map<number, TimerUnit[]>();
    for (const c of cancels) bySlot.set(this.slotOf(c.deliverMs), [...(bySlot.get(this.slotOf(c.deliverMs)) ?? []), c]);
    for (const [slot, cs] of bySlot) {
      const adds = new Map<string, number>();
      for (const { u } of this.log.chain(this.wheel.get(slot).lastPos)) if (u.type === UNIT_ADD) adds.set(`${u.deliverMs}\0${u.topic}\0${u.messageId}`, u.length);
      for (const c of cs) {
        const length = adds.get(`${c.deliverMs}\0${c.topic}\0${c.messageId}`);
        if (length === undefined) continue;
        this.counts.pending--;
        this.counts.pendingBytes -= length;
      }
    }
  }

  stats(): TimerStats {
    return { pending: this.counts.pending, pendingBytes: this.counts.pendingBytes, logBytes: this.log.bytes(), readMs: this.firing.firedUntilMs, fired: this.counts.fired };
  }

  /**
   * Keeps each message until its delivery time, then appends it to its
   * topic and queue. Resolves, per message in order, to its recall handle or
   * the TimerError that refused it, once the stored ones are as durable as
   * the flush policy promises. The messages of one call share one timer-log
   * write and one sync.
   */
  async scheduleAll(items: readonly Scheduled[]): Promise<(string | TimerError)[]> {
    let out: (string | TimerError)[];
    try {
      out = items.map((x) => {
        try {
          return this.add(x);
        } catch (err) {
          if (err instanceof TimerError) return err;
          throw err;
        }
      });
    } finally {
      this.log.flush();
    }
    await this.sync.appended();
    return out;
  }

  /** Cancels a pending delayed message by its recall handle; returns its message id. */
  async recall(topic: string, handle: string): Promise<string> {
    const h = parseRecallHandle(handle);
    if (!h || h.brokerName !== BROKER_NAME) throw new TimerError('BAD_REQUEST', 'not a recall handle of this broker');
    if (h.topic !== topic) throw new TimerError('BAD_REQUEST', `the recall handle is for topic "${h.topic}", not "${topic}"`);
    // A message is appended only once its delivery time has come, so a
    // recall before then never races its append.
    if (h.deliverMs <= Date.now()) throw new TimerError('NOT_FOUND', `message ${h.messageId} was due at ${new Date(h.deliverMs).toISOString()}: delivered already`);
    const slot = this.slotOf(h.deliverMs);
    const s = this.wheel.get(slot);
    let found: TimerUnit | null = null;
    for (const { u } of this.log.chain(s.lastPos)) {
      if (u.topic !== topic || u.messageId !== h.messageId) continue;
      if (u.type === UNIT_CANCEL) break; // recalled already (a cancel follows its add)
      if (u.deliverMs === h.deliverMs) {
        found = u;
        break;
      }
    }
    if (!found) throw new TimerError('NOT_FOUND', `no pending delayed message ${h.messageId} in topic "${topic}" (delivered or recalled already)`);
    const cancel = { type: UNIT_CANCEL, deliverMs: h.deliverMs, prevPos: s.lastPos, partition: found.partition, topic, messageId: h.messageId, batch: Buffer.alloc(0) };
    const unit = encodeUnit(cancel);
    this.link(slot, unit, s.firstPos, s.count);
    this.log.flush();
    this.firing.linked(slot, { ...cancel, length: unit.length });
    this.counts.pending--;
    this.counts.pendingBytes -= found.length;
    await this.sync.appended();
    return h.messageId;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.firing.stop();
    this.sync.stop();
    this.checkpoint.close();
    this.log.close();
    this.wheel.close();
  }

  /** Stores one message (its unit queued in the log, not yet written); returns its recall handle. */
  private add({ topic, partition, message: asked, deliverMs: askedMs }: Scheduled): string {
    const now = Date.now();
    if (askedMs - now > this.settings.maxDelayMs) {
      throw new TimerError('ILLEGAL_DELIVERY_TIME', `delivery time ${new Date(askedMs).toISOString()} is ${askedMs - now} ms away; at most timer.max.delay.ms = ${this.settings.maxDelayMs} ms are accepted`);
    }
    const levels = this.settings.delayLevelsMs;
    // The level's delay counts from now, as RocketMQ's from the message's store time; the message then carries the time it goes at.
    const deliverMs = levels ? now + delayLevelFor(levels, askedMs - now).delayMs : askedMs;
    const m = deliverMs === askedMs ? asked : { ...asked, deliveryTimestampMs: BigInt(deliverMs) };
    if (this.closed) throw new TimerError('TOO_MANY_REQUESTS', 'the timer store is closing');
    const lagSlots = this.slotOf(now) - this.firing.readSlot;
    if (lagSlots * this.p > this.settings.maxDelayMs / 2) throw new TimerError('TOO_MANY_REQUESTS', `the timer is ${lagSlots * this.p} ms behind; try again later`);
    if (this.counts.pending >= this.settings.maxPending) throw new TimerError('TOO_MANY_REQUESTS', `${this.counts.pending} delayed messages are pending, the most timer.max.pending.messages allows`);
    const record = toRecord(m);
    const batch = encodeBatch({ baseTimestamp: record.timestamp!, records: [record] });
    const slot = this.slotOf(deliverMs);
    const raw = this.wheel.raw(slot);
    const sameLap = raw.time === slot && raw.count > 0;
    if (!sameLap && raw.count > 0 && raw.time >= this.firing.readSlot) throw new TimerError('TOO_MANY_REQUESTS', `wheel slot of ${new Date(deliverMs).toISOString()} still holds an earlier lap; try again later`);
    const fields = { type: UNIT_ADD, deliverMs, prevPos: sameLap ? raw.lastPos : -1, partition, topic, messageId: m.messageId, batch };
    const unit = encodeUnit(fields);
    if (this.log.bytes() + unit.length > this.settings.maxLogBytes) throw new TimerError('TOO_MANY_REQUESTS', `the timer log holds ${this.log.bytes()} bytes; timer.log.max.bytes is ${this.settings.maxLogBytes}`);
    this.link(slot, unit, raw.firstPos, sameLap ? raw.count : 0);
    this.firing.linked(slot, { ...fields, length: unit.length });
    this.counts.pending++;
    this.counts.pendingBytes += unit.length;
    return buildRecallHandle(topic, deliverMs, m.messageId);
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

  /** Every slot before `slot` has fired: closed files whose units all have go. */
  private dropFiredFiles(slot: number): void {
    for (const [base, last] of this.fileLastSlot) {
      if (last < slot) {
        this.log.delete(base);
        this.fileLastSlot.delete(base);
      }
    }
  }
}
