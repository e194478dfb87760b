// What a broker is built from: its data directory, engine and flush policy,
// the settings it starts with, and the clocks tests replace.
import type { StrategyName } from '../native/addon.js';
import type { FlushPolicy, RetentionPolicy } from '../storage/types.js';
import type { GroupClock } from './groups/clock.js';
import type { CoordinatorSettings } from './groups/coordinator.js';
import type { TransactionsDeps } from './txn/transactions.js';

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
  /** Sockets the broker's listeners may hold at once (max.connections, plus rocketmq.max.connections with the RocketMQ endpoint on): what the storage's default open-file budget leaves room for. Default max.connections. */
  maxSockets?: number;
  /** log.retention.ms / log.retention.bytes (per partition); -1 keeps all. */
  retention?: Partial<RetentionPolicy>;
  /** log.retention.check.interval.ms; 0 runs retention only when asked. */
  retentionCheckIntervalMs?: number;
  groups?: Partial<CoordinatorSettings>;
  /** The group coordinator's timers (tests move a clock by hand); Node's timers by default. */
  groupClock?: GroupClock;
  /** What fetch sessions take their time from (eviction by idleness and age); Date.now by default, a test's clock in tests. */
  fetchSessionClock?: () => number;
  /** What transaction timeouts and transactional id expiry take their time from; Date.now by default, a test's clock in tests. */
  txnClock?: () => number;
  /**
   * mqlab.workers (../server/cluster.ts): on a node other than 0, topics come
   * only from node 0 (never auto-created here), and transactional batches are
   * checked with node 0's coordinator; on node 0, transaction markers for
   * partitions other nodes lead are written there.
   */
  node?: Pick<TransactionsDeps, 'markerElsewhere' | 'coordinatorElsewhere'> & { createsTopics: boolean };
  /** The open files this broker may count on (its share of the process's limit under mqlab.workers); the process's limit by default. */
  openFileLimit?: number | null;
  /** Further static configs by Kafka name, shown by DescribeConfigs (network limits, say). */
  settings?: Record<string, string>;
  log?: (message: string) => void;
}
