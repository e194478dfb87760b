// Receipt handles: opaque to clients, to us the queue and offset of one
// delivery plus a token that no other delivery shares. The token carries
// this process's instance id, so a handle issued before a restart (whose
// in-flight state is gone) is recognised as such instead of matching a
// later delivery of the same offset.
import { randomBytes } from 'node:crypto';

export interface ParsedHandle {
  partition: number;
  offset: bigint;
  instance: string;
}

export class ReceiptHandles {
  readonly instance = randomBytes(6).toString('hex');
  private seq = 0;

  issue(partition: number, offset: bigint): string {
    return `1.${partition}.${offset}.${this.instance}.${(++this.seq).toString(36)}`;
  }
}

export function parseHandle(handle: string): ParsedHandle | null {
  const m = /^1\.(\d{1,9})\.(\d{1,19})\.([0-9a-f]{12})\.[0-9a-z]{1,13}$/.exec(handle);
  if (!m) return null;
  return { partition: Number(m[1]), offset: BigInt(m[2]!), instance: m[3]! };
}
