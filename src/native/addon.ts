// Loads the compiled addon (build/Release/mqlab_native.node) and types it.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export type StrategyName = 'sendfile' | 'mmap' | 'copy';
export const STRATEGY_NAMES: readonly StrategyName[] = ['sendfile', 'mmap', 'copy'];

export interface SyscallCounts {
  sendfile: number;
  write: number;
  writev: number;
  send: number;
  pread: number;
  mmap: number;
  munmap: number;
  fstat: number;
  dup: number;
  close: number;
}

/** What one strategy asked of the kernel since the last reset. */
export interface StrategyCounters {
  sends: number;
  /** Finished inside the first synchronous attempt. */
  sendsInline: number;
  /** Had to wait for the socket to become writable. */
  sendsDeferred: number;
  sendsFailed: number;
  writableWaits: number;
  eagain: number;
  /** Log bytes delivered to sockets. */
  fileBytes: number;
  /** Response-header bytes delivered to sockets (same for every strategy). */
  headerBytes: number;
  /** Log bytes the CPU copied: 0 for sendfile, 1x for mmap, 2x for copy. */
  copiedBytes: number;
  syscalls: SyscallCounts;
}

export type TransferCounters = Record<StrategyName, StrategyCounters>;

interface NativeAddon {
  send(strategy: number, fd: number, header: Buffer | null, regions: Float64Array | null, onDone: (err: Error | null) => void): number;
  /** The design not chosen, kept for the benchmark: a thread-pool send. */
  sendOnThreadPool(strategy: number, fd: number, header: Buffer | null, regions: Float64Array | null, onDone: (err: Error | null) => void): void;
  cancel(id: number): boolean;
  pendingCount(): number;
  counters(): TransferCounters;
  resetCounters(): void;
  mapCacheForget(fd: number): void;
  mapCacheClear(): void;
  mapCacheSize(): number;
  /** A log file's bytes from the mmap strategy's windows, held until collected; null where pread must read them (native/mapped_read.cc). */
  mapRead(fd: number, position: number, length: number): Buffer | null;
  /** The kept ArrayBuffer of the mapping's chunk (mapChunkBytes, at a multiple of it in the file) holding a log file's bytes; null where they cross a chunk or mapRead answers null. */
  mapChunk(fd: number, position: number, length: number): ArrayBuffer | null;
  mapChunkBytes: number;
  map(fd: number, offset: number, length: number, writable: boolean): ArrayBuffer;
  unmap(mapping: ArrayBuffer): void;
  msync(mapping: ArrayBuffer, offset: number, length: number): void;
  crc32c(data: Uint8Array, crc?: number): number;
  crc32cSoftware(data: Uint8Array): number;
  crc32cHardware: boolean;
  /** CRC-32 (IEEE, node:zlib's), by PCLMULQDQ where the CPU has it (native/crc32.cc). */
  crc32(data: Uint8Array): number;
  /** An ack's receipt handles (buf[spans[2i], spans[2i + 1])): per handle kind (-1 none, 0, 1 retry), queue, offset, token index into rows; each token's start and end into tokens; returns the tokens. */
  rmqParseHandles(buf: Buffer, spans: Float64Array, count: number, rows: Float64Array, tokens: Float64Array): number;
  /** An AckMessageResponse of status `ok` (its encoded fields) and each entry (bytes[spans[2i], spans[2i + 1])) echoed with it, into out; the bytes written, or -1 where it does not fit. */
  rmqAckEcho(out: Buffer, bytes: Buffer, spans: Float64Array, count: number, ok: Uint8Array): number;
  rmqScanRecords(buf: Buffer, start: number, end: number, count: number, lastOffsetDelta: number, table: Float64Array): number;
  rmqScanBatches(buf: Buffer, at: number, minOffset: number, table: Float64Array, info: Float64Array, prefetchAhead?: number): number;
  rmqEncodeDeliveries(out: Buffer, sources: readonly Buffer[], table: Float64Array, count: number, fixed: Buffer, topicLength: number, storeLength: number, partition: number, invisibleMs: number): number;
  /** One non-blocking writev of `buffers` to a socket: the bytes written, or minus errno (native/socket_write.cc). */
  writeSome(fd: number, buffers: readonly Buffer[]): number;
  /** A plain SendMessageRequest read into its record batch (native/rmq_send.cc); info: topic span, queue, MessageType's number, largest body, count, id spans; tag codes into codes from codesAt. Null for the JavaScript path. */
  rmqEncodeSend(request: Buffer, nowMs: number, maxPropertyBytes: number, info: Float64Array, codes: BigInt64Array, codesAt: number, into: Buffer): number | null;
  /** The SendMessageResponse of `count` messages stored from offset `base` on, ids[spans[2i], spans[2i+1]) message i's id, `ok` the encoded OK Status, into `out` (native/rmq_send_answer.cc): the bytes written, or -1 if `out` is too small. */
  rmqStoredAnswer(out: Buffer, ids: Buffer, spans: Float64Array, count: number, base: number, ok: Uint8Array): number;
}

export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error('mqlab: package.json not found above ' + fileURLToPath(import.meta.url));
    dir = up;
  }
  return dir;
}

function load(): NativeAddon {
  const path = join(packageRoot(), 'build', 'Release', 'mqlab_native.node');
  if (!existsSync(path)) {
    throw new Error(`mqlab: native addon not built (${path} missing); run \`npm install\` or \`npm run build\``);
  }
  return createRequire(import.meta.url)(path) as NativeAddon;
}

export const native: NativeAddon = load();
