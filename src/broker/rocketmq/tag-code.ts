// RocketMQ's tag code (MessageExtBrokerInner.tagsString2tagsCode): Java's
// String.hashCode of the tag, sign-extended to 64 bits, which the storage
// engines keep per offset (the consume-queue entry's tagsCode, a segment's
// tag index) so a consumer filtering by tag can pass over records without
// reading them. Two codes are ours: 0, "not known" (indexed before the
// topic carried RocketMQ properties, a compressed batch, a rebuilt index; a
// tag whose hash is 0 falls here too), which the reader must read; and
// NO_TAG, a record known to have no tag, outside the hash's int32 range.
// A matching code still only says "maybe": different tags share hashes
// ("Aa" and "BB"), so the reader re-checks the tag string.
import { compressionOf, decodeBatch, isControl, LOG_OVERHEAD_BYTES, readBatchHeader, BATCH_HEADER_BYTES } from '../../records/index.js';
import { H_TAG } from './message-record.js';
import type { TagFilter } from './tag-filter.js';

export const UNKNOWN_TAG_CODE = 0n;
export const NO_TAG_CODE = -(2n ** 63n);

/** Java's String.hashCode (UTF-16 code units), as a signed 32-bit value. */
export function javaHashCode(s: string): number {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (Math.imul(31, h) + s.charCodeAt(i)) | 0;
  return h;
}

export function tagCode(tag: string | null): bigint {
  return tag === null ? NO_TAG_CODE : BigInt(javaHashCode(tag));
}

/** Codes of batches built here (message-batch.ts), so they are not decoded again to find their tags. */
const remembered = new WeakMap<Buffer, BigInt64Array>();

/** The codes tagCodesOf is to give for `batch` (one whole uncompressed batch, not to be changed after): what decoding it would give. */
export function rememberTagCodes(batch: Buffer, codes: BigInt64Array): void {
  remembered.set(batch, codes);
}

/**
 * A code per offset of a produce request's batches (as Broker.produce gets
 * them), for the engine's tag index; null if the bytes are not whole
 * batches (the append will refuse them anyway).
 */
export function tagCodesOf(batches: Buffer): BigInt64Array | null {
  const known = remembered.get(batches);
  if (known) {
    remembered.delete(batches);
    return known;
  }
  const perBatch: BigInt64Array[] = [];
  let total = 0;
  for (let at = 0; at < batches.length; ) {
    if (at + BATCH_HEADER_BYTES > batches.length) return null;
    const h = readBatchHeader(batches, at);
    const size = h.batchLength + LOG_OVERHEAD_BYTES;
    if (h.lastOffsetDelta < 0 || at + size > batches.length) return null;
    const codes = new BigInt64Array(h.lastOffsetDelta + 1); // 0: not known
    if (!isControl(h.attributes) && compressionOf(h.attributes) === 'none') {
      try {
        for (const r of decodeBatch(batches, at).records) {
          if (r.offsetDelta < 0 || r.offsetDelta >= codes.length) continue;
          const tag = r.headers.find((x) => x.key === H_TAG && x.value !== null);
          codes[r.offsetDelta] = tagCode(tag ? tag.value!.toString() : null);
        }
      } catch {
        return null;
      }
    }
    perBatch.push(codes);
    total += codes.length;
    at += size;
  }
  const out = new BigInt64Array(total);
  let i = 0;
  for (const c of perBatch) {
    out.set(c, i);
    i += c.length;
  }
  return out;
}

/** Whether a record with tag code `code` may match `filter` (false means it surely does not). */
export function codeMayMatch(filter: TagFilter, codes: ReadonlySet<bigint>, code: bigint): boolean {
  if (filter.all || code === UNKNOWN_TAG_CODE) return true;
  return code !== NO_TAG_CODE && codes.has(code);
}

/** The codes of a filter's tags; null for a SQL92 filter, which no code can rule out. */
export function filterCodes(filter: TagFilter): Set<bigint> | null {
  if (filter.all) return new Set();
  if (filter.sql) return null;
  return new Set([...filter.tags].map((t) => tagCode(t)));
}
