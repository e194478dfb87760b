// Offsets and times in ms are carried as Numbers inside the engines: exact
// below 2^53, as every real clock and offset is. A producer may still stamp
// a batch with anything up to 2^63 - 1, and the largest of those round up
// to 2^63 as Numbers, which no int64 is. Clamped here, they keep their
// order and encode, instead of failing the response or the index write
// that carries them (the Kafka fuzzer found both).
const INT64_MAX = 2n ** 63n - 1n;
const INT64_MIN = -(2n ** 63n);

/** A Number read from an int64 field, back to an int64 (clamped to its range). */
export function int64FromNumber(n: number): bigint {
  if (n >= 2 ** 63) return INT64_MAX;
  if (n < -(2 ** 63)) return INT64_MIN;
  return BigInt(n);
}

/**
 * The int64 at `at` as a Number, from its two 32-bit halves, without a
 * BigInt (Buffer's BigInt accessors cost several times more on the paths
 * that read one per batch): exact below 2^53; larger values come out
 * rounded, as any Number of them is.
 */
export function readInt64Number(buf: Buffer, at: number): number {
  return buf.readInt32BE(at) * 2 ** 32 + buf.readUInt32BE(at + 4);
}

/** A safe integer (an offset, a position, a time in ms) as the int64 at `at`, without a BigInt; returns the byte after it. */
export function writeInt64Number(buf: Buffer, at: number, value: number): number {
  buf.writeInt32BE(Math.floor(value / 2 ** 32), at);
  buf.writeUInt32BE(value >>> 0, at + 4);
  return at + 8;
}
