// Kafka's default partitioner for keyed records: murmur2 of the key bytes,
// made positive, modulo the partition count, so mqlab, the Java client,
// librdkafka (with partitioner=murmur2_random) and kafkajs put a key in the
// same partition.
export function murmur2(data: Buffer): number {
  const seed = 0x9747b28c;
  const m = 0x5bd1e995;
  const r = 24;
  const length = data.length;
  let h = (seed ^ length) | 0;
  const length4 = length >> 2;
  for (let i = 0; i < length4; i++) {
    const i4 = i * 4;
    let k = (data[i4]! & 0xff) + ((data[i4 + 1]! & 0xff) << 8) + ((data[i4 + 2]! & 0xff) << 16) + ((data[i4 + 3]! & 0xff) << 24);
    k = Math.imul(k, m);
    k ^= k >>> r;
    k = Math.imul(k, m);
    h = Math.imul(h, m);
    h ^= k;
  }
  const rest = length & 3;
  const at = length & ~3;
  if (rest === 3) h ^= (data[at + 2]! & 0xff) << 16;
  if (rest >= 2) h ^= (data[at + 1]! & 0xff) << 8;
  if (rest >= 1) {
    h ^= data[at]! & 0xff;
    h = Math.imul(h, m);
  }
  h ^= h >>> 13;
  h = Math.imul(h, m);
  h ^= h >>> 15;
  return h | 0;
}

/** The partition of a keyed record, as Kafka's DefaultPartitioner picks it. */
export function partitionForKey(key: Buffer, partitions: number): number {
  return (murmur2(key) & 0x7fffffff) % partitions;
}
