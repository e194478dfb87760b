// When timer-log appends reach the disk, by the broker's flush policy
// (mqlab.flush), as the storage engines do: `batch` syncs before a send is
// answered, appends of one event-loop turn sharing the sync (group commit);
// an interval syncs on a timer; `none` leaves it to the page cache (a
// SIGKILL loses nothing then, a power cut may).
import type { FlushPolicy } from '../../../storage/types.js';

export class TimerSync {
  private waiting: Promise<void> | null = null;
  private readonly timer: NodeJS.Timeout | null = null;

  constructor(private readonly policy: FlushPolicy, private readonly sync: () => void) {
    if (policy.kind === 'interval') {
      this.timer = setInterval(() => this.sync(), policy.intervalMs);
      this.timer.unref();
    }
  }

  /** Resolves when an append made before the call is as durable as the policy promises. */
  appended(): Promise<void> {
    if (this.policy.kind !== 'batch') return Promise.resolve();
    this.waiting ??= new Promise((resolve, reject) => {
      setImmediate(() => {
        this.waiting = null;
        try {
          this.sync();
          resolve();
        } catch (err) {
          reject(err as Error);
        }
      });
    });
    return this.waiting;
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }
}
