// Topic administration on the broker: CreateTopics, DeleteTopics,
// CreatePartitions, DeleteRecords and topic configs, with what each must
// keep in step (committed offsets, producer and transaction state, fetches
// waiting on a partition). Internal topics are refused here.
import { StorageError } from '../storage/errors.js';
import { tpKey, type StorageEngine } from '../storage/types.js';
import type { AppendWatch } from './append-watch.js';
import { checkEngineCanHonour } from './compaction.js';
import { checkTopicConfig } from './configs.js';
import { BrokerError } from './errors.js';
import type { GroupCoordinator } from './groups/coordinator.js';
import { OFFSETS_TOPIC } from './groups/offset-store.js';
import type { ProducerStateTable } from './producer-state.js';
import type { TopicChanges, TopicInfo, TopicRegistry } from './topics.js';
import type { Transactions } from './txn/transactions.js';

export interface TopicAdminDeps {
  engine: StorageEngine;
  topics: TopicRegistry;
  coordinator: GroupCoordinator;
  producers: ProducerStateTable;
  transactions: Transactions;
  watch: AppendWatch;
}

export class TopicAdmin {
  constructor(private readonly d: TopicAdminDeps) {}

  /** CreateTopics: the topic with its configs, all checked first; with validateOnly, only checked (null). */
  createTopic(name: string, partitions: number, configs: Record<string, string> = {}, validateOnly = false): TopicInfo | null {
    this.checkTopicConfigs(Object.entries(configs).map(([k, v]) => ({ name: k, value: v })));
    if (name === OFFSETS_TOPIC) throw new BrokerError('INVALID_TOPIC_EXCEPTION', `${name} is internal`);
    if (!validateOnly) return this.d.topics.create(name, partitions, configs);
    this.d.topics.checkCreate(name, partitions);
    return null;
  }

  /** DeleteTopics: the topic, all its data and its committed offsets; fetches waiting on it are woken. */
  async deleteTopic(name: string): Promise<void> {
    const t = this.d.topics.get(name);
    if (t?.internal || name === OFFSETS_TOPIC) throw new BrokerError('INVALID_TOPIC_EXCEPTION', `${name} is internal`);
    await this.d.topics.delete(name);
    await this.d.coordinator.deleteTopicOffsets(name);
    for (let p = 0; p < (t?.partitions ?? 0); p++) {
      // A topic created again under the name is new: its producers' sequences start afresh.
      this.d.producers.forgetPartition(tpKey({ topic: name, partition: p }));
      this.d.transactions.partitions.forgetPartition(tpKey({ topic: name, partition: p }));
      this.d.watch.notify(tpKey({ topic: name, partition: p }));
    }
  }

  /** CreatePartitions: the topic grown to `count` partitions (topics.ts); internal topics keep theirs. */
  async createPartitions(name: string, count: number, validateOnly = false): Promise<void> {
    if (this.d.topics.get(name)?.internal || name === OFFSETS_TOPIC) throw new BrokerError('INVALID_TOPIC_EXCEPTION', `${name} is internal`);
    await this.d.topics.grow(name, count, validateOnly);
  }

  /**
   * DeleteRecords: the partition's log start moves to `offset` (-1: the
   * high watermark, deleting everything); an offset below the start changes
   * nothing. Returns the start after. Fetches waiting on the partition are
   * woken, to find their offset gone.
   */
  async deleteRecords(topic: string, partition: number, offset: bigint): Promise<bigint> {
    const t = this.d.topics.get(topic);
    if (!t || partition < 0 || partition >= t.partitions) throw new BrokerError('UNKNOWN_TOPIC_OR_PARTITION', `no partition ${topic}-${partition}`);
    if (!this.d.topics.leads(t, partition)) throw new BrokerError('NOT_LEADER_OR_FOLLOWER', `${topic}-${partition} is led by another node`);
    if (t.internal) throw new BrokerError('INVALID_TOPIC_EXCEPTION', `${topic} is internal`);
    const tp = { topic, partition };
    try {
      const hw = this.d.engine.highWatermark(tp);
      const to = offset === -1n ? hw : offset;
      if (to < 0n || to > hw) throw new BrokerError('OFFSET_OUT_OF_RANGE', `offset ${offset} is outside [0, ${hw}] (the high watermark) of ${topic}-${partition}`);
      const start = await this.d.engine.deleteRecordsBefore(tp, to);
      this.d.producers.truncateHead(tpKey(tp), start);
      this.d.transactions.partitions.truncateHead(tpKey(tp), start);
      this.d.watch.notify(tpKey(tp));
      return start;
    } catch (err) {
      if (err instanceof StorageError) throw new BrokerError(err.code, err.message);
      throw err;
    }
  }

  /**
   * Makes this node's topics the controller's (mqlab.workers: every node
   * knows every topic, and holds the data of the partitions it leads):
   * topics gone there are deleted here, a name that now names another topic
   * (another id) is deleted and created again, new ones created under the
   * controller's id, grown ones grown, configs made equal. Internal topics
   * are each node's own but take the controller's id, so a client that
   * names them by id is understood by every node.
   */
  async mirror(wanted: readonly TopicInfo[]): Promise<void> {
    const byName = new Map(wanted.map((t) => [t.name, t]));
    const gone = this.d.topics.list().filter((local) => !local.internal && !byName.has(local.name)).map((t) => t.name);
    await this.mirrorChanges({ changed: wanted, deleted: gone });
  }

  /** The same for what changed on the controller since it last told this node: names deleted there, topics created, grown or reconfigured. */
  async mirrorChanges(c: TopicChanges): Promise<void> {
    // Every deletion first, as on the controller, where they came before the topics that took their room (mqlab.max.partitions):
    // the names deleted there, and those that now name another topic (another id), whose data goes with the old one.
    const retired = c.changed.filter((w) => {
      const mine = this.d.topics.get(w.name);
      return mine !== undefined && !mine.internal && mine.id !== w.id;
    });
    for (const name of [...c.deleted, ...retired.map((w) => w.name)]) {
      const mine = this.d.topics.get(name);
      if (mine && !mine.internal) await this.deleteTopic(name);
    }
    for (const w of c.changed) {
      const mine = this.d.topics.get(w.name);
      if (mine?.internal) this.d.topics.adoptId(w.name, w.id);
      const local = mine ?? this.d.topics.create(w.name, w.partitions, w.configs, w.internal, w.id);
      if (local.partitions < w.partitions) await this.d.topics.grow(w.name, w.partitions);
      for (const k of new Set([...Object.keys(local.configs), ...Object.keys(w.configs)])) {
        if (local.configs[k] !== w.configs[k]) this.d.topics.setConfig(w.name, k, w.configs[k] ?? null);
      }
    }
  }

  private checkTopicConfigs(changes: readonly { name: string; value: string | null }[]): void {
    for (const { name, value } of changes) {
      if (value !== null) checkTopicConfig(name, value);
      checkEngineCanHonour(this.d.engine, name, value);
    }
  }

  /** Sets or removes (null) topic configs, all or none. */
  alterTopicConfigs(topic: string, changes: readonly { name: string; value: string | null }[], validateOnly = false): void {
    if (!this.d.topics.get(topic)) throw new BrokerError('UNKNOWN_TOPIC_OR_PARTITION', `no topic "${topic}"`);
    this.checkTopicConfigs(changes);
    if (validateOnly) return;
    for (const { name, value } of changes) this.d.topics.setConfig(topic, name, value);
  }
}
