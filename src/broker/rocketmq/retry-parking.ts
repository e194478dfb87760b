// One consumer group's retry topic holds the retries of every topic the
// group consumes, and a receive of one topic takes only that topic's
// (pop-service.ts). Records of other topics that its scan meets wait here,
// by topic, in offset order, for a receive of theirs: only their offsets,
// in memory (after a restart the scan from the committed offset finds them
// again). A group consumes a handful of topics, so the lowest waiting
// offset is found by looking at each topic's first.
export class RetryParking {
  private readonly byTopic = new Map<string, { offsets: number[]; head: number }>();
  /** Offsets waiting, across topics. */
  size = 0;

  park(topic: string, offset: number): void {
    const w = this.byTopic.get(topic);
    if (w) w.offsets.push(offset);
    else this.byTopic.set(topic, { offsets: [offset], head: 0 });
    this.size++;
  }

  /** The first offset waiting for `topic`, or null. */
  next(topic: string): number | null {
    const w = this.byTopic.get(topic);
    return w === undefined ? null : w.offsets[w.head]!;
  }

  /** Removes `topic`'s first (which `next` named). */
  shift(topic: string): void {
    const w = this.byTopic.get(topic);
    if (!w) return;
    this.size--;
    if (++w.head === w.offsets.length) this.byTopic.delete(topic);
    else if (w.head > 1024 && 2 * w.head > w.offsets.length) {
      w.offsets = w.offsets.slice(w.head);
      w.head = 0;
    }
  }

  lowest(): number | null {
    let low: number | null = null;
    for (const w of this.byTopic.values()) if (low === null || w.offsets[w.head]! < low) low = w.offsets[w.head]!;
    return low;
  }

  /** Forgets the offsets of topics `gone` says are (deleted: no receive will take them). */
  forget(gone: (topic: string) => boolean): void {
    for (const [topic, w] of [...this.byTopic]) {
      if (!gone(topic)) continue;
      this.size -= w.offsets.length - w.head;
      this.byTopic.delete(topic);
    }
  }

  /** Forgets offsets outside [logStart, end): retention removed them, or the topic started over. */
  clamp(logStart: number, end: number): void {
    for (const [topic, w] of [...this.byTopic]) {
      const kept = w.offsets.slice(w.head).filter((o) => o >= logStart && o < end);
      this.size -= w.offsets.length - w.head - kept.length;
      if (kept.length === 0) this.byTopic.delete(topic);
      else this.byTopic.set(topic, { offsets: kept, head: 0 });
    }
  }
}
