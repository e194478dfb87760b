// Wakes fetches that long-poll (max_wait_ms, min_bytes) when data arrives
// in a partition they wait on.
export class AppendWatch {
  private readonly waiters = new Map<string, Set<() => void>>();

  notify(key: string): void {
    const set = this.waiters.get(key);
    if (!set) return;
    this.waiters.delete(key);
    for (const wake of set) wake();
  }

  /** Resolves on the first append to any of `keys`, or after `timeoutMs`. */
  wait(keys: readonly string[], timeoutMs: number): Promise<'append' | 'timeout'> {
    return new Promise((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const done = (why: 'append' | 'timeout'): void => {
        clearTimeout(timer);
        for (const k of keys) this.waiters.get(k)?.delete(wake);
        resolve(why);
      };
      const wake = (): void => done('append');
      for (const k of keys) {
        let set = this.waiters.get(k);
        if (!set) this.waiters.set(k, (set = new Set()));
        set.add(wake);
      }
      timer = setTimeout(() => done('timeout'), Math.max(0, timeoutMs));
    });
  }

  /** Wakes everyone (shutdown). */
  wakeAll(): void {
    for (const key of [...this.waiters.keys()]) this.notify(key);
  }

  get waiting(): number {
    let n = 0;
    for (const s of this.waiters.values()) n += s.size;
    return n;
  }
}
