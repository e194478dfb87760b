// Producer ids for InitProducerId, unique across restarts: ids are handed
// out from blocks reserved in <data>/producer-ids.json (written and synced
// before any id of a block is used), so a crash skips at most a block.
import { existsSync, readFileSync } from 'node:fs';
import { writeFileAtomic } from './atomic-file.js';

const BLOCK = 1000n;

export class ProducerIds {
  private next = 0n;
  private reservedUntil = 0n;
  // transactional id -> [producer id, epoch]
  private readonly transactional = new Map<string, { producerId: bigint; epoch: number }>();

  constructor(private readonly file: string) {}

  open(): void {
    if (!existsSync(this.file)) return;
    const saved = JSON.parse(readFileSync(this.file, 'utf8')) as { reservedUntil: string; transactional?: [string, string, number][] };
    this.next = this.reservedUntil = BigInt(saved.reservedUntil);
    for (const [id, pid, epoch] of saved.transactional ?? []) this.transactional.set(id, { producerId: BigInt(pid), epoch });
  }

  /** A new producer id with epoch 0, or, for a transactional id seen before, its id with the next epoch. */
  allocate(transactionalId: string | null): { producerId: bigint; epoch: number } {
    if (transactionalId !== null) {
      const known = this.transactional.get(transactionalId);
      const r = known ? { producerId: known.producerId, epoch: known.epoch + 1 } : { producerId: this.take(), epoch: 0 };
      this.transactional.set(transactionalId, r);
      this.save();
      return r;
    }
    return { producerId: this.take(), epoch: 0 };
  }

  private take(): bigint {
    if (this.next >= this.reservedUntil) {
      this.reservedUntil = this.next + BLOCK;
      this.save();
    }
    return this.next++;
  }

  private save(): void {
    const transactional = [...this.transactional].map(([id, r]) => [id, String(r.producerId), r.epoch]);
    writeFileAtomic(this.file, JSON.stringify({ reservedUntil: String(this.reservedUntil), transactional }));
  }
}
