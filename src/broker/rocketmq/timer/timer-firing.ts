// Firing the wheel. A slot is read into memory once its time begins, and
// each of its messages is appended to its queue at its own delivery time
// (the loop sleeps until the next one is due), not when the slot is over:
// the slot width bounds what one read brings into memory, not lateness.
// Slots whose time passed while the broker was down or busy are fired
// whole, at once. Messages scheduled into the slot being fired join it.
//
// The checkpoint says how far firing got, in ms: everything due before it
// has been appended. It moves after each append, so a restart repeats no
// append that had completed (a crash between an append and its checkpoint
// repeats that one: at least once).
import type { Broker } from '../../broker.js';
import type { TimerCheckpoint } from './timer-checkpoint.js';
import { UNIT_CANCEL, type TimerLog, type TimerUnit } from './timer-log.js';
import type { TimerWheel } from './timer-wheel.js';

/** Bytes handed to one produce. */
const FIRE_CHUNK_BYTES = 1024 * 1024;
/** How long messages whose append failed wait before they are tried again. */
const RETRY_MS = 1_000;

export interface TimerCounts {
  pending: number;
  pendingBytes: number;
  fired: number;
}

/** The slot being fired: its messages not yet appended (by delivery time once sorted), and its recalled ones. */
interface OpenSlot {
  slot: number;
  waiting: TimerUnit[];
  sorted: boolean;
  cancelled: Set<string>;
}

const idOf = (u: TimerUnit): string => `${u.topic}\0${u.messageId}`;

function sortWaiting(o: OpenSlot): void {
  if (o.sorted) return;
  o.waiting.sort((a, b) => a.deliverMs - b.deliverMs); // stable: send order within a millisecond
  o.sorted = true;
}

export class TimerFiring {
  /** Everything due before this time (ms) has been appended or recalled. */
  firedUntilMs = 0;
  /** The next slot to fire (the one firing, if any); every slot before it has fired. */
  readSlot = 0;
  private open: OpenSlot | null = null;
  private closed = false;
  private wake: (() => void) | null = null;
  /** When the loop's sleep ends by itself. */
  private wakeAt = Number.POSITIVE_INFINITY;
  private loop: Promise<void> | null = null;

  constructor(
    private readonly broker: Broker,
    private readonly log: TimerLog,
    private readonly wheel: TimerWheel,
    private readonly checkpoint: TimerCheckpoint,
    private readonly p: number,
    private readonly counts: TimerCounts,
    /** Every slot before `slot` has fired. */
    private readonly onSlotsDone: (slot: number) => void,
    private readonly warn: (m: string) => void,
  ) {}

  start(firedUntilMs: number): void {
    this.firedUntilMs = firedUntilMs;
    this.readSlot = Math.floor(firedUntilMs / this.p);
    this.loop = this.run();
  }

  /** A unit just linked into `slot`: if that slot is being fired, it joins it, and the loop wakes if it is due sooner than planned. */
  linked(slot: number, u: TimerUnit): void {
    const o = this.open;
    if (!o || o.slot !== slot) return;
    if (u.type === UNIT_CANCEL) {
      o.cancelled.add(idOf(u));
      return;
    }
    o.waiting.push(u);
    o.sorted = false;
    if (u.deliverMs < this.wakeAt) this.wake?.();
  }

  /** Stops after the append under way, and saves how far firing got. */
  async stop(): Promise<void> {
    this.closed = true;
    this.wake?.();
    await this.loop;
    this.checkpoint.write(this.firedUntilMs);
  }

  private async run(): Promise<void> {
    while (!this.closed) {
      const now = Date.now();
      const current = Math.floor(now / this.p); // slots before it are over
      if (this.readSlot < current && this.open?.slot !== this.readSlot) {
        // Units never sit more than a wheel's length ahead of readSlot, so past that the wheel holds nothing.
        const next = this.wheel.nextNonEmpty(this.readSlot, Math.min(current, this.readSlot + this.wheel.slots));
        if (next === null) {
          this.slotsDone(current);
          continue;
        }
        this.readSlot = next;
        this.firedUntilMs = Math.max(this.firedUntilMs, next * this.p);
      }
      const slot = this.readSlot;
      const o = this.open?.slot === slot ? this.open : (this.open = this.read(slot));
      const over = slot < current;
      if (!(await this.deliver(o, over ? Number.POSITIVE_INFINITY : now))) {
        await this.sleep(Date.now() + RETRY_MS);
        continue;
      }
      if (over) {
        this.wheel.clear(slot);
        this.open = null;
        this.slotsDone(slot + 1);
        continue;
      }
      const end = (slot + 1) * this.p;
      sortWaiting(o);
      await this.sleep(o.waiting.length > 0 ? Math.min(o.waiting[0]!.deliverMs, end) : end);
    }
  }

  private slotsDone(slot: number): void {
    this.readSlot = slot;
    this.firedUntilMs = Math.max(this.firedUntilMs, slot * this.p);
    this.checkpoint.write(this.firedUntilMs);
    this.onSlotsDone(slot);
  }

  /** The slot's messages still to append: those due before firedUntilMs were appended before a restart. */
  private read(slot: number): OpenSlot {
    const s = this.wheel.get(slot);
    const units = s.count > 0 ? [...this.log.chain(s.lastPos)].map(({ u }) => u).reverse() : [];
    const cancelled = new Set(units.filter((u) => u.type === UNIT_CANCEL).map(idOf));
    const waiting = units.filter((u) => u.type !== UNIT_CANCEL && !cancelled.has(idOf(u)) && u.deliverMs >= this.firedUntilMs);
    return { slot, waiting, sorted: false, cancelled };
  }

  /** Appends the slot's messages due by `until`, one produce per queue; false if an append failed (they are tried again). */
  private async deliver(o: OpenSlot, until: number): Promise<boolean> {
    sortWaiting(o);
    let n = 0;
    while (n < o.waiting.length && o.waiting[n]!.deliverMs <= until) n++;
    const due = o.waiting.splice(0, n).filter((u) => !o.cancelled.has(idOf(u)));
    const queues = new Map<string, TimerUnit[]>();
    for (const u of due) {
      const key = `${u.topic}\0${u.partition}`;
      const q = queues.get(key);
      if (q) q.push(u);
      else queues.set(key, [u]);
    }
    const left: TimerUnit[] = [];
    for (const q of queues.values()) {
      if (left.length > 0) {
        left.push(...q);
        continue;
      }
      for (let i = 0; i < q.length; ) {
        let k = 0;
        let bytes = 0;
        while (i + k < q.length && (k === 0 || bytes + q[i + k]!.batch.length <= FIRE_CHUNK_BYTES)) bytes += q[i + k++]!.batch.length;
        const chunk = q.slice(i, i + k);
        const { topic, partition } = chunk[0]!;
        const r = await this.broker.produce(topic, partition, Buffer.concat(chunk.map((u) => u.batch), bytes), -1);
        if (r.error === 'UNKNOWN_TOPIC_OR_PARTITION') {
          this.warn(`timer: ${q.length - i} delayed messages for ${topic}-${partition} dropped: the queue no longer exists`);
          this.gone(q.slice(i), false);
          break;
        }
        if (r.error !== 'NONE') {
          this.warn(`timer: cannot append delayed messages to ${topic}-${partition}: ${r.error}${r.message ? `: ${r.message}` : ''}; trying again in ${RETRY_MS} ms`);
          left.push(...q.slice(i));
          break;
        }
        this.gone(chunk, true);
        i += k;
      }
    }
    if (left.length > 0) {
      o.waiting.unshift(...left);
      o.sorted = false;
    }
    // Everything due by `until` is appended now, save what failed.
    const through = Math.min(until === Number.POSITIVE_INFINITY ? (o.slot + 1) * this.p : until + 1, ...left.map((u) => u.deliverMs));
    if (through > this.firedUntilMs && due.length > 0) {
      this.firedUntilMs = through;
      this.checkpoint.write(through);
    }
    return left.length === 0;
  }

  private gone(units: TimerUnit[], appended: boolean): void {
    for (const u of units) this.counts.pendingBytes -= u.length;
    this.counts.pending -= units.length;
    if (appended) this.counts.fired += units.length;
  }

  /** Sleeps until `at`, or until linked() or stop() wakes it. */
  private sleep(at: number): Promise<void> {
    if (this.closed) return Promise.resolve(); // stop() may have come while an append was under way, with no sleep to wake
    this.wakeAt = at;
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(t);
        this.wake = null;
        this.wakeAt = Number.POSITIVE_INFINITY;
        resolve();
      };
      const t = setTimeout(done, Math.max(1, at - Date.now()));
      this.wake = done;
    });
  }
}
