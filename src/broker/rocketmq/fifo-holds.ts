// FIFO delivery per message group, for one consumer group on one queue: at
// most one message of a message group is out at a time; messages of a busy
// group met by the scan are held back, in order, and the head of a group's
// holds goes out once its predecessor is acked or dead-lettered. Other
// message groups flow past a busy one: only the held offsets are kept (in
// memory), never the records.
export class FifoHolds {
  private readonly out = new Set<string>();
  private readonly waiting = new Map<string, bigint[]>();
  /** Offsets held back across all message groups. */
  held = 0;

  /** A message of `group` is out, or waits behind one: the next of the group must queue. */
  busy(group: string): boolean {
    return this.out.has(group) || this.waiting.has(group);
  }

  hold(group: string, offset: bigint): void {
    const list = this.waiting.get(group);
    if (list) list.push(offset);
    else this.waiting.set(group, [offset]);
    this.held++;
  }

  /** `group`'s message went out (again). */
  taken(group: string): void {
    this.out.add(group);
  }

  /** `group`'s message out was acked, dead-lettered or dropped: its next may go. */
  release(group: string): void {
    this.out.delete(group);
  }

  /** Heads of held groups with nothing out, lowest offset first. */
  ready(): { group: string; offset: bigint }[] {
    const r: { group: string; offset: bigint }[] = [];
    for (const [group, list] of this.waiting) if (!this.out.has(group)) r.push({ group, offset: list[0]! });
    return r.sort((a, b) => (a.offset < b.offset ? -1 : a.offset > b.offset ? 1 : 0));
  }

  /** Removes `group`'s head (which `ready` named). */
  shift(group: string): void {
    const list = this.waiting.get(group);
    if (!list) return;
    list.shift();
    this.held--;
    if (list.length === 0) this.waiting.delete(group);
  }

  lowest(): bigint | null {
    let min: bigint | null = null;
    for (const list of this.waiting.values()) if (min === null || list[0]! < min) min = list[0]!;
    return min;
  }

  /** Forgets held offsets outside [logStart, end): retention removed them, or the topic started over. */
  clamp(logStart: bigint, end: bigint): void {
    for (const [group, list] of [...this.waiting]) {
      const kept = list.filter((o) => o >= logStart && o < end);
      this.held -= list.length - kept.length;
      if (kept.length === 0) this.waiting.delete(group);
      else this.waiting.set(group, kept);
    }
  }
}
