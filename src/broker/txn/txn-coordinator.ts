// The transaction coordinator, after Kafka's TransactionCoordinator: a
// state machine per transactional id, durable in __transaction_state
// (txn-log.ts). This broker is every partition's leader, so the markers
// that end a transaction are local appends and EndTxn answers once they
// are written (Kafka answers after PrepareCommit and writes the markers
// after; its clients see the same outcome).
//
//   Empty/Complete* --AddPartitions/AddOffsets--> Ongoing
//   Ongoing --EndTxn--> PrepareCommit|PrepareAbort --markers--> Complete*
//   Ongoing --timeout, or InitProducerId of a new instance--> epoch + 1,
//     PrepareAbort --> CompleteAbort (the old instance is fenced)
//
// Every change is written before it is answered. A crash between Prepare*
// and Complete* is finished at startup from the log: markers go to the
// partitions where the producer still has a transaction open, offsets are
// stored again (an idempotent overwrite).
import type { ErrorName } from '../../protocol/kafka/error-codes.js';
import type { OffsetCommitEntry } from '../groups/offset-store.js';
import { partitionKey, splitPartitionKey, TXN_STATES, type PendingOffset, type TxnLog, type TxnMetadata, type TxnState } from './txn-log.js';

/** What the coordinator needs of the broker. */
export interface TxnHost {
  /** Whether a producer may write to the partition (it exists and is not internal). */
  partitionError(topic: string, partition: number): ErrorName;
  /** Whether the producer has data of an open transaction on the partition. */
  isOpen(topic: string, partition: number, producerId: bigint): boolean;
  writeMarker(topic: string, partition: number, producerId: bigint, producerEpoch: number, type: 'commit' | 'abort'): Promise<void>;
  commitOffsets(group: string, entries: readonly OffsetCommitEntry[]): Promise<void>;
  newProducerId(): bigint;
  now(): number;
}

export interface TxnSettings {
  /** transaction.max.timeout.ms: the longest transaction.timeout.ms a producer may ask for. */
  maxTimeoutMs: number;
  /** transactional.id.expiration.ms: an id with no transaction open and no change this long is forgotten. */
  idExpirationMs: number;
  /** mqlab.transactional.ids.max: ids kept at most (each holds memory and a record at every startup). */
  maxIds: number;
}

export const DEFAULT_TXN_SETTINGS: TxnSettings = { maxTimeoutMs: 900_000, idExpirationMs: 7 * 24 * 3600 * 1000, maxIds: 100_000 };

/** Epochs are int16: one that would reach this takes a new producer id instead (as Kafka's). */
const MAX_EPOCH = 32_766;

export interface InitResult {
  error: ErrorName;
  producerId: bigint;
  producerEpoch: number;
}

export class TxnCoordinator {
  private txns = new Map<string, TxnMetadata>();
  private readonly byProducer = new Map<bigint, TxnMetadata>();
  /** Transactions being ended (markers in flight): other calls for the id wait or are told CONCURRENT_TRANSACTIONS. */
  private readonly ending = new Map<string, Promise<void>>();

  constructor(private readonly log: TxnLog, private readonly host: TxnHost, private readonly settings: TxnSettings = DEFAULT_TXN_SETTINGS) {}

  /** Reads the log and finishes the transactions a crash left between Prepare* and Complete*. */
  async open(): Promise<void> {
    this.txns = this.log.open();
    for (const t of this.txns.values()) this.byProducer.set(t.producerId, t);
    for (const t of this.txns.values()) {
      if (t.state === 'PrepareCommit' || t.state === 'PrepareAbort') await this.finish(t);
    }
  }

  /** The transaction a producer id belongs to, if transactional. */
  ofProducer(producerId: bigint): TxnMetadata | undefined {
    return this.byProducer.get(producerId);
  }

  async initProducerId(id: string, timeoutMs: number, expectedId: bigint, expectedEpoch: number): Promise<InitResult> {
    const fail = (error: ErrorName): InitResult => ({ error, producerId: -1n, producerEpoch: -1 });
    if (id === '') return fail('INVALID_REQUEST');
    if (timeoutMs <= 0 || timeoutMs > this.settings.maxTimeoutMs) return fail('INVALID_TRANSACTION_TIMEOUT');
    await this.ending.get(id);
    let t = this.txns.get(id);
    if (!t) {
      if (this.txns.size >= this.settings.maxIds) return fail('POLICY_VIOLATION');
      t = this.fresh(id, timeoutMs);
    } else {
      // KIP-360: a producer that names its id and epoch resumes only if they are still current, or
      // were until its own last call (a retry of a call whose answer it lost: answered the same, no bump).
      if (expectedId >= 0n && expectedId === t.producerId && expectedEpoch === t.lastProducerEpoch && t.state !== 'Ongoing') {
        return { error: 'NONE', producerId: t.producerId, producerEpoch: t.producerEpoch };
      }
      if (expectedId >= 0n && (expectedId !== t.producerId || expectedEpoch !== t.producerEpoch)) return fail('PRODUCER_FENCED');
      if (t.state === 'Ongoing') await this.end(t, 'abort', true);
      this.byProducer.delete(t.producerId);
      // Only a resume (KIP-360) can be retried: a new instance (no id and epoch given) leaves none, as Kafka's prepareIncrementProducerEpoch.
      t.lastProducerEpoch = expectedId >= 0n ? t.producerEpoch : -1;
      if (t.producerEpoch >= MAX_EPOCH) {
        t.producerId = this.host.newProducerId();
        t.producerEpoch = 0;
        t.lastProducerEpoch = -1;
      } else t.producerEpoch++;
      t.timeoutMs = timeoutMs;
      t.state = 'Empty';
      t.updateMs = this.host.now();
    }
    this.txns.set(id, t);
    this.byProducer.set(t.producerId, t);
    await this.log.write([t]);
    return { error: 'NONE', producerId: t.producerId, producerEpoch: t.producerEpoch };
  }

  private fresh(id: string, timeoutMs: number): TxnMetadata {
    const now = this.host.now();
    return { transactionalId: id, producerId: this.host.newProducerId(), producerEpoch: 0, lastProducerEpoch: -1, timeoutMs, state: 'Empty', partitions: new Set(), groups: new Set(), offsets: [], startMs: -1, updateMs: now };
  }

  /** The checks every call of a producer in a transaction goes through (Kafka's order). */
  private current(id: string, producerId: bigint, epoch: number): { error: ErrorName; txn?: TxnMetadata } {
    const t = this.txns.get(id);
    if (!t || t.producerId !== producerId) return { error: 'INVALID_PRODUCER_ID_MAPPING' };
    if (t.producerEpoch !== epoch) return { error: 'PRODUCER_FENCED' };
    if (this.ending.has(id) || t.state === 'PrepareCommit' || t.state === 'PrepareAbort') return { error: 'CONCURRENT_TRANSACTIONS' };
    return { error: 'NONE', txn: t };
  }

  /** AddPartitionsToTxn: per partition an error; with one unknown, none is added (OPERATION_NOT_ATTEMPTED for the rest). */
  async addPartitions(id: string, producerId: bigint, epoch: number, partitions: readonly { topic: string; partition: number }[]): Promise<ErrorName[]> {
    const { error, txn } = this.current(id, producerId, epoch);
    if (!txn) return partitions.map(() => error);
    const errors = partitions.map((p) => this.host.partitionError(p.topic, p.partition));
    if (errors.some((e) => e !== 'NONE')) return errors.map((e) => (e === 'NONE' ? 'OPERATION_NOT_ATTEMPTED' : e));
    const keys = partitions.map((p) => partitionKey(p.topic, p.partition));
    if (txn.state === 'Ongoing' && keys.every((k) => txn.partitions.has(k))) return errors;
    this.begin(txn);
    for (const k of keys) txn.partitions.add(k);
    await this.log.write([txn]);
    return errors;
  }

  /** AddPartitionsToTxn v4 VerifyOnly: NONE for each partition already in the producer's open transaction. */
  verify(id: string, producerId: bigint, epoch: number, partitions: readonly { topic: string; partition: number }[]): ErrorName[] {
    const { error, txn } = this.current(id, producerId, epoch);
    if (!txn) return partitions.map(() => error);
    return partitions.map((p) => (txn.state === 'Ongoing' && txn.partitions.has(partitionKey(p.topic, p.partition)) ? 'NONE' : 'INVALID_TXN_STATE'));
  }

  async addOffsets(id: string, producerId: bigint, epoch: number, group: string): Promise<ErrorName> {
    const { error, txn } = this.current(id, producerId, epoch);
    if (!txn) return error;
    if (!group) return 'INVALID_GROUP_ID';
    if (txn.state === 'Ongoing' && txn.groups.has(group)) return 'NONE';
    this.begin(txn);
    txn.groups.add(group);
    await this.log.write([txn]);
    return 'NONE';
  }

  /** TxnOffsetCommit (the group's membership is checked by the caller): pending until the transaction commits. */
  async commitOffsets(id: string, producerId: bigint, epoch: number, group: string, entries: readonly Omit<PendingOffset, 'group'>[]): Promise<ErrorName> {
    const { error, txn } = this.current(id, producerId, epoch);
    if (!txn) return error;
    if (txn.state !== 'Ongoing' || !txn.groups.has(group)) return 'INVALID_TXN_STATE'; // no AddOffsetsToTxn for the group first
    const key = (o: { group: string; topic: string; partition: number }): string => `${o.group}\0${partitionKey(o.topic, o.partition)}`;
    const replaced = new Set(entries.map((e) => key({ group, ...e })));
    txn.offsets = [...txn.offsets.filter((o) => !replaced.has(key(o))), ...entries.map((e) => ({ group, ...e }))];
    txn.updateMs = this.host.now();
    await this.log.write([txn]);
    return 'NONE';
  }

  async endTxn(id: string, producerId: bigint, epoch: number, commit: boolean): Promise<ErrorName> {
    const { error, txn } = this.current(id, producerId, epoch);
    if (!txn) return error;
    const done: TxnState = commit ? 'CompleteCommit' : 'CompleteAbort';
    if (txn.state === done) return 'NONE'; // a retry of the call that ended it
    if (txn.state !== 'Ongoing') return 'INVALID_TXN_STATE';
    await this.end(txn, commit ? 'commit' : 'abort', false);
    return 'NONE';
  }

  /**
   * Aborts the transactions open longer than their timeout, bumping the
   * epoch so the producer that let it lapse is fenced (as Kafka does), and
   * forgets ids idle past transactional.id.expiration.ms.
   */
  async expire(): Promise<void> {
    const now = this.host.now();
    const expired: string[] = [];
    for (const t of [...this.txns.values()]) {
      if (this.ending.has(t.transactionalId)) continue;
      if (t.state === 'Ongoing' && t.startMs + t.timeoutMs <= now) await this.end(t, 'abort', true);
      else if ((t.state === 'Empty' || t.state === 'CompleteCommit' || t.state === 'CompleteAbort') && t.updateMs + this.settings.idExpirationMs <= now) expired.push(t.transactionalId);
    }
    if (expired.length === 0) return;
    await this.log.remove(expired);
    for (const id of expired) {
      const t = this.txns.get(id)!;
      this.txns.delete(id);
      if (this.byProducer.get(t.producerId) === t) this.byProducer.delete(t.producerId);
    }
  }

  /** The partitions (partitionKey) of a group whose offsets an open transaction will commit (OffsetFetch RequireStable). */
  pendingOffsets(group: string): Set<string> {
    const out = new Set<string>();
    for (const t of this.txns.values()) {
      if (t.state === 'Empty' || t.state === 'CompleteCommit' || t.state === 'CompleteAbort' || !t.groups.has(group)) continue;
      for (const o of t.offsets) if (o.group === group) out.add(partitionKey(o.topic, o.partition));
    }
    return out;
  }

  describe(id: string): TxnMetadata | undefined {
    return this.txns.get(id);
  }

  list(): TxnMetadata[] {
    return [...this.txns.values()];
  }

  static isState(s: string): s is TxnState {
    return (TXN_STATES as readonly string[]).includes(s);
  }

  /** The transaction is (or stays) open from now: the first partition or group of a new one resets it. */
  private begin(t: TxnMetadata): void {
    const now = this.host.now();
    if (t.state !== 'Ongoing') {
      t.state = 'Ongoing';
      t.partitions = new Set();
      t.groups = new Set();
      t.offsets = [];
      t.startMs = now;
    }
    t.updateMs = now;
  }

  /** Ends an open transaction; `fence` bumps the epoch first, so its producer can no longer write. */
  private end(t: TxnMetadata, type: 'commit' | 'abort', fence: boolean): Promise<void> {
    const ending = (async () => {
      if (fence) t.producerEpoch++;
      t.state = type === 'commit' ? 'PrepareCommit' : 'PrepareAbort';
      t.updateMs = this.host.now();
      await this.log.write([t]);
      await this.finish(t);
    })();
    this.ending.set(t.transactionalId, ending);
    return ending.finally(() => this.ending.delete(t.transactionalId));
  }

  /** From Prepare*: markers where the producer has data open, offsets stored on commit, then Complete*. */
  private async finish(t: TxnMetadata): Promise<void> {
    const type = t.state === 'PrepareCommit' ? 'commit' : 'abort';
    await Promise.all(
      [...t.partitions].map(async (k) => {
        const { topic, partition } = splitPartitionKey(k);
        if (this.host.isOpen(topic, partition, t.producerId)) await this.host.writeMarker(topic, partition, t.producerId, t.producerEpoch, type);
      }),
    );
    if (type === 'commit') {
      for (const group of t.groups) {
        const entries = t.offsets.filter((o) => o.group === group).map((o) => ({ topic: o.topic, partition: o.partition, offset: o.offset, metadata: o.metadata, leaderEpoch: o.leaderEpoch }));
        if (entries.length > 0) await this.host.commitOffsets(group, entries);
      }
    }
    t.state = type === 'commit' ? 'CompleteCommit' : 'CompleteAbort';
    t.partitions = new Set();
    t.groups = new Set();
    t.offsets = [];
    t.startMs = -1;
    t.updateMs = this.host.now();
    await this.log.write([t]);
  }
}
