// The cleaner's key -> latest offset map over a dirty section, in a buffer
// of fixed size (log.cleaner.dedupe.buffer.size), as Kafka's SkimpyOffsetMap:
// a key is kept as its MD5 (16 bytes) beside its offset (8 bytes), in an
// open-addressing table. A JS Map of keys would hold the keys themselves,
// whose size nobody bounds; this holds 24 bytes an entry whatever the keys,
// so the memory is the setting and nothing else. Two keys with the same
// MD5 would share an entry (one would lose its older values early); at 128
// bits that is not a case to design for, as in Kafka.
import { hash } from 'node:crypto';

const HASH_BYTES = 16;
const ENTRY_BYTES = HASH_BYTES + 8;
/** Kafka's log.cleaner.io.buffer.load.factor default: past this a probe chain grows long. */
const LOAD_FACTOR = 0.9;
const EMPTY = -1;

export class OffsetMap {
  private readonly table: Buffer;
  private readonly slots: number;
  /** Entries the map takes before it counts as full. */
  readonly capacity: number;
  private entries = 0;
  /** The last offset put, so a pass knows where the map stops. */
  latestOffset = -1;
  private readonly probe = Buffer.allocUnsafe(HASH_BYTES);

  constructor(readonly memoryBytes: number) {
    this.slots = Math.floor(memoryBytes / ENTRY_BYTES);
    if (this.slots < 2) throw new RangeError(`a key map of ${memoryBytes} bytes is too small: ${ENTRY_BYTES} bytes an entry, two at least`);
    // One slot always stays empty, so a probe for a missing key ends.
    this.capacity = Math.min(this.slots - 1, Math.max(1, Math.floor(this.slots * LOAD_FACTOR)));
    this.table = Buffer.allocUnsafe(this.slots * ENTRY_BYTES);
    this.clear();
  }

  /** Bytes an entry takes: the map holds capacity of them. */
  static get entryBytes(): number {
    return ENTRY_BYTES;
  }

  get size(): number {
    return this.entries;
  }

  clear(): void {
    // All ones: every offset field reads -1 (EMPTY), in one memset.
    this.table.fill(0xff);
    this.entries = 0;
    this.latestOffset = -1;
  }

  /** Room for `n` more keys (each may be new). */
  fits(n: number): boolean {
    return this.entries + n <= this.capacity;
  }

  /** Records `offset` as the latest of `key`; offsets must be put in rising order. */
  put(key: Buffer, offset: number): void {
    const slot = this.find(key);
    const at = slot * ENTRY_BYTES;
    if (this.offsetAt(at) === EMPTY) {
      if (this.entries >= this.capacity) throw new RangeError('the key map is full');
      this.probe.copy(this.table, at);
      this.entries++;
    }
    this.table.writeIntBE(offset, at + HASH_BYTES, 6);
    this.latestOffset = offset;
  }

  /** The latest offset of `key`, or -1 if the map does not hold it. */
  get(key: Buffer): number {
    return this.offsetAt(this.find(key) * ENTRY_BYTES);
  }

  private offsetAt(at: number): number {
    return this.table.readIntBE(at + HASH_BYTES, 6);
  }

  /** The slot holding the key's hash, or the empty one where it would go (linear probing). */
  private find(key: Buffer): number {
    // The one-shot hash: a Hash object per key cost as much as the rest of the cleaning (profiled).
    (hash('md5', key, 'buffer') as unknown as Buffer).copy(this.probe);
    let slot = this.probe.readUInt32BE(0) % this.slots;
    for (;;) {
      const at = slot * ENTRY_BYTES;
      if (this.offsetAt(at) === EMPTY || this.table.compare(this.probe, 0, HASH_BYTES, at, at + HASH_BYTES) === 0) return slot;
      slot = (slot + 1) % this.slots;
    }
  }
}
