// The broker: storage, topics, groups and producer state behind the
// operations the Kafka protocol handlers (and the HTTP API) call. Answers
// carry Kafka error names; the protocol layer maps them to codes.
import { join } from 'node:path';
import { LOG_OVERHEAD_BYTES, readBatchHeader } from '../records/index.js';
import { createEngine } from '../storage/index.js';
import { StorageError } from '../storage/errors.js';
import { readRegionBytes } from '../storage/read-bytes.js';
import { tpKey, type FlushPolicy, type StorageEngine, type TopicPartition } from '../storage/types.js';
import { LiveTransfer } from '../transfer/index.js';
import type { FileRegion } from '../transfer/types.js';
import type { StrategyName } from '../native/addon.js';
import { AppendWatch } from './append-watch.js';
import { BrokerError } from './errors.js';
import { DEFAULT_COORDINATOR_SETTINGS, GroupCoordinator, type CoordinatorSettings } from './groups/coordinator.js';
import { OffsetStore } from './groups/offset-store.js';
import { ProducerIds } from './producer-ids.js';
import { ProducerStateTable } from './producer-state.js';
import { TopicRegistry } from './topics.js';

export interface BrokerConfig {
  dataDir: string;
  engine: string;
  flush: FlushPolicy;
  transfer: StrategyName;
  /** auto.create.topics.enable */
  autoCreateTopics: boolean;
  /** num.partitions: partitions of an auto-created topic */
  numPartitions: number;
  segmentBytes?: number;
  maxBatchBytes?: number;
  groups?: Partial<CoordinatorSettings>;
  log?: (message: string) => void;
}

export interface ProduceResult {
  error: string;
  baseOffset: bigint;
  logAppendTimeMs: bigint;
  logStartOffset: bigint;
  message?: string;
}

export interface FetchPartition {
  topic: string;
  partition: number;
  fetchOffset: bigint;
  maxBytes: number;
}

export interface FetchResult extends TopicPartition {
  error: string;
  highWatermark: bigint;
  logStartOffset: bigint;
  regions: FileRegion[];
  bytes: number;
}

const NO_OFFSET = -1n;

export class Broker {
  readonly engine: StorageEngine;
  readonly topics: TopicRegistry;
  readonly coordinator: GroupCoordinator;
  readonly transfer: LiveTransfer;
  readonly producers = new ProducerStateTable();
  private readonly offsets: OffsetStore;
  private readonly producerIds: ProducerIds;
  private readonly watch = new AppendWatch();
  private closed = false;

  constructor(readonly config: BrokerConfig) {
    this.engine = createEngine(config.engine, {
      dir: join(config.dataDir, 'log'),
      flush: config.flush,
      segmentBytes: config.segmentBytes,
      limits: config.maxBatchBytes ? { maxBatchBytes: config.maxBatchBytes } : undefined,
      log: config.log,
    });
    this.topics = new TopicRegistry(this.engine, join(config.dataDir, 'topics.json'));
    this.offsets = new OffsetStore(this.engine, this.topics);
    this.coordinator = new GroupCoordinator(this.offsets, { ...DEFAULT_COORDINATOR_SETTINGS, ...config.groups });
    this.producerIds = new ProducerIds(join(config.dataDir, 'producer-ids.json'));
    this.transfer = new LiveTransfer(config.transfer);
  }

  async open(): Promise<void> {
    await this.engine.open();
    this.topics.open();
    this.offsets.open();
    this.producerIds.open();
    for (const tp of this.engine.partitions()) this.rebuildProducerState(tp);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.watch.wakeAll();
    this.coordinator.shutdown();
    await this.engine.close();
  }

  /** The topic, created with num.partitions if auto-creation is on. */
  topic(name: string, autoCreate = this.config.autoCreateTopics): ReturnType<TopicRegistry['get']> {
    const t = this.topics.get(name);
    if (t || !autoCreate) return t;
    try {
      return this.topics.create(name, this.config.numPartitions);
    } catch {
      return undefined; // an illegal name: reported as unknown
    }
  }

  async produce(topic: string, partition: number, records: Buffer | null, nowMs = Date.now()): Promise<ProduceResult> {
    const fail = (error: string, message?: string): ProduceResult => ({ error, baseOffset: NO_OFFSET, logAppendTimeMs: NO_OFFSET, logStartOffset: NO_OFFSET, message });
    const t = this.topic(topic);
    if (!t || partition < 0 || partition >= t.partitions) return fail('UNKNOWN_TOPIC_OR_PARTITION');
    if (t.internal) return fail('INVALID_TOPIC_EXCEPTION', `${topic} is internal`);
    if (records === null || records.length < 61) return fail('CORRUPT_MESSAGE', 'no record batch');
    const tp = { topic, partition };
    const key = tpKey(tp);
    const h = readBatchHeader(records, 0);
    const idempotent = h.producerId >= 0n && h.baseSequence >= 0;
    if (idempotent) {
      if (h.batchLength + LOG_OVERHEAD_BYTES !== records.length) return fail('INVALID_RECORD', 'an idempotent produce carries exactly one batch');
      const check = this.producers.check(key, h.producerId, h.producerEpoch, h.baseSequence, h.recordCount);
      if (check.kind === 'error') return fail(check.code, check.message);
      if (check.kind === 'duplicate') {
        return { error: 'NONE', baseOffset: check.baseOffset, logAppendTimeMs: NO_OFFSET, logStartOffset: this.engine.logStartOffset(tp) };
      }
    }
    const before = this.engine.highWatermark(tp);
    const appending = this.engine.append(tp, records);
    // Offsets are assigned when append writes, before its promise settles:
    // record the producer's sequence now, so a pipelined next batch of the
    // same producer is checked against this one.
    const after = this.engine.highWatermark(tp);
    if (idempotent && after > before) {
      this.producers.record(key, h.producerId, h.producerEpoch, h.baseSequence, h.recordCount, before, after - 1n);
    }
    if (after > before) this.watch.notify(key);
    try {
      const r = await appending;
      return { error: 'NONE', baseOffset: r.baseOffset, logAppendTimeMs: NO_OFFSET, logStartOffset: r.logStartOffset };
    } catch (err) {
      if (err instanceof StorageError) return fail(err.code, err.message);
      throw err;
    }
  }

  /**
   * Reads each partition from its offset. Waits up to maxWaitMs for minBytes
   * (woken by appends). The first partition's first batch comes whole even
   * past maxBytes (KIP-74), so a consumer always makes progress.
   */
  async fetch(partitions: readonly FetchPartition[], maxWaitMs: number, minBytes: number, maxBytes: number): Promise<FetchResult[]> {
    const deadline = Date.now() + maxWaitMs;
    for (;;) {
      const results = this.readAll(partitions, maxBytes);
      const bytes = results.reduce((n, r) => n + r.bytes, 0);
      const remaining = deadline - Date.now();
      if (bytes >= minBytes || remaining <= 0 || this.closed || results.some((r) => r.error !== 'NONE')) return results;
      await this.watch.wait(
        partitions.map((p) => tpKey(p)),
        remaining,
      );
    }
  }

  private readAll(partitions: readonly FetchPartition[], maxBytes: number): FetchResult[] {
    let budget = maxBytes;
    return partitions.map((p, i) => {
      const tp = { topic: p.topic, partition: p.partition };
      const base = { topic: p.topic, partition: p.partition, highWatermark: NO_OFFSET, logStartOffset: NO_OFFSET, regions: [] as FileRegion[], bytes: 0 };
      const t = this.topics.get(p.topic);
      if (!t || p.partition < 0 || p.partition >= t.partitions) return { ...base, error: 'UNKNOWN_TOPIC_OR_PARTITION' };
      const hw = this.engine.highWatermark(tp);
      const start = this.engine.logStartOffset(tp);
      if (p.fetchOffset < start || p.fetchOffset > hw) return { ...base, error: 'OFFSET_OUT_OF_RANGE', highWatermark: hw, logStartOffset: start };
      const limit = Math.min(p.maxBytes, Math.max(budget, 0));
      if (limit <= 0 && i > 0) return { ...base, error: 'NONE', highWatermark: hw, logStartOffset: start };
      try {
        const r = this.engine.read(tp, p.fetchOffset, Math.max(limit, 1));
        budget -= r.bytes;
        return { ...base, error: 'NONE', highWatermark: r.highWatermark, logStartOffset: r.logStartOffset, regions: r.regions, bytes: r.bytes };
      } catch (err) {
        if (err instanceof StorageError) return { ...base, error: err.code, highWatermark: hw, logStartOffset: start };
        throw err;
      }
    });
  }

  /** ListOffsets: -1 latest, -2 earliest, else the first offset at or after the time (-1 if none). */
  listOffset(topic: string, partition: number, timestampMs: bigint): { error: string; offset: bigint; timestamp: bigint } {
    const t = this.topics.get(topic);
    if (!t || partition < 0 || partition >= t.partitions) return { error: 'UNKNOWN_TOPIC_OR_PARTITION', offset: NO_OFFSET, timestamp: NO_OFFSET };
    const tp = { topic, partition };
    if (timestampMs === -1n) return { error: 'NONE', offset: this.engine.highWatermark(tp), timestamp: NO_OFFSET };
    if (timestampMs === -2n) return { error: 'NONE', offset: this.engine.logStartOffset(tp), timestamp: NO_OFFSET };
    const o = this.engine.offsetForTime(tp, timestampMs);
    return { error: 'NONE', offset: o ?? NO_OFFSET, timestamp: o === null ? NO_OFFSET : timestampMs };
  }

  initProducerId(transactionalId: string | null): { producerId: bigint; epoch: number } {
    return this.producerIds.allocate(transactionalId);
  }

  setTransferStrategy(name: string): void {
    this.transfer.set(name);
  }

  /** Producer sequences from the batch headers in the log, so idempotence survives a restart. */
  private rebuildProducerState(tp: TopicPartition): void {
    const key = tpKey(tp);
    let offset = this.engine.logStartOffset(tp);
    const hw = this.engine.highWatermark(tp);
    while (offset < hw) {
      const bytes = readRegionBytes(this.engine.read(tp, offset, 4 * 1024 * 1024).regions);
      let at = 0;
      let next = offset;
      while (at + 61 <= bytes.length) {
        const h = readBatchHeader(bytes, at);
        const size = h.batchLength + LOG_OVERHEAD_BYTES;
        if (at + size > bytes.length) break;
        if (h.producerId >= 0n && h.baseSequence >= 0) {
          this.producers.record(key, h.producerId, h.producerEpoch, h.baseSequence, h.recordCount, h.baseOffset, h.baseOffset + BigInt(h.lastOffsetDelta));
        }
        next = h.baseOffset + BigInt(h.lastOffsetDelta) + 1n;
        at += size;
      }
      if (next === offset) throw new BrokerError('KAFKA_STORAGE_ERROR', `${key}: cannot read on from offset ${offset}`);
      offset = next;
    }
  }
}
