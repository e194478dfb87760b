// Topics: names, partition counts and per-topic configs, kept in
// <data>/topics.json (written atomically: temp file, fsync, rename) and
// reconciled at startup with the partitions the storage engine holds, so a
// crash between the two never loses a partition with data in it. Each topic
// has an id (a random UUID, as Kafka's) kept with it, so a topic deleted and
// created again under the same name is a different topic to clients that
// address topics by id (Metadata v10+, Fetch v13+, Produce v13, OffsetCommit
// and OffsetFetch v10).
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { StorageError } from '../storage/errors.js';
import { validateTopicPartition } from '../storage/topic-names.js';
import type { StorageEngine } from '../storage/types.js';
import { writeFileAtomic } from './atomic-file.js';
import { BrokerError } from './errors.js';

export interface TopicInfo {
  name: string;
  /** The topic's id: a UUID, lower-case hex with dashes (the codec's uuid form), never the zero UUID. */
  id: string;
  partitions: number;
  configs: Record<string, string>;
  internal: boolean;
}

/** What changed since a stamp (TopicRegistry.changedSince): topics to make equal, names to delete. */
export interface TopicChanges {
  changed: readonly TopicInfo[];
  deleted: readonly string[];
}

export interface TopicLimits {
  maxPartitionsPerTopic: number;
  /** Partitions of every topic together (mqlab.max.partitions): each costs open files, so their number is bounded. */
  maxPartitions: number;
}

export class TopicRegistry {
  private readonly topics = new Map<string, TopicInfo>();
  private readonly ids = new Map<string, TopicInfo>();
  // Names whose partitions are still being deleted. A topic created again
  // meanwhile (a produce auto-creating it, say) would reuse the partitions
  // not deleted yet, old data and all, and then lose them to the deletion
  // still under way; so it cannot be, until the deletion is done.
  private readonly deleting = new Set<string>();
  /** Bumped when a topic is created or deleted: what a regex subscription matches may have changed. */
  revision = 0;
  /** Bumped by every change (created, deleted, grown, reconfigured): what other nodes must be told (../server/worker-nodes.ts). */
  changes = 0;
  /** Per topic, `changes` at its last change; per name deleted, when (kept until forgetDeletions, only once trackDeletions is on): so a node is told only what changed. */
  private readonly stamps = new Map<string, number>();
  private readonly deletions = new Map<string, number>();
  /** Set by node 0 under mqlab.workers, the one reader of deletions (it forgets them once told): elsewhere nothing would. */
  trackDeletions = false;
  /** Whether this node leads a partition: always, but for the other nodes' under mqlab.workers (../server/cluster.ts). */
  leads: (t: TopicInfo, partition: number) => boolean = () => true;

  /**
   * Whether this node keeps a partition's storage: one it leads, and every
   * internal topic's (each node's offsets and transaction log are its own,
   * though only node 0's are used). A partition another node leads has
   * nothing here, not even an empty file.
   */
  holds(t: TopicInfo, partition: number): boolean {
    return t.internal || this.leads(t, partition);
  }

  constructor(
    private readonly engine: StorageEngine,
    private readonly file: string,
    private readonly limits: TopicLimits = { maxPartitionsPerTopic: 10_000, maxPartitions: 10_000 },
    /** Hears of a topic created, grown or reconfigured (and of every topic at open): per-partition engine settings follow it. */
    private readonly onChange: (t: TopicInfo) => void = () => undefined,
  ) {}

  open(): void {
    if (existsSync(this.file)) {
      for (const t of JSON.parse(readFileSync(this.file, 'utf8')) as TopicInfo[]) this.topics.set(t.name, t);
    }
    let changed = false;
    // Topics saved before ids existed get one now, kept from then on.
    for (const t of this.topics.values()) {
      if (typeof t.id !== 'string') {
        t.id = randomUUID();
        changed = true;
      }
    }
    for (const tp of this.engine.partitions()) {
      const t = this.topics.get(tp.topic);
      if (!t) {
        this.topics.set(tp.topic, { name: tp.topic, id: randomUUID(), partitions: tp.partition + 1, configs: {}, internal: tp.topic.startsWith('__') });
        changed = true;
      } else if (tp.partition >= t.partitions) {
        t.partitions = tp.partition + 1;
        changed = true;
      }
    }
    for (const t of this.topics.values()) {
      this.ids.set(t.id, t);
      for (let p = 0; p < t.partitions; p++) if (this.holds(t, p)) this.engine.createPartition({ topic: t.name, partition: p });
      this.onChange(t);
    }
    if (changed) this.save();
    this.revision++;
  }

  get(name: string): TopicInfo | undefined {
    return this.topics.get(name);
  }

  /** The topic with this id (the codec's uuid form), if it exists. */
  byId(id: string): TopicInfo | undefined {
    return this.ids.get(id);
  }

  /** The name of the topic with this id, '' for none (the zero UUID names none): how requests that name topics by id find them. */
  nameById(id: string): string {
    return this.ids.get(id)?.name ?? '';
  }

  list(): TopicInfo[] {
    return [...this.topics.values()];
  }

  /** `id`: the topic's id on the controller, when this node mirrors its topics; a new one by default. */
  create(name: string, partitions: number, configs: Record<string, string> = {}, internal = false, id: string = randomUUID()): TopicInfo {
    this.checkCreate(name, partitions);
    const t: TopicInfo = { name, id, partitions, configs: { ...configs }, internal };
    let p = 0;
    try {
      for (; p < partitions; p++) if (this.holds(t, p)) this.engine.createPartition({ topic: name, partition: p });
    } catch (err) {
      // A failing disk: the partitions made so far go again (the engines delete
      // before their first await), and the request is answered, not dropped.
      for (let q = 0; q < p; q++) void this.engine.deletePartition({ topic: name, partition: q }).catch(() => undefined);
      const code = err instanceof StorageError ? err.code : 'KAFKA_STORAGE_ERROR';
      throw new BrokerError(code, `creating partition ${p} of "${name}" failed: ${(err as Error).message}`);
    }
    this.topics.set(name, t);
    this.ids.set(t.id, t);
    this.revision++;
    this.changed(name);
    this.save();
    this.onChange(t);
    return t;
  }

  /** Throws what `create` would, creating nothing (CreateTopics' validateOnly). */
  checkCreate(name: string, partitions: number): void {
    if (this.topics.has(name)) throw new BrokerError('TOPIC_ALREADY_EXISTS', `topic "${name}" already exists`);
    if (this.deleting.has(name)) throw new BrokerError('TOPIC_ALREADY_EXISTS', `topic "${name}" is being deleted`);
    if (!Number.isInteger(partitions) || partitions < 1 || partitions > this.limits.maxPartitionsPerTopic) {
      throw new BrokerError('INVALID_PARTITIONS', `partitions must be 1 to ${this.limits.maxPartitionsPerTopic}, got ${partitions}`);
    }
    this.checkRoom(partitions);
    try {
      validateTopicPartition({ topic: name, partition: 0 });
    } catch (err) {
      throw new BrokerError('INVALID_TOPIC_EXCEPTION', (err as Error).message);
    }
  }

  /**
   * CreatePartitions: grows the topic to `count` partitions, checking
   * everything first (validateOnly stops there). The new partitions are
   * created in the engine before topics.json names them, so a crash in
   * between leaves partitions open() finds and adopts. If the engine
   * refuses one (its partition limit), those created are deleted again.
   */
  async grow(name: string, count: number, validateOnly = false): Promise<void> {
    const t = this.topics.get(name);
    if (!t || this.deleting.has(name)) throw new BrokerError('UNKNOWN_TOPIC_OR_PARTITION', `no topic "${name}"`);
    if (!Number.isInteger(count) || count < t.partitions) throw new BrokerError('INVALID_PARTITIONS', `topic "${name}" has ${t.partitions} partitions: the count can only grow, got ${count}`);
    if (count === t.partitions) throw new BrokerError('INVALID_PARTITIONS', `topic "${name}" already has ${count} partitions`);
    if (count > this.limits.maxPartitionsPerTopic) throw new BrokerError('INVALID_PARTITIONS', `partitions must be 1 to ${this.limits.maxPartitionsPerTopic}, got ${count}`);
    this.checkRoom(count - t.partitions);
    if (validateOnly) return;
    const from = t.partitions;
    let p = from;
    try {
      for (; p < count; p++) if (this.holds(t, p)) this.engine.createPartition({ topic: name, partition: p });
    } catch (err) {
      for (let q = from; q < p; q++) await this.engine.deletePartition({ topic: name, partition: q });
      // The engine's limit on partitions in all (POLICY_VIOLATION), or a failing disk.
      if (err instanceof StorageError) throw new BrokerError(err.code, `creating partition ${p} of "${name}" failed: ${err.message}`);
      throw err;
    }
    t.partitions = count;
    this.changed(name);
    this.save();
    this.onChange(t);
  }

  private changed(name: string): void {
    this.changes++;
    this.stamps.set(name, this.changes);
  }

  /** The topics changed after `stamp` (a value of `changes`), and the names deleted after it that do not name a topic now. */
  changedSince(stamp: number): TopicChanges {
    const changed: TopicInfo[] = [];
    for (const [name, at] of this.stamps) if (at > stamp) changed.push(this.topics.get(name)!);
    const deleted: string[] = [];
    for (const [name, at] of this.deletions) if (at > stamp && !this.topics.has(name)) deleted.push(name);
    return { changed, deleted };
  }

  /** Deletions up to `stamp` have been told: they need not be kept. */
  forgetDeletions(stamp: number): void {
    for (const [name, at] of this.deletions) if (at <= stamp) this.deletions.delete(name);
  }

  /** Gives an internal topic the controller's id for it (each node creates its own at its first start). */
  adoptId(name: string, id: string): void {
    const t = this.topics.get(name);
    if (!t || t.id === id) return;
    this.ids.delete(t.id);
    t.id = id;
    this.ids.set(id, t);
    this.changed(name);
    this.save();
  }

  /** Partitions of every topic together, internal ones included. */
  partitionCount(): number {
    let n = 0;
    for (const t of this.topics.values()) n += t.partitions;
    return n;
  }

  /** Refuses `more` partitions past mqlab.max.partitions, before any is made (a request creates all it asks for or none). */
  private checkRoom(more: number): void {
    const total = this.partitionCount() + more;
    if (total > this.limits.maxPartitions) {
      throw new BrokerError('POLICY_VIOLATION', `the broker would hold ${total} partitions, more than mqlab.max.partitions (${this.limits.maxPartitions})`);
    }
  }

  async delete(name: string): Promise<void> {
    const t = this.topics.get(name);
    if (!t) throw new BrokerError('UNKNOWN_TOPIC_OR_PARTITION', `no topic "${name}"`);
    this.topics.delete(name);
    this.ids.delete(t.id);
    this.revision++;
    this.changes++;
    this.stamps.delete(name);
    if (this.trackDeletions) this.deletions.set(name, this.changes);
    this.deleting.add(name);
    try {
      this.save();
      for (let p = 0; p < t.partitions; p++) await this.engine.deletePartition({ topic: name, partition: p });
    } finally {
      this.deleting.delete(name);
    }
  }

  setConfig(name: string, key: string, value: string | null): void {
    const t = this.topics.get(name);
    if (!t) throw new BrokerError('UNKNOWN_TOPIC_OR_PARTITION', `no topic "${name}"`);
    if (value === null) delete t.configs[key];
    else t.configs[key] = value;
    this.changed(name);
    this.save();
    this.onChange(t);
  }

  private save(): void {
    writeFileAtomic(this.file, JSON.stringify(this.list(), null, 2));
  }
}
