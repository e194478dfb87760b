// The producers of a peer run: each keeps a window of sends in flight,
// either flat out (as fast as acknowledgements come back) or paced to a
// rate, each message stamped with its producer, sequence and send time.
// Keys, when the workload asks for them, come from a seeded stream so a run
// can be repeated.
import type { PeerProducer } from './driver.js';
import type { Meter } from './meter.js';
import { nowMs, stamp } from './payload.js';
import type { Random } from '../random.js';

export class ProducerLoop {
  private sequence = 0;
  private inFlight = 0;
  private wakeUp: (() => void) | null = null;

  constructor(
    private readonly producer: PeerProducer,
    readonly index: number,
    private readonly template: Buffer,
    private readonly meter: Meter,
    /** Keys drawn from this many distinct values; null: no keys (OMB's NO_KEY). */
    private readonly keys: { count: number; random: Random } | null,
    private readonly window: number,
  ) {}

  private send(intendedMs: number | null): void {
    const seq = this.sequence++;
    const payload = stamp(this.template, this.index, seq);
    const sentMs = payload.readDoubleBE(8);
    const key = this.keys ? `key-${this.keys.random.int(0, this.keys.count - 1)}` : null;
    this.meter.noteSent(this.index, seq);
    this.inFlight++;
    this.producer.sendAsync(key, payload).then(
      () => this.meter.onAck(this.index, seq, sentMs, intendedMs),
      (err: unknown) => this.meter.onSendError(err),
    ).finally(() => {
      this.inFlight--;
      const w = this.wakeUp;
      this.wakeUp = null;
      w?.();
    });
  }

  private slot(): Promise<void> {
    return new Promise((resolve) => (this.wakeUp = resolve));
  }

  /** Sends as fast as the window allows until `untilMs` (performance.now()) or `count` messages, then waits for what is in flight. */
  async flatOut(untilMs: number, count = Infinity): Promise<void> {
    let sent = 0;
    while (performance.now() < untilMs && sent < count) {
      while (this.inFlight < this.window && sent < count) {
        this.send(null);
        sent++;
      }
      await this.slot();
    }
    await this.settle();
  }

  /**
   * Sends `rate` messages a second until `untilMs`, each at its intended
   * time (or as soon after as the window allows: the lateness is recorded
   * as publish delay, so a system that cannot keep up shows it rather than
   * hiding it by sending less often).
   */
  async paced(rate: number, untilMs: number): Promise<void> {
    const start = performance.now();
    const startEpoch = nowMs();
    let sent = 0;
    while (performance.now() < untilMs) {
      const due = Math.floor(((performance.now() - start) / 1000) * rate);
      while (sent < due && this.inFlight < this.window) {
        this.send(startEpoch + (sent / rate) * 1000);
        sent++;
      }
      if (sent < due) await this.slot();
      else await new Promise((r) => setTimeout(r, Math.max(1, Math.min(10, 1000 / rate))));
    }
    await this.settle();
  }

  /** Waits until nothing is in flight. */
  async settle(): Promise<void> {
    while (this.inFlight > 0) await this.slot();
  }
}
