// What a consumer saw of what producers sent: per producer, each sequence
// number once (a bitmap), so a run ends with exact lost and duplicated
// counts rather than totals that hide a loss behind a duplicate.

/**
 * Sequences past this are no load tool's (a run sends millions, not 2^28):
 * a body stamped by something else, read as a stamp, is counted foreign
 * instead of growing a producer's bitmap to its sequence (32 MiB here; a
 * Kafka load tool's body read as a RocketMQ stamp named one of 10^8).
 */
export const MAX_TRACKED_SEQUENCE = 2 ** 28 - 1;

export class IntegrityTracker {
  private readonly seen = new Map<bigint, Uint8Array>();
  private readonly duplicatedBy = new Map<bigint, number>();
  duplicated = 0;
  received = 0;
  /** Stamps no load tool writes (a sequence out of range): counted, not tracked, and not received. */
  foreign = 0;

  /** Counts one sighting (as foreign, for a sequence no load tool sends). */
  add(producerId: bigint, sequence: number): void {
    if (!Number.isInteger(sequence) || sequence < 0 || sequence > MAX_TRACKED_SEQUENCE) {
      this.foreign++;
      return;
    }
    let bits = this.seen.get(producerId);
    if (!bits || bits.length * 8 <= sequence) {
      const grown = new Uint8Array(Math.max(1024, (bits?.length ?? 0) * 2, (sequence >> 3) + 1));
      if (bits) grown.set(bits);
      bits = grown;
      this.seen.set(producerId, bits);
    }
    const byte = sequence >> 3;
    const mask = 1 << (sequence & 7);
    this.received++;
    if (bits[byte]! & mask) {
      this.duplicated++;
      this.duplicatedBy.set(producerId, (this.duplicatedBy.get(producerId) ?? 0) + 1);
    } else bits[byte] = bits[byte]! | mask;
  }

  has(producerId: bigint, sequence: number): boolean {
    const bits = this.seen.get(producerId);
    return bits !== undefined && (bits[sequence >> 3]! & (1 << (sequence & 7))) !== 0;
  }

  /** Records of this producer seen more than once (each extra sighting counts). */
  duplicatesOf(producerId: bigint): number {
    return this.duplicatedBy.get(producerId) ?? 0;
  }

  /** Distinct sequences seen of a producer's [0, sent). */
  distinct(producerId: bigint, sent: number): number {
    const bits = this.seen.get(producerId);
    if (!bits) return 0;
    let n = 0;
    for (let s = 0; s < sent; s++) if (bits[s >> 3]! & (1 << (s & 7))) n++;
    return n;
  }

  /** Lost: sent (acknowledged or not, as the caller counts) but never seen. */
  report(run: string, sent: ReadonlyMap<bigint, number>): { run: string; sent: number; received: number; lost: number; duplicated: number } {
    let total = 0;
    let lost = 0;
    for (const [id, n] of sent) {
      total += n;
      lost += n - this.distinct(id, n);
    }
    return { run, sent: total, received: this.received, lost, duplicated: this.duplicated };
  }
}
