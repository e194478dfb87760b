import { native } from './addon.js';

/**
 * CRC-32C (Castagnoli) of `data`, continuing from `crc` (0 to start), as
 * Kafka's record batch v2 uses. Hardware (SSE4.2, three interleaved streams)
 * where the CPU has it; see bench/crc32c for why this one and not a package.
 */
export const crc32c: (data: Uint8Array, crc?: number) => number = native.crc32c;
