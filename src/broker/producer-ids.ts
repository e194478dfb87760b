// Producer ids for InitProducerId, unique across restarts: ids are handed
// out from blocks reserved in <data>/producer-ids.json (written and synced
// before any id of a block is used), so a crash skips at most a block.
import { existsSync, readFileSync } from 'node:fs';
import { writeFileAtomic } from './atomic-file.js';

const BLOCK = 1000n;

export class ProducerIds {
  private next = 0n;
  private reservedUntil = 0n;

  constructor(private readonly file: string) {}

  open(): void {
    if (!existsSync(this.file)) return;
    const saved = JSON.parse(readFileSync(this.file, 'utf8')) as { reservedUntil: string };
    this.next = this.reservedUntil = BigInt(saved.reservedUntil);
  }

  /** A producer id never handed out before (transactional ids keep theirs in the transaction log). */
  take(): bigint {
    if (this.next >= this.reservedUntil) {
      this.reservedUntil = this.next + BLOCK;
      this.save();
    }
    return this.next++;
  }

  private save(): void {
    writeFileAtomic(this.file, JSON.stringify({ reservedUntil: String(this.reservedUntil) }));
  }
}
