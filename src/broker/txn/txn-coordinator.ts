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
// Under transaction.version 2 (KIP-890 part 2) EndTxn v5 bumps the epoch
// as it ends (Prepare* already carries the new one, so do the markers):
// whatever the producer sent before the end is fenced. An epoch that would
// pass MAX_EPOCH ends with a new producer id, taken once the markers are
// written. Produce v12 and TxnOffsetCommit v5 begin the transaction
// themselves.
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
  /** transaction.version: the feature level finalized in ApiVersions; 2 enables KIP-890 part 2. */
  transactionVersion: number;
}

export const DEFAULT_TXN_SETTINGS: TxnSettings = { maxTimeoutMs: 900_000, idExpirationMs: 7 * 24 * 3600 * 1000, maxIds: 100_000, transactionVersion: 2 };

/** Epochs are int16: one that would reach this takes a new producer id instead (as Kafka's). */
const MAX_EPOCH = 32_766;

export interface InitResult {
  error: ErrorName;
  producerId: bigint;
  producerEpoch: number;
}

/** EndTxn's answer: v5 tells the producer the id and epoch to go on with. */
export type EndResult = InitResult;

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

  /** The transaction.version level in force. */
  get version(): number {
    return this.settings.transactionVersion;
  }

  /** Whether a request speaks KIP-890 part 2: its API's version from `since` on (Produce 12, EndTxn and TxnOffsetCommit 5), at level 2. */
  speaksV2(apiVersion: number, since: number): boolean {
    return apiVersion >= since && this.version >= 2;
  }

  /** Whether a partition may join a transaction (it exists, and is not internal); AddPartitionsToTxn answers why not. */
  mayJoin(topic: string, partition: number): boolean {
    return this.host.partitionError(topic, partition) === 'NONE';
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
      if (t.state === 'Ongoing') await this.end(t, 'abort', 'fence');
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
    return {
      transactionalId: id,
      producerId: this.host.newProducerId(),
      producerEpoch: 0,
      lastProducerEpoch: -1,
      timeoutMs,
      state: 'Empty',
      partitions: new Set(),
      groups: new Set(),
      offsets: [],
      startMs: -1,
      updateMs: now,
      endBumpedEpoch: false,
      nextProducerId: -1n,
      prevProducerId: -1n,
    };
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

  /** Whether the producer, at this epoch, has the partition in its open transaction already (nothing to add). */
  holds(id: string, producerId: bigint, epoch: number, topic: string, partition: number): boolean {
    const t = this.txns.get(id);
    return !!t && !this.ending.has(id) && t.producerId === producerId && t.producerEpoch === epoch && t.state === 'Ongoing' && t.partitions.has(partitionKey(topic, partition));
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

  /**
   * TxnOffsetCommit (the group's membership is checked by the caller):
   * pending until the transaction commits. `join` (v5 under transaction.version
   * 2): the group joins the transaction, begun if need be, in the same write.
   */
  async commitOffsets(id: string, producerId: bigint, epoch: number, group: string, entries: readonly Omit<PendingOffset, 'group'>[], join = false): Promise<ErrorName> {
    const { error, txn } = this.current(id, producerId, epoch);
    if (!txn) return error;
    if (join) {
      if (!group) return 'INVALID_GROUP_ID';
      if (txn.state !== 'Ongoing' || !txn.groups.has(group)) {
        this.begin(txn);
        txn.groups.add(group);
      }
    }
    if (txn.state !== 'Ongoing' || !txn.groups.has(group)) return 'INVALID_TXN_STATE'; // no AddOffsetsToTxn for the group first
    const key = (o: { group: string; topic: string; partition: number }): string => `${o.group}\0${partitionKey(o.topic, o.partition)}`;
    const replaced = new Set(entries.map((e) => key({ group, ...e })));
    txn.offsets = [...txn.offsets.filter((o) => !replaced.has(key(o))), ...entries.map((e) => ({ group, ...e }))];
    txn.updateMs = this.host.now();
    await this.log.write([txn]);
    return 'NONE';
  }

  /**
   * `bump` (EndTxn v5 under transaction.version 2): the epoch goes up as the
   * transaction ends, and the answer carries the id and epoch to go on with.
   * A retry of such an end comes with the epoch before the bump: it gets
   * the same answer (Kafka's retryOnEpochBump, and retryOnOverflow when the
   * bump took a new producer id), where the same epoch again is fenced.
   */
  async endTxn(id: string, producerId: bigint, epoch: number, commit: boolean, bump = false): Promise<EndResult> {
    const done: TxnState = commit ? 'CompleteCommit' : 'CompleteAbort';
    const answer = (error: ErrorName, t?: TxnMetadata): EndResult => (t && error === 'NONE' ? { error, producerId: t.producerId, producerEpoch: t.producerEpoch } : { error, producerId: -1n, producerEpoch: -1 });
    const prior = this.txns.get(id);
    if (prior && this.retriesBumpedEnd(prior, producerId, epoch)) {
      if (this.ending.has(id) || prior.state === 'PrepareCommit' || prior.state === 'PrepareAbort') return answer('CONCURRENT_TRANSACTIONS');
      return answer(prior.state === done ? 'NONE' : 'INVALID_TXN_STATE', prior);
    }
    const { error, txn } = this.current(id, producerId, epoch);
    if (!txn) return answer(error);
    if (txn.state === 'CompleteCommit' || txn.state === 'CompleteAbort') {
      // After a bumped end the current epoch is the next transaction's: ending one that never began is refused as Kafka's TV2 check does.
      if (txn.endBumpedEpoch) return answer('PRODUCER_FENCED');
      return answer(txn.state === done ? 'NONE' : 'INVALID_TXN_STATE', txn); // a retry of the call that ended it
    }
    if (txn.state !== 'Ongoing') return answer('INVALID_TXN_STATE');
    await this.end(txn, commit ? 'commit' : 'abort', bump ? 'bump' : 'keep');
    return answer('NONE', txn);
  }

  /** Whether (producerId, epoch) is what a bumped end of the transaction was called with. */
  private retriesBumpedEnd(t: TxnMetadata, producerId: bigint, epoch: number): boolean {
    if (!t.endBumpedEpoch || t.state === 'Ongoing' || t.state === 'Empty') return false;
    if (t.producerId === producerId && t.producerEpoch === epoch + 1) return true;
    return t.prevProducerId === producerId && epoch === MAX_EPOCH && t.producerEpoch === 0;
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
      if (t.state === 'Ongoing' && t.startMs + t.timeoutMs <= now) await this.end(t, 'abort', 'fence');
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

  /**
   * Ends an open transaction. `fence` bumps the epoch first, so its producer
   * can no longer write (timeouts, a new instance); `bump` too, for the
   * producer itself, who is told the new epoch (transaction.version 2).
   */
  private end(t: TxnMetadata, type: 'commit' | 'abort', epoch: 'keep' | 'fence' | 'bump'): Promise<void> {
    const ending = (async () => {
      if (epoch === 'bump') {
        // Past MAX_EPOCH the bumped epoch still marks this transaction's partitions; the producer goes on with a new id.
        if (t.producerEpoch >= MAX_EPOCH) t.nextProducerId = this.host.newProducerId();
        t.lastProducerEpoch = -1;
      }
      if (epoch !== 'keep') t.producerEpoch++;
      t.endBumpedEpoch = epoch === 'bump';
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
    t.prevProducerId = -1n;
    if (t.nextProducerId >= 0n) {
      this.byProducer.delete(t.producerId);
      t.prevProducerId = t.producerId;
      t.producerId = t.nextProducerId;
      t.producerEpoch = 0;
      t.nextProducerId = -1n;
      this.byProducer.set(t.producerId, t);
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
