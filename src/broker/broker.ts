// The broker: storage, topics, groups and producer state behind the
// operations the Kafka protocol handlers (and the HTTP API) call. Answers
// carry Kafka error names; the protocol layer maps them to codes.
import { join } from 'node:path';
import { checkProduce } from './produce-checks.js';
import { createEngine } from '../storage/index.js';
import { StorageError } from '../storage/errors.js';
import { tpKey, type LogCleanerControl, type StorageEngine } from '../storage/types.js';
import { LiveTransfer } from '../transfer/index.js';
import { AppendWatch } from './append-watch.js';
import { readPartitions, releaseFetched, type FetchPartition, type FetchResult, type Isolation } from './fetch-read.js';
import { DEFAULT_EVICTION_MS, FetchSessionCache } from './fetch-sessions.js';
import { listOffset, type ListedOffset } from './list-offset.js';
import { BROKER_CONFIG_DEFAULTS } from './configs.js';
import { BrokerConfigs } from './broker-configs.js';
import { retentionPolicyOf, rollPolicyOf, startCleaner } from './compaction.js';
import { openSecurity, type BrokerSecurity } from './security/index.js';
import { GroupConfigs } from './group-configs.js';
import { MESSAGE_TYPE_CONFIG } from './rocketmq/message-type.js';
import { tagCodesOf } from './rocketmq/tag-code.js';
import { DEFAULT_COORDINATOR_SETTINGS, GroupCoordinator } from './groups/coordinator.js';
import { OffsetStore } from './groups/offset-store.js';
import { ProducerIds } from './producer-ids.js';
import { ProducerStateTable } from './producer-state.js';
import { ProducerSnapshots, type RestoreReport } from './producer-snapshots.js';
import { Transactions } from './txn/transactions.js';
import { staticSettings } from './static-settings.js';
import { storageMaxOpenFiles } from './open-files.js';
import { processOpenFileLimit } from '../storage/file-limit.js';
import { TopicRegistry, type TopicChanges, type TopicInfo } from './topics.js';
import { TopicAdmin } from './topic-admin.js';
import type { BrokerConfig } from './broker-config.js';
import type { ErrorName } from '../protocol/kafka/error-codes.js';

export type { BrokerConfig } from './broker-config.js';

/** acks=0 and 1 answer once the batch is written; -1 at the flush policy's durability point. */
export type Acks = 0 | 1 | -1;

export interface ProduceResult {
  error: ErrorName;
  baseOffset: bigint;
  logAppendTimeMs: bigint;
  logStartOffset: bigint;
  message?: string;
}

/** The Kafka Produce request a batch came in. */
export interface ProduceRequestInfo {
  /** v13+: the id the request names the topic by. A topic deleted and created again under the name is another; none is ever created. */
  topicId?: string;
  /**
   * 'internal': the broker encoded these batches itself (a RocketMQ send by
   * native/rmq_send.cc or message-batch.ts; a DLQ or retry copy, a
   * committed half message by encodeBatch) and computed their CRC as it
   * wrote them. They are framed and sized, not checked again, as
   * RocketMQ's broker computes a message's CRC on put and does not verify
   * it there; a Kafka producer's batches always are.
   */
  origin?: 'internal';
}

/** Broker.produce's request info for batches the broker encoded itself. */
export const BROKER_BUILT: ProduceRequestInfo = Object.freeze({ origin: 'internal' });

/** What the broker tells observers (the HTTP API's metrics) of its traffic. */
export interface BrokerObserver {
  /** A produce to one partition answered; `bytes` of record batches; `ms` from call to answer. */
  produced(result: ProduceResult, bytes: number, ms: number): void;
  /** A fetch answered (long-poll wait included). */
  fetched(results: readonly FetchResult[], ms: number): void;
  /** A call that threw (a bug, or a storage failure with no Kafka error). */
  failed(what: 'produce' | 'fetch'): void;
  /** A fetch found less than it asked for and now waits for an append to these partitions (long polling). */
  waiting?(partitions: readonly FetchPartition[]): void;
}

export { releaseFetched, type FetchPartition, type FetchResult, type Isolation } from './fetch-read.js';

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
  private readonly observers: BrokerObserver[] = [];
  private retentionTimer: NodeJS.Timeout | null = null;
  private snapshots: ProducerSnapshots | null = null;
  /** CreateTopics, DeleteTopics, CreatePartitions, DeleteRecords, topic configs (topic-admin.ts). */
  private readonly topicAdmin: TopicAdmin;
  /** How the last open() restored producer state: from the snapshot, or by scanning the logs. */
  producerStateRestore: RestoreReport | null = null;
  /** Kafka transactions: the coordinator, and each partition's open and aborted ones. */
  readonly transactions: Transactions;
  /**
   * ApiVersions' FinalizedFeaturesEpoch: clients keep the features of the
   * highest epoch they have seen, so it is the start time, which a restart
   * with another transaction.version passes.
   */
  readonly featuresEpoch = BigInt(Date.now());
  readonly configs: BrokerConfigs;
  /** Per consumer group (RocketMQ consumption: delivery attempts, retry backoff, FIFO). */
  readonly groupConfigs: GroupConfigs;
  /** Incremental fetch sessions (KIP-227), broker-wide: they outlive the connection that opened them. */
  readonly fetchSessions: FetchSessionCache;
  /** The engine's log cleaner (compacted topics), once open; null where the engine has none or log.cleaner.enable=false. */
  cleaner: LogCleanerControl | null = null;
  /** Users, ACLs and the authorizer: one for every protocol. */
  readonly security: BrokerSecurity;

  constructor(readonly config: BrokerConfig) {
    const settings = staticSettings(config);
    const setting = (name: string): number => Number(settings[name] ?? BROKER_CONFIG_DEFAULTS[name]);
    // First: a users or ACL file that cannot be read stops the start before any log is opened.
    this.security = openSecurity(config.dataDir, (name) => settings[name] ?? BROKER_CONFIG_DEFAULTS[name] ?? '', (m) => config.log?.(m));
    this.engine = createEngine(config.engine, {
      dir: join(config.dataDir, 'log'),
      flush: config.flush,
      segmentBytes: config.segmentBytes,
      retention: { retentionMs: setting('log.retention.ms'), retentionBytes: setting('log.retention.bytes') },
      // The topic registry refuses partitions past mqlab.max.partitions first; the engine's own limit must not be lower.
      limits: { maxPartitions: setting('mqlab.max.partitions'), ...(config.maxBatchBytes ? { maxBatchBytes: config.maxBatchBytes } : {}) },
      maxOpenFiles: storageMaxOpenFiles(setting('mqlab.storage.max.open.files'), config.openFileLimit === undefined ? processOpenFileLimit() : config.openFileLimit, config.maxSockets ?? setting('max.connections')),
      log: config.log,
    });
    this.topics = new TopicRegistry(this.engine, join(config.dataDir, 'topics.json'), { maxPartitionsPerTopic: 10_000, maxPartitions: setting('mqlab.max.partitions') }, (t) => {
      // Each partition rolls by its topic's segment.bytes / segment.ms (a compacted log is cleaned up to its active segment).
      const policy = rollPolicyOf(this.configs, t.configs);
      for (let p = 0; p < t.partitions; p++) if (this.topics.holds(t, p)) this.engine.setRollPolicy?.({ topic: t.name, partition: p }, policy);
    });
    this.offsets = new OffsetStore(this.engine, this.topics);
    this.coordinator = new GroupCoordinator(this.offsets, { ...DEFAULT_COORDINATOR_SETTINGS, ...config.groups }, config.groupClock, this.topics);
    this.producerIds = new ProducerIds(join(config.dataDir, 'producer-ids.json'));
    this.transactions = new Transactions({
      engine: this.engine,
      topics: this.topics,
      producers: this.producers,
      groups: this.coordinator,
      watch: this.watch,
      newProducerId: () => this.producerIds.take(),
      settings: { maxTimeoutMs: setting('transaction.max.timeout.ms'), idExpirationMs: setting('transactional.id.expiration.ms'), maxIds: setting('mqlab.transactional.ids.max'), transactionVersion: setting('transaction.version') },
      now: config.txnClock,
      markerElsewhere: config.node?.markerElsewhere,
      coordinatorElsewhere: config.node?.coordinatorElsewhere,
    });
    this.transfer = new LiveTransfer(config.transfer);
    this.configs = new BrokerConfigs(settings, join(config.dataDir, 'configs.json'), (name, value) => {
      if (name === 'transfer.strategy') this.transfer.set(value);
    });
    this.groupConfigs = new GroupConfigs(join(config.dataDir, 'group-configs.json'));
    this.topicAdmin = new TopicAdmin({ engine: this.engine, topics: this.topics, coordinator: this.coordinator, producers: this.producers, transactions: this.transactions, watch: this.watch });
    this.fetchSessions = new FetchSessionCache(
      {
        maxSessions: setting('max.incremental.fetch.session.cache.slots'),
        maxPartitionsPerSession: setting('mqlab.fetch.session.max.partitions'),
        maxPartitions: setting('mqlab.fetch.session.cache.max.partitions'),
        evictionMs: DEFAULT_EVICTION_MS,
      },
      config.fetchSessionClock,
    );
  }

  async open(): Promise<void> {
    await this.engine.open();
    this.topics.open();
    this.offsets.open();
    this.producerIds.open();
    const snapshots = new ProducerSnapshots(this.config.dataDir, this.engine, this.topics, this.producers, this.transactions, (m) => this.config.log?.(m));
    this.producerStateRestore = snapshots.restore();
    // Only a whole restore is ever snapshotted (close() after a failed open writes none).
    this.snapshots = snapshots;
    await this.transactions.open();
    this.configs.open();
    this.groupConfigs.open();
    this.snapshots.start(Number(this.configs.get('mqlab.producer.snapshot.interval.ms')));
    this.cleaner = startCleaner(this.engine, this.configs, this.topics);
    this.cleaner?.onCleaned((r) => this.config.log?.(`log cleaner: ${r.tp.topic}-${r.tp.partition}: cleaned to offset ${r.endOffset}: ${r.recordsRead - r.recordsKept} of ${r.recordsRead} records removed, ${r.segmentsBefore} -> ${r.segmentsAfter} segments, ${r.bytesRead} bytes read, ${r.bytesWritten} written in ${Math.round(r.elapsedMs)} ms (${Math.round(r.throttledMs)} ms throttled)`));
    const every = this.config.retentionCheckIntervalMs ?? 0;
    if (every > 0) {
      this.retentionTimer = setInterval(() => {
        this.enforceRetention().catch((err: Error) => this.config.log?.(`retention failed: ${err.message}`));
      }, every);
      this.retentionTimer.unref();
    }
    this.transactions.startExpiry(Number(this.configs.get('transaction.abort.timed.out.transaction.cleanup.interval.ms')), (m) => this.config.log?.(m));
  }

  /** Runs retention now: each topic's retention.ms/retention.bytes, else the broker's. */
  async enforceRetention(): Promise<void> {
    await this.engine.enforceRetention(retentionPolicyOf(this.configs, this.topics));
    // Aborted transactions whose markers retention deleted are of no use to any fetch.
    for (const tp of this.engine.partitions()) this.transactions.partitions.truncateHead(tpKey(tp), this.engine.logStartOffset(tp));
  }

  /** CreateTopics: the topic with its configs, all checked first; with validateOnly, only checked (null). */
  createTopic(name: string, partitions: number, configs: Record<string, string> = {}, validateOnly = false): TopicInfo | null {
    return this.topicAdmin.createTopic(name, partitions, configs, validateOnly);
  }

  deleteTopic(name: string): Promise<void> {
    return this.topicAdmin.deleteTopic(name);
  }

  createPartitions(name: string, count: number, validateOnly = false): Promise<void> {
    return this.topicAdmin.createPartitions(name, count, validateOnly);
  }

  deleteRecords(topic: string, partition: number, offset: bigint): Promise<bigint> {
    return this.topicAdmin.deleteRecords(topic, partition, offset);
  }

  alterTopicConfigs(topic: string, changes: readonly { name: string; value: string | null }[], validateOnly = false): void {
    this.topicAdmin.alterTopicConfigs(topic, changes, validateOnly);
  }

  /** Makes this node's topics the controller's (topic-admin.ts): all of them, or what changed there since it last said. */
  mirrorTopics(wanted: readonly TopicInfo[] | TopicChanges): Promise<void> {
    return 'changed' in wanted ? this.topicAdmin.mirrorChanges(wanted) : this.topicAdmin.mirror(wanted);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.retentionTimer) clearInterval(this.retentionTimer);
    this.transactions.stopExpiry();
    this.watch.wakeAll();
    this.coordinator.shutdown();
    const snapshots = this.snapshots;
    await snapshots?.stop();
    // Made now, written once the engine has written every append it took: the next start scans none of this log.
    const snapshot = snapshots?.encode();
    await this.engine.close();
    if (snapshot) snapshots!.writeNow(snapshot);
  }

  /** The topic, created with num.partitions if auto-creation is on. */
  topic(name: string, autoCreate?: boolean): ReturnType<TopicRegistry['get']> {
    const t = this.topics.get(name);
    // The setting is read only for a topic not there: every produce asks for its topic.
    if (t || this.config.node?.createsTopics === false || !(autoCreate ?? this.configs.get('auto.create.topics.enable') === 'true')) return t;
    try {
      return this.topics.create(name, Number(this.configs.get('num.partitions')));
    } catch {
      return undefined; // an illegal name: reported as unknown
    }
  }

  /** Hears of every produce and fetch, whichever protocol asked (the metrics). */
  observe(observer: BrokerObserver): void {
    this.observers.push(observer);
  }

  /** `transactionalId`: the Produce request's, which a transactional batch must carry; `request`: that request, when a Kafka client sent one. */
  async produce(topic: string, partition: number, records: Buffer | null, acks: Acks = -1, transactionalId: string | null = null, request?: ProduceRequestInfo): Promise<ProduceResult> {
    if (this.observers.length === 0) return this.produceOnce(topic, partition, records, acks, transactionalId, request);
    const started = performance.now();
    try {
      const r = await this.produceOnce(topic, partition, records, acks, transactionalId, request);
      for (const o of this.observers) o.produced(r, records?.length ?? 0, performance.now() - started);
      return r;
    } catch (err) {
      for (const o of this.observers) o.failed('produce');
      throw err;
    }
  }

  private async produceOnce(topic: string, partition: number, records: Buffer | null, acks: Acks, transactionalId: string | null, request?: ProduceRequestInfo): Promise<ProduceResult> {
    const fail = (error: ErrorName, message?: string): ProduceResult => ({ error, baseOffset: NO_OFFSET, logAppendTimeMs: NO_OFFSET, logStartOffset: NO_OFFSET, message });
    const topicId = request?.topicId;
    const t = topicId === undefined ? this.topic(topic) : this.topics.get(topic);
    if (topicId !== undefined && t?.id !== topicId) return fail('UNKNOWN_TOPIC_ID');
    if (!t || partition < 0 || partition >= t.partitions) return fail('UNKNOWN_TOPIC_OR_PARTITION');
    if (!this.topics.leads(t, partition)) return fail('NOT_LEADER_OR_FOLLOWER', `${topic}-${partition} is led by another node`);
    if (t.internal) return fail('INVALID_TOPIC_EXCEPTION', `${topic} is internal`);
    if (records === null || records.length < 61) return fail('CORRUPT_MESSAGE', 'no record batch');
    const tp = { topic, partition };
    const key = tpKey(tp);
    const check = checkProduce(t, partition, key, records, this.producers, this.transactions, transactionalId);
    if (check.kind === 'refused') return fail(check.error, check.message);
    if (check.kind === 'duplicate') return { error: 'NONE', baseOffset: check.baseOffset, logAppendTimeMs: NO_OFFSET, logStartOffset: this.engine.logStartOffset(tp) };
    const { header: h, idempotent } = check;
    let before: bigint;
    try {
      before = this.engine.highWatermark(tp);
    } catch (err) {
      // A topic whose partitions are being deleted (or created) right now.
      if (err instanceof StorageError) return fail(err.code, err.message);
      throw err;
    }
    // Topics that declare a RocketMQ message type carry RocketMQ properties:
    // their records' tags go to the engine's tag index. Others stay zero-parse.
    const tagCodes = t.configs[MESSAGE_TYPE_CONFIG] !== undefined ? (tagCodesOf(records) ?? undefined) : undefined;
    const appending = this.engine.append(tp, records, { awaitFlush: acks === -1, tagCodes, origin: request?.origin });
    // Offsets are assigned when append writes, before its promise settles:
    // record the producer's sequence now, so a pipelined next batch of the
    // same producer is checked against this one.
    const after = this.engine.highWatermark(tp);
    if (idempotent && after > before) {
      this.producers.record(key, h.producerId, h.producerEpoch, h.baseSequence, h.recordCount, before, after - 1n, h.maxTimestamp);
      this.transactions.onBatch(key, h, before);
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
  async fetch(partitions: readonly FetchPartition[], maxWaitMs: number, minBytes: number, maxBytes: number, isolation: Isolation = 'uncommitted'): Promise<FetchResult[]> {
    if (this.observers.length === 0) return this.fetchOnce(partitions, maxWaitMs, minBytes, maxBytes, isolation);
    const started = performance.now();
    try {
      const results = await this.fetchOnce(partitions, maxWaitMs, minBytes, maxBytes, isolation);
      for (const o of this.observers) o.fetched(results, performance.now() - started);
      return results;
    } catch (err) {
      for (const o of this.observers) o.failed('fetch');
      throw err;
    }
  }

  private async fetchOnce(partitions: readonly FetchPartition[], maxWaitMs: number, minBytes: number, maxBytes: number, isolation: Isolation): Promise<FetchResult[]> {
    const deadline = Date.now() + maxWaitMs;
    for (;;) {
      const results = readPartitions(this.engine, this.topics, partitions, maxBytes, this.transactions.partitions, isolation);
      const bytes = results.reduce((n, r) => n + r.bytes, 0);
      const remaining = deadline - Date.now();
      // Nothing asked for is answered at once, as Kafka's ReplicaManager does: no append could wake it.
      if (bytes >= minBytes || remaining <= 0 || this.closed || partitions.length === 0 || results.some((r) => r.error !== 'NONE')) return results;
      // Not enough yet: read again when woken, so hold nothing meanwhile.
      releaseFetched(results);
      for (const o of this.observers) o.waiting?.(partitions);
      await this.watch.wait(
        partitions.map((p) => tpKey(p)),
        remaining,
      );
    }
  }

  /** ListOffsets for one partition (list-offset.ts): a special timestamp, or a time; read_committed's latest is the last stable offset. */
  listOffset(topic: string, partition: number, timestampMs: bigint, isolation: Isolation = 'uncommitted'): ListedOffset {
    return listOffset(this.engine, this.topics, topic, partition, timestampMs, isolation === 'committed' ? this.transactions.partitions : null);
  }

  /**
   * Resolves on the next append to the partition (or wakePartition), or after
   * `timeoutMs`. Register before yielding to the event loop after reading, so
   * no append slips between the read and the wait.
   */
  waitForAppend(topic: string, partition: number, timeoutMs: number): Promise<'append' | 'timeout'> {
    return this.watch.wait([tpKey({ topic, partition })], timeoutMs);
  }

  /** Wakes the partition's long polls though nothing was appended: a consumer's state change made something deliverable. */
  wakePartition(topic: string, partition: number): void {
    this.watch.notify(tpKey({ topic, partition }));
  }

  /** An idempotent producer's id (epoch 0); transactional ids get theirs from transactions.coordinator. */
  newProducerId(): bigint {
    return this.producerIds.take();
  }

  /** Swaps the transfer strategy on the live broker (the dynamic config transfer.strategy). */
  setTransferStrategy(name: string): void {
    this.configs.alter([{ name: 'transfer.strategy', value: name }]);
  }
}
